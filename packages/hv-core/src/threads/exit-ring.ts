/**
 * Exits from a vCPU thread to the main thread, where the device model lives (the kvmtool model):
 * one single-producer ring per worker in a SharedArrayBuffer. Writes and console output are
 * posted and the vCPU runs on; reads wait for the main thread's reply. Entries are handled in
 * order, so a read always sees the effect of the writes posted before it.
 */

/** Ring entries; a full ring makes the producer wait. */
const CAPACITY = 1024;
const ENTRY_WORDS = 4;
/** Bytes of console input one read exit can carry. */
export const EXIT_DATA_BYTES = 256;

// Header words.
const HEAD = 0; // entries produced
const TAIL = 1; // entries consumed
const REPLY_SEQ = 2; // number of the last entry replied to
const REPLY_VALUE = 3;
const HEADER_WORDS = 8;
const DATA_WORD = HEADER_WORDS;
const ENTRIES_WORD = DATA_WORD + EXIT_DATA_BYTES / 4;

/** Entry kinds. */
export const EXIT_MMIO_WRITE = 1; // a = region | size << 16, b = offset, c = value (posted)
export const EXIT_MMIO_READ = 2; // same; the reply is the value
export const EXIT_CONSOLE_WRITE = 3; // a = byte (posted)
export const EXIT_CONSOLE_READ = 4; // a = at most this many bytes; reply = count, bytes in the data area
export const EXIT_SYSTEM_RESET = 5; // a = type, b = reason (posted)

export function exitRingBytes(): number {
  return 4 * (ENTRIES_WORD + CAPACITY * ENTRY_WORDS);
}

/** The vCPU side: posts exits and waits for replies. */
export class ExitProducer {
  private readonly w: Int32Array;
  readonly data: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly doorbell: Int32Array,
    private readonly doorbellIndex: number,
  ) {
    this.w = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, 4 * DATA_WORD, EXIT_DATA_BYTES);
  }

  /** Queues an entry and rings the doorbell; returns its sequence number. */
  post(kind: number, a: number, b: number, c: number): number {
    const w = this.w;
    const head = w[HEAD];
    for (;;) {
      const tail = Atomics.load(w, TAIL);
      if (head - tail < CAPACITY) break;
      Atomics.wait(w, TAIL, tail, 10);
    }
    const e = ENTRIES_WORD + (head & (CAPACITY - 1)) * ENTRY_WORDS;
    w[e] = kind;
    w[e + 1] = a;
    w[e + 2] = b;
    w[e + 3] = c;
    Atomics.store(w, HEAD, head + 1);
    Atomics.add(this.doorbell, this.doorbellIndex, 1);
    Atomics.notify(this.doorbell, this.doorbellIndex);
    return head + 1;
  }

  /** Queues an entry and waits for its reply. */
  call(kind: number, a: number, b: number, c: number): number {
    const seq = this.post(kind, a, b, c);
    const w = this.w;
    for (;;) {
      const r = Atomics.load(w, REPLY_SEQ);
      if (r === seq) return w[REPLY_VALUE];
      Atomics.wait(w, REPLY_SEQ, r);
    }
  }
}

/** Handles one entry on the main thread; returns the reply (ignored for posted kinds). */
export type ExitHandler = (kind: number, a: number, b: number, c: number, data: Uint8Array) => number;

/** The main-thread side of one worker's ring. */
export class ExitConsumer {
  private readonly w: Int32Array;
  private readonly data: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.w = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, 4 * DATA_WORD, EXIT_DATA_BYTES);
  }

  /** Handles every queued entry in order; returns how many. */
  drain(handle: ExitHandler): number {
    const w = this.w;
    let tail = w[TAIL];
    const head = Atomics.load(w, HEAD);
    const count = head - tail;
    while (tail !== head) {
      const e = ENTRIES_WORD + (tail & (CAPACITY - 1)) * ENTRY_WORDS;
      const kind = w[e];
      const reply = handle(kind, w[e + 1], w[e + 2], w[e + 3], this.data);
      tail++;
      Atomics.store(w, TAIL, tail);
      if (kind === EXIT_MMIO_READ || kind === EXIT_CONSOLE_READ) {
        w[REPLY_VALUE] = reply;
        Atomics.store(w, REPLY_SEQ, tail);
        Atomics.notify(w, REPLY_SEQ);
      }
    }
    if (count > 0) Atomics.notify(w, TAIL);
    return count;
  }
}
