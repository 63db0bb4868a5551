/**
 * 64-bit integer helpers over (lo, hi) int32 pairs, for the interpreter (DESIGN §3: no BigInt on
 * the hot path). Results go to {@link out}: `out[0]` = low word, `out[1]` = high word.
 */
export const out = new Int32Array(2);

const TWO32 = 4294967296;

/** Unsigned 32×32 → 64 product of `a` and `b` into {@link out}. */
export function umul32(a: number, b: number): void {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[0] = (mid << 16) | (p00 & 0xffff);
  out[1] = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
}

/** Low 64 bits of a 64×64 product. */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  umul32(aLo, bLo);
  out[1] = (out[1] + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
}

/** High 64 bits of the unsigned 128-bit product. */
export function mulhu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  umul32(aLo, bLo);
  const p0h = out[1] >>> 0;
  umul32(aLo, bHi);
  const p1l = out[0] >>> 0;
  const p1h = out[1] >>> 0;
  umul32(aHi, bLo);
  const p2l = out[0] >>> 0;
  const p2h = out[1] >>> 0;
  umul32(aHi, bHi);
  const p3l = out[0] >>> 0;
  const p3h = out[1] >>> 0;
  const w1 = p0h + p1l + p2l;
  const w2 = p1h + p2h + p3l + Math.floor(w1 / TWO32);
  const w3 = p3h + Math.floor(w2 / TWO32);
  out[0] = w2 | 0;
  out[1] = w3 | 0;
}

/** `out -= (bLo, bHi)` on the 64-bit value in {@link out}. */
function subFromOut(bLo: number, bHi: number): void {
  const lo = out[0];
  const rLo = (lo - bLo) | 0;
  const borrow = lo >>> 0 < bLo >>> 0 ? 1 : 0;
  out[0] = rLo;
  out[1] = (out[1] - bHi - borrow) | 0;
}

/** High 64 bits of the signed × signed product. */
export function mulh64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulhu64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subFromOut(bLo, bHi);
  if (bHi < 0) subFromOut(aLo, aHi);
}

/** High 64 bits of the signed × unsigned product. */
export function mulhsu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulhu64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subFromOut(bLo, bHi);
}

function fromNumber(v: number): void {
  // |v| < 2^53: split into words exactly
  const hi = Math.floor(v / TWO32);
  out[0] = (v - hi * TWO32) | 0;
  out[1] = hi | 0;
}

/** True when the signed 64-bit value fits in a double exactly (|v| < 2^52). */
function smallSigned(hi: number): boolean {
  const t = hi >> 20;
  return t === 0 || t === -1;
}

/** Remainder of the last {@link udivmod64}: `rem[0]` low word, `rem[1]` high word. */
const rem = new Int32Array(2);

/**
 * Unsigned 64-bit divide of (aLo, aHi) by a nonzero (bLo, bHi): quotient into {@link out},
 * remainder into `rem`. Exact, using doubles only where they are exact (DESIGN §3: no BigInt).
 */
function udivmod64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const ua = aLo >>> 0;
  const ub = bLo >>> 0;
  if (bHi === 0) {
    // Long division by a 32-bit divisor in 32/16/16-bit steps; every intermediate is < 2^48.
    const ah = aHi >>> 0;
    const q2 = Math.floor(ah / ub);
    let r = ah - q2 * ub;
    let t = r * 65536 + (ua >>> 16);
    const q1 = Math.floor(t / ub);
    r = t - q1 * ub;
    t = r * 65536 + (ua & 0xffff);
    const q0 = Math.floor(t / ub);
    r = t - q0 * ub;
    out[0] = ((q1 << 16) + q0) | 0;
    out[1] = q2 | 0;
    rem[0] = r | 0;
    rem[1] = 0;
    return;
  }
  // The divisor is >= 2^32, so the quotient is < 2^32. A double estimate is within 2 of it;
  // start below the true quotient (so q*b cannot wrap) and correct upward.
  const a = (aHi >>> 0) * TWO32 + ua;
  const b = (bHi >>> 0) * TWO32 + ub;
  let q = Math.max(0, Math.floor(a / b) - 2);
  umul32(q, bLo);
  let pLo = out[0];
  const pHi = (out[1] + Math.imul(q, bHi)) | 0;
  let rLo = (aLo - pLo) | 0;
  let rHi = (aHi - pHi - (ua < pLo >>> 0 ? 1 : 0)) | 0;
  while (rHi >>> 0 > bHi >>> 0 || (rHi === bHi && rLo >>> 0 >= ub)) {
    pLo = rLo;
    rLo = (rLo - bLo) | 0;
    rHi = (rHi - bHi - (pLo >>> 0 < ub ? 1 : 0)) | 0;
    q++;
  }
  out[0] = q | 0;
  out[1] = 0;
  rem[0] = rLo;
  rem[1] = rHi;
}

/** RISC-V's result for a zero divisor: all ones for a quotient, the dividend for a remainder. */
function divideByZero(aLo: number, aHi: number, remainder: boolean): void {
  out[0] = remainder ? aLo : -1;
  out[1] = remainder ? aHi : -1;
}

/**
 * Signed 64-bit division or remainder with RISC-V semantics: x/0 = -1, x%0 = x,
 * INT64_MIN / -1 = INT64_MIN, INT64_MIN % -1 = 0.
 */
export function div64(aLo: number, aHi: number, bLo: number, bHi: number, remainder: boolean): void {
  if ((bLo | bHi) === 0) {
    divideByZero(aLo, aHi, remainder);
    return;
  }
  if (smallSigned(aHi) && smallSigned(bHi)) {
    const a = aHi * TWO32 + (aLo >>> 0);
    const b = bHi * TWO32 + (bLo >>> 0);
    const q = Math.trunc(a / b);
    fromNumber(remainder ? a - q * b : q);
    return;
  }
  const negA = aHi < 0;
  const negB = bHi < 0;
  // |INT64_MIN| wraps to itself, which is its correct unsigned magnitude.
  if (negA) {
    aHi = (~aHi + (aLo === 0 ? 1 : 0)) | 0;
    aLo = -aLo | 0;
  }
  if (negB) {
    bHi = (~bHi + (bLo === 0 ? 1 : 0)) | 0;
    bLo = -bLo | 0;
  }
  udivmod64(aLo, aHi, bLo, bHi);
  let lo: number;
  let hi: number;
  let negate: boolean;
  if (remainder) {
    lo = rem[0];
    hi = rem[1];
    negate = negA;
  } else {
    lo = out[0];
    hi = out[1];
    negate = negA !== negB;
  }
  if (negate) {
    out[1] = (~hi + (lo === 0 ? 1 : 0)) | 0;
    out[0] = -lo | 0;
  } else {
    out[0] = lo;
    out[1] = hi;
  }
}

/** Unsigned 64-bit division or remainder: x/0 = 2^64-1, x%0 = x. */
export function divu64(aLo: number, aHi: number, bLo: number, bHi: number, remainder: boolean): void {
  if ((bLo | bHi) === 0) {
    divideByZero(aLo, aHi, remainder);
    return;
  }
  if (aHi >>> 20 === 0 && bHi >>> 20 === 0) {
    const a = (aHi >>> 0) * TWO32 + (aLo >>> 0);
    const b = (bHi >>> 0) * TWO32 + (bLo >>> 0);
    const q = Math.floor(a / b);
    fromNumber(remainder ? a - q * b : q);
    return;
  }
  udivmod64(aLo, aHi, bLo, bHi);
  if (remainder) {
    out[0] = rem[0];
    out[1] = rem[1];
  }
}

/** Signed 32-bit division/remainder (the W forms), result sign-extended into {@link out}. */
export function div32(a: number, b: number, remainder: boolean): void {
  let r: number;
  if (b === 0) r = remainder ? a : -1;
  else if (b === -1 && a === -2147483648) r = remainder ? 0 : a;
  else r = remainder ? (a % b) | 0 : (a / b) | 0;
  out[0] = r;
  out[1] = r >> 31;
}

/** Unsigned 32-bit division/remainder (the W forms), result sign-extended into {@link out}. */
export function divu32(a: number, b: number, remainder: boolean): void {
  const ua = a >>> 0;
  const ub = b >>> 0;
  let r: number;
  if (ub === 0) r = remainder ? a : -1;
  else r = remainder ? (ua % ub) | 0 : Math.floor(ua / ub) | 0;
  out[0] = r;
  out[1] = r >> 31;
}

/** Count of leading zeros of a 64-bit value. */
export function clz64(lo: number, hi: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** Count of trailing zeros of a 32-bit value (32 for zero). */
export function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

/** Count of set bits of a 32-bit value. */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) | 0;
}

/** Logical left shift by 0..63 into {@link out}. */
export function shl64(lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (sh < 32) {
    out[1] = (hi << sh) | (lo >>> (32 - sh));
    out[0] = lo << sh;
  } else {
    out[1] = lo << (sh - 32);
    out[0] = 0;
  }
}

/** Logical right shift by 0..63 into {@link out}. */
export function shr64(lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (sh < 32) {
    out[0] = (lo >>> sh) | (hi << (32 - sh));
    out[1] = hi >>> sh;
  } else {
    out[0] = hi >>> (sh - 32);
    out[1] = 0;
  }
}

/** Arithmetic right shift by 0..63 into {@link out}. */
export function sar64(lo: number, hi: number, sh: number): void {
  if (sh === 0) {
    out[0] = lo;
    out[1] = hi;
  } else if (sh < 32) {
    out[0] = (lo >>> sh) | (hi << (32 - sh));
    out[1] = hi >> sh;
  } else {
    out[0] = hi >> (sh - 32);
    out[1] = hi >> 31;
  }
}

/** Rotate right by 0..63 into {@link out}. */
export function rotr64(lo: number, hi: number, sh: number): void {
  if (sh >= 32) {
    const t = lo;
    lo = hi;
    hi = t;
    sh -= 32;
  }
  if (sh === 0) {
    out[0] = lo;
    out[1] = hi;
  } else {
    out[0] = (lo >>> sh) | (hi << (32 - sh));
    out[1] = (hi >>> sh) | (lo << (32 - sh));
  }
}

/** Byte-swaps a 32-bit value. */
export function bswap32(v: number): number {
  return (v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24) | 0;
}

/** Each byte becomes 0xff when nonzero, else 0x00 (Zbb `orc.b` on one word). */
export function orcb32(v: number): number {
  let r = 0;
  if (v & 0xff) r |= 0xff;
  if (v & 0xff00) r |= 0xff00;
  if (v & 0xff0000) r |= 0xff0000;
  if (v & 0xff000000) r |= 0xff000000;
  return r | 0;
}
