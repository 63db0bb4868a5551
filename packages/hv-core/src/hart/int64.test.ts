import { describe, expect, it } from "vitest";
import { div64, divu64, mul64, mulh64, mulhsu64, mulhu64, out } from "./int64.js";

const MASK = (1n << 64n) - 1n;
const lo = (v: bigint) => Number(BigInt.asIntN(32, v));
const hi = (v: bigint) => Number(BigInt.asIntN(32, v >> 32n));
const result = () => (BigInt(out[1] >>> 0) << 32n) | BigInt(out[0] >>> 0);

/** Deterministic operands biased to the edges where word-split arithmetic goes wrong. */
function operands(count: number): bigint[] {
  let seed = 0x2545f491n;
  const next = () => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & MASK;
    return seed;
  };
  const edges = [
    0n,
    1n,
    2n,
    3n,
    0xffffffffn,
    0x100000000n,
    1n << 52n,
    (1n << 53n) + 1n,
    1n << 63n,
    MASK,
    MASK - 1n,
  ];
  const values: bigint[] = [...edges];
  while (values.length < count) {
    const r = next();
    const shift = next() % 64n;
    values.push(next() % 3n === 0n ? r >> shift : r);
  }
  return values;
}

describe("64-bit multiply and divide on word pairs", () => {
  const values = operands(160);
  it("matches BigInt for mul, mulh, mulhsu, mulhu", () => {
    for (const a of values) {
      for (const b of values) {
        const sa = BigInt.asIntN(64, a);
        const sb = BigInt.asIntN(64, b);
        mul64(lo(a), hi(a), lo(b), hi(b));
        expect(result()).toBe((a * b) & MASK);
        mulhu64(lo(a), hi(a), lo(b), hi(b));
        expect(result()).toBe((a * b) >> 64n);
        mulh64(lo(a), hi(a), lo(b), hi(b));
        expect(result()).toBe(BigInt.asUintN(64, (sa * sb) >> 64n));
        mulhsu64(lo(a), hi(a), lo(b), hi(b));
        expect(result()).toBe(BigInt.asUintN(64, (sa * b) >> 64n));
      }
    }
  });

  it("matches BigInt for div, divu, rem, remu with RISC-V's special cases", () => {
    for (const a of values) {
      for (const b of values) {
        const sa = BigInt.asIntN(64, a);
        const sb = BigInt.asIntN(64, b);
        divu64(lo(a), hi(a), lo(b), hi(b), false);
        expect(result()).toBe(b === 0n ? MASK : a / b);
        divu64(lo(a), hi(a), lo(b), hi(b), true);
        expect(result()).toBe(b === 0n ? a : a % b);
        const overflow = sa === -(1n << 63n) && sb === -1n;
        div64(lo(a), hi(a), lo(b), hi(b), false);
        expect(result()).toBe(b === 0n ? MASK : overflow ? a : BigInt.asUintN(64, sa / sb));
        div64(lo(a), hi(a), lo(b), hi(b), true);
        expect(result()).toBe(b === 0n ? a : overflow ? 0n : BigInt.asUintN(64, sa % sb));
      }
    }
  });
});
