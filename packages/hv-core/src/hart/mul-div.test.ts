import { describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";
import { exec, firstMismatch, operandPairs, xs } from "./test-asm.testing.js";

const s = (v: bigint) => BigInt.asIntN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const lo32 = (v: bigint) => v & 0xffff_ffffn;
const MIN = -(1n << 63n);
const ALL_ONES = (1n << 64n) - 1n;

const ref = {
  mul: (a: bigint, b: bigint) => a * b,
  mulh: (a: bigint, b: bigint) => (s(a) * s(b)) >> 64n,
  mulhsu: (a: bigint, b: bigint) => (s(a) * b) >> 64n,
  mulhu: (a: bigint, b: bigint) => (a * b) >> 64n,
  div: (a: bigint, b: bigint) => (b === 0n ? ALL_ONES : s(a) === MIN && s(b) === -1n ? a : s(a) / s(b)),
  divu: (a: bigint, b: bigint) => (b === 0n ? ALL_ONES : a / b),
  rem: (a: bigint, b: bigint) => (b === 0n ? a : s(a) === MIN && s(b) === -1n ? 0n : s(a) % s(b)),
  remu: (a: bigint, b: bigint) => (b === 0n ? a : a % b),
  mulw: (a: bigint, b: bigint) => s32(a * b),
  divw: (a: bigint, b: bigint) => {
    const x = s32(a);
    const y = s32(b);
    if (y === 0n) return -1n;
    if (x === -(1n << 31n) && y === -1n) return x;
    return s32(x / y);
  },
  divuw: (a: bigint, b: bigint) => (lo32(b) === 0n ? -1n : s32(lo32(a) / lo32(b))),
  remw: (a: bigint, b: bigint) => {
    const x = s32(a);
    const y = s32(b);
    if (y === 0n) return x;
    if (x === -(1n << 31n) && y === -1n) return 0n;
    return x % y;
  },
  remuw: (a: bigint, b: bigint) => (lo32(b) === 0n ? s32(a) : s32(lo32(a) % lo32(b))),
};

// Edge pairs (INT64_MIN, -1, 0, 2^52 neighbours, ...) plus random operands of mixed shapes.
const PAIRS = operandPairs(7, 1500);

const ENCODERS: Record<keyof typeof ref, (rd: number, rs1: number, rs2: number) => number> = {
  mul: A.mul,
  mulh: A.mulh,
  mulhsu: A.mulhsu,
  mulhu: A.mulhu,
  div: A.div,
  divu: A.divu,
  rem: A.rem,
  remu: A.remu,
  mulw: A.mulw,
  divw: A.divw,
  divuw: A.divuw,
  remw: A.remw,
  remuw: A.remuw,
};

describe("M extension against BigInt over edge and random operands", () => {
  for (const name of Object.keys(ref) as (keyof typeof ref)[]) {
    it(name, () => {
      expect(firstMismatch(ENCODERS[name], ref[name], PAIRS)).toBeUndefined();
    });
  }
});

describe("M extension special cases", () => {
  it("division by zero and signed overflow follow the spec table", () => {
    const { hart } = exec(
      [A.div(3, 1, 0), A.divu(4, 1, 0), A.rem(5, 1, 0), A.remu(6, 1, 0), A.div(7, 2, 8), A.rem(9, 2, 8)],
      { 1: 12345n, 2: 0x8000_0000_0000_0000n, 8: -1n },
    );
    expect(xs(hart, 3)).toBe(-1n);
    expect(hart.getXBig(4)).toBe(ALL_ONES);
    expect(hart.getXBig(5)).toBe(12345n);
    expect(hart.getXBig(6)).toBe(12345n);
    expect(hart.getXBig(7)).toBe(0x8000_0000_0000_0000n);
    expect(hart.getXBig(9)).toBe(0n);
  });

  it("W forms: overflow, zero divisor and sign extension", () => {
    const { hart } = exec(
      [A.divw(3, 1, 2), A.remw(4, 1, 2), A.divuw(5, 1, 0), A.remuw(6, 1, 0), A.mulw(7, 1, 1)],
      { 1: 0xdead_beef_8000_0000n, 2: -1n },
    );
    expect(xs(hart, 3)).toBe(-(1n << 31n));
    expect(hart.getXBig(4)).toBe(0n);
    expect(xs(hart, 5)).toBe(-1n);
    expect(hart.getXBig(6)).toBe(0xffff_ffff_8000_0000n);
    expect(hart.getXBig(7)).toBe(0n);
  });

  it("high products of large unsigned values", () => {
    const { hart } = exec([A.mulhu(3, 1, 1), A.mulh(4, 1, 1), A.mulhsu(5, 1, 2), A.mul(6, 1, 1)], {
      1: ALL_ONES,
      2: ALL_ONES,
    });
    expect(hart.getXBig(3)).toBe(ALL_ONES - 1n);
    expect(hart.getXBig(4)).toBe(0n);
    expect(hart.getXBig(5)).toBe(ALL_ONES); // -1 * (2^64-1) = -(2^64-1): high word is -1
    expect(hart.getXBig(6)).toBe(1n);
  });

  it("the reference check detects a wrong result", () => {
    // A deliberately wrong model must be reported, so the table above can fail.
    expect(firstMismatch(A.mulhu, (a, b) => (a * b) >> 63n, [[ALL_ONES, 3n]])).toBeDefined();
  });
});
