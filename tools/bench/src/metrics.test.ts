import { describe, expect, it } from "vitest";
import {
  bestOf,
  describeOverhead,
  describeRatio,
  mips,
  overheadPercent,
  speedRatio,
  withoutStartup,
} from "./metrics.js";

describe("benchmark arithmetic", () => {
  it("computes MIPS and refuses a zero time", () => {
    expect(mips(2_000_000_000, 25)).toBe(80);
    expect(mips(1, 0)).toBeUndefined();
  });

  it("keeps the shortest sample and needs at least one", () => {
    expect(bestOf([1.2, 0.9, 1.0])).toBe(0.9);
    expect(() => bestOf([])).toThrow(RangeError);
  });

  it("subtracts startup but never reaches zero", () => {
    expect(withoutStartup(0.778, 0.044)).toBeCloseTo(0.734, 9);
    expect(withoutStartup(0.05, 0.06)).toBeCloseTo(0.0005, 9);
  });

  it("gives monovisor's speed relative to QEMU", () => {
    expect(speedRatio(20, 1)).toBe(0.05);
    expect(speedRatio(1, 2)).toBe(2);
    expect(speedRatio(0, 1)).toBeUndefined();
  });

  it("describes ratios in words", () => {
    expect(describeRatio(0.05)).toBe("0.050 (20.0x slower)");
    expect(describeRatio(0.5)).toBe("0.50 (2.0x slower)");
    expect(describeRatio(1.001)).toBe("1.00 (parity)");
    expect(describeRatio(1.5)).toBe("1.50 (1.5x faster)");
  });

  it("gives a variant's overhead over its baseline in percent", () => {
    expect(overheadPercent(20, 20.4)).toBeCloseTo(2, 9);
    expect(overheadPercent(20, 19.8)).toBeCloseTo(-1, 9);
    expect(overheadPercent(0, 1)).toBeUndefined();
    expect(describeOverhead(1.234)).toBe("+1.23%");
    expect(describeOverhead(-0.4)).toBe("-0.40%");
  });
});
