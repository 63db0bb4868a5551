import {
  asBlockError,
  type BlockBackend,
  BlockIoError,
  BlockReadOnlyError,
  checkBlockRequest,
  SECTOR_SIZE,
  type WriteZeroesOptions,
} from "./block-backend.js";
import { type ImageFile, readZeroFilled } from "./image-file.js";

export interface RawOptions {
  serial?: string;
}

/** Zero-writes are issued in pieces of this size so a large request does not allocate its length. */
const ZERO_CHUNK = 1 << 20;

/**
 * A raw image: the file's bytes are the disk's bytes. A file whose length is not a multiple of
 * 512 is rounded up, the tail reading as zeros, as QEMU does.
 *
 * Discard is a successful no-op: Node has no `fallocate(PUNCH_HOLE)`, and discard promises nothing
 * about the contents afterwards. Write-zeroes writes zeros, so it never releases space.
 */
export class RawBlockBackend implements BlockBackend {
  readonly readOnly: boolean;
  readonly serial?: string;
  private closed = false;

  private constructor(
    private readonly file: ImageFile,
    readonly size: number,
    options: RawOptions,
  ) {
    this.readOnly = file.readOnly;
    if (options.serial !== undefined) this.serial = options.serial;
  }

  static async open(file: ImageFile, options: RawOptions = {}): Promise<RawBlockBackend> {
    const length = await asBlockError(`${file.name}: size`, () => file.length());
    return new RawBlockBackend(file, Math.ceil(length / SECTOR_SIZE) * SECTOR_SIZE, options);
  }

  read(offset: number, buffer: Uint8Array): Promise<void> {
    return asBlockError(`${this.file.name}: read`, async () => {
      this.check("read", offset, buffer.length, false);
      await readZeroFilled(this.file, offset, buffer);
    });
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return asBlockError(`${this.file.name}: write`, async () => {
      this.check("write", offset, data.length, true);
      await this.file.write(offset, data);
    });
  }

  flush(): Promise<void> {
    return asBlockError(`${this.file.name}: flush`, async () => {
      this.check("flush", 0, 0, false);
      if (!this.readOnly) await this.file.sync();
    });
  }

  discard(offset: number, length: number): Promise<void> {
    return asBlockError(`${this.file.name}: discard`, async () => {
      this.check("discard", offset, length, true);
    });
  }

  writeZeroes(offset: number, length: number, _options?: WriteZeroesOptions): Promise<void> {
    return asBlockError(`${this.file.name}: write-zeroes`, async () => {
      this.check("write-zeroes", offset, length, true);
      const zeros = new Uint8Array(Math.min(length, ZERO_CHUNK));
      for (let at = 0; at < length; at += zeros.length) {
        await this.file.write(offset + at, zeros.subarray(0, Math.min(zeros.length, length - at)));
      }
    });
  }

  close(): Promise<void> {
    return asBlockError(`${this.file.name}: close`, async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        if (!this.readOnly) await this.file.sync();
      } finally {
        await this.file.close();
      }
    });
  }

  private check(op: string, offset: number, length: number, writes: boolean): void {
    if (this.closed) throw new BlockIoError(`${this.file.name}: ${op}: image is closed`);
    if (writes && this.readOnly) throw new BlockReadOnlyError(`${op}: ${this.file.name}`);
    checkBlockRequest(this.size, offset, length, op);
  }
}
