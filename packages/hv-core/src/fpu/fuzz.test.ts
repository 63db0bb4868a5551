import { describe, expect, it } from "vitest";
import {
  BINARY32,
  BINARY64,
  exactAdd,
  exactDiv,
  exactFma,
  exactMul,
  exactSqrt,
  exactState,
} from "./exact.js";
import { Fpu } from "./fpu.js";

// Cross-checks the host-double fast paths against the exact BigInt implementation on random
// finite operands biased toward rounding-sensitive values.

// FPU_FUZZ_ITERATIONS raises the per-test iteration count for longer local runs.
const ITERATIONS = Number(process.env.FPU_FUZZ_ITERATIONS ?? 30000);
const TIMEOUT_MS = 5000 + ITERATIONS / 10;
let seed = Number(process.env.FPU_FUZZ_SEED ?? 0x2545f491) | 0 || 1;
function rnd32(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function rndn(n: number): number {
  return rnd32() % n;
}

/** Random fraction bits (as bigint) of width w with halfway / run patterns. */
function mant(w: number): bigint {
  const r = (BigInt(rnd32()) << 32n) | BigInt(rnd32());
  const all = (1n << BigInt(w)) - 1n;
  const m = r & all;
  const k = BigInt(1 + rndn(w));
  switch (rndn(6)) {
    case 0:
      return (m & ~((1n << k) - 1n)) | (1n << (k - 1n));
    case 1:
      return (m & ~((1n << k) - 1n)) | ((1n << (k - 1n)) - 1n);
    case 2:
      return all & ~((1n << k) - 1n);
    default:
      return m;
  }
}

/** Random finite bits; exponent around `center` (biased) with `spread`, clamped to finite. */
function value(mantBits: number, ebits: number, center: number, spread: number): bigint {
  const emax = (1 << ebits) - 2;
  let e = center + rndn(2 * spread + 1) - spread;
  e = Math.max(0, Math.min(emax, e));
  const sign = BigInt(rndn(2)) << BigInt(mantBits + ebits);
  return sign | (BigInt(e) << BigInt(mantBits)) | mant(mantBits);
}

const toLo = (x: bigint): number => Number(x & 0xffffffffn) | 0;
const toHi = (x: bigint): number => Number(x >> 32n) | 0;
const d64 = (f: Fpu): bigint => (BigInt(f.hi >>> 0) << 32n) | BigInt(f.lo >>> 0);
const expOf = (x: bigint, mantBits: number, ebits: number): number =>
  Number((x >> BigInt(mantBits)) & ((1n << BigInt(ebits)) - 1n));

function check(label: string, got: bigint, gotFlags: number, want: bigint, fails: string[]): void {
  const wantFlags = exactState.flags;
  exactState.flags = 0;
  if (got !== want || gotFlags !== wantFlags) {
    fails.push(`${label}: got ${got.toString(16)}/${gotFlags} want ${want.toString(16)}/${wantFlags}`);
  }
}

describe("fast paths agree with the exact implementation", () => {
  it(
    "binary64 add/mul/div/sqrt/fma",
    () => {
      const f = new Fpu();
      const fails: string[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const rm = rndn(5);
        const wide = rndn(4) === 0;
        const a = value(52, 11, 1023, wide ? 1100 : 80);
        const ea = expOf(a, 52, 11);
        const b =
          rndn(3) === 0
            ? a ^ BigInt(rndn(8)) ^ (BigInt(rndn(2)) << 63n)
            : value(52, 11, wide ? 1023 : ea, 60);
        const eb = expOf(b, 52, 11);
        const tag = `${a.toString(16)} ${b.toString(16)} rm${rm}`;
        f.flags = 0;
        f.addD(toLo(a), toHi(a), toLo(b), toHi(b), rm);
        check(`add ${tag}`, d64(f), f.flags, exactAdd(BINARY64, a, b, rm), fails);
        f.flags = 0;
        f.mulD(toLo(a), toHi(a), toLo(b), toHi(b), rm);
        check(`mul ${tag}`, d64(f), f.flags, exactMul(BINARY64, a, b, rm), fails);
        if ((b & 0x7fffffffffffffffn) !== 0n) {
          f.flags = 0;
          f.divD(toLo(a), toHi(a), toLo(b), toHi(b), rm);
          check(`div ${tag}`, d64(f), f.flags, exactDiv(BINARY64, a, b, rm), fails);
        }
        const pa = a & ~(1n << 63n);
        f.flags = 0;
        f.sqrtD(toLo(pa), toHi(pa), rm);
        check(`sqrt ${tag}`, d64(f), f.flags, exactSqrt(BINARY64, pa, rm), fails);
        // Addend near -(a*b) to exercise cancellation, or anywhere.
        let c: bigint;
        if (rndn(2) === 0) {
          f.mulD(toLo(a), toHi(a), toLo(b), toHi(b), rndn(5));
          c = (d64(f) ^ (1n << 63n) ^ BigInt(rndn(4))) & 0xffffffffffffffffn;
          if (expOf(c, 52, 11) === 0x7ff) c = value(52, 11, ea + eb - 1023, 60);
        } else {
          c = value(52, 11, ea + eb - 1023, 60);
        }
        f.flags = 0;
        f.fmaD(toLo(a), toHi(a), toLo(b), toHi(b), toLo(c), toHi(c), rm, false, false);
        check(`fma ${tag} ${c.toString(16)}`, d64(f), f.flags, exactFma(BINARY64, a, b, c, rm), fails);
        exactState.flags = 0;
        if (fails.length > 8) break;
      }
      expect(fails).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    "binary32 add/mul/div/sqrt/fma",
    () => {
      const f = new Fpu();
      const fails: string[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const rm = rndn(5);
        const wide = rndn(3) === 0;
        const a = value(23, 8, 127, wide ? 140 : 30);
        const ea = expOf(a, 23, 8);
        const b =
          rndn(3) === 0 ? a ^ BigInt(rndn(8)) ^ (BigInt(rndn(2)) << 31n) : value(23, 8, wide ? 127 : ea, 30);
        const eb = expOf(b, 23, 8);
        const na = Number(a);
        const nb = Number(b);
        const tag = `${a.toString(16)} ${b.toString(16)} rm${rm}`;
        f.flags = 0;
        check(`add ${tag}`, BigInt(f.addS(na, nb, rm)), f.flags, exactAdd(BINARY32, a, b, rm), fails);
        f.flags = 0;
        check(`mul ${tag}`, BigInt(f.mulS(na, nb, rm)), f.flags, exactMul(BINARY32, a, b, rm), fails);
        if ((b & 0x7fffffffn) !== 0n) {
          f.flags = 0;
          check(`div ${tag}`, BigInt(f.divS(na, nb, rm)), f.flags, exactDiv(BINARY32, a, b, rm), fails);
        }
        const pa = a & 0x7fffffffn;
        f.flags = 0;
        check(`sqrt ${tag}`, BigInt(f.sqrtS(Number(pa), rm)), f.flags, exactSqrt(BINARY32, pa, rm), fails);
        let c: bigint;
        if (rndn(2) === 0) {
          c = BigInt(f.mulS(na, nb, rndn(5)) ^ 0x80000000 ^ rndn(4)) & 0xffffffffn;
          if (expOf(c, 23, 8) === 0xff) c = value(23, 8, ea + eb - 127, 30);
        } else {
          c = value(23, 8, ea + eb - 127, 30);
        }
        f.flags = 0;
        const r = f.fmaS(na, nb, Number(c), rm, false, false);
        check(`fma ${tag} ${c.toString(16)}`, BigInt(r), f.flags, exactFma(BINARY32, a, b, c, rm), fails);
        exactState.flags = 0;
        if (fails.length > 8) break;
      }
      expect(fails).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
