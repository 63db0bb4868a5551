import { describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";
import {
  EDGE_VALUES,
  exec,
  firstMismatch,
  makeHart,
  operandPairs,
  RAM_BASE,
  unit,
  xs,
} from "./test-asm.testing.js";

const u = (v: bigint) => BigInt.asUintN(64, v);
const s = (v: bigint) => BigInt.asIntN(64, v);
const sx32 = (v: bigint) => u(BigInt.asIntN(32, v));
const lo32 = (v: bigint) => v & 0xffff_ffffn;

const PAIRS = operandPairs(1, 300);

describe("RV64I register-register ops match a BigInt model", () => {
  const cases: [
    string,
    (rd: number, rs1: number, rs2: number) => number,
    (a: bigint, b: bigint) => bigint,
  ][] = [
    ["add", A.add, (a, b) => a + b],
    ["sub", A.sub, (a, b) => a - b],
    ["sll", A.sll, (a, b) => a << (b & 63n)],
    ["srl", A.srl, (a, b) => a >> (b & 63n)],
    ["sra", A.sra, (a, b) => s(a) >> (b & 63n)],
    ["slt", A.slt, (a, b) => (s(a) < s(b) ? 1n : 0n)],
    ["sltu", A.sltu, (a, b) => (a < b ? 1n : 0n)],
    ["xor", A.xor, (a, b) => a ^ b],
    ["or", A.or, (a, b) => a | b],
    ["and", A.and, (a, b) => a & b],
    ["addw", A.addw, (a, b) => sx32(a + b)],
    ["subw", A.subw, (a, b) => sx32(a - b)],
    ["sllw", A.sllw, (a, b) => sx32(a << (b & 31n))],
    ["srlw", A.srlw, (a, b) => sx32(lo32(a) >> (b & 31n))],
    ["sraw", A.sraw, (a, b) => BigInt.asIntN(32, a) >> (b & 31n)],
  ];
  for (const [name, enc, ref] of cases) {
    it(name, () => {
      expect(firstMismatch(enc, ref, PAIRS)).toBeUndefined();
    });
  }
});

describe("RV64I immediate ops", () => {
  const IMMS = [0, 1, -1, 2047, -2048, 0x7ff, 0x555, -0x556];
  const immCases: [
    string,
    (rd: number, rs1: number, imm: number) => number,
    (a: bigint, i: bigint) => bigint,
  ][] = [
    ["addi", A.addi, (a, i) => a + i],
    ["slti", A.slti, (a, i) => (s(a) < i ? 1n : 0n)],
    ["sltiu", A.sltiu, (a, i) => (a < u(i) ? 1n : 0n)],
    ["xori", A.xori, (a, i) => a ^ u(i)],
    ["ori", A.ori, (a, i) => a | u(i)],
    ["andi", A.andi, (a, i) => a & u(i)],
    ["addiw", A.addiw, (a, i) => sx32(a + i)],
  ];
  for (const [name, enc, ref] of immCases) {
    it(`${name} sign-extends its immediate`, () => {
      const fx = makeHart();
      for (const imm of IMMS) {
        const go = unit(fx, [enc(3, 1, imm)]);
        for (const a of EDGE_VALUES) {
          expect({ imm, a, r: go({ 1: a }).getXBig(3) }).toEqual({ imm, a, r: u(ref(a, BigInt(imm))) });
        }
      }
    });
  }

  const SHIFTS = [0, 1, 31, 32, 33, 63];
  const shiftCases: [
    string,
    (rd: number, rs1: number, sh: number) => number,
    (a: bigint, n: bigint) => bigint,
  ][] = [
    ["slli", A.slli, (a, n) => a << n],
    ["srli", A.srli, (a, n) => a >> n],
    ["srai", A.srai, (a, n) => s(a) >> n],
  ];
  for (const [name, enc, ref] of shiftCases) {
    it(`${name} by 0/1/31/32/33/63`, () => {
      const fx = makeHart();
      for (const n of SHIFTS) {
        const go = unit(fx, [enc(3, 1, n)]);
        for (const a of EDGE_VALUES) {
          expect({ n, a, r: go({ 1: a }).getXBig(3) }).toEqual({ n, a, r: u(ref(a, BigInt(n))) });
        }
      }
    });
  }

  const wShiftCases: [
    string,
    (rd: number, rs1: number, sh: number) => number,
    (a: bigint, n: bigint) => bigint,
  ][] = [
    ["slliw", A.slliw, (a, n) => sx32(a << n)],
    ["srliw", A.srliw, (a, n) => sx32(lo32(a) >> n)],
    ["sraiw", A.sraiw, (a, n) => BigInt.asIntN(32, a) >> n],
  ];
  for (const [name, enc, ref] of wShiftCases) {
    it(`${name} by 0/1/31 sign-extends the 32-bit result`, () => {
      const fx = makeHart();
      for (const n of [0, 1, 31]) {
        const go = unit(fx, [enc(3, 1, n)]);
        for (const a of EDGE_VALUES) {
          expect({ n, a, r: go({ 1: a }).getXBig(3) }).toEqual({ n, a, r: u(ref(a, BigInt(n))) });
        }
      }
    });
  }

  it("slliw with shamt[5] set is reserved (illegal)", () => {
    // slliw x3, x1, 32: bit 25 set in the funct7 field
    const inst = A.slliw(3, 1, 0) | (1 << 25);
    const { hart } = exec([inst]);
    expect(hart.csrLoArr[0x342]).toBe(2);
    expect(hart.csrLoArr[0x343] >>> 0).toBe(inst >>> 0);
  });
});

describe("concrete ALU results", () => {
  it("carries and borrows across the 32-bit halves", () => {
    const { hart } = exec([A.add(3, 1, 2), A.sub(4, 2, 1), A.addi(5, 1, 1), A.addi(6, 7, -1)], {
      1: 0xffff_ffffn,
      2: 1n,
      7: 0x1_0000_0000n,
    });
    expect(hart.getXBig(3)).toBe(0x1_0000_0000n);
    expect(hart.getXBig(4)).toBe(0xffff_ffff_0000_0002n);
    expect(hart.getXBig(5)).toBe(0x1_0000_0000n);
    expect(hart.getXBig(6)).toBe(0xffff_ffffn);
  });

  it("W forms sign-extend bit 31 and ignore the upper half of the inputs", () => {
    const { hart } = exec([A.addw(3, 1, 2), A.addiw(4, 1, 0), A.subw(5, 0, 2)], {
      1: 0x1234_5678_7fff_ffffn,
      2: 0xffff_0000_0000_0001n,
    });
    expect(hart.getXBig(3)).toBe(0xffff_ffff_8000_0000n);
    expect(hart.getXBig(4)).toBe(0x7fff_ffffn);
    expect(xs(hart, 5)).toBe(-1n);
  });

  it("slt and sltu at the signed/unsigned boundaries", () => {
    const { hart } = exec(
      [A.slt(3, 1, 2), A.sltu(4, 1, 2), A.slt(5, 2, 1), A.sltu(6, 2, 1), A.sltiu(7, 0, 1), A.sltiu(8, 1, -1)],
      { 1: 0x8000_0000_0000_0000n, 2: 0x7fff_ffff_ffff_ffffn },
    );
    expect([3, 4, 5, 6, 7, 8].map((r) => hart.getX(r))).toEqual([1, 0, 0, 1, 1, 1]);
  });

  it("writes to x0 are discarded", () => {
    const { hart } = exec([A.addi(0, 0, 5), A.lui(0, 0x12345), A.add(3, 0, 0)]);
    expect(hart.getXBig(0)).toBe(0n);
    expect(hart.getXBig(3)).toBe(0n);
  });

  it("lui and auipc sign-extend the 32-bit value", () => {
    const { hart } = exec([A.lui(3, 0x80000), A.auipc(4, 0x7ffff), A.auipc(5, 0xfffff)]);
    expect(hart.getXBig(3)).toBe(0xffff_ffff_8000_0000n);
    expect(hart.getXBig(4)).toBe(BigInt(RAM_BASE + 4 + 0x7fff_f000));
    expect(hart.getXBig(5)).toBe(BigInt(RAM_BASE + 8 - 0x1000));
  });
});

describe("control transfer", () => {
  it("jal links pc+4 and jalr clears bit 0 of the target", () => {
    const fx = makeHart({
      program: [A.jal(1, 8), A.addi(10, 0, 1), A.addi(5, 1, 9), A.jalr(2, 5, 0), A.addi(11, 0, 1)],
    });
    fx.hart.run(3);
    expect(fx.hart.getX(1)).toBe(RAM_BASE + 4);
    // x5 = RAM_BASE + 13, so jalr lands on RAM_BASE + 12 (its own address): it loops.
    expect(fx.hart.pc).toBe(RAM_BASE + 12);
    expect(fx.hart.getX(2)).toBe(RAM_BASE + 16);
    expect(fx.hart.getX(10)).toBe(0);
  });

  it("jalr with rd = rs1 uses the old rs1", () => {
    const fx = makeHart({ program: [A.jalr(5, 5, 16)] });
    fx.hart.setX(5, RAM_BASE);
    fx.hart.run(1);
    expect(fx.hart.pc).toBe(RAM_BASE + 16);
    expect(fx.hart.getX(5)).toBe(RAM_BASE + 4);
  });

  it("branches compare signed and unsigned 64-bit values", () => {
    const fx = makeHart();
    const taken = (enc: (a: number, b: number, o: number) => number, a: bigint, b: bigint) => {
      unit(fx, [enc(1, 2, 64)])({ 1: a, 2: b });
      return fx.hart.pc === RAM_BASE + 64;
    };
    const big = 0x8000_0000_0000_0000n;
    const hiOnly = 0x1_0000_0000n;
    expect(taken(A.beq, hiOnly, 0n)).toBe(false);
    expect(taken(A.bne, hiOnly, 0n)).toBe(true);
    expect(taken(A.beq, 7n, 7n)).toBe(true);
    expect(taken(A.blt, big, 0n)).toBe(true);
    expect(taken(A.bltu, big, 0n)).toBe(false);
    expect(taken(A.bge, 0n, big)).toBe(true);
    expect(taken(A.bgeu, 0n, big)).toBe(false);
    expect(taken(A.bge, 5n, 5n)).toBe(true);
    expect(taken(A.bgeu, 5n, 5n)).toBe(true);
    expect(taken(A.blt, 0xffff_ffffn, 0x1_0000_0000n)).toBe(true);
    expect(taken(A.bltu, 0xffff_ffffn, 0x1_0000_0000n)).toBe(true);
  });

  it("branches backwards across a page boundary", () => {
    const at = RAM_BASE + 0x1000;
    const fx = makeHart({ at, program: [A.beq(0, 0, -8)] });
    fx.hart.run(1);
    expect(fx.hart.pc).toBe(at - 8);
  });
});
