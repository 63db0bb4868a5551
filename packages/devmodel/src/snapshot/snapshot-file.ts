import { createHash } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * The `.mvsnap` file: a saved machine.
 *
 * | offset | size | field                                                         |
 * |--------|------|---------------------------------------------------------------|
 * | 0      | 8    | magic `MVSNAP\r\n` (the CR LF catches text-mode transfers)     |
 * | 8      | 4    | format version (u32 LE)                                        |
 * | 12     | 4    | flags (u32 LE): bit 0 = RAM pages are raw-deflated             |
 * | 16     | 4    | JSON section length in bytes (u32 LE)                          |
 * | 20     | 4    | page size (u32 LE, 4096)                                       |
 * | 24     | 8    | RAM size in bytes (u64 LE)                                     |
 * | 32     | 8    | stored page data length in bytes (u64 LE)                      |
 * | 40     | J    | JSON (UTF-8): machine config and every device's named state    |
 * | …      | P/8  | page bitmap, bit i (LSB first) = page i is stored              |
 * | …      | D    | the stored pages in order (deflated when flag bit 0 is set)    |
 * | …      | 32   | SHA-256 of every byte before it                                |
 *
 * Pages not in the bitmap are all zero, so an idle guest's untouched RAM costs nothing.
 */
export const SNAPSHOT_MAGIC = Uint8Array.from([0x4d, 0x56, 0x53, 0x4e, 0x41, 0x50, 0x0d, 0x0a]);
export const SNAPSHOT_FORMAT_VERSION = 1;
export const SNAPSHOT_FLAG_DEFLATE = 1;
export const SNAPSHOT_PAGE_SIZE = 4096;
const HEADER_BYTES = 40;
const CHECKSUM_BYTES = 32;
/** Bounds a hostile header before anything is allocated. */
const MAX_RAM_BYTES = 64 * 1024 * 1024 * 1024;

export type SnapshotErrorKind = "magic" | "version" | "truncated" | "checksum" | "format";

/** A snapshot file that cannot be read; `kind` says why. */
export class SnapshotError extends Error {
  constructor(
    readonly kind: SnapshotErrorKind,
    message: string,
  ) {
    super(`snapshot: ${message}`);
    this.name = "SnapshotError";
  }
}

export interface SnapshotWriteOptions {
  /** Plain data; stored as JSON. */
  readonly state: unknown;
  /** Guest RAM, a whole number of pages. */
  readonly ram: Uint8Array;
  /** Deflate the stored pages (smaller, slower). */
  readonly compress?: boolean;
}

/** A checked snapshot: the state, and RAM decoded on demand into the caller's buffer. */
export interface SnapshotReader {
  readonly version: number;
  readonly flags: number;
  readonly state: unknown;
  readonly ramBytes: number;
  /** Writes guest RAM into `into` (length {@link ramBytes}); zero pages are zeroed. */
  loadRam(into: Uint8Array): void;
}

function isZeroPage(words: Int32Array, first: number, count: number): boolean {
  for (let i = first, end = first + count; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

/** Encodes a snapshot file. */
export function writeSnapshot(options: SnapshotWriteOptions): Uint8Array {
  const { ram } = options;
  if (ram.length % SNAPSHOT_PAGE_SIZE !== 0) throw new RangeError("RAM must be a whole number of pages");
  const json = new TextEncoder().encode(JSON.stringify(options.state));
  const pages = ram.length / SNAPSHOT_PAGE_SIZE;
  const bitmap = new Uint8Array(Math.ceil(pages / 8));
  const aligned = ram.byteOffset % 4 === 0;
  const words = aligned ? new Int32Array(ram.buffer, ram.byteOffset, ram.length / 4) : undefined;
  const stored: number[] = [];
  for (let p = 0; p < pages; p++) {
    const zero = words
      ? isZeroPage(words, p * (SNAPSHOT_PAGE_SIZE / 4), SNAPSHOT_PAGE_SIZE / 4)
      : ram.subarray(p * SNAPSHOT_PAGE_SIZE, (p + 1) * SNAPSHOT_PAGE_SIZE).every((b) => b === 0);
    if (zero) continue;
    bitmap[p >>> 3] |= 1 << (p & 7);
    stored.push(p);
  }
  let data = new Uint8Array(stored.length * SNAPSHOT_PAGE_SIZE);
  stored.forEach((p, i) => {
    data.set(ram.subarray(p * SNAPSHOT_PAGE_SIZE, (p + 1) * SNAPSHOT_PAGE_SIZE), i * SNAPSHOT_PAGE_SIZE);
  });
  const compress = options.compress === true;
  if (compress) data = deflateRawSync(data, { level: 1 });

  const total = HEADER_BYTES + json.length + bitmap.length + data.length + CHECKSUM_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC, 0);
  view.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  view.setUint32(12, compress ? SNAPSHOT_FLAG_DEFLATE : 0, true);
  view.setUint32(16, json.length, true);
  view.setUint32(20, SNAPSHOT_PAGE_SIZE, true);
  view.setBigUint64(24, BigInt(ram.length), true);
  view.setBigUint64(32, BigInt(data.length), true);
  let at = HEADER_BYTES;
  out.set(json, at);
  at += json.length;
  out.set(bitmap, at);
  at += bitmap.length;
  out.set(data, at);
  at += data.length;
  out.set(createHash("sha256").update(out.subarray(0, at)).digest(), at);
  return out;
}

/**
 * Checks magic, version, lengths and the checksum, then parses the JSON section. Throws
 * {@link SnapshotError} naming what is wrong; nothing is trusted before the checksum matches.
 */
export function readSnapshot(bytes: Uint8Array): SnapshotReader {
  if (bytes.length < SNAPSHOT_MAGIC.length || !SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new SnapshotError("magic", "not a monovisor snapshot (bad magic)");
  }
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) {
    throw new SnapshotError("truncated", `file is ${bytes.length} bytes, shorter than the header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(
      "version",
      `format version ${version} is not supported (this build reads version ${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  const flags = view.getUint32(12, true);
  const jsonBytes = view.getUint32(16, true);
  const pageSize = view.getUint32(20, true);
  const ramBytes = Number(view.getBigUint64(24, true));
  const dataBytes = Number(view.getBigUint64(32, true));
  if ((flags & ~SNAPSHOT_FLAG_DEFLATE) !== 0)
    throw new SnapshotError("format", `unknown flags 0x${flags.toString(16)}`);
  if (pageSize !== SNAPSHOT_PAGE_SIZE)
    throw new SnapshotError("format", `page size ${pageSize} is not supported`);
  if (ramBytes % pageSize !== 0 || ramBytes > MAX_RAM_BYTES) {
    throw new SnapshotError("format", `RAM size ${ramBytes} is not a plausible whole number of pages`);
  }
  const pages = ramBytes / pageSize;
  const bitmapBytes = Math.ceil(pages / 8);
  const expected = HEADER_BYTES + jsonBytes + bitmapBytes + dataBytes + CHECKSUM_BYTES;
  if (bytes.length < expected) {
    throw new SnapshotError("truncated", `file is ${bytes.length} bytes, the header describes ${expected}`);
  }
  if (bytes.length > expected) {
    throw new SnapshotError("format", `${bytes.length - expected} unexpected bytes after the checksum`);
  }
  const body = expected - CHECKSUM_BYTES;
  const digest = createHash("sha256").update(bytes.subarray(0, body)).digest();
  if (!digest.equals(bytes.subarray(body))) {
    throw new SnapshotError("checksum", "checksum mismatch: the file is corrupted");
  }
  let state: unknown;
  try {
    state = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonBytes)));
  } catch (e) {
    throw new SnapshotError("format", `the state section is not JSON: ${(e as Error).message}`);
  }
  const bitmapAt = HEADER_BYTES + jsonBytes;
  const bitmap = bytes.subarray(bitmapAt, bitmapAt + bitmapBytes);
  const dataAt = bitmapAt + bitmapBytes;
  let stored = 0;
  for (let p = 0; p < pages; p++) stored += (bitmap[p >>> 3] >>> (p & 7)) & 1;
  const raw = bytes.subarray(dataAt, dataAt + dataBytes);
  if ((flags & SNAPSHOT_FLAG_DEFLATE) === 0 && dataBytes !== stored * pageSize) {
    throw new SnapshotError("format", `bitmap lists ${stored} pages but ${dataBytes} bytes are stored`);
  }
  return {
    version,
    flags,
    state,
    ramBytes,
    loadRam(into: Uint8Array): void {
      if (into.length !== ramBytes)
        throw new RangeError(`RAM is ${into.length} bytes, the snapshot ${ramBytes}`);
      let data = raw;
      if ((flags & SNAPSHOT_FLAG_DEFLATE) !== 0) {
        try {
          data = inflateRawSync(raw, { maxOutputLength: stored * pageSize + 1 });
        } catch (e) {
          throw new SnapshotError("format", `stored pages do not inflate: ${(e as Error).message}`);
        }
        if (data.length !== stored * pageSize) {
          throw new SnapshotError("format", `bitmap lists ${stored} pages but ${data.length} bytes inflate`);
        }
      }
      let i = 0;
      for (let p = 0; p < pages; p++) {
        const dst = into.subarray(p * pageSize, (p + 1) * pageSize);
        if ((bitmap[p >>> 3] >>> (p & 7)) & 1) {
          dst.set(data.subarray(i * pageSize, (i + 1) * pageSize));
          i++;
        } else dst.fill(0);
      }
    },
  };
}
