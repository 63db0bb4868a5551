import { createHostClock, type TraceClock } from "./clock.js";
import { encodeRecording } from "./export/recording.js";
import { RecordBatch } from "./ring/record-batch.js";
import { type OverflowPolicy, TraceRing } from "./ring/trace-ring.js";
import { Counter } from "./stats/counter.js";
import { Histogram, type HistogramSummary } from "./stats/histogram.js";
import type { TracepointSpec } from "./tracepoint/fields.js";
import { TracepointRegistry, type TracepointSelector, type TraceTable } from "./tracepoint/registry.js";
import {
  STANDARD_TRACEPOINTS,
  type StandardTracepointName,
  type StandardTracepointSpecOf,
} from "./tracepoint/standard.js";
import type { Tracepoint, TracepointMode, TraceSink, TypedTracepoint } from "./tracepoint/tracepoint.js";

export interface TracerOptions {
  /** The VM this session traces; `id` becomes the trace's process id. */
  readonly vm?: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  /** Records per ring (one ring per vCPU plus one for host events); a power of two. */
  readonly ringCapacity?: number;
  readonly overflow?: OverflowPolicy;
  /** Put rings in SharedArrayBuffers so worker threads can attach to them. */
  readonly shared?: boolean;
  readonly clock?: TraceClock;
  /** Defaults to the standard set. */
  readonly tracepoints?: readonly TracepointSpec[];
}

export interface TraceFilter {
  readonly tracepoints?: TracepointSelector;
  readonly vcpus?: readonly number[];
}

/** Receives the records of one drain that match its filter, oldest first. */
export type TraceListener = (batch: RecordBatch, table: TraceTable) => void;

export interface Subscription {
  unsubscribe(): void;
}

export interface TracepointStats {
  readonly name: string;
  readonly class: string;
  readonly mode: TracepointMode;
  readonly total: number;
  readonly perVcpu: readonly number[];
  readonly host: number;
  readonly latency?: HistogramSummary;
}

export interface RingStats {
  /** vCPU number, or `host`. */
  readonly vcpu: number | "host";
  readonly capacity: number;
  readonly pending: number;
  readonly lost: number;
}

/** Plain data, safe to serialize for management clients. */
export interface TracerStats {
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  readonly timestampNs: number;
  readonly tracepoints: readonly TracepointStats[];
  readonly counters: Readonly<Record<string, number>>;
  readonly histograms: Readonly<Record<string, HistogramSummary>>;
  readonly rings: readonly RingStats[];
}

interface Subscriber {
  readonly wanted: Uint8Array;
  readonly vcpus: ReadonlySet<number> | undefined;
  readonly listener: TraceListener;
}

interface ActiveRecording {
  readonly startNs: number;
  readonly lostAtStart: number[];
  readonly chunks: RecordBatch[];
}

/**
 * One VM's trace session: the tracepoint registry, a ring per vCPU, counters, histograms, and
 * the consumers (subscribers, recordings). Producers only touch tracepoints and rings; consumers
 * run on `drain`, so nothing on the emit path calls back into user code.
 */
export class Tracer implements TraceSink {
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  readonly registry: TracepointRegistry;
  readonly clock: TraceClock;
  private readonly rings: TraceRing[];
  private readonly hostRing: TraceRing;
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly subscribers = new Set<Subscriber>();
  private active: ActiveRecording | undefined;

  constructor(options: TracerOptions) {
    if (!(Number.isInteger(options.vcpus) && options.vcpus >= 0 && options.vcpus < 0xffff)) {
      throw new RangeError(`vcpus ${options.vcpus} out of range`);
    }
    this.vm = options.vm ?? { id: 1, name: "vm" };
    this.vcpus = options.vcpus;
    this.clock = options.clock ?? createHostClock();
    const ringOptions = {
      capacity: options.ringCapacity ?? 8192,
      policy: options.overflow ?? "overwrite",
      shared: options.shared ?? false,
    };
    this.rings = Array.from({ length: options.vcpus }, (_, vcpu) =>
      TraceRing.create({ ...ringOptions, vcpu }),
    );
    this.hostRing = TraceRing.create({ ...ringOptions, vcpu: 0xffff });
    this.registry = new TracepointRegistry(this, options.vcpus, options.tracepoints ?? STANDARD_TRACEPOINTS);
  }

  // TraceSink, used by tracepoints.
  ring(vcpu: number): TraceRing {
    return vcpu < this.vcpus ? this.rings[vcpu] : this.hostRing;
  }

  now(): number {
    return this.clock.now();
  }

  tracepoint<N extends StandardTracepointName>(name: N): TypedTracepoint<StandardTracepointSpecOf<N>>;
  tracepoint(name: string): Tracepoint;
  tracepoint(name: string): Tracepoint {
    return this.registry.get(name);
  }

  enable(selector: TracepointSelector, mode: Exclude<TracepointMode, "off"> = "trace"): number {
    return this.registry.enable(selector, mode);
  }

  disable(selector: TracepointSelector): number {
    return this.registry.disable(selector);
  }

  /** A named counter, created on first use. */
  counter(name: string): Counter {
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = new Counter(name);
      this.counters.set(name, counter);
    }
    return counter;
  }

  /** A named histogram, created on first use. */
  histogram(name: string, precisionBits?: number): Histogram {
    let histogram = this.histograms.get(name);
    if (histogram === undefined) {
      histogram = new Histogram(precisionBits);
      this.histograms.set(name, histogram);
    }
    return histogram;
  }

  /** Rings' buffers in vCPU order, then the host ring's (for attaching from other threads). */
  ringBuffers(): (ArrayBuffer | SharedArrayBuffer)[] {
    return [...this.rings, this.hostRing].map((ring) => ring.buffer);
  }

  /**
   * Empties every ring, hands matching records to subscribers and the active recording, and
   * returns all of them in time order. Call it from a timer or the management loop.
   */
  drain(): RecordBatch {
    const batches = [...this.rings, this.hostRing]
      .map((ring) => ring.drain())
      .filter((batch) => batch.length > 0);
    if (batches.length === 0) return RecordBatch.empty();
    const merged = batches.length === 1 ? batches[0] : RecordBatch.concat(batches).sortedByTime();
    this.active?.chunks.push(merged);
    if (this.subscribers.size > 0) {
      const table = this.registry.table();
      for (const subscriber of this.subscribers) {
        const picked = merged.filter(
          (batch, i) =>
            subscriber.wanted[batch.tracepointId(i)] === 1 &&
            (subscriber.vcpus === undefined || subscriber.vcpus.has(batch.vcpu(i))),
        );
        if (picked.length > 0) subscriber.listener(picked, table);
      }
    }
    return merged;
  }

  /** Drains every `intervalMs` until the returned function is called. */
  startAutoDrain(intervalMs = 100): () => void {
    const timer = setInterval(() => this.drain(), intervalMs);
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  }

  /**
   * Live events, delivered in batches on `drain`. Subscribing does not enable tracepoints:
   * enable the ones you want in `trace` mode.
   */
  subscribe(filter: TraceFilter, listener: TraceListener): Subscription {
    const wanted = new Uint8Array(this.registry.all().length);
    const selected =
      filter.tracepoints === undefined ? this.registry.all() : this.registry.select(filter.tracepoints);
    for (const tracepoint of selected) wanted[tracepoint.id] = 1;
    const subscriber: Subscriber = {
      wanted,
      vcpus: filter.vcpus === undefined ? undefined : new Set(filter.vcpus),
      listener,
    };
    this.subscribers.add(subscriber);
    return { unsubscribe: () => this.subscribers.delete(subscriber) };
  }

  get recording(): boolean {
    return this.active !== undefined;
  }

  /** Starts collecting drained records; records already in the rings are not included. */
  startRecording(): void {
    if (this.active !== undefined) throw new Error("a recording is already running");
    this.drain();
    this.active = { startNs: this.now(), lostAtStart: this.ringLoss(), chunks: [] };
  }

  /** Drains, stops, and returns the recording in the binary format (`readRecording` reads it). */
  stopRecording(): Uint8Array {
    if (this.active === undefined) throw new Error("no recording is running");
    this.drain();
    const active = this.active;
    this.active = undefined;
    const records = RecordBatch.concat(active.chunks).sortedByTime();
    const lost = this.ringLoss().map((value, i) => value - active.lostAtStart[i]);
    return encodeRecording(
      { vm: this.vm, vcpus: this.vcpus, startNs: active.startNs, endNs: this.now(), lost },
      this.registry.table(),
      records,
    );
  }

  stats(): TracerStats {
    const counters: Record<string, number> = {};
    for (const [name, counter] of this.counters) counters[name] = counter.value;
    const histograms: Record<string, HistogramSummary> = {};
    for (const [name, histogram] of this.histograms) histograms[name] = histogram.summary();
    return {
      vm: this.vm,
      vcpus: this.vcpus,
      timestampNs: this.now(),
      tracepoints: this.registry.all().map((tracepoint) => ({
        name: tracepoint.name,
        class: tracepoint.class,
        mode: tracepoint.mode,
        total: tracepoint.total,
        perVcpu: Array.from(tracepoint.counts.subarray(0, this.vcpus)),
        host: tracepoint.counts[this.vcpus],
        ...(tracepoint.latency === null ? {} : { latency: tracepoint.latency.summary() }),
      })),
      counters,
      histograms,
      rings: [...this.rings, this.hostRing].map((ring, i) => ({
        vcpu: i < this.vcpus ? i : "host",
        capacity: ring.capacity,
        pending: ring.pending,
        lost: ring.lost,
      })),
    };
  }

  /** Zeroes counts, histograms and named counters; rings are left alone. */
  resetStats(): void {
    for (const tracepoint of this.registry.all()) tracepoint.resetStats();
    for (const counter of this.counters.values()) counter.reset();
    for (const histogram of this.histograms.values()) histogram.reset();
  }

  private ringLoss(): number[] {
    return [...this.rings, this.hostRing].map((ring) => ring.lost);
  }
}
