import { describe, expect, it } from "vitest";
import { absoluteOrigin, WallClock } from "./clock.js";

describe("WallClock", () => {
  it("starts at 0 and exposes its origin as an absolute host time", () => {
    const before = performance.timeOrigin + performance.now();
    const clock = new WallClock();
    const after = performance.timeOrigin + performance.now();
    expect(clock.frequencyHz).toBe(10_000_000);
    expect(clock.originMs).toBeGreaterThanOrEqual(before);
    expect(clock.originMs).toBeLessThanOrEqual(after);
    expect(clock.now()).toBeGreaterThanOrEqual(0);
    expect(clock.now()).toBeLessThan(10_000_000); // well under a second
  });

  it("clocks built on one origin agree, and an earlier origin reads later", () => {
    const a = new WallClock(1_000_000);
    const b = new WallClock(1_000_000, a.originMs);
    const earlier = new WallClock(1_000_000, a.originMs - 2000);
    const ta = a.now();
    const tb = b.now();
    const ta2 = a.now();
    // The absolute origin is rounded to well under a microsecond: allow one tick.
    expect(tb).toBeGreaterThanOrEqual(ta - 1);
    expect(tb).toBeLessThanOrEqual(ta2 + 1);
    // Each reading floors on its own and the origins are rounded: allow two ticks.
    expect(earlier.now() - a.now()).toBeGreaterThanOrEqual(2_000_000 - 2);
    expect(earlier.originMs).toBe(a.originMs - 2000);
  });

  it("never reads below zero, even for an origin a moment in the future", () => {
    const clock = new WallClock(10_000_000, performance.timeOrigin + performance.now() + 5);
    expect(clock.now()).toBe(0);
  });

  it("carries a clock that runs on from another reading to other threads through its origin", () => {
    const base = new WallClock(10_000_000);
    // As a restored machine's clock: 12.3 s ahead of its base, at the same pace.
    const ahead = { frequencyHz: 10_000_000, now: () => base.now() + 123_000_000 };
    const copy = new WallClock(10_000_000, absoluteOrigin(ahead));
    const before = ahead.now();
    const read = copy.now();
    const after = ahead.now();
    // Within 20 µs: the origin comes from host readings taken around the clock's.
    expect(read).toBeGreaterThanOrEqual(before - 200);
    expect(read).toBeLessThanOrEqual(after + 200);
  });
});
