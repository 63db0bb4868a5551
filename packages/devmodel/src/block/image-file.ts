import { BlockIoError } from "./block-backend.js";

/**
 * A host file that holds a disk image, addressed by byte. Image formats (raw, qcow2) are written
 * against this so they run over Node files, browser storage or memory alike.
 */
export interface ImageFile {
  /** Names the file in error messages (a path, or a label). */
  readonly name: string;
  readonly readOnly: boolean;
  /** Current length in bytes. */
  length(): Promise<number>;
  /** Reads up to `buffer.length` bytes at `position`; returns how many (fewer only at the end). */
  read(position: number, buffer: Uint8Array): Promise<number>;
  /** Writes all of `data` at `position`, growing the file if needed. */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Makes completed writes durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** An image file held in memory: for tests and browser front ends. */
export class MemoryImageFile implements ImageFile {
  private data: Uint8Array;
  private used: number;

  constructor(
    readonly name: string,
    contents: Uint8Array = new Uint8Array(0),
    readonly readOnly = false,
  ) {
    this.data = contents;
    this.used = contents.length;
  }

  /** The file's current bytes (a view, not a copy). */
  bytes(): Uint8Array {
    return this.data.subarray(0, this.used);
  }

  async length(): Promise<number> {
    return this.used;
  }

  async read(position: number, buffer: Uint8Array): Promise<number> {
    const n = Math.max(0, Math.min(buffer.length, this.used - position));
    buffer.set(this.data.subarray(position, position + n));
    return n;
  }

  async write(position: number, data: Uint8Array): Promise<void> {
    if (this.readOnly) throw new BlockIoError(`${this.name}: file is read-only`);
    const end = position + data.length;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.data.subarray(0, this.used));
      this.data = grown;
    }
    this.data.set(data, position);
    this.used = Math.max(this.used, end);
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Reads exactly `buffer.length` bytes at `position`, zero-filling past the end of the file. */
export async function readZeroFilled(file: ImageFile, position: number, buffer: Uint8Array): Promise<void> {
  const n = await file.read(position, buffer);
  if (n < buffer.length) buffer.fill(0, n);
}
