import { Histogram } from "../stats/histogram.js";
import type { TraceEvent } from "../tracepoint/decode.js";

/** Raise→claim latency of one interrupt source. */
export interface IrqSourceLatency {
  readonly controller: string;
  readonly source: number;
  /** Nanoseconds from the line going (or staying) high to a context claiming it. */
  readonly latency: Histogram;
  readonly claims: number;
  readonly completes: number;
}

interface SourceState {
  readonly entry: IrqSourceLatency & { claims: number; completes: number };
  level: boolean;
  /** When the source last became pending, or -1 when it is not waiting for a claim. */
  since: number;
}

/**
 * Interrupt latency from `irq.raise` / `irq.claim` / `irq.complete` events, in time order: per
 * source, the time from the line rising (or from a completion that finds it still high, which
 * makes it pending again) to the claim.
 */
export class IrqLatency {
  private readonly states = new Map<string, SourceState>();
  private readonly precisionBits: number;

  constructor(precisionBits = 6) {
    this.precisionBits = precisionBits;
  }

  /** Feeds one event; events of other tracepoints are ignored. */
  add(event: TraceEvent): void {
    if (event.class !== "irq") return;
    const source = Number(event.fields.source ?? 0);
    // Claim and complete come from the PLIC, the only controller with contexts.
    const controller = event.name === "irq.raise" ? String(event.fields.controller ?? "plic") : "plic";
    const state = this.state(controller, source);
    switch (event.name) {
      case "irq.raise": {
        const high = Number(event.fields.level) !== 0;
        if (high && !state.level && state.since < 0) state.since = event.ts;
        if (!high) state.since = -1;
        state.level = high;
        break;
      }
      case "irq.claim":
        state.entry.claims++;
        if (state.since >= 0) state.entry.latency.record(Math.max(0, event.ts - state.since));
        state.since = -1;
        break;
      case "irq.complete":
        state.entry.completes++;
        if (state.level) state.since = event.ts;
        break;
    }
  }

  addAll(events: Iterable<TraceEvent>): this {
    for (const event of events) this.add(event);
    return this;
  }

  /** Sources seen, by controller then source number. */
  sources(): IrqSourceLatency[] {
    return [...this.states.values()]
      .map((s) => s.entry)
      .sort((a, b) =>
        a.controller < b.controller ? -1 : a.controller > b.controller ? 1 : a.source - b.source,
      );
  }

  private state(controller: string, source: number): SourceState {
    const key = `${controller}:${source}`;
    let state = this.states.get(key);
    if (state === undefined) {
      state = {
        entry: { controller, source, latency: new Histogram(this.precisionBits), claims: 0, completes: 0 },
        level: false,
        since: -1,
      };
      this.states.set(key, state);
    }
    return state;
  }
}
