import { createHostClock, type HostTraceClock, type TraceClock } from "./clock.js";
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
import { StringTable } from "./tracepoint/strings.js";
import {
  LATENCY_PRECISION,
  type Tracepoint,
  type TracepointMode,
  type TracepointStorage,
  type TraceSink,
  type TypedTracepoint,
} from "./tracepoint/tracepoint.js";

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
  /** For the host ring of another thread: the key it was lent under (see `threadPort`). */
  readonly thread?: string;
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

/**
 * What another thread needs to emit into a tracer (structured-cloneable: every buffer is
 * shared). From {@link Tracer.threadPort}; {@link Tracer.forThread} turns it into a tracer.
 */
export interface TracerThreadPort {
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  readonly ringCapacity: number;
  readonly tracepoints: readonly TracepointSpec[];
  /** Every vCPU's ring, by vCPU. */
  readonly rings: readonly SharedArrayBuffer[];
  /** vCPUs whose rings this thread writes; nothing else writes them meanwhile. */
  readonly ownedVcpus: readonly number[];
  /** This thread's ring for everything else. */
  readonly hostRing: SharedArrayBuffer;
  /** Tracepoint modes, so enable/disable reaches the thread (see `sync`). */
  readonly flags: SharedArrayBuffer;
  readonly strings: SharedArrayBuffer;
  /** This thread's tracepoint counts and latency histograms. */
  readonly stats: SharedArrayBuffer;
  readonly clockOriginMs: number;
}

/** Another thread's share of a tracer, as the owning thread sees it. */
interface ThreadSlot {
  readonly key: string;
  readonly hostRing: TraceRing;
  readonly stats: SharedArrayBuffer;
  readonly storage: readonly TracepointStorage[];
  readonly latency: readonly (Histogram | null)[];
}

/** Per-tracepoint statistics laid out in one buffer: counts for all, then spans' histograms. */
function statsStorage(
  buffer: ArrayBuffer | SharedArrayBuffer | undefined,
  specs: readonly TracepointSpec[],
  vcpus: number,
): { buffer: ArrayBuffer | SharedArrayBuffer; storage: TracepointStorage[] } {
  const slots = vcpus + 1;
  const histogram = Histogram.storageLength(LATENCY_PRECISION);
  const spans = specs.filter((spec) => spec.kind === "span").length;
  const length = specs.length * slots + spans * histogram;
  const store = buffer ?? new SharedArrayBuffer(length * 8);
  if (store.byteLength !== length * 8) throw new TypeError("trace statistics buffer has the wrong size");
  const all = new Float64Array(store);
  let next = specs.length * slots;
  const storage = specs.map((spec, id) => {
    const counts = all.subarray(id * slots, (id + 1) * slots);
    if (spec.kind !== "span") return { counts };
    const latency = all.subarray(next, next + histogram);
    next += histogram;
    return { counts, latency };
  });
  return { buffer: store, storage };
}

const PRODUCER_ONLY =
  "this tracer only feeds the tracer its thread port came from: read, drain and record that one";

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
  /** True for a tracer made by {@link forThread}: it produces only. */
  readonly isThreadView: boolean;
  /** Its rings, flags and strings are in shared memory, so it can be lent to other threads. */
  readonly shared: boolean;
  private readonly rings: TraceRing[];
  private readonly hostRing: TraceRing;
  /** 1 where this thread writes the vCPU's ring itself; other vCPUs' records go to the host ring. */
  private readonly ownsRing: Uint8Array;
  private readonly ringCapacity: number;
  private readonly threads = new Map<string, ThreadSlot>();
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly subscribers = new Set<Subscriber>();
  private active: ActiveRecording | undefined;

  constructor(options: TracerOptions);
  /** @internal {@link forThread} */
  constructor(options: TracerOptions, port: TracerThreadPort);
  constructor(options: TracerOptions, port?: TracerThreadPort) {
    if (!(Number.isInteger(options.vcpus) && options.vcpus >= 0 && options.vcpus < 0xffff)) {
      throw new RangeError(`vcpus ${options.vcpus} out of range`);
    }
    this.vm = options.vm ?? { id: 1, name: "vm" };
    this.vcpus = options.vcpus;
    this.isThreadView = port !== undefined;
    this.shared = port !== undefined || options.shared === true;
    this.ownsRing = new Uint8Array(options.vcpus);
    if (port === undefined) {
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
      this.ringCapacity = this.hostRing.capacity;
      this.ownsRing.fill(1);
      this.registry = new TracepointRegistry(
        this,
        options.vcpus,
        options.tracepoints ?? STANDARD_TRACEPOINTS,
        { shared: ringOptions.shared },
      );
    } else {
      this.clock = createHostClock(port.clockOriginMs);
      this.rings = port.rings.map((buffer) => TraceRing.attach(buffer));
      this.hostRing = TraceRing.attach(port.hostRing);
      this.ringCapacity = port.ringCapacity;
      for (const vcpu of port.ownedVcpus) this.ownsRing[vcpu] = 1;
      const { storage } = statsStorage(port.stats, port.tracepoints, port.vcpus);
      this.registry = new TracepointRegistry(this, options.vcpus, port.tracepoints, {
        flags: port.flags,
        strings: StringTable.attach(port.strings),
        storage: (id) => storage[id],
      });
    }
  }

  /**
   * A tracer for another thread (a vCPU worker): it writes the rings of the vCPUs the port
   * names, its own host ring, counts and histograms, all in memory the owning tracer reads, on
   * the owning tracer's clock. Call {@link sync} now and then (per slice) to follow
   * enable/disable. It cannot drain, subscribe, record or report; the owning tracer does.
   *
   * @example
   * // in the worker, with `port` from tracer.threadPort(...) on the VM's thread:
   * const tracer = Tracer.forThread(port);
   * hart.attachTracer(tracer);
   * for (;;) { tracer.sync(); hart.run(20_000); }
   */
  static forThread(port: TracerThreadPort): Tracer {
    return new Tracer({ vm: port.vm, vcpus: port.vcpus }, port);
  }

  /**
   * Lends this tracer to another thread: returns what {@link forThread} takes there. That
   * thread writes the rings of `ownedVcpus` (stop it before lending them to another); from the
   * first port on, events this thread emits go to its host ring whatever their vCPU, so every
   * ring keeps a single writer. The same `key` returns the same thread slot again (its host
   * ring and statistics), for a thread that comes back. Needs `shared: true` and the host clock.
   */
  threadPort(key: string | number, ownedVcpus: readonly number[]): TracerThreadPort {
    this.ownerOnly();
    const hostRing = this.hostRing.buffer;
    if (!(hostRing instanceof SharedArrayBuffer) || this.registry.strings.buffer === undefined) {
      throw new Error("a tracer for other threads needs shared: true");
    }
    const originMs = (this.clock as Partial<HostTraceClock>).originMs;
    if (originMs === undefined)
      throw new Error("a tracer for other threads needs the host clock (the default)");
    for (const vcpu of ownedVcpus) {
      if (!(Number.isInteger(vcpu) && vcpu >= 0 && vcpu < this.vcpus))
        throw new RangeError(`vCPU ${vcpu} out of range 0..${this.vcpus - 1}`);
    }
    this.ownsRing.fill(0);
    const specs = this.registry.all().map((tracepoint) => tracepoint.spec);
    const name = String(key);
    let slot = this.threads.get(name);
    if (slot === undefined) {
      const { buffer, storage } = statsStorage(undefined, specs, this.vcpus);
      slot = {
        key: name,
        hostRing: TraceRing.create({
          capacity: this.ringCapacity,
          policy: this.hostRing.policy,
          shared: true,
          vcpu: 0xffff,
        }),
        stats: buffer as SharedArrayBuffer,
        storage,
        latency: storage.map((s) =>
          s.latency === undefined ? null : new Histogram(LATENCY_PRECISION, s.latency),
        ),
      };
      this.threads.set(name, slot);
    } else if (slot.storage.length !== specs.length) {
      throw new Error(`tracepoints were defined after thread ${name} first joined`);
    }
    return {
      vm: this.vm,
      vcpus: this.vcpus,
      ringCapacity: this.ringCapacity,
      tracepoints: specs,
      rings: this.rings.map((ring) => ring.buffer as SharedArrayBuffer),
      ownedVcpus: [...ownedVcpus],
      hostRing: slot.hostRing.buffer as SharedArrayBuffer,
      flags: this.registry.flagsBuffer as SharedArrayBuffer,
      strings: this.registry.strings.buffer,
      stats: slot.stats,
      clockOriginMs: originMs,
    };
  }

  /**
   * On a thread's tracer: starts or stops writing `vcpu`'s ring, when a vCPU moves between
   * threads (the one giving it up stops first). Taking a ring picks up where its last writer left.
   */
  setVcpuOwned(vcpu: number, owned: boolean): void {
    if (!this.isThreadView) throw new Error("only a thread's tracer takes and gives up vCPU rings");
    if (!(Number.isInteger(vcpu) && vcpu >= 0 && vcpu < this.vcpus))
      throw new RangeError(`vCPU ${vcpu} out of range 0..${this.vcpus - 1}`);
    if (owned && this.ownsRing[vcpu] === 0) this.rings[vcpu] = TraceRing.attach(this.rings[vcpu].buffer);
    this.ownsRing[vcpu] = owned ? 1 : 0;
  }

  /** Applies enable/disable made on other threads; one atomic load when there was none. */
  sync(): boolean {
    return this.registry.sync();
  }

  // TraceSink, used by tracepoints.
  ring(vcpu: number): TraceRing {
    return vcpu < this.vcpus && this.ownsRing[vcpu] === 1 ? this.rings[vcpu] : this.hostRing;
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

  /**
   * Empties every ring, hands matching records to subscribers and the active recording, and
   * returns all of them in time order. Call it from a timer or the management loop.
   */
  drain(): RecordBatch {
    this.ownerOnly();
    this.registry.sync();
    const batches = this.allRings()
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
    this.ownerOnly();
    const timer = setInterval(() => this.drain(), intervalMs);
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  }

  /**
   * Live events, delivered in batches on `drain`. Subscribing does not enable tracepoints:
   * enable the ones you want in `trace` mode.
   */
  subscribe(filter: TraceFilter, listener: TraceListener): Subscription {
    this.ownerOnly();
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
    this.ownerOnly();
    if (this.active !== undefined) throw new Error("a recording is already running");
    this.drain();
    this.active = { startNs: this.now(), lostAtStart: this.ringLoss(), chunks: [] };
  }

  /** Drains, stops, and returns the recording in the binary format (`readRecording` reads it). */
  stopRecording(): Uint8Array {
    this.ownerOnly();
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

  /** Counts and latencies include what other threads (see {@link threadPort}) emitted. */
  stats(): TracerStats {
    this.ownerOnly();
    const slots = [...this.threads.values()];
    const counters: Record<string, number> = {};
    for (const [name, counter] of this.counters) counters[name] = counter.value;
    const histograms: Record<string, HistogramSummary> = {};
    for (const [name, histogram] of this.histograms) histograms[name] = histogram.summary();
    return {
      vm: this.vm,
      vcpus: this.vcpus,
      timestampNs: this.now(),
      tracepoints: this.registry.all().map((tracepoint) => {
        const counts = Float64Array.from(tracepoint.counts);
        let latency = tracepoint.latency;
        for (const slot of slots) {
          const theirs = slot.storage[tracepoint.id]?.counts;
          if (theirs !== undefined) for (let i = 0; i < counts.length; i++) counts[i] += theirs[i];
          const their = slot.latency[tracepoint.id];
          if (latency !== null && their != null && their.count > 0) {
            latency = new Histogram(LATENCY_PRECISION).merge(latency).merge(their);
          }
        }
        let total = 0;
        for (const count of counts) total += count;
        return {
          name: tracepoint.name,
          class: tracepoint.class,
          mode: tracepoint.mode,
          total,
          perVcpu: Array.from(counts.subarray(0, this.vcpus)),
          host: counts[this.vcpus],
          ...(latency === null ? {} : { latency: latency.summary() }),
        };
      }),
      counters,
      histograms,
      rings: [
        ...[...this.rings, this.hostRing].map((ring, i) => ({
          vcpu: i < this.vcpus ? i : ("host" as const),
          capacity: ring.capacity,
          pending: ring.pending,
          lost: ring.lost,
        })),
        ...slots.map((slot) => ({
          vcpu: "host" as const,
          thread: slot.key,
          capacity: slot.hostRing.capacity,
          pending: slot.hostRing.pending,
          lost: slot.hostRing.lost,
        })),
      ],
    };
  }

  /**
   * Zeroes counts, histograms and named counters; rings are left alone. Counts other threads
   * add while this runs may be lost.
   */
  resetStats(): void {
    this.ownerOnly();
    for (const slot of this.threads.values()) new Float64Array(slot.stats).fill(0);
    for (const tracepoint of this.registry.all()) tracepoint.resetStats();
    for (const counter of this.counters.values()) counter.reset();
    for (const histogram of this.histograms.values()) histogram.reset();
  }

  /** Loss per vCPU ring, then of all host rings together. */
  private ringLoss(): number[] {
    const loss = [...this.rings, this.hostRing].map((ring) => ring.lost);
    for (const slot of this.threads.values()) loss[this.vcpus] += slot.hostRing.lost;
    return loss;
  }

  private allRings(): TraceRing[] {
    return [...this.rings, this.hostRing, ...[...this.threads.values()].map((slot) => slot.hostRing)];
  }

  private ownerOnly(): void {
    if (this.isThreadView) throw new Error(PRODUCER_ONLY);
  }
}
