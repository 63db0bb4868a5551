import { P9_HEADER_SIZE, P9_QID_SIZE } from "./constants.js";

/** A qid: the server's identity of a file. */
export interface P9Qid {
  readonly type: number;
  readonly version: number;
  readonly path: bigint;
}

/** A message that does not parse (short, or a string past its end). */
export class P9ProtocolError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

/** Reads the little-endian fields of one 9P message body; any overrun throws {@link P9ProtocolError}. */
export class P9Reader {
  private readonly view: DataView;
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.length) throw new P9ProtocolError(`message too short at byte ${at}`);
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  /** A u64 that must fit a double exactly (offsets, sizes). */
  safeU64(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new P9ProtocolError(`value ${v} out of range`);
    return Number(v);
  }
  /** string[s]: u16 length then UTF-8 bytes. */
  str(): string {
    const n = this.u16();
    const at = this.need(n);
    return utf8.decode(this.bytes.subarray(at, at + n));
  }
  /** Raw bytes without copying. */
  data(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  qid(): P9Qid {
    return { type: this.u8(), version: this.u32(), path: this.u64() };
  }
}

/** Builds one 9P message; the header is filled in by {@link finish}. */
export class P9Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = P9_HEADER_SIZE;

  constructor(
    readonly type: number,
    readonly tag: number,
  ) {}

  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }
  u64(v: bigint | number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  str(s: string): this {
    const b = encoder.encode(s);
    if (b.length > 0xffff) throw new P9ProtocolError("string longer than 65535 bytes");
    this.u16(b.length);
    // room() may reallocate: take the offset before reading this.buf.
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  data(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  qid(q: P9Qid): this {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }

  /** The finished message: size[4] type[1] tag[2] body. */
  finish(): Uint8Array {
    this.view.setUint32(0, this.length, true);
    this.view.setUint8(4, this.type);
    this.view.setUint16(5, this.tag, true);
    return this.buf.slice(0, this.length);
  }
}

/** Encoded size of a string[s]. */
export function strSize(s: string): number {
  return 2 + encoder.encode(s).length;
}

/** Size of one Rreaddir entry: qid[13] offset[8] type[1] name[s]. */
export function direntSize(name: string): number {
  return P9_QID_SIZE + 8 + 1 + strSize(name);
}

/** Parses the header of a T-message; the reader is left at the body. */
export function readHeader(bytes: Uint8Array): { size: number; type: number; tag: number; body: P9Reader } {
  const r = new P9Reader(bytes);
  const size = r.u32();
  const type = r.u8();
  const tag = r.u16();
  if (size < P9_HEADER_SIZE || size > bytes.length) throw new P9ProtocolError(`bad message size ${size}`);
  return { size, type, tag, body: new P9Reader(bytes.subarray(0, size), P9_HEADER_SIZE) };
}
