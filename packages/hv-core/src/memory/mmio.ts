/** Width of one MMIO access in bytes. 8-byte guest accesses reach devices as two 4-byte accesses, low half first. */
export type AccessSize = 1 | 2 | 4;

/**
 * A memory-mapped device. It sees offsets from its own base, never absolute addresses, and
 * values as unsigned numbers (0 .. 2^(8*size) - 1). A device must never throw on a guest access:
 * unknown offsets read as 0 and ignore writes.
 */
export interface MmioDevice {
  /** Short name used in errors and traces, e.g. `"uart0"`. */
  readonly name: string;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}
