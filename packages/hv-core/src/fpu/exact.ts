/**
 * Exact IEEE-754 arithmetic on bit patterns with BigInt significands. This is the slow path for
 * hard cases (fused multiply-add, subnormal or overflowing results) and the reference the fast
 * paths are checked against. Inputs must be finite; NaN and infinity are handled by the caller.
 */
import { FLAG_NX, FLAG_OF, FLAG_UF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP } from "./constants.js";

/** Parameters of a binary interchange format. */
export interface FloatFormat {
  /** Stored fraction bits (23 or 52). */
  readonly mant: number;
  /** Exponent field width. */
  readonly ebits: number;
  /** Exponent bias. */
  readonly bias: number;
}

export const BINARY32: FloatFormat = { mant: 23, ebits: 8, bias: 127 };
export const BINARY64: FloatFormat = { mant: 52, ebits: 11, bias: 1023 };

/** Flags raised by the exact functions; the caller reads and clears them. */
export const exactState = { flags: 0 };

function bitLength(m: bigint): number {
  // toString(2) is linear and these values are at most a few thousand bits.
  return m === 0n ? 0 : m.toString(2).length;
}

interface Unpacked {
  neg: boolean;
  m: bigint;
  e: number;
}

function unpack(f: FloatFormat, bits: bigint): Unpacked {
  const mant = BigInt(f.mant);
  const neg = ((bits >> (mant + BigInt(f.ebits))) & 1n) === 1n;
  const exp = Number((bits >> mant) & ((1n << BigInt(f.ebits)) - 1n));
  const frac = bits & ((1n << mant) - 1n);
  if (exp === 0) return { neg, m: frac, e: 1 - f.bias - f.mant };
  return { neg, m: frac | (1n << mant), e: exp - f.bias - f.mant };
}

function signBit(f: FloatFormat, neg: boolean): bigint {
  return neg ? 1n << BigInt(f.mant + f.ebits) : 0n;
}

/** Rounds `m >> s` per `rm`; `sticky` means nonzero bits exist below `m`. */
function roundShift(m: bigint, s: number, sticky: boolean, neg: boolean, rm: number): bigint {
  if (s <= 0) return m << BigInt(-s);
  const sb = BigInt(s);
  const n = m >> sb;
  const r = m - (n << sb);
  const half = 1n << (sb - 1n);
  let up = false;
  switch (rm) {
    case RM_RNE:
      up = r > half || (r === half && (sticky || (n & 1n) === 1n));
      break;
    case RM_RTZ:
      break;
    case RM_RDN:
      up = neg && (r !== 0n || sticky);
      break;
    case RM_RUP:
      up = !neg && (r !== 0n || sticky);
      break;
    case RM_RMM:
      up = r >= half;
      break;
  }
  return up ? n + 1n : n;
}

/**
 * Rounds the value `(-1)^neg * (m + sticky*epsilon) * 2^e` to format `f` and returns its bits.
 * When `sticky` is set, `m` must carry at least two bits beyond the target precision.
 * Tininess is detected after rounding (as RISC-V requires).
 */
export function roundPack(
  f: FloatFormat,
  neg: boolean,
  m: bigint,
  e: number,
  sticky: boolean,
  rm: number,
): bigint {
  if (m === 0n) {
    // Only reachable with sticky=false from callers that already handled exact zeros.
    return signBit(f, neg);
  }
  const p = f.mant + 1;
  const emin = 1 - f.bias;
  const emax = f.bias;
  const len = bitLength(m);
  const E = e + len - 1; // floor(log2(|value|))
  const q = Math.max(E - p + 1, emin - p + 1); // exponent of the result's last place
  const s = q - e;
  let n = roundShift(m, s, sticky, neg, rm);
  const inexact = sticky || (s > 0 && n << BigInt(s) !== m);
  let Q = q;
  if (n === 1n << BigInt(p)) {
    n >>= 1n;
    Q++;
  }
  let flags = inexact ? FLAG_NX : 0;
  if (E < emin && inexact) {
    // Tiny unless rounding with unbounded exponent reaches 2^emin.
    let tiny = true;
    if (E === emin - 1) {
      const nu = roundShift(m, len - p, sticky, neg, rm);
      tiny = nu !== 1n << BigInt(p);
    }
    if (tiny) flags |= FLAG_UF;
  }
  if (n !== 0n && Q + p - 1 > emax) {
    exactState.flags |= FLAG_OF | FLAG_NX;
    const toInf = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && neg) || (rm === RM_RUP && !neg);
    const expAll = (1n << BigInt(f.ebits)) - 1n;
    const mag = toInf
      ? expAll << BigInt(f.mant)
      : ((expAll - 1n) << BigInt(f.mant)) | ((1n << BigInt(f.mant)) - 1n);
    return signBit(f, neg) | mag;
  }
  exactState.flags |= flags;
  const hidden = 1n << BigInt(f.mant);
  let bits: bigint;
  if (n < hidden)
    bits = n; // subnormal or zero (Q is emin - p + 1 here)
  else bits = (BigInt(Q + p - 1 + f.bias) << BigInt(f.mant)) | (n - hidden);
  return signBit(f, neg) | bits;
}

function zeroSum(f: FloatFormat, negA: boolean, negB: boolean, aZero: boolean, rm: number): bigint {
  // Exact zero sum: same-signed zeros keep the sign, anything else is +0 except under RDN.
  if (aZero && negA === negB) return signBit(f, negA);
  return signBit(f, rm === RM_RDN);
}

function addUnpacked(f: FloatFormat, a: Unpacked, b: Unpacked, rm: number): bigint {
  const e = Math.min(a.e, b.e);
  const ma = a.m << BigInt(a.e - e);
  const mb = b.m << BigInt(b.e - e);
  const sum = (a.neg ? -ma : ma) + (b.neg ? -mb : mb);
  if (sum === 0n) return zeroSum(f, a.neg, b.neg, a.m === 0n && b.m === 0n, rm);
  return sum < 0n ? roundPack(f, true, -sum, e, false, rm) : roundPack(f, false, sum, e, false, rm);
}

/** a + b for finite a, b. */
export function exactAdd(f: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  return addUnpacked(f, unpack(f, a), unpack(f, b), rm);
}

/** a * b for finite a, b. */
export function exactMul(f: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const x = unpack(f, a);
  const y = unpack(f, b);
  const neg = x.neg !== y.neg;
  const m = x.m * y.m;
  if (m === 0n) return signBit(f, neg);
  return roundPack(f, neg, m, x.e + y.e, false, rm);
}

/** a / b for finite a and finite nonzero b. */
export function exactDiv(f: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
  const x = unpack(f, a);
  const y = unpack(f, b);
  const neg = x.neg !== y.neg;
  if (x.m === 0n) return signBit(f, neg);
  // Enough quotient bits for the precision plus guard and round bits.
  const k = Math.max(0, f.mant + 4 + bitLength(y.m) - bitLength(x.m));
  const num = x.m << BigInt(k);
  const q = num / y.m;
  return roundPack(f, neg, q, x.e - y.e - k, q * y.m !== num, rm);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** sqrt(a) for finite a >= 0 (or -0, which is returned unchanged). */
export function exactSqrt(f: FloatFormat, a: bigint, rm: number): bigint {
  const x = unpack(f, a);
  if (x.m === 0n) return a;
  let k = Math.max(0, 2 * (f.mant + 4) - bitLength(x.m));
  if ((x.e - k) & 1) k++;
  const n = x.m << BigInt(k);
  const r = isqrt(n);
  return roundPack(f, false, r, (x.e - k) / 2, r * r !== n, rm);
}

/** a * b + c with a single rounding, for finite a, b, c. */
export function exactFma(f: FloatFormat, a: bigint, b: bigint, c: bigint, rm: number): bigint {
  const x = unpack(f, a);
  const y = unpack(f, b);
  const prod: Unpacked = { neg: x.neg !== y.neg, m: x.m * y.m, e: x.e + y.e };
  return addUnpacked(f, prod, unpack(f, c), rm);
}
