/** The time source of a trace session, in nanoseconds. */
export interface TraceClock {
  now(): number;
}

/** Host monotonic time since the clock was created. */
export function createHostClock(): TraceClock {
  const origin = performance.now();
  return { now: () => (performance.now() - origin) * 1e6 };
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
