import { describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";
import { csr, makeHart, operandPairs, RAM_BASE, read64, unit, write64 } from "./test-asm.testing.js";

const DATA = RAM_BASE + 0x3000;
const M32 = 0xffff_ffffn;
const u = (v: bigint) => BigInt.asUintN(64, v);
const s = (v: bigint) => BigInt.asIntN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);

type AmoEnc = (rd: number, rs2: number, rs1: number) => number;
const OPS: [string, AmoEnc, AmoEnc, (old: bigint, b: bigint, signed: (v: bigint) => bigint) => bigint][] = [
  ["swap", A.amoswap_w, A.amoswap_d, (_o, b) => b],
  ["add", A.amoadd_w, A.amoadd_d, (o, b) => o + b],
  ["xor", A.amoxor_w, A.amoxor_d, (o, b) => o ^ b],
  ["and", A.amoand_w, A.amoand_d, (o, b) => o & b],
  ["or", A.amoor_w, A.amoor_d, (o, b) => o | b],
  ["min", A.amomin_w, A.amomin_d, (o, b, sg) => (sg(o) < sg(b) ? o : b)],
  ["max", A.amomax_w, A.amomax_d, (o, b, sg) => (sg(o) > sg(b) ? o : b)],
  ["minu", A.amominu_w, A.amominu_d, (o, b) => (o < b ? o : b)],
  ["maxu", A.amomaxu_w, A.amomaxu_d, (o, b) => (o > b ? o : b)],
];

const PAIRS = operandPairs(11, 100).filter((_, i) => i % 3 === 0);

describe("AMOs against BigInt", () => {
  for (const [name, encW, encD, ref] of OPS) {
    it(`amo${name}.d returns the old value and stores the result`, () => {
      const fx = makeHart();
      const go = unit(fx, [encD(12, 11, 10)]);
      for (const [m, b] of PAIRS) {
        write64(fx.mem, DATA, m);
        go({ 10: DATA, 11: b });
        expect({ m, b, rd: fx.hart.getXBig(12), mem: read64(fx.mem, DATA) }).toEqual({
          m,
          b,
          rd: m,
          mem: u(ref(m, b, s)),
        });
      }
    });

    it(`amo${name}.w works on 32 bits, sign-extends rd and leaves the next word alone`, () => {
      const fx = makeHart();
      const go = unit(fx, [encW(12, 11, 10)]);
      for (const [m, b] of PAIRS) {
        write64(fx.mem, DATA, m);
        go({ 10: DATA, 11: b });
        const old = m & M32;
        const want = ref(old, b & M32, s32) & M32;
        expect({ m, b, rd: fx.hart.getXBig(12), mem: read64(fx.mem, DATA) }).toEqual({
          m,
          b,
          rd: u(s32(old)),
          mem: (m & ~M32) | want,
        });
      }
    });
  }

  it("amoadd.w on the last word of RAM", () => {
    // A word AMO needs only 4 bytes of RAM.
    const fx = makeHart({ program: [A.amoadd_w(12, 11, 10)] });
    const last = RAM_BASE + fx.mem.ramSize - 4;
    fx.mem.writeBytes(last, new Uint8Array([5, 0, 0, 0]));
    fx.hart.setX(10, last);
    fx.hart.setX(11, 2n);
    fx.hart.run(1);
    expect(csr(fx.hart, 0x342)).toBe(0n);
    expect(fx.hart.getXBig(12)).toBe(5n);
    expect([...fx.mem.readBytes(last, 4)]).toEqual([7, 0, 0, 0]);
  });
});

describe("LR/SC", () => {
  it("succeeds on a reserved, unchanged address", () => {
    const fx = makeHart({ program: [A.lr_d(11, 10), A.addi(12, 11, 1), A.sc_d(13, 12, 10)] });
    write64(fx.mem, DATA, 41n);
    fx.hart.setX(10, DATA);
    fx.hart.setX(13, 99n);
    fx.hart.run(3);
    expect(fx.hart.getXBig(11)).toBe(41n);
    expect(fx.hart.getXBig(13)).toBe(0n);
    expect(read64(fx.mem, DATA)).toBe(42n);
  });

  it("lr.w sign-extends and sc.w writes only 32 bits", () => {
    const fx = makeHart({ program: [A.lr_w(11, 10), A.sc_w(13, 12, 10)] });
    write64(fx.mem, DATA, 0x1111_1111_8000_0000n);
    fx.hart.setX(10, DATA);
    fx.hart.setX(12, 0xaaaa_aaaa_0000_0007n);
    fx.hart.run(2);
    expect(fx.hart.getXBig(11)).toBe(0xffff_ffff_8000_0000n);
    expect(fx.hart.getXBig(13)).toBe(0n);
    expect(read64(fx.mem, DATA)).toBe(0x1111_1111_0000_0007n);
  });

  it("fails without a reservation and leaves memory unchanged", () => {
    const fx = makeHart({ program: [A.sc_d(13, 12, 10)] });
    write64(fx.mem, DATA, 5n);
    fx.hart.setX(10, DATA);
    fx.hart.setX(12, 6n);
    fx.hart.run(1);
    expect(fx.hart.getXBig(13)).toBe(1n);
    expect(read64(fx.mem, DATA)).toBe(5n);
  });

  it("fails after a store that changed the reserved value", () => {
    const fx = makeHart({ program: [A.lr_d(11, 10), A.sd(14, 10, 0), A.sc_d(13, 12, 10)] });
    write64(fx.mem, DATA, 5n);
    fx.hart.setX(10, DATA);
    fx.hart.setX(12, 6n);
    fx.hart.setX(14, 9n);
    fx.hart.run(3);
    expect(fx.hart.getXBig(13)).toBe(1n);
    expect(read64(fx.mem, DATA)).toBe(9n);
  });

  it("fails for another address, and a second sc after a success fails", () => {
    const fx = makeHart({
      program: [A.lr_d(11, 10), A.sc_d(13, 12, 15), A.lr_d(11, 10), A.sc_d(16, 12, 10), A.sc_d(17, 12, 10)],
    });
    fx.hart.setX(10, DATA);
    fx.hart.setX(15, DATA + 8);
    fx.hart.setX(12, 3n);
    fx.hart.run(5);
    expect(fx.hart.getXBig(13)).toBe(1n);
    expect(read64(fx.mem, DATA + 8)).toBe(0n);
    expect(fx.hart.getXBig(16)).toBe(0n);
    expect(fx.hart.getXBig(17)).toBe(1n);
  });
});

describe("atomic faults", () => {
  const trapOf = (inst: number, addr: bigint | number) => {
    const fx = makeHart({ program: [inst] });
    fx.hart.setX(10, addr);
    fx.hart.run(1);
    return { cause: csr(fx.hart, 0x342), tval: csr(fx.hart, 0x343), epc: csr(fx.hart, 0x341) };
  };

  it("a misaligned AMO raises store/AMO address-misaligned (6)", () => {
    expect(trapOf(A.amoadd_d(12, 11, 10), DATA + 4)).toEqual({
      cause: 6n,
      tval: BigInt(DATA + 4),
      epc: BigInt(RAM_BASE),
    });
    expect(trapOf(A.amoswap_w(12, 11, 10), DATA + 2).cause).toBe(6n);
  });

  it("a misaligned LR raises load address-misaligned (4)", () => {
    expect(trapOf(A.lr_w(12, 10), DATA + 1)).toEqual({
      cause: 4n,
      tval: BigInt(DATA + 1),
      epc: BigInt(RAM_BASE),
    });
    expect(trapOf(A.lr_d(12, 10), DATA + 4).cause).toBe(4n);
  });

  it("AMOs outside RAM raise store/AMO access fault (7); LR raises load access fault (5)", () => {
    expect(trapOf(A.amoor_w(12, 11, 10), 0x2000)).toEqual({
      cause: 7n,
      tval: 0x2000n,
      epc: BigInt(RAM_BASE),
    });
    expect(trapOf(A.lr_d(12, 10), 0x2000).cause).toBe(5n);
  });
});
