import {
  type BlockBackend,
  BlockIoError,
  BlockRangeError,
  BlockReadOnlyError,
  checkBlockRequest,
  SECTOR_SIZE,
  type WriteZeroesOptions,
} from "./block-backend.js";

export interface MemoryBlockBackendOptions {
  readOnly?: boolean;
  serial?: string;
}

/** A disk held in memory: for tests, scratch disks and browser front ends. */
export class MemoryBlockBackend implements BlockBackend {
  readonly readOnly: boolean;
  readonly serial?: string;
  private bytes: Uint8Array | null;

  /** `contents` is either a size in bytes (zero-filled) or the disk's bytes, used in place. */
  constructor(contents: number | Uint8Array, options: MemoryBlockBackendOptions = {}) {
    const size = typeof contents === "number" ? contents : contents.length;
    if (!Number.isSafeInteger(size) || size < 0 || size % SECTOR_SIZE !== 0) {
      throw new BlockRangeError(`memory disk size ${size} must be a multiple of ${SECTOR_SIZE}`);
    }
    this.bytes = typeof contents === "number" ? new Uint8Array(size) : contents;
    this.readOnly = options.readOnly ?? false;
    if (options.serial !== undefined) this.serial = options.serial;
  }

  get size(): number {
    return this.bytes?.length ?? 0;
  }

  /** The disk's bytes (live, not a copy). */
  contents(): Uint8Array {
    return this.open("contents");
  }

  async read(offset: number, buffer: Uint8Array): Promise<void> {
    const bytes = this.open("read");
    checkBlockRequest(bytes.length, offset, buffer.length, "read");
    buffer.set(bytes.subarray(offset, offset + buffer.length));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const bytes = this.writable("write");
    checkBlockRequest(bytes.length, offset, data.length, "write");
    bytes.set(data, offset);
  }

  async flush(): Promise<void> {
    this.open("flush");
  }

  async discard(offset: number, length: number): Promise<void> {
    const bytes = this.writable("discard");
    checkBlockRequest(bytes.length, offset, length, "discard");
  }

  async writeZeroes(offset: number, length: number, _options?: WriteZeroesOptions): Promise<void> {
    const bytes = this.writable("write-zeroes");
    checkBlockRequest(bytes.length, offset, length, "write-zeroes");
    bytes.fill(0, offset, offset + length);
  }

  async close(): Promise<void> {
    this.bytes = null;
  }

  private open(op: string): Uint8Array {
    if (this.bytes === null) throw new BlockIoError(`${op}: memory disk is closed`);
    return this.bytes;
  }

  private writable(op: string): Uint8Array {
    const bytes = this.open(op);
    if (this.readOnly) throw new BlockReadOnlyError(`${op}: memory disk`);
    return bytes;
  }
}
