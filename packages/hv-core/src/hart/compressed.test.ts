import { describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";
import { csr, type Fixture, makeHart, RAM_BASE, rng } from "./test-asm.testing.js";

const DATA = RAM_BASE + 0x4000;
const FS_DIRTY = 3 << 13;

/** Registers: random values, except sp and x8..x15 point into DATA so loads and stores work. */
function preset(fx: Fixture, seed: number, addresses: boolean): void {
  const r = rng(seed);
  for (let i = 1; i < 32; i++) fx.hart.setX(i, r.u64());
  if (addresses) {
    fx.hart.setX(2, DATA + 0x200);
    for (let i = 8; i < 16; i++) fx.hart.setX(i, DATA + 8 * (i - 8));
  }
  for (let i = 0; i < 32; i++) {
    fx.hart.f[2 * i] = r.u32() | 0;
    fx.hart.f[2 * i + 1] = r.u32() | 0;
  }
  const bytes = new Uint8Array(0x600);
  for (let i = 0; i < bytes.length; i++) bytes[i] = r.u32() & 0xff;
  fx.mem.writeBytes(DATA, bytes);
}

function runOne(inst: number, seed: number, addresses: boolean) {
  const fx = makeHart({ program: [inst] });
  preset(fx, seed, addresses);
  fx.hart.mstatus |= FS_DIRTY;
  fx.hart.run(1);
  return {
    pc: fx.hart.pc,
    x: Array.from({ length: 32 }, (_, i) => fx.hart.getXBig(i)),
    f: [...fx.hart.f],
    data: [...fx.mem.readBytes(DATA, 0x600)],
    cause: csr(fx.hart, 0x342),
  };
}

/** [name, 16-bit form, its 32-bit equivalent, needs address registers, transfers control]. */
const PAIRS: [string, number, number, boolean, boolean][] = [
  ["c.addi4spn", A.c_addi4spn(9, 1020), A.addi(9, 2, 1020), false, false],
  ["c.fld", A.c_fld(10, 9, 248), A.fld(10, 9, 248), true, false],
  ["c.lw", A.c_lw(10, 11, 124), A.lw(10, 11, 124), true, false],
  ["c.ld", A.c_ld(12, 13, 248), A.ld(12, 13, 248), true, false],
  ["c.fsd", A.c_fsd(14, 15, 8), A.fsd(14, 15, 8), true, false],
  ["c.sw", A.c_sw(8, 9, 64), A.sw(8, 9, 64), true, false],
  ["c.sd", A.c_sd(10, 11, 128), A.sd(10, 11, 128), true, false],
  ["c.nop", A.c_nop(), A.nop(), false, false],
  ["c.addi", A.c_addi(10, -32), A.addi(10, 10, -32), false, false],
  ["c.addiw", A.c_addiw(10, 31), A.addiw(10, 10, 31), false, false],
  ["c.li", A.c_li(11, -1), A.addi(11, 0, -1), false, false],
  ["c.addi16sp", A.c_addi16sp(-512), A.addi(2, 2, -512), false, false],
  ["c.lui", A.c_lui(12, -1), A.lui(12, 0xfffff), false, false],
  ["c.lui+", A.c_lui(12, 31), A.lui(12, 31), false, false],
  ["c.srli", A.c_srli(8, 33), A.srli(8, 8, 33), false, false],
  ["c.srai", A.c_srai(9, 63), A.srai(9, 9, 63), false, false],
  ["c.andi", A.c_andi(10, -7), A.andi(10, 10, -7), false, false],
  ["c.sub", A.c_sub(8, 9), A.sub(8, 8, 9), false, false],
  ["c.xor", A.c_xor(10, 11), A.xor(10, 10, 11), false, false],
  ["c.or", A.c_or(12, 13), A.or(12, 12, 13), false, false],
  ["c.and", A.c_and(14, 15), A.and(14, 14, 15), false, false],
  ["c.subw", A.c_subw(8, 15), A.subw(8, 8, 15), false, false],
  ["c.addw", A.c_addw(9, 14), A.addw(9, 9, 14), false, false],
  ["c.j", A.c_j(2046), A.jal(0, 2046), false, true],
  ["c.j back", A.c_j(-2048), A.jal(0, -2048), false, true],
  ["c.beqz", A.c_beqz(8, 254), A.beq(8, 0, 254), false, true],
  ["c.bnez", A.c_bnez(15, 254), A.bne(15, 0, 254), false, true],
  ["c.slli", A.c_slli(13, 63), A.slli(13, 13, 63), false, false],
  ["c.fldsp", A.c_fldsp(1, 8), A.fld(1, 2, 8), true, false],
  ["c.lwsp", A.c_lwsp(10, 252), A.lw(10, 2, 252), true, false],
  ["c.ldsp", A.c_ldsp(10, 504), A.ld(10, 2, 504), true, false],
  ["c.jr", A.c_jr(5), A.jalr(0, 5, 0), false, true],
  ["c.mv", A.c_mv(10, 11), A.add(10, 0, 11), false, false],
  ["c.add", A.c_add(10, 11), A.add(10, 10, 11), false, false],
  ["c.fsdsp", A.c_fsdsp(1, 16), A.fsd(1, 2, 16), true, false],
  ["c.swsp", A.c_swsp(10, 252), A.sw(10, 2, 252), true, false],
  ["c.sdsp", A.c_sdsp(10, 504), A.sd(10, 2, 504), true, false],
];

describe("compressed instructions behave like their 32-bit forms", () => {
  for (const [name, half, word, addresses, control] of PAIRS) {
    it(name, () => {
      for (const seed of [1, 2, 3, 4]) {
        const c = runOne(half, seed, addresses);
        const w = runOne(word, seed, addresses);
        expect(c.cause).toBe(0n);
        expect(w.cause).toBe(0n);
        expect(c.x).toEqual(w.x);
        expect(c.f).toEqual(w.f);
        expect(c.data).toEqual(w.data);
        // A jump lands on the same target; falling through advances by the shorter length.
        const fellThrough = w.pc === RAM_BASE + 4;
        expect(c.pc).toBe(control && !fellThrough ? w.pc : w.pc - 2);
      }
    });
  }

  it("c.beqz/c.bnez fall through by 2 when not taken", () => {
    const fx = makeHart({ program: [A.c_beqz(8, 64), A.c_bnez(9, 64)] });
    fx.hart.setX(8, 1);
    fx.hart.setX(9, 0);
    fx.hart.run(2);
    expect(fx.hart.pc).toBe(RAM_BASE + 4);
  });

  it("c.beqz/c.bnez take the branch on zero/non-zero", () => {
    const fx = makeHart({ program: [A.c_beqz(8, 8), A.c_nop(), A.c_nop(), A.c_nop(), A.c_bnez(9, -6)] });
    fx.hart.setX(8, 0);
    fx.hart.setX(9, 1);
    fx.hart.run(2);
    expect(fx.hart.pc).toBe(RAM_BASE + 2);
  });

  it("c.jalr links pc + 2", () => {
    const fx = makeHart({ program: [A.c_nop(), A.c_jalr(5)] });
    fx.hart.setX(5, RAM_BASE + 0x100);
    fx.hart.run(2);
    expect(fx.hart.pc).toBe(RAM_BASE + 0x100);
    expect(fx.hart.getX(1)).toBe(RAM_BASE + 4);
  });

  it("c.ebreak raises a breakpoint with tval 0", () => {
    const fx = makeHart({ program: [A.c_ebreak()] });
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(3n);
    expect(csr(fx.hart, 0x343)).toBe(0n);
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE));
  });

  it("a trap in a compressed instruction reports its own pc and 16 bits", () => {
    const fx = makeHart({ program: [A.c_nop(), A.c_fldsp(1, 8)] });
    fx.hart.run(2);
    expect(csr(fx.hart, 0x342)).toBe(2n); // FS = 0
    expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE + 2));
    expect(csr(fx.hart, 0x343)).toBe(BigInt(A.c_fldsp(1, 8)));
  });

  it("16- and 32-bit instructions mix at 2-byte alignment", () => {
    const fx = makeHart({ program: [A.c_li(10, 5), A.addi(10, 10, 100), A.c_addi(10, 1), A.lui(11, 1)] });
    fx.hart.run(4);
    expect(fx.hart.getX(10)).toBe(106);
    expect(fx.hart.getX(11)).toBe(4096);
    expect(fx.hart.pc).toBe(RAM_BASE + 12);
  });
});

describe("reserved compressed encodings are illegal", () => {
  const cases: [string, number][] = [
    ["c.unimp (0x0000)", A.c_unimp()],
    ["c.addi4spn with zero immediate", 0x0010],
    ["c.addiw rd=0", A.c_addiw(0, 1)],
    ["c.addi16sp with zero immediate", A.c_addi16sp(0)],
    ["c.lui with zero immediate", A.c_lui(5, 0)],
    ["c.lwsp rd=0", A.c_lwsp(0, 4)],
    ["c.ldsp rd=0", A.c_ldsp(0, 8)],
    ["c.jr x0", A.c_jr(0)],
    ["quadrant 0 funct3 4", 0x8000],
    ["c.subw reserved funct2", (4 << 13) | (1 << 12) | (3 << 10) | (2 << 5) | 1],
  ];
  for (const [name, half] of cases) {
    it(`${name}: cause 2, tval = the 16 bits`, () => {
      const fx = makeHart({ program: [half] });
      fx.hart.run(1);
      expect(csr(fx.hart, 0x342)).toBe(2n);
      expect(csr(fx.hart, 0x343)).toBe(BigInt(half));
      expect(csr(fx.hart, 0x341)).toBe(BigInt(RAM_BASE));
      expect(fx.hart.instret).toBe(0);
    });
  }
});
