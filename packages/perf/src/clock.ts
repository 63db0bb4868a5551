/** The time source of a trace session, in nanoseconds. */
export interface TraceClock {
  now(): number;
}

/** Host monotonic time; `originMs` is its zero on the shared time line (`timeOrigin + now()`). */
export interface HostTraceClock extends TraceClock {
  readonly originMs: number;
}

/**
 * Host monotonic time since the clock was created, or since `originMs` (a moment on the time
 * line every thread shares, `performance.timeOrigin + performance.now()`): clocks made on
 * different threads with the same origin agree.
 */
export function createHostClock(originMs?: number): HostTraceClock {
  // Each thread's performance.now() counts from its own timeOrigin; fold the difference into
  // one constant so the per-call arithmetic stays on small, precise numbers.
  const offset = originMs === undefined ? -performance.now() : performance.timeOrigin - originMs;
  const origin = originMs ?? performance.timeOrigin - offset;
  return { originMs: origin, now: () => (performance.now() + offset) * 1e6 };
}

/** A clock that only moves when told to: for deterministic runs and tests. */
export class ManualClock implements TraceClock {
  private current: number;

  constructor(startNs = 0) {
    this.current = startNs;
  }

  now(): number {
    return this.current;
  }

  set(ns: number): void {
    this.current = ns;
  }

  advance(ns: number): void {
    this.current += ns;
  }
}
