import { describe, expect, it } from "vitest";
import { Histogram, HistogramMergeError } from "./histogram.js";

/** A small deterministic generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function exactPercentile(sorted: readonly number[], percent: number): number {
  return sorted[Math.max(1, Math.ceil((percent / 100) * sorted.length)) - 1];
}

describe("Histogram", () => {
  it.each([
    ["uniform small integers", (r: () => number) => Math.floor(r() * 50)],
    ["log-uniform latencies", (r: () => number) => Math.floor(2 ** (r() * 30))],
    ["huge values beyond 2^32", (r: () => number) => 2 ** 33 + r() * 2 ** 45],
  ])("percentiles of %s match a sorted-array reference within bucket precision", (_, draw) => {
    const random = lcg(42);
    const histogram = new Histogram(6);
    const values: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const value = draw(random);
      values.push(value);
      histogram.record(value);
    }
    values.sort((a, b) => a - b);
    for (const percent of [1, 10, 50, 90, 99, 99.9]) {
      const exact = exactPercentile(values, percent);
      const reported = histogram.percentile(percent);
      expect(Math.abs(reported - exact)).toBeLessThanOrEqual(Math.max(1, exact / 64));
    }
    const summary = histogram.summary();
    expect(summary.count).toBe(values.length);
    expect(summary.min).toBe(values[0]);
    expect(summary.max).toBe(values[values.length - 1]);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(summary.mean).toBeCloseTo(mean, 3);
    expect(summary.p999).toBe(histogram.percentile(99.9));
  });

  it("reports exact values below 2^precision", () => {
    const histogram = new Histogram(5);
    for (const value of [3, 3, 7, 9, 31]) histogram.record(value);
    expect(histogram.percentile(50)).toBe(7);
    expect(histogram.percentile(20)).toBe(3);
    expect(histogram.percentile(100)).toBe(31);
    expect(histogram.buckets().map((bucket) => [bucket.low, bucket.count])).toEqual([
      [3, 2],
      [7, 1],
      [9, 1],
      [31, 1],
    ]);
  });

  it("treats negative and NaN values as zero and is all zeros when empty", () => {
    const histogram = new Histogram();
    expect(histogram.summary()).toMatchObject({ count: 0, min: 0, max: 0, mean: 0, p99: 0 });
    histogram.record(-5);
    histogram.record(Number.NaN);
    expect(histogram.summary()).toMatchObject({ count: 2, min: 0, max: 0 });
  });

  it("merges into the same result as recording everything in one", () => {
    const random = lcg(7);
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 5000; i++) {
      const value = Math.floor(2 ** (random() * 20));
      (i % 3 === 0 ? a : b).record(value);
      both.record(value);
    }
    expect(a.merge(b).summary()).toEqual(both.summary());
    expect(a.buckets()).toEqual(both.buckets());
    expect(() => a.merge(new Histogram(4))).toThrow(HistogramMergeError);
  });

  it("bucket bounds contain their values", () => {
    const histogram = new Histogram(3);
    const value = 1_000_003;
    histogram.record(value);
    const [bucket] = histogram.buckets();
    expect(bucket.low).toBeLessThanOrEqual(value);
    expect(bucket.high).toBeGreaterThan(value);
    expect(bucket.high - bucket.low).toBeLessThanOrEqual(value / 8);
  });
});
