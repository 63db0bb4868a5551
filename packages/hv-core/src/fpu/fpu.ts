/**
 * RISC-V F/D floating-point unit: IEEE-754 binary32/binary64 with exact results, all five
 * rounding modes and exact exception flags.
 *
 * Common cases run on host doubles: the host computes the round-to-nearest-even result and an
 * error-free transform (TwoSum / Dekker product) gives the exact rounding error, from which
 * inexactness and directed roundings follow. binary32 results are derived from a double plus the
 * sign of its error, so they never need BigInt. binary64 cases where the transforms are not exact
 * (subnormal operands or results, overflow, rare FMA corners) fall back to `exact.ts`.
 */
import {
  CANONICAL_NAN_D_HI,
  CANONICAL_NAN_S,
  CLASS_NEG_INF,
  CLASS_NEG_NORMAL,
  CLASS_NEG_SUBNORMAL,
  CLASS_NEG_ZERO,
  CLASS_POS_INF,
  CLASS_POS_NORMAL,
  CLASS_POS_SUBNORMAL,
  CLASS_POS_ZERO,
  CLASS_QNAN,
  CLASS_SNAN,
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
import { BINARY64, exactAdd, exactDiv, exactFma, exactMul, exactSqrt, exactState } from "./exact.js";

// Shared scratch for bit casts; index 0 of the 32-bit views is the low word (little-endian host).
const scratch = new ArrayBuffer(8);
const f64 = new Float64Array(scratch);
const f32 = new Float32Array(scratch);
const i32 = new Int32Array(scratch);
const u32 = new Uint32Array(scratch);
f64[0] = 1;
if (i32[1] !== 0x3ff00000) throw new Error("fpu: big-endian hosts are not supported");

/** 2^k for k in [-1022, 1023], indexed by k + 1022. */
const POW2 = new Float64Array(2046);
for (let k = -1022; k <= 1023; k++) {
  i32[0] = 0;
  i32[1] = (k + 1023) << 20;
  POW2[k + 1022] = f64[0];
}
function pow2(k: number): number {
  return POW2[k + 1022];
}

const TWO_32 = 4294967296;
/** Veltkamp splitter for a 53-bit significand. */
const SPLIT = 134217729;
/** Results at or above this (the top binade) go to the exact path: the next step may overflow. */
const TOP_D = 2 ** 1023;
/** Below this the product error of a Dekker split may not be representable. */
const LOW_D = 2 ** -960;
const MIN_NORMAL_S = 2 ** -126;
const MAX_S = 3.4028234663852886e38;

// Operand kinds for the special-value resolvers.
const K_FINITE = 0;
const K_ZERO = 1;
const K_INF = 2;
const K_QNAN = 3;
const K_SNAN = 4;

// Special-value outcomes.
const R_NONE = -1;
const R_NAN = 0;
const R_INF = 1;
const R_ZERO = 2;
const R_A = 3;
const R_B = 4;
const R_C = 5;

function kindS(a: number): number {
  const e = a & 0x7f800000;
  const m = a & 0x7fffff;
  if (e === 0x7f800000) {
    if (m === 0) return K_INF;
    return m & 0x400000 ? K_QNAN : K_SNAN;
  }
  return e === 0 && m === 0 ? K_ZERO : K_FINITE;
}

function kindD(lo: number, hi: number): number {
  const e = hi & 0x7ff00000;
  const m = hi & 0xfffff;
  if (e === 0x7ff00000) {
    if ((m | lo) === 0) return K_INF;
    return m & 0x80000 ? K_QNAN : K_SNAN;
  }
  return e === 0 && (m | lo) === 0 ? K_ZERO : K_FINITE;
}

function isNaNS(a: number): boolean {
  return (a & 0x7fffffff) > 0x7f800000;
}
function isSNaNS(a: number): boolean {
  return (a & 0x7fc00000) === 0x7f800000 && (a & 0x3fffff) !== 0;
}
function isNaND(lo: number, hi: number): boolean {
  const h = hi & 0x7fffffff;
  return h > 0x7ff00000 || (h === 0x7ff00000 && lo !== 0);
}
function isSNaND(lo: number, hi: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | lo) !== 0;
}

function toD(lo: number, hi: number): number {
  i32[0] = lo;
  i32[1] = hi;
  return f64[0];
}
function toS(a: number): number {
  u32[0] = a;
  return f32[0];
}
/** Bits of a double that is exactly a binary32 value. */
function bitsS(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** Exact rounding error of `p = a * b` (Dekker); valid when no intermediate over/underflows. */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** The adjacent double one step away from zero (dir > 0) or toward zero (dir < 0). */
function stepD(x: number, dir: number): number {
  f64[0] = x;
  let lo = i32[0];
  let hi = i32[1];
  if (dir > 0) {
    lo = (lo + 1) | 0;
    if (lo === 0) hi = (hi + 1) | 0;
  } else {
    if (lo === 0) hi = (hi - 1) | 0;
    lo = (lo - 1) | 0;
  }
  i32[0] = lo;
  i32[1] = hi;
  return f64[0];
}

/**
 * Turns the round-to-nearest-even result `r` (normal, not in the top binade) of an exact value
 * `r + err` (err != 0, same magnitude scale) into the result for `rm`.
 * For RMM, `err` must be the exact error (ties are detected from it).
 */
function adjustD(r: number, err: number, rm: number): number {
  switch (rm) {
    case RM_RNE:
      return r;
    case RM_RTZ:
      return err > 0 !== r > 0 ? stepD(r, -1) : r;
    case RM_RDN:
      return err < 0 ? stepD(r, r > 0 ? -1 : 1) : r;
    case RM_RUP:
      return err > 0 ? stepD(r, r > 0 ? 1 : -1) : r;
    default: {
      // Only a tie rounded toward zero by RNE differs.
      if (err > 0 !== r > 0) return r;
      const away = stepD(r, 1);
      return Math.abs(err) * 2 === Math.abs(away - r) ? away : r;
    }
  }
}

/** Whether rounding `n + frac (+ sticky)` (n integer, frac in [0,1)) goes up in magnitude. */
function roundsUp(n: number, frac: number, sticky: boolean, neg: boolean, rm: number): boolean {
  switch (rm) {
    case RM_RNE:
      return frac > 0.5 || (frac === 0.5 && (sticky || n % 2 !== 0));
    case RM_RTZ:
      return false;
    case RM_RDN:
      return neg && (frac !== 0 || sticky);
    case RM_RUP:
      return !neg && (frac !== 0 || sticky);
    default:
      return frac >= 0.5;
  }
}

function bigD(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Rounds a finite double to an integral double per `rm`. */
function roundToIntegral(x: number, rm: number): number {
  switch (rm) {
    case RM_RNE: {
      let f = Math.floor(x);
      const d = x - f;
      if (d > 0.5 || (d === 0.5 && f % 2 !== 0)) f += 1;
      return f;
    }
    case RM_RTZ:
      return Math.trunc(x);
    case RM_RDN:
      return Math.floor(x);
    case RM_RUP:
      return Math.ceil(x);
    default: {
      const t = Math.trunc(x);
      const d = x - t;
      if (d >= 0.5) return t + 1;
      if (d <= -0.5) return t - 1;
      return t;
    }
  }
}

/**
 * The floating-point unit. Holds no per-hart state besides the accrued `flags` and the 64-bit
 * result registers `lo`/`hi`; one instance can serve one hart.
 *
 * Conventions: binary32 operands and results are uint32 bit patterns in a number; binary64
 * operands are (lo, hi) int32 halves, and binary64 or 64-bit integer results are left in
 * {@link Fpu.lo}/{@link Fpu.hi}. `rm` is a static rounding mode 0..4 (`dyn` resolved by the
 * caller). Every NaN result is the canonical NaN.
 */
export class Fpu {
  /** Accrued exception flags (NV|DZ|OF|UF|NX) since the caller last cleared it. */
  flags = 0;
  /** Low word (int32) of the last binary64 / 64-bit integer result. */
  lo = 0;
  /** High word (int32) of the last binary64 / 64-bit integer result. */
  hi = 0;

  private setD(x: number): void {
    f64[0] = x;
    this.lo = i32[0];
    this.hi = i32[1];
  }

  private setBigD(x: bigint): void {
    this.lo = Number(x & 0xffffffffn) | 0;
    this.hi = Number(x >> 32n) | 0;
    this.flags |= exactState.flags;
    exactState.flags = 0;
  }

  private nanD(): void {
    this.lo = 0;
    this.hi = CANONICAL_NAN_D_HI;
  }

  // ---- special-value resolution (shared by both formats) -------------------------------------

  private specialAdd(ka: number, kb: number, sa: boolean, sb: boolean): number {
    if (ka >= K_QNAN || kb >= K_QNAN) {
      if (ka === K_SNAN || kb === K_SNAN) this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (ka === K_INF) {
      if (kb === K_INF && sa !== sb) {
        this.flags |= FLAG_NV;
        return R_NAN;
      }
      return R_A;
    }
    return kb === K_INF ? R_B : R_NONE;
  }

  private specialMul(ka: number, kb: number): number {
    if (ka >= K_QNAN || kb >= K_QNAN) {
      if (ka === K_SNAN || kb === K_SNAN) this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (ka === K_INF || kb === K_INF) {
      if (ka === K_ZERO || kb === K_ZERO) {
        this.flags |= FLAG_NV;
        return R_NAN;
      }
      return R_INF;
    }
    return R_NONE;
  }

  private specialDiv(ka: number, kb: number): number {
    if (ka >= K_QNAN || kb >= K_QNAN) {
      if (ka === K_SNAN || kb === K_SNAN) this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (ka === K_INF) {
      if (kb === K_INF) {
        this.flags |= FLAG_NV;
        return R_NAN;
      }
      return R_INF;
    }
    if (kb === K_INF) return R_ZERO;
    if (kb === K_ZERO) {
      if (ka === K_ZERO) {
        this.flags |= FLAG_NV;
        return R_NAN;
      }
      this.flags |= FLAG_DZ;
      return R_INF;
    }
    return ka === K_ZERO ? R_ZERO : R_NONE;
  }

  private specialSqrt(ka: number, sa: boolean): number {
    if (ka >= K_QNAN) {
      if (ka === K_SNAN) this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (ka === K_ZERO) return R_A;
    if (sa) {
      this.flags |= FLAG_NV;
      return R_NAN;
    }
    return ka === K_INF ? R_A : R_NONE;
  }

  /** Signs are those after the instruction's negations; `sp` is the product sign. */
  private specialFma(ka: number, kb: number, kc: number, sp: boolean, sc: boolean): number {
    const infTimesZero = (ka === K_INF && kb === K_ZERO) || (ka === K_ZERO && kb === K_INF);
    if (ka >= K_QNAN || kb >= K_QNAN || kc >= K_QNAN) {
      // RISC-V raises NV for inf * 0 even when the addend is a quiet NaN.
      if (ka === K_SNAN || kb === K_SNAN || kc === K_SNAN || infTimesZero) this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (infTimesZero) {
      this.flags |= FLAG_NV;
      return R_NAN;
    }
    if (ka === K_INF || kb === K_INF) {
      if (kc === K_INF && sc !== sp) {
        this.flags |= FLAG_NV;
        return R_NAN;
      }
      return R_INF;
    }
    return kc === K_INF ? R_C : R_NONE;
  }

  // ---- binary32 -----------------------------------------------------------------------------

  /**
   * Rounds `m * (1 + sticky*epsilon)` (m a positive double; with `sticky`, the exact value lies
   * strictly between m and the next double up) to binary32 and returns the signed bits.
   */
  private roundS(neg: boolean, m: number, sticky: boolean, rm: number): number {
    if (!sticky && rm === RM_RNE) {
      const f = Math.fround(m);
      // m (not f) must be normal: just below 2^-126 tininess depends on unbounded rounding.
      if (m >= MIN_NORMAL_S && f <= MAX_S) {
        if (f !== m) this.flags |= FLAG_NX;
        return bitsS(neg ? -f : f);
      }
    }
    f64[0] = m;
    let E = (i32[1] >>> 20) - 1023;
    if (E === -1023) E = -1100; // double subnormal: far below the binary32 range
    let qe = (E > -126 ? E : -126) - 23; // exponent of the last kept place
    const q = m * pow2(-qe);
    let n = Math.floor(q);
    const frac = q - n;
    const inexact = frac !== 0 || sticky;
    if (roundsUp(n, frac, sticky, neg, rm)) n += 1;
    const sign = neg ? 0x80000000 : 0;
    if (inexact) {
      this.flags |= FLAG_NX;
      if (E < -126) {
        let tiny = true;
        if (E === -127) {
          // Tininess after rounding: round again as if the exponent range were unbounded.
          const qu = m * pow2(150);
          const nu = Math.floor(qu);
          tiny = nu + (roundsUp(nu, qu - nu, sticky, neg, rm) ? 1 : 0) !== 0x1000000;
        }
        if (tiny) this.flags |= FLAG_UF;
      }
    }
    if (n >= 0x1000000) {
      n = 0x800000;
      qe++;
    }
    if (n < 0x800000) return (sign | n) >>> 0; // subnormal or zero
    const be = qe + 150;
    if (be >= 255) {
      this.flags |= FLAG_OF | FLAG_NX;
      const toInf = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && neg) || (rm === RM_RUP && !neg);
      return (sign | (toInf ? 0x7f800000 : 0x7f7fffff)) >>> 0;
    }
    return (sign | (be << 23) | (n - 0x800000)) >>> 0;
  }

  /** Rounds the exact value `x + err` (x a nonzero double, |err| below half an ulp of x) to binary32. */
  private roundErrS(x: number, err: number, rm: number): number {
    const neg = x < 0;
    const m = neg ? -x : x;
    if (err === 0) return this.roundS(neg, m, false, rm);
    // Below m in magnitude: continue from the double just under it, with a sticky excess.
    if (err > 0 === neg) return this.roundS(neg, stepD(m, -1), true, rm);
    return this.roundS(neg, m, true, rm);
  }

  private specialResultS(r: number, a: number, b: number, c: number, sign: number): number {
    switch (r) {
      case R_NAN:
        return CANONICAL_NAN_S;
      case R_INF:
        return (sign | 0x7f800000) >>> 0;
      case R_ZERO:
        return sign >>> 0;
      case R_A:
        return a;
      case R_B:
        return b;
      default:
        return c;
    }
  }

  /** fadd.s: returns the binary32 bits of a + b. */
  addS(a: number, b: number, rm: number): number {
    if ((a & 0x7f800000) === 0x7f800000 || (b & 0x7f800000) === 0x7f800000) {
      const r = this.specialAdd(kindS(a), kindS(b), a >>> 31 !== 0, b >>> 31 !== 0);
      return this.specialResultS(r, a, b, 0, 0);
    }
    const x = toS(a);
    const y = toS(b);
    const s = x + y;
    if (s === 0) {
      // Exact zero: same-signed zeros keep their sign, otherwise +0 (-0 when rounding down).
      if (rm === RM_RDN) return (a | b) >>> 31 !== 0 ? 0x80000000 : 0;
      return (a & b) >>> 31 !== 0 ? 0x80000000 : 0;
    }
    const bb = s - x;
    return this.roundErrS(s, x - (s - bb) + (y - bb), rm);
  }

  /** fsub.s: returns the binary32 bits of a - b. */
  subS(a: number, b: number, rm: number): number {
    return this.addS(a, (b ^ 0x80000000) >>> 0, rm);
  }

  /** fmul.s: returns the binary32 bits of a * b. */
  mulS(a: number, b: number, rm: number): number {
    const sign = (a ^ b) & 0x80000000;
    if ((a & 0x7f800000) === 0x7f800000 || (b & 0x7f800000) === 0x7f800000) {
      return this.specialResultS(this.specialMul(kindS(a), kindS(b)), a, b, 0, sign);
    }
    // The product of two binary32 values is exact in a double.
    const p = toS(a) * toS(b);
    if (p === 0) return sign >>> 0;
    return this.roundS(p < 0, Math.abs(p), false, rm);
  }

  /** fdiv.s: returns the binary32 bits of a / b. */
  divS(a: number, b: number, rm: number): number {
    const sign = (a ^ b) & 0x80000000;
    if (
      (a & 0x7f800000) === 0x7f800000 ||
      (b & 0x7f800000) === 0x7f800000 ||
      (a & 0x7fffffff) === 0 ||
      (b & 0x7fffffff) === 0
    ) {
      return this.specialResultS(this.specialDiv(kindS(a), kindS(b)), a, b, 0, sign);
    }
    const x = toS(a);
    const y = toS(b);
    const q = x / y;
    const p = q * y;
    // Remainder x - q*y is exact; its sign (times y's) says which side of q the quotient lies.
    const rem = x - p - productError(q, y, p);
    return this.roundErrS(q, y > 0 ? rem : -rem, rm);
  }

  /** fsqrt.s: returns the binary32 bits of sqrt(a). */
  sqrtS(a: number, rm: number): number {
    if ((a & 0x7f800000) === 0x7f800000 || (a & 0x7fffffff) === 0 || a >>> 31 !== 0) {
      return this.specialResultS(this.specialSqrt(kindS(a), a >>> 31 !== 0), a, 0, 0, 0);
    }
    const x = toS(a);
    const r = Math.sqrt(x);
    const p = r * r;
    return this.roundErrS(r, x - p - productError(r, r, p), rm);
  }

  /**
   * Fused multiply-add, single rounding: returns the binary32 bits of
   * `(negProduct ? -(a*b) : a*b) + (negAddend ? -c : c)`.
   * fmadd: (false,false); fmsub: (false,true); fnmsub: (true,false); fnmadd: (true,true).
   */
  fmaS(a: number, b: number, c: number, rm: number, negProduct: boolean, negAddend: boolean): number {
    if (negProduct) a = (a ^ 0x80000000) >>> 0;
    if (negAddend) c = (c ^ 0x80000000) >>> 0;
    const psign = (a ^ b) & 0x80000000;
    if (
      (a & 0x7f800000) === 0x7f800000 ||
      (b & 0x7f800000) === 0x7f800000 ||
      (c & 0x7f800000) === 0x7f800000
    ) {
      const r = this.specialFma(kindS(a), kindS(b), kindS(c), psign !== 0, c >>> 31 !== 0);
      return this.specialResultS(r, a, b, c, psign);
    }
    const p = toS(a) * toS(b); // exact
    const z = toS(c);
    if (p === 0 || z === 0) {
      if (p !== 0) return this.roundS(p < 0, Math.abs(p), false, rm);
      if (z !== 0) return c;
      if (psign === (c & 0x80000000)) return psign >>> 0;
      return rm === RM_RDN ? 0x80000000 : 0;
    }
    const s = p + z;
    if (s === 0) return rm === RM_RDN ? 0x80000000 : 0;
    const bb = s - p;
    return this.roundErrS(s, p - (s - bb) + (z - bb), rm);
  }

  /** fmin.s (IEEE 754-2019 minimumNumber; -0 < +0). */
  minS(a: number, b: number): number {
    if (isNaNS(a) || isNaNS(b)) return this.nanMinMaxS(a, b);
    const x = toS(a);
    const y = toS(b);
    if (x < y) return a;
    if (y < x) return b;
    return (a | b) >>> 0;
  }

  /** fmax.s (IEEE 754-2019 maximumNumber; -0 < +0). */
  maxS(a: number, b: number): number {
    if (isNaNS(a) || isNaNS(b)) return this.nanMinMaxS(a, b);
    const x = toS(a);
    const y = toS(b);
    if (x > y) return a;
    if (y > x) return b;
    return (a & b) >>> 0;
  }

  private nanMinMaxS(a: number, b: number): number {
    if (isSNaNS(a) || isSNaNS(b)) this.flags |= FLAG_NV;
    if (isNaNS(a)) return isNaNS(b) ? CANONICAL_NAN_S : b;
    return a;
  }

  /** feq.s: 1 if a == b else 0 (quiet: NV only for signaling NaN). */
  eqS(a: number, b: number): number {
    if (isNaNS(a) || isNaNS(b)) {
      if (isSNaNS(a) || isSNaNS(b)) this.flags |= FLAG_NV;
      return 0;
    }
    return toS(a) === toS(b) ? 1 : 0;
  }

  /** flt.s: 1 if a < b else 0 (signaling: NV for any NaN). */
  ltS(a: number, b: number): number {
    if (isNaNS(a) || isNaNS(b)) {
      this.flags |= FLAG_NV;
      return 0;
    }
    return toS(a) < toS(b) ? 1 : 0;
  }

  /** fle.s: 1 if a <= b else 0 (signaling: NV for any NaN). */
  leS(a: number, b: number): number {
    if (isNaNS(a) || isNaNS(b)) {
      this.flags |= FLAG_NV;
      return 0;
    }
    return toS(a) <= toS(b) ? 1 : 0;
  }

  /** fclass.s: the 10-bit class mask. */
  classS(a: number): number {
    const neg = a >>> 31 !== 0;
    const e = (a >>> 23) & 0xff;
    const m = a & 0x7fffff;
    if (e === 0xff) {
      if (m === 0) return neg ? CLASS_NEG_INF : CLASS_POS_INF;
      return m & 0x400000 ? CLASS_QNAN : CLASS_SNAN;
    }
    if (e === 0) {
      if (m === 0) return neg ? CLASS_NEG_ZERO : CLASS_POS_ZERO;
      return neg ? CLASS_NEG_SUBNORMAL : CLASS_POS_SUBNORMAL;
    }
    return neg ? CLASS_NEG_NORMAL : CLASS_POS_NORMAL;
  }

  // ---- binary64 -----------------------------------------------------------------------------

  private specialResultD(
    r: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    cLo: number,
    cHi: number,
    sign: number,
  ): void {
    switch (r) {
      case R_NAN:
        this.nanD();
        return;
      case R_INF:
        this.lo = 0;
        this.hi = sign | 0x7ff00000;
        return;
      case R_ZERO:
        this.lo = 0;
        this.hi = sign;
        return;
      case R_A:
        this.lo = aLo;
        this.hi = aHi;
        return;
      case R_B:
        this.lo = bLo;
        this.hi = bHi;
        return;
      default:
        this.lo = cLo;
        this.hi = cHi;
    }
  }

  /** fadd.d: a + b into lo/hi. */
  addD(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    if ((aHi & 0x7ff00000) === 0x7ff00000 || (bHi & 0x7ff00000) === 0x7ff00000) {
      const r = this.specialAdd(kindD(aLo, aHi), kindD(bLo, bHi), aHi < 0, bHi < 0);
      this.specialResultD(r, aLo, aHi, bLo, bHi, 0, 0, 0);
      return;
    }
    const a = toD(aLo, aHi);
    const b = toD(bLo, bHi);
    const s = a + b;
    const bb = s - a;
    const err = a - (s - bb) + (b - bb);
    if (err === 0) {
      // Exact (sums of subnormals are always exact, so no underflow here).
      if (s === 0) {
        this.lo = 0;
        this.hi = (rm === RM_RDN ? aHi | bHi : aHi & bHi) & 0x80000000;
        return;
      }
      this.setD(s);
      return;
    }
    if (Math.abs(s) < TOP_D) {
      this.flags |= FLAG_NX;
      this.setD(adjustD(s, err, rm));
      return;
    }
    this.setBigD(exactAdd(BINARY64, bigD(aLo, aHi), bigD(bLo, bHi), rm));
  }

  /** fsub.d: a - b into lo/hi. */
  subD(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    this.addD(aLo, aHi, bLo, bHi ^ 0x80000000, rm);
  }

  /** fmul.d: a * b into lo/hi. */
  mulD(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    const ea = (aHi >>> 20) & 0x7ff;
    const eb = (bHi >>> 20) & 0x7ff;
    const sign = (aHi ^ bHi) & 0x80000000;
    if (ea === 0x7ff || eb === 0x7ff) {
      this.specialResultD(this.specialMul(kindD(aLo, aHi), kindD(bLo, bHi)), aLo, aHi, bLo, bHi, 0, 0, sign);
      return;
    }
    const a = toD(aLo, aHi);
    const b = toD(bLo, bHi);
    if (a === 0 || b === 0) {
      this.lo = 0;
      this.hi = sign;
      return;
    }
    // Exponents where the split cannot overflow and the product error is representable.
    if (ea >= 33 && ea <= 2013 && eb >= 33 && eb <= 2013 && ea + eb >= 1086) {
      const p = a * b;
      if (Math.abs(p) < TOP_D) {
        const err = productError(a, b, p);
        if (err === 0) {
          this.setD(p);
        } else {
          this.flags |= FLAG_NX;
          this.setD(adjustD(p, err, rm));
        }
        return;
      }
    }
    this.setBigD(exactMul(BINARY64, bigD(aLo, aHi), bigD(bLo, bHi), rm));
  }

  /** fdiv.d: a / b into lo/hi. */
  divD(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    const ea = (aHi >>> 20) & 0x7ff;
    const eb = (bHi >>> 20) & 0x7ff;
    const sign = (aHi ^ bHi) & 0x80000000;
    if (ea === 0x7ff || eb === 0x7ff || ea === 0 || eb === 0) {
      const r = this.specialDiv(kindD(aLo, aHi), kindD(bLo, bHi));
      if (r !== R_NONE) {
        this.specialResultD(r, aLo, aHi, bLo, bHi, 0, 0, sign);
        return;
      }
    } else if (ea >= 63 && ea <= 2013 && eb >= 63 && eb <= 2013) {
      const a = toD(aLo, aHi);
      const b = toD(bLo, bHi);
      const q = a / b;
      const aq = Math.abs(q);
      if (aq >= LOW_D && aq < 2 ** 990) {
        const p = q * b;
        // a - p is exact (Sterbenz), so the remainder's sign is exact; quotients never tie.
        const rem = a - p - productError(q, b, p);
        if (rem === 0) {
          this.setD(q);
        } else {
          this.flags |= FLAG_NX;
          this.setD(adjustD(q, b > 0 ? rem : -rem, rm === RM_RMM ? RM_RNE : rm));
        }
        return;
      }
    }
    this.setBigD(exactDiv(BINARY64, bigD(aLo, aHi), bigD(bLo, bHi), rm));
  }

  /** fsqrt.d: sqrt(a) into lo/hi. */
  sqrtD(aLo: number, aHi: number, rm: number): void {
    const ea = (aHi >>> 20) & 0x7ff;
    if (ea === 0x7ff || aHi < 0 || (aHi | aLo) === 0) {
      this.specialResultD(this.specialSqrt(kindD(aLo, aHi), aHi < 0), aLo, aHi, 0, 0, 0, 0, 0);
      return;
    }
    // Top binade excluded: r * r may round to infinity there.
    if (ea >= 63 && ea < 2046) {
      const a = toD(aLo, aHi);
      const r = Math.sqrt(a);
      const p = r * r;
      const rem = a - p - productError(r, r, p);
      if (rem === 0) {
        this.setD(r);
      } else {
        // Square roots never tie, so RMM behaves as RNE.
        this.flags |= FLAG_NX;
        this.setD(adjustD(r, rem, rm === RM_RMM ? RM_RNE : rm));
      }
      return;
    }
    this.setBigD(exactSqrt(BINARY64, bigD(aLo, aHi), rm));
  }

  /**
   * Fused multiply-add, single rounding, into lo/hi:
   * `(negProduct ? -(a*b) : a*b) + (negAddend ? -c : c)`.
   * fmadd: (false,false); fmsub: (false,true); fnmsub: (true,false); fnmadd: (true,true).
   */
  fmaD(
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    cLo: number,
    cHi: number,
    rm: number,
    negProduct: boolean,
    negAddend: boolean,
  ): void {
    if (negProduct) aHi ^= 0x80000000;
    if (negAddend) cHi ^= 0x80000000;
    const ea = (aHi >>> 20) & 0x7ff;
    const eb = (bHi >>> 20) & 0x7ff;
    const psign = (aHi ^ bHi) & 0x80000000;
    if (ea === 0x7ff || eb === 0x7ff || (cHi & 0x7ff00000) === 0x7ff00000) {
      const r = this.specialFma(kindD(aLo, aHi), kindD(bLo, bHi), kindD(cLo, cHi), psign !== 0, cHi < 0);
      this.specialResultD(r, aLo, aHi, bLo, bHi, cLo, cHi, psign);
      return;
    }
    const a = toD(aLo, aHi);
    const b = toD(bLo, bHi);
    const c = toD(cLo, cHi);
    if (a === 0 || b === 0) {
      // Exact zero product: the result is c, or a signed zero.
      if (c !== 0) {
        this.lo = cLo;
        this.hi = cHi;
      } else {
        this.lo = 0;
        this.hi = psign === (cHi & 0x80000000) ? psign : rm === RM_RDN ? 0x80000000 | 0 : 0;
      }
      return;
    }
    if (c === 0) {
      this.mulD(aLo, aHi, bLo, bHi, rm);
      return;
    }
    if (ea >= 33 && ea <= 2013 && eb >= 33 && eb <= 2013 && ea + eb >= 1086 && this.fmaFastD(a, b, c, rm))
      return;
    this.setBigD(exactFma(BINARY64, bigD(aLo, aHi), bigD(bLo, bHi), bigD(cLo, cHi), rm));
  }

  /**
   * a*b + c through error-free transforms: a*b + c == h + l + v exactly, h = RN(s + u).
   * Succeeds when h is provably the nearest double and not a tie; otherwise returns false.
   */
  private fmaFastD(a: number, b: number, c: number, rm: number): boolean {
    const p = a * b;
    if (!(Math.abs(p) < TOP_D)) return false;
    const e = productError(a, b, p);
    const s = p + c; // TwoSum(p, c) -> s + t
    let z = s - p;
    const t = p - (s - z) + (c - z);
    const u = t + e; // TwoSum(t, e) -> u + v
    z = u - t;
    const v = t - (u - z) + (e - z);
    const h = s + u; // TwoSum(s, u) -> h + l
    z = h - s;
    const l = s - (h - z) + (u - z);
    const ah = Math.abs(h);
    if (!(ah < TOP_D && ah >= LOW_D)) return false;
    const w = l + v; // TwoSum(l, v) -> w + wl; sign(w) is the sign of the error
    if (w === 0) {
      this.setD(h);
      return true;
    }
    z = w - l;
    const wl = l - (w - z) + (v - z);
    const next = stepD(h, w > 0 === h > 0 ? 1 : -1);
    const half = Math.abs(next - h) * 0.5;
    const aw = Math.abs(w);
    // RN is monotonic, so |w| < half proves |l + v| < half: h is the nearest and not a tie.
    if (aw < half || (aw === half && wl !== 0 && wl > 0 !== w > 0)) {
      this.flags |= FLAG_NX;
      this.setD(adjustD(h, w, rm === RM_RMM ? RM_RNE : rm));
      return true;
    }
    return false;
  }

  /** fmin.d into lo/hi. */
  minD(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isNaND(aLo, aHi) || isNaND(bLo, bHi)) {
      this.nanMinMaxD(aLo, aHi, bLo, bHi);
      return;
    }
    const x = toD(aLo, aHi);
    const y = toD(bLo, bHi);
    if (x < y || (x === y && aHi < 0)) {
      this.lo = aLo;
      this.hi = aHi;
    } else {
      this.lo = bLo;
      this.hi = bHi;
    }
  }

  /** fmax.d into lo/hi. */
  maxD(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isNaND(aLo, aHi) || isNaND(bLo, bHi)) {
      this.nanMinMaxD(aLo, aHi, bLo, bHi);
      return;
    }
    const x = toD(aLo, aHi);
    const y = toD(bLo, bHi);
    if (x > y || (x === y && aHi >= 0)) {
      this.lo = aLo;
      this.hi = aHi;
    } else {
      this.lo = bLo;
      this.hi = bHi;
    }
  }

  private nanMinMaxD(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isSNaND(aLo, aHi) || isSNaND(bLo, bHi)) this.flags |= FLAG_NV;
    if (!isNaND(aLo, aHi)) {
      this.lo = aLo;
      this.hi = aHi;
    } else if (!isNaND(bLo, bHi)) {
      this.lo = bLo;
      this.hi = bHi;
    } else {
      this.nanD();
    }
  }

  /** feq.d: 1 if a == b else 0 (quiet: NV only for signaling NaN). */
  eqD(aLo: number, aHi: number, bLo: number, bHi: number): number {
    if (isNaND(aLo, aHi) || isNaND(bLo, bHi)) {
      if (isSNaND(aLo, aHi) || isSNaND(bLo, bHi)) this.flags |= FLAG_NV;
      return 0;
    }
    return toD(aLo, aHi) === toD(bLo, bHi) ? 1 : 0;
  }

  /** flt.d: 1 if a < b else 0 (signaling: NV for any NaN). */
  ltD(aLo: number, aHi: number, bLo: number, bHi: number): number {
    if (isNaND(aLo, aHi) || isNaND(bLo, bHi)) {
      this.flags |= FLAG_NV;
      return 0;
    }
    return toD(aLo, aHi) < toD(bLo, bHi) ? 1 : 0;
  }

  /** fle.d: 1 if a <= b else 0 (signaling: NV for any NaN). */
  leD(aLo: number, aHi: number, bLo: number, bHi: number): number {
    if (isNaND(aLo, aHi) || isNaND(bLo, bHi)) {
      this.flags |= FLAG_NV;
      return 0;
    }
    return toD(aLo, aHi) <= toD(bLo, bHi) ? 1 : 0;
  }

  /** fclass.d: the 10-bit class mask. */
  classD(lo: number, hi: number): number {
    const neg = hi < 0;
    const e = (hi >>> 20) & 0x7ff;
    const m = (hi & 0xfffff) | lo;
    if (e === 0x7ff) {
      if (m === 0) return neg ? CLASS_NEG_INF : CLASS_POS_INF;
      return hi & 0x80000 ? CLASS_QNAN : CLASS_SNAN;
    }
    if (e === 0) {
      if (m === 0) return neg ? CLASS_NEG_ZERO : CLASS_POS_ZERO;
      return neg ? CLASS_NEG_SUBNORMAL : CLASS_POS_SUBNORMAL;
    }
    return neg ? CLASS_NEG_NORMAL : CLASS_POS_NORMAL;
  }

  // ---- float <-> float ----------------------------------------------------------------------

  /** fcvt.s.d: returns the binary32 bits of a rounded per rm. */
  cvtSFromD(lo: number, hi: number, rm: number): number {
    const sign = hi & 0x80000000;
    if ((hi & 0x7ff00000) === 0x7ff00000) {
      if (!isNaND(lo, hi)) return (sign | 0x7f800000) >>> 0;
      if (isSNaND(lo, hi)) this.flags |= FLAG_NV;
      return CANONICAL_NAN_S;
    }
    const x = toD(lo, hi);
    if (x === 0) return sign >>> 0;
    return this.roundS(x < 0, Math.abs(x), false, rm);
  }

  /** fcvt.d.s: a (binary32 bits) widened exactly into lo/hi. */
  cvtDFromS(a: number): void {
    if (isNaNS(a)) {
      if (isSNaNS(a)) this.flags |= FLAG_NV;
      this.nanD();
      return;
    }
    this.setD(toS(a));
  }

  // ---- float -> integer ---------------------------------------------------------------------

  private toInt32(x: number, rm: number, signed: boolean): number {
    if (Number.isNaN(x)) {
      this.flags |= FLAG_NV;
      return signed ? 0x7fffffff : -1;
    }
    const r = roundToIntegral(x, rm);
    const min = signed ? -2147483648 : 0;
    const max = signed ? 2147483647 : 4294967295;
    if (r > max || r < min) {
      this.flags |= FLAG_NV;
      return r > max ? max | 0 : min;
    }
    if (r !== x) this.flags |= FLAG_NX;
    return r | 0;
  }

  private toInt64(x: number, rm: number, signed: boolean): void {
    const r = Number.isNaN(x) ? Number.POSITIVE_INFINITY : roundToIntegral(x, rm);
    const lim = signed ? 2 ** 63 : 2 ** 64;
    const min = signed ? -(2 ** 63) : 0;
    if (r >= lim || r < min) {
      // Out of range or NaN: saturate, NV only.
      this.flags |= FLAG_NV;
      if (r < min) {
        this.lo = 0;
        this.hi = signed ? 0x80000000 | 0 : 0;
      } else {
        this.lo = -1;
        this.hi = signed ? 0x7fffffff : -1;
      }
      return;
    }
    if (r !== x) this.flags |= FLAG_NX;
    const h = Math.floor(r / TWO_32);
    this.lo = (r - h * TWO_32) | 0;
    this.hi = h | 0;
  }

  /** fcvt.w.s: int32 result (as a JS int, to be sign-extended by the caller). */
  cvtWFromS(a: number, rm: number): number {
    return this.toInt32(toS(a), rm, true);
  }
  /** fcvt.wu.s: uint32 result returned as its sign-extended int32 value (RV64 semantics). */
  cvtWUFromS(a: number, rm: number): number {
    return this.toInt32(toS(a), rm, false);
  }
  /** fcvt.l.s: int64 result into lo/hi. */
  cvtLFromS(a: number, rm: number): void {
    this.toInt64(toS(a), rm, true);
  }
  /** fcvt.lu.s: uint64 result into lo/hi. */
  cvtLUFromS(a: number, rm: number): void {
    this.toInt64(toS(a), rm, false);
  }
  /** fcvt.w.d: int32 result (as a JS int). */
  cvtWFromD(lo: number, hi: number, rm: number): number {
    return this.toInt32(toD(lo, hi), rm, true);
  }
  /** fcvt.wu.d: uint32 result returned as its sign-extended int32 value (RV64 semantics). */
  cvtWUFromD(lo: number, hi: number, rm: number): number {
    return this.toInt32(toD(lo, hi), rm, false);
  }
  /** fcvt.l.d: int64 result into lo/hi. */
  cvtLFromD(lo: number, hi: number, rm: number): void {
    this.toInt64(toD(lo, hi), rm, true);
  }
  /** fcvt.lu.d: uint64 result into lo/hi. */
  cvtLUFromD(lo: number, hi: number, rm: number): void {
    this.toInt64(toD(lo, hi), rm, false);
  }

  // ---- integer -> float ---------------------------------------------------------------------

  /** fcvt.d.w: int32 x converted exactly into lo/hi. */
  cvtDFromW(x: number): void {
    this.setD(x | 0);
  }
  /** fcvt.d.wu: uint32 x (any int32/uint32 representation) converted exactly into lo/hi. */
  cvtDFromWU(x: number): void {
    this.setD(x >>> 0);
  }
  /** fcvt.d.l: int64 (lo, hi) rounded per rm into lo/hi. */
  cvtDFromL(lo: number, hi: number, rm: number): void {
    this.int64ToD(hi | 0, lo >>> 0, rm);
  }
  /** fcvt.d.lu: uint64 (lo, hi) rounded per rm into lo/hi. */
  cvtDFromLU(lo: number, hi: number, rm: number): void {
    this.int64ToD(hi >>> 0, lo >>> 0, rm);
  }

  private int64ToD(hi: number, lo: number, rm: number): void {
    const h = hi * TWO_32;
    const v = h + lo;
    const bb = v - h;
    const err = h - (v - bb) + (lo - bb);
    if (err === 0) {
      this.setD(v);
      return;
    }
    this.flags |= FLAG_NX;
    this.setD(adjustD(v, err, rm));
  }

  /** fcvt.s.w: returns the binary32 bits of int32 x rounded per rm. */
  cvtSFromW(x: number, rm: number): number {
    x |= 0;
    if (x === 0) return 0;
    return this.roundS(x < 0, Math.abs(x), false, rm);
  }
  /** fcvt.s.wu: returns the binary32 bits of uint32 x rounded per rm. */
  cvtSFromWU(x: number, rm: number): number {
    x >>>= 0;
    if (x === 0) return 0;
    return this.roundS(false, x, false, rm);
  }
  /** fcvt.s.l: returns the binary32 bits of int64 (lo, hi) rounded per rm. */
  cvtSFromL(lo: number, hi: number, rm: number): number {
    return this.int64ToS(hi | 0, lo >>> 0, rm);
  }
  /** fcvt.s.lu: returns the binary32 bits of uint64 (lo, hi) rounded per rm. */
  cvtSFromLU(lo: number, hi: number, rm: number): number {
    return this.int64ToS(hi >>> 0, lo >>> 0, rm);
  }

  private int64ToS(hi: number, lo: number, rm: number): number {
    const h = hi * TWO_32;
    const v = h + lo;
    if (v === 0) return 0;
    const bb = v - h;
    return this.roundErrS(v, h - (v - bb) + (lo - bb), rm);
  }
}
