import type { Clock } from "@monovisor/hv-core";

/**
 * The clock of a restored machine: it reads `at` (the saved time) while devices are restored,
 * then continues from there at the base clock's pace, so the guest sees no jump in `time`.
 */
export class SnapshotClock implements Clock {
  readonly frequencyHz: number;
  private frozen: number | undefined;
  private offset = 0;

  constructor(
    private readonly base: Clock,
    at: number,
  ) {
    this.frequencyHz = base.frequencyHz;
    this.frozen = at;
  }

  now(): number {
    return this.frozen ?? this.base.now() + this.offset;
  }

  /** Lets time run on from the saved reading. */
  release(): void {
    if (this.frozen === undefined) return;
    this.offset = this.frozen - this.base.now();
    this.frozen = undefined;
  }
}
