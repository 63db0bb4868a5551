import { beforeEach, describe, expect, it } from "vitest";
import {
  CANONICAL_NAN_D_HI,
  CANONICAL_NAN_S,
  FLAG_DZ,
  FLAG_NV,
  FLAG_NX,
  FLAG_OF,
  FLAG_UF,
  RM_RDN,
  RM_RMM,
  RM_RNE,
  RM_RTZ,
  RM_RUP,
} from "./constants.js";
import { Fpu } from "./index.js";

const buf = new ArrayBuffer(8);
const f64 = new Float64Array(buf);
const f32 = new Float32Array(buf);
const i32 = new Int32Array(buf);
const u32 = new Uint32Array(buf);

/** binary64 value -> [lo, hi] */
function d(x: number): [number, number] {
  f64[0] = x;
  return [i32[0], i32[1]];
}
/** binary32 value -> bits */
function s(x: number): number {
  f32[0] = x;
  return u32[0];
}
/** bits -> binary32 value */
function sv(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

const MAX_D = Number.MAX_VALUE;
const MIN_SUB_D = 2 ** -1074;
const MAX_S = 3.4028234663852886e38;
const SNAN_S = 0x7f800001;
const QNAN_S = 0x7fc12345;
const SNAN_D: [number, number] = [1, 0x7ff00000];
const QNAN_D: [number, number] = [5, 0x7ff80000];

let f: Fpu;
beforeEach(() => {
  f = new Fpu();
});

/** Result of the last binary64 op as a number. */
function rd(): number {
  i32[0] = f.lo;
  i32[1] = f.hi;
  return f64[0];
}
function add(a: number, b: number, rm: number): number {
  f.addD(...d(a), ...d(b), rm);
  return rd();
}
function mul(a: number, b: number, rm: number): number {
  f.mulD(...d(a), ...d(b), rm);
  return rd();
}
function div(a: number, b: number, rm: number): number {
  f.divD(...d(a), ...d(b), rm);
  return rd();
}
function fma(a: number, b: number, c: number, rm: number, np = false, na = false): number {
  f.fmaD(...d(a), ...d(b), ...d(c), rm, np, na);
  return rd();
}
function expectFlags(flags: number): void {
  expect(f.flags).toBe(flags);
  f.flags = 0;
}

describe("binary64 add/sub", () => {
  it("rounds halfway cases per mode", () => {
    const ulp = 2 ** -52;
    expect(add(1, ulp / 2, RM_RNE)).toBe(1); // tie to even
    expectFlags(FLAG_NX);
    expect(add(1 + ulp, ulp / 2, RM_RNE)).toBe(1 + 2 * ulp); // tie to even, upward
    expect(add(1, ulp / 2, RM_RMM)).toBe(1 + ulp);
    expect(add(-1, -ulp / 2, RM_RMM)).toBe(-1 - ulp);
    expect(add(1, ulp / 2, RM_RTZ)).toBe(1);
    expect(add(1, 2 ** -60, RM_RUP)).toBe(1 + ulp);
    expect(add(1, 2 ** -60, RM_RDN)).toBe(1);
    expect(add(-1, -(2 ** -60), RM_RDN)).toBe(-1 - ulp);
    expect(add(-1, -(2 ** -60), RM_RTZ)).toBe(-1);
    expect(add(1, -(2 ** -60), RM_RTZ)).toBe(1 - ulp / 2);
    expectFlags(FLAG_NX);
    expect(add(1, 2, RM_RUP)).toBe(3);
    expectFlags(0);
  });

  it("gives exact zeros the right sign", () => {
    expect(Object.is(add(1.5, -1.5, RM_RNE), 0)).toBe(true);
    expect(Object.is(add(1.5, -1.5, RM_RDN), -0)).toBe(true);
    expect(Object.is(add(-0, -0, RM_RNE), -0)).toBe(true);
    expect(Object.is(add(0, -0, RM_RNE), 0)).toBe(true);
    expect(Object.is(add(0, -0, RM_RDN), -0)).toBe(true);
    f.subD(...d(0), ...d(0), RM_RDN);
    expect(Object.is(rd(), -0)).toBe(true);
    expectFlags(0);
  });

  it("overflows to infinity or the largest finite value per mode", () => {
    expect(add(MAX_D, MAX_D, RM_RNE)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(add(MAX_D, MAX_D, RM_RTZ)).toBe(MAX_D);
    expect(add(MAX_D, MAX_D, RM_RDN)).toBe(MAX_D);
    expect(add(MAX_D, MAX_D, RM_RUP)).toBe(Number.POSITIVE_INFINITY);
    expect(add(-MAX_D, -MAX_D, RM_RUP)).toBe(-MAX_D);
    expect(add(-MAX_D, -MAX_D, RM_RDN)).toBe(Number.NEGATIVE_INFINITY);
    expectFlags(FLAG_OF | FLAG_NX);
    // Just above MAX but below the rounding boundary: RNE stays finite.
    expect(add(MAX_D, 2 ** 969, RM_RNE)).toBe(MAX_D);
    expectFlags(FLAG_NX);
    expect(add(MAX_D, 2 ** 969, RM_RUP)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(FLAG_OF | FLAG_NX);
  });

  it("handles infinities and NaNs", () => {
    expect(add(Number.POSITIVE_INFINITY, 1, RM_RNE)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(0);
    f.addD(...d(Number.POSITIVE_INFINITY), ...d(Number.NEGATIVE_INFINITY), RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expectFlags(FLAG_NV);
    f.addD(...QNAN_D, ...d(1), RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expectFlags(0);
    f.addD(...d(1), ...SNAN_D, RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expectFlags(FLAG_NV);
  });

  it("adds subnormals exactly", () => {
    expect(add(MIN_SUB_D, MIN_SUB_D, RM_RNE)).toBe(2 * MIN_SUB_D);
    expectFlags(0);
  });
});

describe("binary64 mul/div/sqrt", () => {
  it("detects tininess after rounding", () => {
    // (1 - 2^-53) * 2^-1022 rounds to 2^-1022, but with unbounded exponent stays below it.
    expect(mul(1 - 2 ** -53, 2 ** -1022, RM_RNE)).toBe(2 ** -1022);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(mul(1 - 2 ** -53, 2 ** -1022, RM_RTZ)).toBe(2 ** -1022 - MIN_SUB_D);
    expectFlags(FLAG_UF | FLAG_NX);
  });

  it("rounds subnormal results per mode and flags UF only when inexact", () => {
    expect(mul(2 ** -1000, 2 ** -70, RM_RNE)).toBe(2 ** -1070);
    expectFlags(0);
    expect(mul(MIN_SUB_D, 0.5, RM_RNE)).toBe(0);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(mul(MIN_SUB_D, 0.5, RM_RUP)).toBe(MIN_SUB_D);
    expect(mul(MIN_SUB_D, 0.75, RM_RNE)).toBe(MIN_SUB_D);
    expect(Object.is(mul(-MIN_SUB_D, 0.25, RM_RNE), -0)).toBe(true);
    expect(mul(-MIN_SUB_D, 0.25, RM_RDN)).toBe(-MIN_SUB_D);
    expectFlags(FLAG_UF | FLAG_NX);
  });

  it("multiplies near the overflow threshold", () => {
    expect(mul(2 ** 1023, 2, RM_RNE)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(mul(2 ** 1023, -2, RM_RTZ)).toBe(-MAX_D);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(mul(2 ** 1022, 2, RM_RNE)).toBe(2 ** 1023);
    expectFlags(0);
    f.mulD(...d(Number.POSITIVE_INFINITY), ...d(-0), RM_RNE);
    expect(f.hi).toBe(CANONICAL_NAN_D_HI);
    expectFlags(FLAG_NV);
  });

  it("divides with every rounding mode", () => {
    const third = 1 / 3; // RNE rounds down here
    expect(div(1, 3, RM_RNE)).toBe(third);
    expect(div(1, 3, RM_RDN)).toBe(third);
    expect(div(1, 3, RM_RTZ)).toBe(third);
    expect(div(1, 3, RM_RUP)).toBe(third + 2 ** -54);
    expect(div(-1, 3, RM_RDN)).toBe(-third - 2 ** -54);
    expect(div(2, 3, RM_RMM)).toBe(2 / 3);
    expectFlags(FLAG_NX);
    expect(div(1, 4, RM_RUP)).toBe(0.25);
    expectFlags(0);
  });

  it("handles division special cases", () => {
    expect(div(1, 0, RM_RNE)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(FLAG_DZ);
    expect(div(1, -0, RM_RNE)).toBe(Number.NEGATIVE_INFINITY);
    expectFlags(FLAG_DZ);
    div(0, 0, RM_RNE);
    expect(f.hi).toBe(CANONICAL_NAN_D_HI);
    expectFlags(FLAG_NV);
    div(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, RM_RNE);
    expect(f.hi).toBe(CANONICAL_NAN_D_HI);
    expectFlags(FLAG_NV);
    expect(Object.is(div(-1, Number.POSITIVE_INFINITY, RM_RNE), -0)).toBe(true);
    expect(div(Number.POSITIVE_INFINITY, 0, RM_RNE)).toBe(Number.POSITIVE_INFINITY);
    expectFlags(0);
    expect(div(1, 2 ** 1023, RM_RNE)).toBe(2 ** -1023);
    expectFlags(0);
    expect(div(1, MAX_D, RM_RUP)).toBe(2 ** -1024 + MIN_SUB_D);
    expectFlags(FLAG_UF | FLAG_NX);
  });

  it("computes square roots", () => {
    // sqrt(2) rounded to nearest is the upper neighbour.
    f.sqrtD(...d(2), RM_RDN);
    expect(rd()).toBe(Math.SQRT2 - 2 ** -52);
    f.sqrtD(...d(2), RM_RUP);
    expect(rd()).toBe(Math.SQRT2);
    f.sqrtD(...d(2), RM_RMM);
    expect(rd()).toBe(Math.SQRT2);
    expectFlags(FLAG_NX);
    f.sqrtD(...d(4), RM_RUP);
    expect(rd()).toBe(2);
    f.sqrtD(...d(-0), RM_RNE);
    expect(Object.is(rd(), -0)).toBe(true);
    f.sqrtD(...d(MIN_SUB_D), RM_RNE);
    expect(rd()).toBe(2 ** -537);
    expectFlags(0);
    f.sqrtD(...d(-1), RM_RNE);
    expect(f.hi).toBe(CANONICAL_NAN_D_HI);
    expectFlags(FLAG_NV);
  });
});

describe("fused multiply-add", () => {
  it("rounds once", () => {
    const a = 1 + 2 ** -30;
    const b = 1 - 2 ** -30;
    expect(a * b - 1).toBe(0); // unfused loses the product's tail
    expect(fma(a, b, -1, RM_RNE)).toBe(-(2 ** -60));
    expectFlags(0);
    expect(fma(a, b, 1, RM_RNE, false, true)).toBe(-(2 ** -60)); // fmsub
    expect(fma(a, b, 1, RM_RNE, true, false)).toBe(2 ** -60); // fnmsub
    expect(fma(a, b, -1, RM_RNE, true, true)).toBe(2 ** -60); // fnmadd
    expectFlags(0);
    expect(fma(1 + 2 ** -52, 1 + 2 ** -52, 0, RM_RUP)).toBe(1 + 2 ** -51 + 2 ** -52);
    expectFlags(FLAG_NX);
  });

  it("signs exact zeros", () => {
    expect(Object.is(fma(2, 3, -6, RM_RNE), 0)).toBe(true);
    expect(Object.is(fma(2, 3, -6, RM_RDN), -0)).toBe(true);
    expect(Object.is(fma(-0, 3, -0, RM_RNE), -0)).toBe(true);
    expect(Object.is(fma(0, 3, -0, RM_RNE), 0)).toBe(true);
    expect(Object.is(fma(0, 3, -0, RM_RDN), -0)).toBe(true);
    expectFlags(0);
  });

  it("raises NV for inf * 0 even with a quiet NaN addend", () => {
    f.fmaD(...d(Number.POSITIVE_INFINITY), ...d(0), ...QNAN_D, RM_RNE, false, false);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expectFlags(FLAG_NV);
    f.fmaD(...d(1), ...d(2), ...QNAN_D, RM_RNE, false, false);
    expectFlags(0);
    fma(Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, RM_RNE);
    expectFlags(FLAG_NV);
    expect(fma(Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY, RM_RNE, false, true)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expectFlags(0);
  });

  it("handles subnormal and overflowing results", () => {
    expect(fma(2 ** -540, 2 ** -540, MIN_SUB_D, RM_RUP)).toBe(2 * MIN_SUB_D);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(fma(MAX_D, 2, -MAX_D, RM_RNE)).toBe(MAX_D);
    expectFlags(0);
  });

  it("works in binary32", () => {
    const a = s(1 + 2 ** -12);
    const b = s(1 - 2 ** -12);
    expect(sv(f.fmaS(a, b, s(-1), RM_RNE, false, false))).toBe(-(2 ** -24));
    expectFlags(0);
    expect(f.fmaS(s(0), s(Number.POSITIVE_INFINITY), QNAN_S, RM_RNE, false, false)).toBe(CANONICAL_NAN_S);
    expectFlags(FLAG_NV);
  });
});

describe("binary32 arithmetic", () => {
  it("rounds per mode", () => {
    const ulp = 2 ** -23;
    expect(sv(f.addS(s(1), s(ulp / 2), RM_RNE))).toBe(1);
    expect(sv(f.addS(s(1), s(ulp / 2), RM_RMM))).toBe(1 + ulp);
    expect(sv(f.addS(s(1), s(2 ** -40), RM_RUP))).toBe(1 + ulp);
    expect(sv(f.addS(s(-1), s(-(2 ** -40)), RM_RDN))).toBe(-1 - ulp);
    expect(sv(f.addS(s(-1), s(2 ** -40), RM_RTZ))).toBe(-1 + ulp / 2);
    expectFlags(FLAG_NX);
    expect(sv(f.mulS(s(3), s(5), RM_RUP))).toBe(15);
    expectFlags(0);
    // 1/3 rounded to nearest binary32 is the upper neighbour.
    expect(sv(f.divS(s(1), s(3), RM_RUP))).toBe(Math.fround(1 / 3));
    expect(sv(f.divS(s(1), s(3), RM_RTZ))).toBe(Math.fround(1 / 3) - 2 ** -25);
    expectFlags(FLAG_NX);
    // sqrt(2) rounded to nearest binary32 is the lower neighbour.
    expect(sv(f.sqrtS(s(2), RM_RUP))).toBe(Math.fround(Math.SQRT2) + 2 ** -23);
    expect(sv(f.sqrtS(s(2), RM_RDN))).toBe(Math.fround(Math.SQRT2));
    expectFlags(FLAG_NX);
  });

  it("overflows and underflows", () => {
    expect(f.mulS(s(MAX_S), s(2), RM_RNE)).toBe(0x7f800000);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(f.mulS(s(MAX_S), s(-2), RM_RTZ)).toBe(0xff7fffff);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(f.mulS(s(1 - 2 ** -24), s(2 ** -126), RM_RNE)).toBe(0x00800000);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.mulS(s(2 ** -149), s(0.5), RM_RNE)).toBe(0);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.mulS(s(2 ** -149), s(0.5), RM_RUP)).toBe(1);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.mulS(s(2 ** -140), s(2 ** -9), RM_RNE)).toBe(1);
    expectFlags(0);
  });

  it("handles NaNs, zeros and division by zero", () => {
    expect(f.addS(QNAN_S, s(1), RM_RNE)).toBe(CANONICAL_NAN_S);
    expectFlags(0);
    expect(f.mulS(SNAN_S, s(1), RM_RNE)).toBe(CANONICAL_NAN_S);
    expectFlags(FLAG_NV);
    expect(f.divS(s(-1), s(0), RM_RNE)).toBe(0xff800000);
    expectFlags(FLAG_DZ);
    expect(f.subS(s(1), s(1), RM_RDN)).toBe(0x80000000);
    expect(f.sqrtS(0x80000000, RM_RNE)).toBe(0x80000000);
    expectFlags(0);
    expect(f.sqrtS(s(-2), RM_RNE)).toBe(CANONICAL_NAN_S);
    expectFlags(FLAG_NV);
  });
});

describe("min/max/compare/class", () => {
  it("implements minimumNumber/maximumNumber", () => {
    f.minD(...d(0), ...d(-0));
    expect(f.hi).toBe(0x80000000 | 0);
    f.maxD(...d(-0), ...d(0));
    expect(f.hi).toBe(0);
    f.minD(...QNAN_D, ...d(2));
    expect(rd()).toBe(2);
    expectFlags(0);
    f.maxD(...d(2), ...SNAN_D);
    expect(rd()).toBe(2);
    expectFlags(FLAG_NV);
    f.maxD(...QNAN_D, ...QNAN_D);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expect(f.minS(s(-0), s(0))).toBe(0x80000000);
    expect(f.maxS(s(-0), s(0))).toBe(0);
    expect(f.minS(QNAN_S, QNAN_S)).toBe(CANONICAL_NAN_S);
    expect(sv(f.minS(s(1), QNAN_S))).toBe(1);
    expectFlags(0);
    expect(sv(f.minS(SNAN_S, s(-3)))).toBe(-3);
    expectFlags(FLAG_NV);
  });

  it("compares quietly (feq) and signalingly (flt/fle)", () => {
    expect(f.eqD(...d(-0), ...d(0))).toBe(1);
    expect(f.leD(...d(-0), ...d(0))).toBe(1);
    expect(f.ltD(...d(-0), ...d(0))).toBe(0);
    expect(f.eqD(...QNAN_D, ...QNAN_D)).toBe(0);
    expectFlags(0);
    expect(f.eqD(...SNAN_D, ...d(1))).toBe(0);
    expectFlags(FLAG_NV);
    expect(f.ltD(...QNAN_D, ...d(1))).toBe(0);
    expectFlags(FLAG_NV);
    expect(f.leS(s(1), QNAN_S)).toBe(0);
    expectFlags(FLAG_NV);
    expect(f.eqS(QNAN_S, s(1))).toBe(0);
    expectFlags(0);
    expect(f.ltS(s(-1), s(1))).toBe(1);
  });

  it("classifies", () => {
    const cases: [number, number][] = [
      [Number.NEGATIVE_INFINITY, 1 << 0],
      [-1, 1 << 1],
      [-MIN_SUB_D, 1 << 2],
      [-0, 1 << 3],
      [0, 1 << 4],
      [MIN_SUB_D, 1 << 5],
      [1, 1 << 6],
      [Number.POSITIVE_INFINITY, 1 << 7],
    ];
    for (const [x, m] of cases) expect(f.classD(...d(x))).toBe(m);
    expect(f.classD(...SNAN_D)).toBe(1 << 8);
    expect(f.classD(...QNAN_D)).toBe(1 << 9);
    expect(f.classS(0x80000001)).toBe(1 << 2);
    expect(f.classS(SNAN_S)).toBe(1 << 8);
    expect(f.classS(QNAN_S)).toBe(1 << 9);
    expect(f.classS(0xff800000)).toBe(1 << 0);
    expect(f.classS(s(1))).toBe(1 << 6);
    expectFlags(0);
  });
});

describe("float -> integer conversions", () => {
  it("saturates int32 at the boundaries", () => {
    expect(f.cvtWFromD(...d(2 ** 31), RM_RNE)).toBe(0x7fffffff);
    expectFlags(FLAG_NV);
    expect(f.cvtWFromD(...d(2 ** 31 - 0.5), RM_RNE)).toBe(0x7fffffff); // rounds to 2^31
    expectFlags(FLAG_NV);
    expect(f.cvtWFromD(...d(2 ** 31 - 0.5), RM_RTZ)).toBe(0x7fffffff);
    expectFlags(FLAG_NX);
    expect(f.cvtWFromD(...d(-(2 ** 31) - 0.5), RM_RNE)).toBe(-(2 ** 31)); // tie to even
    expectFlags(FLAG_NX);
    expect(f.cvtWFromD(...d(-(2 ** 31) - 0.5), RM_RDN)).toBe(-(2 ** 31));
    expectFlags(FLAG_NV);
    expect(f.cvtWFromD(...QNAN_D, RM_RNE)).toBe(0x7fffffff);
    expectFlags(FLAG_NV);
    expect(f.cvtWFromD(...d(Number.NEGATIVE_INFINITY), RM_RNE)).toBe(-(2 ** 31));
    expectFlags(FLAG_NV);
    expect(f.cvtWFromS(s(-2.5), RM_RMM)).toBe(-3);
    expect(f.cvtWFromS(s(-2.5), RM_RNE)).toBe(-2);
    expect(f.cvtWFromS(s(2.5), RM_RUP)).toBe(3);
    expect(f.cvtWFromS(s(-2.5), RM_RTZ)).toBe(-2);
    expectFlags(FLAG_NX);
  });

  it("saturates uint32 (results sign-extended)", () => {
    expect(f.cvtWUFromD(...d(-0.5), RM_RTZ)).toBe(0);
    expectFlags(FLAG_NX);
    expect(f.cvtWUFromD(...d(-1), RM_RTZ)).toBe(0);
    expectFlags(FLAG_NV);
    expect(f.cvtWUFromD(...d(2 ** 32 - 1), RM_RNE)).toBe(-1);
    expectFlags(0);
    expect(f.cvtWUFromD(...d(2 ** 32 - 0.5), RM_RNE)).toBe(-1);
    expectFlags(FLAG_NV);
    expect(f.cvtWUFromS(SNAN_S, RM_RNE)).toBe(-1);
    expectFlags(FLAG_NV);
    expect(f.cvtWUFromD(...d(3e9), RM_RNE)).toBe(3e9 | 0);
    expectFlags(0);
  });

  it("saturates 64-bit conversions", () => {
    f.cvtLFromD(...d(2 ** 63), RM_RNE);
    expect([f.lo, f.hi]).toEqual([-1, 0x7fffffff]);
    expectFlags(FLAG_NV);
    f.cvtLFromD(...d(-(2 ** 63)), RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, 0x80000000 | 0]);
    expectFlags(0);
    f.cvtLFromD(...d(-1.5), RM_RNE);
    expect([f.lo, f.hi]).toEqual([-2, -1]);
    expectFlags(FLAG_NX);
    f.cvtLUFromD(...d(2 ** 64), RM_RNE);
    expect([f.lo, f.hi]).toEqual([-1, -1]);
    expectFlags(FLAG_NV);
    f.cvtLUFromD(...d(2 ** 64 - 2048), RM_RNE);
    expect([f.lo, f.hi]).toEqual([-2048, -1]);
    expectFlags(0);
    f.cvtLUFromS(s(-0), RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, 0]);
    expectFlags(0);
    f.cvtLUFromS(s(-1), RM_RNE);
    expect([f.lo, f.hi]).toEqual([0, 0]);
    expectFlags(FLAG_NV);
    f.cvtLFromS(QNAN_S, RM_RNE);
    expect([f.lo, f.hi]).toEqual([-1, 0x7fffffff]);
    expectFlags(FLAG_NV);
    f.cvtLFromD(...d(1e15 + 0.5), RM_RMM);
    expect(f.hi * 2 ** 32 + (f.lo >>> 0)).toBe(1e15 + 1);
    expectFlags(FLAG_NX);
  });
});

describe("integer -> float conversions", () => {
  it("rounds 64-bit integers to binary64", () => {
    f.cvtDFromL(1, 0x200000, RM_RNE); // 2^53 + 1: tie to even
    expect(rd()).toBe(2 ** 53);
    expectFlags(FLAG_NX);
    f.cvtDFromL(1, 0x200000, RM_RMM);
    expect(rd()).toBe(2 ** 53 + 2);
    f.cvtDFromL(1, 0x200000, RM_RUP);
    expect(rd()).toBe(2 ** 53 + 2);
    f.cvtDFromL(-1, -0x200001, RM_RTZ); // -(2^53 + 1)
    expect(rd()).toBe(-(2 ** 53));
    expectFlags(FLAG_NX);
    f.cvtDFromLU(-1, -1, RM_RNE);
    expect(rd()).toBe(2 ** 64);
    f.cvtDFromLU(-1, -1, RM_RTZ);
    expect(rd()).toBe(2 ** 64 - 2048);
    expectFlags(FLAG_NX);
    f.cvtDFromL(-1, -1, RM_RNE);
    expect(rd()).toBe(-1);
    f.cvtDFromL(0, 0x80000000 | 0, RM_RNE);
    expect(rd()).toBe(-(2 ** 63));
    f.cvtDFromW(-5);
    expect(rd()).toBe(-5);
    f.cvtDFromWU(-1);
    expect(rd()).toBe(2 ** 32 - 1);
    expectFlags(0);
  });

  it("rounds integers to binary32", () => {
    expect(sv(f.cvtSFromW(16777217, RM_RNE))).toBe(16777216);
    expect(sv(f.cvtSFromW(16777217, RM_RUP))).toBe(16777218);
    expect(sv(f.cvtSFromW(-16777217, RM_RMM))).toBe(-16777218);
    expect(sv(f.cvtSFromWU(-1, RM_RTZ))).toBe(2 ** 32 - 256);
    expect(sv(f.cvtSFromLU(-1, -1, RM_RNE))).toBe(2 ** 64);
    // 2^53 + 2^29 + 1 lies just above a binary32 halfway point after the double rounding step.
    expect(sv(f.cvtSFromL(0x20000001, 0x200000, RM_RNE))).toBe(2 ** 53 + 2 ** 30);
    expectFlags(FLAG_NX);
    expect(sv(f.cvtSFromL(-1, -1, RM_RNE))).toBe(-1);
    expect(f.cvtSFromW(0, RM_RDN)).toBe(0);
    expectFlags(0);
  });
});

describe("float <-> float conversions", () => {
  it("narrows binary64 to binary32", () => {
    expect(f.cvtSFromD(...d(1e300), RM_RNE)).toBe(0x7f800000);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(f.cvtSFromD(...d(-1e300), RM_RTZ)).toBe(0xff7fffff);
    expectFlags(FLAG_OF | FLAG_NX);
    expect(f.cvtSFromD(...d(MIN_SUB_D), RM_RNE)).toBe(0);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.cvtSFromD(...d(MIN_SUB_D), RM_RUP)).toBe(1);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.cvtSFromD(...d(2 ** -149), RM_RNE)).toBe(1);
    expectFlags(0);
    // Rounds to 2^-126 with or without exponent bound: not tiny.
    expect(f.cvtSFromD(...d(2 ** -126 - 2 ** -152), RM_RNE)).toBe(0x00800000);
    expectFlags(FLAG_NX);
    // Rounds to 2^-126 only because of the bound: tiny.
    expect(f.cvtSFromD(...d(2 ** -126 - 2 ** -150 + 2 ** -160), RM_RNE)).toBe(0x00800000);
    expectFlags(FLAG_UF | FLAG_NX);
    expect(f.cvtSFromD(...SNAN_D, RM_RNE)).toBe(CANONICAL_NAN_S);
    expectFlags(FLAG_NV);
    expect(f.cvtSFromD(...d(Number.NEGATIVE_INFINITY), RM_RNE)).toBe(0xff800000);
    expect(f.cvtSFromD(...d(1 + 2 ** -24), RM_RNE)).toBe(s(1));
    expectFlags(FLAG_NX);
  });

  it("widens binary32 to binary64", () => {
    f.cvtDFromS(SNAN_S);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    expectFlags(FLAG_NV);
    f.cvtDFromS(QNAN_S);
    expect([f.lo, f.hi]).toEqual([0, CANONICAL_NAN_D_HI]);
    f.cvtDFromS(0x80000000);
    expect(Object.is(rd(), -0)).toBe(true);
    f.cvtDFromS(1);
    expect(rd()).toBe(2 ** -149);
    expectFlags(0);
  });
});

describe("flags", () => {
  it("accrue until cleared", () => {
    div(1, 0, RM_RNE);
    add(1, 2 ** -60, RM_RNE);
    f.cvtWFromD(...QNAN_D, RM_RNE);
    expect(f.flags).toBe(FLAG_DZ | FLAG_NX | FLAG_NV);
  });
});
