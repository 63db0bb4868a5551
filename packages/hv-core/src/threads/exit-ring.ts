/**
 * Exits from vCPU threads to the main thread, where the device model lives (the kvmtool model):
 * one ring per VM in a SharedArrayBuffer that all of the VM's workers post to. Writes and console
 * output are posted and the vCPU runs on; reads wait for the main thread's reply.
 *
 * The ring is shared so that the device sees accesses in the order the harts issued them: a slot
 * is taken with one atomic increment, so accesses that a guest lock orders (hart A writes IER and
 * unlocks, hart B locks and reads IER) keep that order even when the harts run on different
 * threads. Entries are handled strictly in slot order, so a read also sees every write before it.
 */

/** Ring entries; a full ring makes producers wait. */
const CAPACITY = 1024;
/** Words per entry: ready (slot number + 1 once written), kind, a, b, c, reply slot. */
const ENTRY_WORDS = 6;
/** Bytes of console input one read exit can carry. */
export const EXIT_DATA_BYTES = 256;

// Header words.
const HEAD = 0; // slots taken
const TAIL = 1; // slots consumed
const HEADER_WORDS = 4;
// Per reply slot (one per worker): the slot number replied to, the value, then the data area.
const REPLY_SEQ = 0;
const REPLY_VALUE = 1;
const REPLY_WORDS = 2 + EXIT_DATA_BYTES / 4;

/** Entry kinds. */
export const EXIT_MMIO_WRITE = 1; // a = region | size << 16, b = offset, c = value (posted)
export const EXIT_MMIO_READ = 2; // same; the reply is the value
export const EXIT_CONSOLE_WRITE = 3; // a = byte (posted)
export const EXIT_CONSOLE_READ = 4; // a = at most this many bytes; reply = count, bytes in the data area
export const EXIT_SYSTEM_RESET = 5; // a = type, b = reason (posted)

/** Bytes of a ring with a reply slot for each of `replySlots` producers. */
export function exitRingBytes(replySlots: number): number {
  return 4 * (HEADER_WORDS + replySlots * REPLY_WORDS + CAPACITY * ENTRY_WORDS);
}

function entriesWord(replySlots: number): number {
  return HEADER_WORDS + replySlots * REPLY_WORDS;
}

/** A vCPU thread's side: posts exits and waits for replies in its own reply slot. */
export class ExitProducer {
  private readonly w: Int32Array;
  private readonly entries: number;
  private readonly reply: number;
  /** Where console input for this producer's reads arrives. */
  readonly data: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    replySlots: number,
    private readonly slot: number,
    private readonly doorbell: Int32Array,
    private readonly doorbellIndex: number,
  ) {
    this.w = new Int32Array(buffer);
    this.entries = entriesWord(replySlots);
    this.reply = HEADER_WORDS + slot * REPLY_WORDS;
    this.data = new Uint8Array(buffer, 4 * (this.reply + 2), EXIT_DATA_BYTES);
  }

  /** Queues an entry and rings the doorbell; returns its slot number. */
  post(kind: number, a: number, b: number, c: number): number {
    const w = this.w;
    const seq = Atomics.add(w, HEAD, 1);
    for (;;) {
      const tail = Atomics.load(w, TAIL);
      if (((seq - tail) | 0) < CAPACITY) break;
      Atomics.wait(w, TAIL, tail, 10);
    }
    const e = this.entries + (seq & (CAPACITY - 1)) * ENTRY_WORDS;
    w[e + 1] = kind;
    w[e + 2] = a;
    w[e + 3] = b;
    w[e + 4] = c;
    w[e + 5] = this.slot;
    // Slot numbers wrap at 2^32 like the counters: compare them as int32.
    const ready = (seq + 1) | 0;
    Atomics.store(w, e, ready);
    Atomics.add(this.doorbell, this.doorbellIndex, 1);
    Atomics.notify(this.doorbell, this.doorbellIndex);
    return ready;
  }

  /** Queues an entry and waits for its reply. */
  call(kind: number, a: number, b: number, c: number): number {
    const seq = this.post(kind, a, b, c);
    const w = this.w;
    const at = this.reply + REPLY_SEQ;
    for (;;) {
      const r = Atomics.load(w, at);
      if (r === seq) return w[this.reply + REPLY_VALUE];
      Atomics.wait(w, at, r);
    }
  }
}

/** Handles one entry on the main thread; returns the reply (ignored for posted kinds). */
export type ExitHandler = (kind: number, a: number, b: number, c: number, data: Uint8Array) => number;

/** The main-thread side of a VM's ring. */
export class ExitConsumer {
  private readonly w: Int32Array;
  private readonly entries: number;
  private readonly data: Uint8Array[];

  constructor(buffer: SharedArrayBuffer, replySlots: number) {
    this.w = new Int32Array(buffer);
    this.entries = entriesWord(replySlots);
    this.data = Array.from(
      { length: replySlots },
      (_, s) => new Uint8Array(buffer, 4 * (HEADER_WORDS + s * REPLY_WORDS + 2), EXIT_DATA_BYTES),
    );
  }

  /**
   * Handles the written entries in slot order, up to the first slot taken but not yet written
   * (its producer finishes it at once and rings again); returns how many.
   */
  drain(handle: ExitHandler): number {
    const w = this.w;
    let tail = w[TAIL];
    const start = tail;
    for (;;) {
      const e = this.entries + (tail & (CAPACITY - 1)) * ENTRY_WORDS;
      const next = (tail + 1) | 0;
      if (Atomics.load(w, e) !== next) break;
      const kind = w[e + 1];
      const slot = w[e + 5];
      const reply = handle(kind, w[e + 2], w[e + 3], w[e + 4], this.data[slot]);
      tail = next;
      Atomics.store(w, TAIL, tail);
      if (kind === EXIT_MMIO_READ || kind === EXIT_CONSOLE_READ) {
        const r = HEADER_WORDS + slot * REPLY_WORDS;
        w[r + REPLY_VALUE] = reply;
        Atomics.store(w, r + REPLY_SEQ, tail);
        Atomics.notify(w, r + REPLY_SEQ);
      }
    }
    if (tail !== start) Atomics.notify(w, TAIL);
    return (tail - start) | 0;
  }
}
