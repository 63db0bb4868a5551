/** Million instructions per second; undefined when the time is not positive. */
export function mips(instructions: number, seconds: number): number | undefined {
  return seconds > 0 ? instructions / seconds / 1e6 : undefined;
}

/** The best of repeated timings: the shortest, since noise only ever adds time. */
export function bestOf(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError("no samples");
  return Math.min(...samples);
}

/**
 * Seconds of guest work in a run whose wall time includes process startup. Clamped so a noisy
 * startup sample cannot produce a zero or negative time.
 */
export function withoutStartup(totalSeconds: number, startupSeconds: number): number {
  return Math.max(totalSeconds - startupSeconds, totalSeconds * 0.01);
}

/**
 * monovisor's speed relative to QEMU for the same work: QEMU's time over monovisor's. 1 is parity,
 * 0.1 means monovisor takes ten times as long, 2 means it takes half as long.
 */
export function speedRatio(monovisorSeconds: number, qemuSeconds: number): number | undefined {
  return monovisorSeconds > 0 && qemuSeconds > 0 ? qemuSeconds / monovisorSeconds : undefined;
}

/**
 * How much longer a variant takes than its baseline for the same work, in percent: 2 means 2 %
 * slower, negative means faster (noise). Undefined when a time is not positive.
 */
export function overheadPercent(baselineSeconds: number, seconds: number): number | undefined {
  return baselineSeconds > 0 && seconds > 0 ? (seconds / baselineSeconds - 1) * 100 : undefined;
}

/** An overhead for people: `+1.23%`, `-0.40%`. */
export function describeOverhead(percent: number): string {
  return `${percent >= 0 ? "+" : ""}${percent.toFixed(2)}%`;
}

/** A speed ratio for people: `0.031 (32.3x slower)`, `1.00 (parity)`, `1.50 (1.5x faster)`. */
export function describeRatio(ratio: number): string {
  const digits = ratio < 0.1 ? 3 : 2;
  const value = ratio.toFixed(digits);
  if (Math.abs(ratio - 1) < 0.005) return `${value} (parity)`;
  return ratio < 1
    ? `${value} (${(1 / ratio).toFixed(1)}x slower)`
    : `${value} (${ratio.toFixed(1)}x faster)`;
}
