/** Most strings and UTF-8 bytes a shared table holds (device names and the like). */
const MAX_STRINGS = 4096;
const MAX_BYTES = 128 * 1024;
/** Header words: a spin lock taken by writers, the string count, bytes used. */
const H_LOCK = 0;
const H_COUNT = 1;
const H_BYTES = 2;
const HEADER_WORDS = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The strings `str` payload fields refer to by id. A shared table lives in a SharedArrayBuffer,
 * so a string interned on any thread gets one id every thread resolves. Interning is meant for
 * setup paths (device names): a writer takes a short spin lock.
 */
export class StringTable {
  /** The shared storage, or undefined for a table private to this thread. */
  readonly buffer: SharedArrayBuffer | undefined;
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly header: Int32Array | undefined;
  private readonly offsets: Int32Array | undefined;
  private readonly bytes: Uint8Array | undefined;

  private constructor(buffer: SharedArrayBuffer | undefined) {
    this.buffer = buffer;
    if (buffer !== undefined) {
      this.header = new Int32Array(buffer, 0, HEADER_WORDS);
      this.offsets = new Int32Array(buffer, HEADER_WORDS * 4, MAX_STRINGS + 1);
      this.bytes = new Uint8Array(buffer, (HEADER_WORDS + MAX_STRINGS + 1) * 4, MAX_BYTES);
    }
  }

  static create(shared = false): StringTable {
    if (!shared) return new StringTable(undefined);
    return new StringTable(new SharedArrayBuffer((HEADER_WORDS + MAX_STRINGS + 1) * 4 + MAX_BYTES));
  }

  /** A view of a shared table made on another thread. */
  static attach(buffer: SharedArrayBuffer): StringTable {
    return new StringTable(buffer);
  }

  intern(text: string): number {
    const known = this.ids.get(text);
    if (known !== undefined) return known;
    const header = this.header;
    if (header === undefined) return this.remember(text);
    while (Atomics.compareExchange(header, H_LOCK, 0, 1) !== 0) {
      // Held only while another thread appends one string.
    }
    try {
      // Another thread may have added it since we last looked.
      this.refresh();
      const added = this.ids.get(text);
      if (added !== undefined) return added;
      const encoded = encoder.encode(text);
      const count = header[H_COUNT];
      const used = header[H_BYTES];
      if (count >= MAX_STRINGS || used + encoded.length > MAX_BYTES) {
        throw new RangeError(`the shared trace string table is full (${count} strings)`);
      }
      (this.bytes as Uint8Array).set(encoded, used);
      const offsets = this.offsets as Int32Array;
      offsets[count] = used;
      offsets[count + 1] = used + encoded.length;
      header[H_BYTES] = used + encoded.length;
      // Publishes the bytes and offsets written above.
      Atomics.store(header, H_COUNT, count + 1);
      return this.remember(text);
    } finally {
      Atomics.store(header, H_LOCK, 0);
    }
  }

  string(id: number): string | undefined {
    if (id >= this.strings.length) this.refresh();
    return this.strings[id];
  }

  /** Every string, by id. */
  all(): string[] {
    this.refresh();
    return [...this.strings];
  }

  /** Reads strings other threads added. */
  private refresh(): void {
    const header = this.header;
    if (header === undefined) return;
    const count = Atomics.load(header, H_COUNT);
    const offsets = this.offsets as Int32Array;
    const bytes = this.bytes as Uint8Array;
    for (let id = this.strings.length; id < count; id++) {
      // TextDecoder refuses views of shared memory: copy the bytes out first.
      this.remember(decoder.decode(bytes.slice(offsets[id], offsets[id + 1])));
    }
  }

  private remember(text: string): number {
    const id = this.strings.length;
    this.strings.push(text);
    this.ids.set(text, id);
    return id;
  }
}
