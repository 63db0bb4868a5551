/** Test doubles shared by the interrupt-controller tests. */
import type { Clock } from "../time/clock.js";
import type { InterruptTarget } from "./irq-line.js";

/** Records the level of each `mip` bit and every change request. */
export class FakeHart implements InterruptTarget {
  readonly levels = new Map<number, boolean>();
  readonly calls: [mipBit: number, level: boolean][] = [];

  setPending(mipBit: number, level: boolean): void {
    this.levels.set(mipBit, level);
    this.calls.push([mipBit, level]);
  }

  pending(mipBit: number): boolean {
    return this.levels.get(mipBit) ?? false;
  }
}

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  readonly frequencyHz = 10_000_000;
  ticks = 0;
  now(): number {
    return this.ticks;
  }
}

export function fakeHarts(count: number): FakeHart[] {
  return Array.from({ length: count }, () => new FakeHart());
}
