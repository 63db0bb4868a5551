import { RecordBatch } from "./record-batch.js";
import { RECORD_BYTES, RECORD_WORDS } from "./record-layout.js";

/** What a full ring does with a new record: replace the oldest, or drop the new one. */
export type OverflowPolicy = "overwrite" | "stop";

const RING_MAGIC = 0x4d565247; // "MVRG"
const RING_LAYOUT_VERSION = 1;
/** Header words; records start after them, 8-byte aligned. */
const HEADER_WORDS = 16;
const H_MAGIC = 0;
const H_VERSION = 1;
const H_CAPACITY = 2;
const H_POLICY = 3;
const H_WRITTEN = 4; // records accepted, modulo 2^32; written only by the producer
const H_READ = 5; // records consumed, modulo 2^32; written only by the consumer
const H_DROPPED = 6; // "stop" policy: records refused while full
const H_OVERWRITTEN = 7; // "overwrite" policy: records replaced before they were drained
const H_VCPU = 8;

export interface TraceRingOptions {
  /** Records; rounded up to a power of two. */
  readonly capacity: number;
  readonly policy?: OverflowPolicy;
  /** Back the ring with a SharedArrayBuffer so another thread can produce or consume. */
  readonly shared?: boolean;
  readonly vcpu?: number;
}

/**
 * A single-producer single-consumer ring of fixed-size trace records in one (optionally shared)
 * buffer. Positions are free-running 32-bit counters, so producer and consumer never write the
 * same word; the producer publishes with an atomic store after the record is complete.
 */
export class TraceRing {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  readonly vcpu: number;
  private readonly header: Int32Array;
  private readonly words: Uint32Array;
  private readonly f64: Float64Array;
  private readonly mask: number;
  private readonly stopWhenFull: boolean;
  private readonly shared: boolean;
  /** The producer's own copy of H_WRITTEN, so writing needs no shared load. */
  private written: number;

  private constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.buffer = buffer;
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    if (this.header[H_MAGIC] !== RING_MAGIC || this.header[H_VERSION] !== RING_LAYOUT_VERSION) {
      throw new TypeError("buffer does not hold a trace ring");
    }
    this.capacity = this.header[H_CAPACITY];
    this.mask = this.capacity - 1;
    this.policy = this.header[H_POLICY] === 1 ? "stop" : "overwrite";
    this.stopWhenFull = this.policy === "stop";
    this.shared = typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
    this.vcpu = this.header[H_VCPU];
    this.words = new Uint32Array(buffer, HEADER_WORDS * 4, this.capacity * RECORD_WORDS);
    this.f64 = new Float64Array(buffer, HEADER_WORDS * 4, (this.capacity * RECORD_WORDS) / 2);
    this.written = Atomics.load(this.header, H_WRITTEN) >>> 0;
  }

  static create(options: TraceRingOptions): TraceRing {
    if (!(options.capacity >= 1 && options.capacity <= 1 << 24)) {
      throw new RangeError(`ring capacity ${options.capacity} out of range 1..2^24`);
    }
    let capacity = 1;
    while (capacity < options.capacity) capacity <<= 1;
    const bytes = HEADER_WORDS * 4 + capacity * RECORD_BYTES;
    const buffer = options.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    const header = new Int32Array(buffer, 0, HEADER_WORDS);
    header[H_MAGIC] = RING_MAGIC;
    header[H_VERSION] = RING_LAYOUT_VERSION;
    header[H_CAPACITY] = capacity;
    header[H_POLICY] = options.policy === "stop" ? 1 : 0;
    header[H_VCPU] = options.vcpu ?? 0;
    return new TraceRing(buffer);
  }

  /** A view of a ring created elsewhere (another thread's producer or consumer side). */
  static attach(buffer: ArrayBuffer | SharedArrayBuffer): TraceRing {
    return new TraceRing(buffer);
  }

  /** Appends one record; false when the ring is full under the "stop" policy. */
  write(
    id: number,
    vcpu: number,
    ts: number,
    value: number,
    a: number,
    b: number,
    c: number,
    d: number,
    e: number,
    f: number,
    g: number,
  ): boolean {
    const written = this.written;
    if (this.stopWhenFull && (written - Atomics.load(this.header, 5 /* H_READ */)) >>> 0 >= this.capacity) {
      this.header[6 /* H_DROPPED */]++;
      return false;
    }
    // Literal offsets (see record-layout.ts; a test pins them): V8 does not fold imported or
    // module-level constants here, and the lookups tripled the cost of a write.
    const base = (written & this.mask) * 12;
    const f64 = this.f64;
    f64[base >> 1] = ts;
    f64[(base >> 1) + 1] = value;
    const words = this.words;
    words[base + 4] = (id & 0xffff) | (vcpu << 16);
    words[base + 5] = a;
    words[base + 6] = b;
    words[base + 7] = c;
    words[base + 8] = d;
    words[base + 9] = e;
    words[base + 10] = f;
    words[base + 11] = g;
    this.written = (written + 1) >>> 0;
    // Only a shared ring has a reader on another thread that needs the ordered publish.
    if (this.shared) Atomics.store(this.header, 4 /* H_WRITTEN */, this.written | 0);
    else this.header[4 /* H_WRITTEN */] = this.written | 0;
    return true;
  }

  /** Records written and not yet drained (at most `capacity`). */
  get pending(): number {
    return Math.min(this.unread(), this.capacity);
  }

  /** Records lost so far: refused when full, or overwritten before a drain reached them. */
  get lost(): number {
    const overrun = Math.max(0, this.unread() - this.capacity);
    return (this.header[H_DROPPED] >>> 0) + (this.header[H_OVERWRITTEN] >>> 0) + overrun;
  }

  /** Moves every pending record out of the ring, oldest first. */
  drain(): RecordBatch {
    const header = this.header;
    const written = Atomics.load(header, H_WRITTEN) >>> 0;
    let read = header[H_READ] >>> 0;
    let count = (written - read) >>> 0;
    if (count > this.capacity) {
      header[H_OVERWRITTEN] += count - this.capacity;
      read = (written - this.capacity) >>> 0;
      count = this.capacity;
    }
    const out = new Uint32Array(count * RECORD_WORDS);
    const start = read & this.mask;
    const firstRun = Math.min(count, this.capacity - start);
    out.set(this.words.subarray(start * RECORD_WORDS, (start + firstRun) * RECORD_WORDS), 0);
    if (firstRun < count)
      out.set(this.words.subarray(0, (count - firstRun) * RECORD_WORDS), firstRun * RECORD_WORDS);
    // A producer on another thread may have lapped us while we copied; drop what it overwrote.
    const after = Atomics.load(header, H_WRITTEN) >>> 0;
    const lapped = Math.min(count, Math.max(0, ((after - read) >>> 0) - this.capacity));
    if (lapped > 0) header[H_OVERWRITTEN] += lapped;
    Atomics.store(header, H_READ, written | 0);
    return new RecordBatch(out.subarray(lapped * RECORD_WORDS), count - lapped);
  }

  /** Forgets pending records and loss counts. Call only while no producer is writing. */
  reset(): void {
    const written = Atomics.load(this.header, H_WRITTEN);
    Atomics.store(this.header, H_READ, written);
    this.header[H_DROPPED] = 0;
    this.header[H_OVERWRITTEN] = 0;
  }

  private unread(): number {
    return ((Atomics.load(this.header, H_WRITTEN) >>> 0) - (this.header[H_READ] >>> 0)) >>> 0;
  }
}
