/**
 * The platform time base (`mtime`, the `time` CSR). Ticks count at `frequencyHz`; the `virt`
 * board runs at 10 MHz as QEMU's does.
 */
export interface Clock {
  readonly frequencyHz: number;
  /** Current time in ticks. Exact as long as it stays below 2^53. */
  now(): number;
}

/**
 * Ticks follow the host's monotonic clock from `originMs`, by default the moment of construction.
 *
 * Clocks in different threads agree when they share an origin: `performance.now()` counts from a
 * different point in each worker, so the origin is an absolute host time in milliseconds
 * (`performance.timeOrigin + performance.now()`), which the main thread passes to its workers.
 *
 * @example
 * const clock = new WallClock(); // main thread, at VM creation
 * new Worker(url, { workerData: { originMs: clock.originMs } });
 * // in the worker:
 * const workerClock = new WallClock(10_000_000, workerData.originMs);
 */
export class WallClock implements Clock {
  /** Absolute host time (ms since `performance.timeOrigin`'s epoch) at which ticks are 0. */
  readonly originMs: number;
  /** The origin in this thread's `performance.now()` terms. */
  private readonly start: number;
  constructor(
    readonly frequencyHz = 10_000_000,
    originMs?: number,
  ) {
    if (originMs === undefined) {
      this.start = performance.now();
      this.originMs = performance.timeOrigin + this.start;
    } else {
      this.originMs = originMs;
      this.start = originMs - performance.timeOrigin;
    }
  }
  now(): number {
    // An origin passed in is rounded to the precision of an absolute time (well under a
    // microsecond), so right after it the difference can dip below zero.
    return Math.max(0, Math.floor((performance.now() - this.start) * (this.frequencyHz / 1000)));
  }
}

/**
 * The absolute host time (ms, as `performance.timeOrigin + performance.now()`) at which a clock
 * that follows the host's pace read 0: a `WallClock` built on it, in any thread, reads what
 * `clock` reads (e.g. a restored machine's clock, which continues from its saved time).
 */
export function absoluteOrigin(clock: Clock): number {
  // The host time halfway between the two host readings around the clock's.
  const before = performance.now();
  const ticks = clock.now();
  const after = performance.now();
  return performance.timeOrigin + (before + after) / 2 - (ticks * 1000) / clock.frequencyHz;
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

/**
 * Time of a deterministic machine: ticks follow a count of retired instructions, and
 * {@link advanceBy} skips ahead when every hart waits, so no reading depends on the host.
 * Readings never go backwards, even if the count is momentarily low.
 */
export class InstructionClock implements Clock {
  private skipped = 0;
  private last = 0;
  constructor(
    private readonly count: () => number,
    readonly frequencyHz = 10_000_000,
    readonly countsPerTick = 10,
  ) {}
  now(): number {
    const t = this.skipped + Math.floor(this.count() / this.countsPerTick);
    if (t > this.last) this.last = t;
    return this.last;
  }
  /** Moves time forward by `ticks` (the jump to the next deadline). */
  advanceBy(ticks: number): void {
    if (!(ticks > 0)) return;
    const now = this.now();
    this.skipped = now + ticks - Math.floor(this.count() / this.countsPerTick);
    this.last = now + ticks;
  }
}
