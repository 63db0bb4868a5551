import type { GuestMemory } from "@monovisor/hv-core";

const TWO32 = 4294967296;

/**
 * A guest mistake the device cannot work around (a ring outside RAM, a descriptor loop). Thrown
 * inside device code and caught by the transport, which sets DEVICE_NEEDS_RESET; it never reaches
 * the vCPU or the host.
 */
export class VirtioDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VirtioDeviceError";
  }
}

/** Joins a register pair into an address; values past 2^53 lose precision but lie outside RAM anyway. */
export function joinAddress(low: number, high: number): number {
  return (high >>> 0) * TWO32 + (low >>> 0);
}

/**
 * Bounds-checked little-endian access to guest RAM for device code. Every access checks the
 * whole range against RAM and throws {@link VirtioDeviceError} outside it, so a guest-supplied
 * address can never reach host memory outside the guest (or the hart state before RAM).
 *
 * Ring index fields go through `Atomics` on 16-bit-aligned addresses: vCPUs on other threads
 * write them, and the atomic accesses order the ring entries around them.
 */
export class GuestRam {
  private readonly view: DataView;
  private readonly u16: Uint16Array;
  readonly u8: Uint8Array;

  constructor(readonly memory: GuestMemory) {
    this.view = new DataView(memory.buffer);
    this.u16 = memory.u16;
    this.u8 = memory.u8;
  }

  contains(addr: number, length: number): boolean {
    return Number.isFinite(addr) && Number.isFinite(length) && this.memory.containsRam(addr, length);
  }

  /** Host offset of `[addr, addr + length)`, or a device error naming `what`. */
  offset(addr: number, length: number, what: string): number {
    if (!this.contains(addr, length)) {
      throw new VirtioDeviceError(`${what} at 0x${addr.toString(16)} (+${length}) is outside guest RAM`);
    }
    return this.memory.ramOffset + (addr - this.memory.ramBase);
  }

  readU8(addr: number, what: string): number {
    return this.u8[this.offset(addr, 1, what)];
  }

  readU16(addr: number, what: string): number {
    return this.view.getUint16(this.offset(addr, 2, what), true);
  }

  readU32(addr: number, what: string): number {
    return this.view.getUint32(this.offset(addr, 4, what), true);
  }

  /** A 64-bit field as a number (exact below 2^53, far outside RAM above). */
  readU64(addr: number, what: string): number {
    const off = this.offset(addr, 8, what);
    return joinAddress(this.view.getUint32(off, true), this.view.getUint32(off + 4, true));
  }

  /** A 64-bit field exactly. */
  readU64Big(addr: number, what: string): bigint {
    return this.view.getBigUint64(this.offset(addr, 8, what), true);
  }

  writeU8(addr: number, value: number, what: string): void {
    this.u8[this.offset(addr, 1, what)] = value;
  }

  writeU16(addr: number, value: number, what: string): void {
    this.view.setUint16(this.offset(addr, 2, what), value, true);
  }

  writeU32(addr: number, value: number, what: string): void {
    this.view.setUint32(this.offset(addr, 4, what), value, true);
  }

  /** Atomic load of a 2-byte-aligned 16-bit ring field. */
  loadU16(addr: number, what: string): number {
    const off = this.offset(addr, 2, what);
    return (off & 1) === 0 ? Atomics.load(this.u16, off >>> 1) : this.view.getUint16(off, true);
  }

  /** Atomic store of a 2-byte-aligned 16-bit ring field. */
  storeU16(addr: number, value: number, what: string): void {
    const off = this.offset(addr, 2, what);
    if ((off & 1) === 0) Atomics.store(this.u16, off >>> 1, value);
    else this.view.setUint16(off, value, true);
  }

  /** A live view of `[addr, addr + length)` (not a copy). */
  bytes(addr: number, length: number, what: string): Uint8Array {
    const off = this.offset(addr, length, what);
    return this.u8.subarray(off, off + length);
  }
}
