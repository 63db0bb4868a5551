/** Bytes of hart state kept in the VM's memory buffer per hart (integer and FP registers). */
export const HART_STATE_BYTES = 1024;
const WASM_PAGE = 65536;

/** Raised when a guest RAM range does not fit the configured RAM. */
export class GuestMemoryRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "GuestMemoryRangeError";
  }
}

export interface GuestMemoryOptions {
  /** Guest physical address of RAM; the `virt` board uses 0x8000_0000. */
  ramBase?: number;
  /** RAM size in bytes, a multiple of 4 KiB. */
  ramSize: number;
  /** Harts whose register files live in the same buffer. */
  hartCount?: number;
  /** Back the buffer with a SharedArrayBuffer, for vCPU worker threads. */
  shared?: boolean;
}

/** Where things are in a VM's buffer: what another thread needs to wrap the same memory. */
export interface GuestMemoryLayout {
  readonly ramBase: number;
  readonly ramSize: number;
  readonly hartCount: number;
}

/**
 * Guest physical memory and hart register files in one `WebAssembly.Memory` (DESIGN §3): the
 * interpreter reads it through typed arrays, generated code will read the same bytes.
 *
 * Layout: `hartCount` blocks of {@link HART_STATE_BYTES}, then RAM at `ramOffset` (64 KiB aligned).
 *
 * @example
 * const mem = new GuestMemory({ ramSize: 128 * 1024 * 1024 });
 * mem.writeBytes(0x8000_0000, new Uint8Array([0x13, 0, 0, 0])); // a `nop`
 *
 * @example
 * // A vCPU thread wraps the memory the main thread created with `shared: true`:
 * const mem = GuestMemory.fromMemory(workerData.memory, workerData.layout);
 */
export class GuestMemory {
  readonly memory: WebAssembly.Memory;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly ramBase: number;
  readonly ramSize: number;
  /** Host byte offset of guest RAM within {@link buffer}. */
  readonly ramOffset: number;
  readonly hartCount: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** 64-bit view for atomic doubleword operations (BigInt, so kept off the interpreter's hot path). */
  readonly i64: BigInt64Array;

  /**
   * Wraps an existing `WebAssembly.Memory`, typically a shared one received through `postMessage`
   * or `workerData` in a vCPU thread. `options` must describe the layout the memory was created
   * with ({@link layout} of the creating side); it is checked as the constructor checks it, and
   * the memory must be large enough to hold it.
   */
  static fromMemory(memory: WebAssembly.Memory, options: Omit<GuestMemoryOptions, "shared">): GuestMemory {
    return new GuestMemory(options, memory);
  }

  /** @param memory an existing memory to use instead of a new one; see {@link fromMemory}. */
  constructor(options: GuestMemoryOptions, memory?: WebAssembly.Memory) {
    const ramBase = options.ramBase ?? 0x8000_0000;
    const ramSize = options.ramSize;
    const hartCount = options.hartCount ?? 1;
    if (!Number.isInteger(ramSize) || ramSize <= 0 || ramSize % 4096 !== 0) {
      throw new GuestMemoryRangeError(`RAM size must be a positive multiple of 4 KiB, got ${ramSize}`);
    }
    if (!Number.isInteger(hartCount) || hartCount < 1 || hartCount > 64) {
      throw new GuestMemoryRangeError(`hart count must be 1..64, got ${hartCount}`);
    }
    if (ramBase % 4096 !== 0 || ramBase < 0) {
      throw new GuestMemoryRangeError(`RAM base must be 4 KiB aligned, got 0x${ramBase.toString(16)}`);
    }
    const stateBytes = hartCount * HART_STATE_BYTES;
    const ramOffset = Math.ceil(stateBytes / WASM_PAGE) * WASM_PAGE;
    const pages = (ramOffset + ramSize) / WASM_PAGE;
    const maxPages = 65536;
    if (Math.ceil(pages) > maxPages - 1) {
      throw new GuestMemoryRangeError(`RAM size ${ramSize} exceeds what one VM buffer can hold (< 4 GiB)`);
    }
    const initial = Math.ceil(pages);
    if (memory !== undefined && memory.buffer.byteLength < initial * WASM_PAGE) {
      throw new GuestMemoryRangeError(
        `memory of ${memory.buffer.byteLength} bytes cannot hold ${hartCount} hart(s) and ${ramSize} bytes of RAM`,
      );
    }
    this.memory =
      memory ??
      (options.shared
        ? new WebAssembly.Memory({ initial, maximum: initial, shared: true })
        : new WebAssembly.Memory({ initial }));
    this.buffer = this.memory.buffer;
    this.ramBase = ramBase;
    this.ramSize = ramSize;
    this.ramOffset = ramOffset;
    this.hartCount = hartCount;
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.i64 = new BigInt64Array(this.buffer);
  }

  /** True when the buffer is a SharedArrayBuffer: other threads may read and write it concurrently. */
  get shared(): boolean {
    return typeof SharedArrayBuffer !== "undefined" && this.buffer instanceof SharedArrayBuffer;
  }

  /** The options {@link fromMemory} needs to wrap this memory in another thread. */
  get layout(): GuestMemoryLayout {
    return { ramBase: this.ramBase, ramSize: this.ramSize, hartCount: this.hartCount };
  }

  /** Host byte offset of hart `index`'s register block. */
  hartStateOffset(index: number): number {
    return index * HART_STATE_BYTES;
  }

  /** True when `[addr, addr + length)` lies inside guest RAM. */
  containsRam(addr: number, length: number): boolean {
    return addr >= this.ramBase && length >= 0 && addr + length <= this.ramBase + this.ramSize;
  }

  /** Host offset of guest physical `addr`, checking the whole range lies in RAM. */
  hostOffset(addr: number, length: number): number {
    if (!this.containsRam(addr, length)) {
      throw new GuestMemoryRangeError(
        `guest range [0x${addr.toString(16)}, 0x${(addr + length).toString(16)}) is outside RAM ` +
          `[0x${this.ramBase.toString(16)}, 0x${(this.ramBase + this.ramSize).toString(16)})`,
      );
    }
    return this.ramOffset + (addr - this.ramBase);
  }

  /** Copies `data` into guest RAM at physical `addr`. */
  writeBytes(addr: number, data: Uint8Array): void {
    this.u8.set(data, this.hostOffset(addr, data.length));
  }

  /** A copy of `length` bytes of guest RAM at physical `addr`. */
  readBytes(addr: number, length: number): Uint8Array {
    const off = this.hostOffset(addr, length);
    return this.u8.slice(off, off + length);
  }

  /** Fills guest RAM `[addr, addr + length)` with zeros. */
  zero(addr: number, length: number): void {
    const off = this.hostOffset(addr, length);
    this.u8.fill(0, off, off + length);
  }
}
