/**
 * The platform time base (`mtime`, the `time` CSR). Ticks count at `frequencyHz`; the `virt`
 * board runs at 10 MHz as QEMU's does.
 */
export interface Clock {
  readonly frequencyHz: number;
  /** Current time in ticks. Exact as long as it stays below 2^53. */
  now(): number;
}

/** Ticks follow the host's monotonic clock from the moment of construction. */
export class WallClock implements Clock {
  private readonly start = performance.now();
  constructor(readonly frequencyHz = 10_000_000) {}
  now(): number {
    return Math.floor((performance.now() - this.start) * (this.frequencyHz / 1000));
  }
}

/** Ticks derived from a count (e.g. retired instructions): the same inputs give the same times. */
export class VirtualClock implements Clock {
  constructor(
    private readonly count: () => number,
    readonly frequencyHz = 10_000_000,
    private readonly countsPerTick = 10,
  ) {}
  now(): number {
    return Math.floor(this.count() / this.countsPerTick);
  }
}
