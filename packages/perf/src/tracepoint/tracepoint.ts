import type { TraceRing } from "../ring/trace-ring.js";
import { Histogram } from "../stats/histogram.js";
import type { FieldLayout, PayloadArgs, TracepointKind, TracepointSpec } from "./fields.js";

/** Where enabled tracepoints put their records. */
export interface TraceSink {
  /** The ring of `vcpu`; unknown vCPUs share the host ring. */
  ring(vcpu: number): TraceRing;
  /** Nanoseconds on the session's clock. */
  now(): number;
}

/** `count` keeps counters and latency histograms only; `trace` also writes ring records. */
export type TracepointMode = "off" | "count" | "trace";

export const MODE_FLAG: Readonly<Record<TracepointMode, number>> = { off: 0, count: 1, trace: 2 };
export const FLAG_MODE: readonly TracepointMode[] = ["off", "count", "trace"];

/** Precision bits of a span's latency histogram. */
export const LATENCY_PRECISION = 6;

/** Where a tracepoint keeps its statistics, when not in arrays of its own (shared memory). */
export interface TracepointStorage {
  /** vCPUs + 1 slots. */
  readonly counts: Float64Array;
  /** `Histogram.storageLength(LATENCY_PRECISION)` slots, for a span. */
  readonly latency?: Float64Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One tracepoint. Hot paths test the plain `enabled` field inline and only then call `emit`:
 *
 *     if (trap.enabled) trap.emit(vcpu, durNs, cause, epcLo, epcHi, tvalLo, tvalHi, mode);
 *
 * so a disabled tracepoint costs one field load and a predictable branch. `emit` has fixed
 * arity (missing arguments are 0) and allocates nothing.
 */
export class Tracepoint {
  readonly id: number;
  readonly name: string;
  readonly class: string;
  readonly kind: TracepointKind;
  readonly spec: TracepointSpec;
  readonly fields: readonly FieldLayout[];
  /** Read-only: change it with the registry's `enable`/`disable`. */
  readonly enabled: boolean = false;
  /** True in `trace` mode: emits write ring records. */
  readonly capture: boolean = false;
  /** Events per vCPU since the last reset; the last slot counts host events. */
  readonly counts: Float64Array;
  /** Durations of a span, in nanoseconds; null for point tracepoints. */
  readonly latency: Histogram | null;
  private readonly hostSlot: number;
  private readonly hasValue: boolean;
  private readonly sink: TraceSink;

  constructor(
    id: number,
    spec: TracepointSpec,
    fields: readonly FieldLayout[],
    sink: TraceSink,
    vcpus: number,
    storage?: TracepointStorage,
  ) {
    this.id = id;
    this.name = spec.name;
    this.class = spec.class;
    this.kind = spec.kind;
    this.spec = spec;
    this.fields = fields;
    this.counts = storage?.counts ?? new Float64Array(vcpus + 1);
    this.hostSlot = vcpus;
    this.hasValue = fields[0]?.type === "f64";
    this.latency = spec.kind === "span" ? new Histogram(LATENCY_PRECISION, storage?.latency) : null;
    this.sink = sink;
  }

  get mode(): TracepointMode {
    return this.capture ? "trace" : this.enabled ? "count" : "off";
  }

  /** Total events over all vCPUs. */
  get total(): number {
    let sum = 0;
    for (const count of this.counts) sum += count;
    return sum;
  }

  emit(vcpu: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0): void {
    // Callers test `enabled` first; this repeat keeps an unguarded emit harmless.
    if (!this.enabled) return;
    this.counts[vcpu < this.hostSlot ? vcpu : this.hostSlot]++;
    if (this.latency !== null) this.latency.record(a);
    if (this.capture) {
      const sink = this.sink;
      if (this.hasValue) sink.ring(vcpu).write(this.id, vcpu, sink.now(), a, b, c, d, e, f, g, h);
      else sink.ring(vcpu).write(this.id, vcpu, sink.now(), 0, a, b, c, d, e, f, g);
    }
  }

  /** `emit` with a caller-supplied timestamp (a virtual clock, or a stamp taken earlier). */
  emitAt(ts: number, vcpu: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0): void {
    if (!this.enabled) return;
    this.counts[vcpu < this.hostSlot ? vcpu : this.hostSlot]++;
    if (this.latency !== null) this.latency.record(a);
    if (this.capture) {
      if (this.hasValue) this.sink.ring(vcpu).write(this.id, vcpu, ts, a, b, c, d, e, f, g, h);
      else this.sink.ring(vcpu).write(this.id, vcpu, ts, 0, a, b, c, d, e, f, g);
    }
  }

  /** Index of `label` in an enum field, for emitters to resolve once at setup. */
  enumValue(field: string, label: string): number {
    const layout = this.fields.find((candidate) => candidate.name === field);
    const index = layout?.values?.indexOf(label) ?? -1;
    if (index < 0) throw new RangeError(`${this.name}: ${field} has no value "${label}"`);
    return index;
  }

  /** @internal Used by the registry. */
  setMode(mode: TracepointMode): void {
    const self = this as Mutable<Tracepoint>;
    self.enabled = mode !== "off";
    self.capture = mode === "trace";
  }

  resetStats(): void {
    this.counts.fill(0);
    this.latency?.reset();
  }
}

/** A tracepoint whose emit arity follows its field list (a `u64` field takes lo and hi). */
export type TypedTracepoint<S extends TracepointSpec> = Omit<Tracepoint, "emit" | "emitAt"> & {
  emit(vcpu: number, ...payload: PayloadArgs<S["fields"]>): void;
  emitAt(ts: number, vcpu: number, ...payload: PayloadArgs<S["fields"]>): void;
};
