/**
 * The host side of a block device (a virtio-blk disk). Front ends provide it over a raw file, a
 * qcow2 image, memory or browser storage; device code never touches those directly (DESIGN §5).
 *
 * Rules every implementation follows:
 * - Offsets and lengths are in bytes, multiples of {@link SECTOR_SIZE} (512), and the whole range
 *   lies inside `[0, size)`. Anything else rejects with {@link BlockRangeError}.
 * - Every method is asynchronous and never blocks the calling thread (a vCPU may be waiting).
 * - A method either resolves or rejects with a {@link BlockError}; a device turns any rejection
 *   into `VIRTIO_BLK_S_IOERR` for that request and carries on.
 * - Data is durable only after `flush()` resolves, as with a disk's volatile write cache.
 * - Requests may be issued concurrently; each backend orders them as it needs to.
 *
 * The interface uses only standard JavaScript types, so a browser (in-memory, OPFS) backend can
 * implement it.
 */
export interface BlockBackend {
  /** Capacity in bytes, a multiple of {@link SECTOR_SIZE}. */
  readonly size: number;
  /** Writes, discards and write-zeroes reject with {@link BlockReadOnlyError}. */
  readonly readOnly: boolean;
  /** Disk serial (virtio-blk `GET_ID`, at most 20 bytes), if the user gave one. */
  readonly serial?: string;

  /** Fills `buffer` with the bytes at `offset`. */
  read(offset: number, buffer: Uint8Array): Promise<void>;
  /** Writes `data` at `offset`. */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Makes every completed write durable. */
  flush(): Promise<void>;
  /**
   * Tells the backend the range is no longer needed. Afterwards the range reads as either its
   * old contents or zeros (or, for an image with a backing file, the backing file's data): the
   * caller may not rely on which.
   */
  discard(offset: number, length: number): Promise<void>;
  /**
   * Makes the range read as zeros. With `unmap` the backend may also release the space
   * (virtio-blk `VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP`); without it, it keeps it allocated where it
   * can tell the difference.
   */
  writeZeroes(offset: number, length: number, options?: WriteZeroesOptions): Promise<void>;
  /** Flushes (when writable) and releases the backend; later calls reject. */
  close(): Promise<void>;
}

export interface WriteZeroesOptions {
  unmap?: boolean;
}

/** Every offset and length a {@link BlockBackend} takes is a multiple of this. */
export const SECTOR_SIZE = 512;

/** Base of every error a {@link BlockBackend} rejects with. */
export class BlockError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BlockError";
  }
}

/** A request that is misaligned, negative or reaches past the end of the disk. */
export class BlockRangeError extends BlockError {
  constructor(message: string) {
    super(message);
    this.name = "BlockRangeError";
  }
}

/** A write, discard or write-zeroes on a read-only backend. */
export class BlockReadOnlyError extends BlockError {
  constructor(what: string) {
    super(`${what} is read-only`);
    this.name = "BlockReadOnlyError";
  }
}

/** The host failed the request (I/O error, disk full, backend closed). */
export class BlockIoError extends BlockError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BlockIoError";
  }
}

/**
 * A disk image is malformed or uses a feature this implementation does not support. Raised at
 * open for the header, or for a single request when the metadata it needs is bad.
 */
export class ImageFormatError extends BlockError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${field}: ${detail}`);
    this.name = "ImageFormatError";
  }
}

/**
 * Validates a request against the sector rules and the capacity; throws {@link BlockRangeError}.
 */
export function checkBlockRequest(size: number, offset: number, length: number, op: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BlockRangeError(`${op}: invalid offset ${offset} or length ${length}`);
  }
  if (offset % SECTOR_SIZE !== 0 || length % SECTOR_SIZE !== 0) {
    throw new BlockRangeError(
      `${op}: offset ${offset} and length ${length} must be multiples of ${SECTOR_SIZE}`,
    );
  }
  if (offset + length > size) {
    throw new BlockRangeError(`${op}: range ${offset}+${length} is past the end of the disk (${size})`);
  }
}

/** Runs `body`, turning anything that is not a {@link BlockError} into a {@link BlockIoError}. */
export async function asBlockError<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof BlockError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new BlockIoError(`${what}: ${detail}`, { cause: error });
  }
}
