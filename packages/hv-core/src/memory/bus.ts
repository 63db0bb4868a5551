import type { MmioDevice } from "./mmio.js";

/** A device placed on the bus at `[base, base + size)` (guest physical addresses). */
export interface MmioRegion {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
}

/** Thrown by {@link MmioBus.map} when two regions would overlap. */
export class MmioOverlapError extends Error {
  constructor(
    readonly region: MmioRegion,
    readonly existing: MmioRegion,
  ) {
    super(
      `MMIO region ${region.device.name} [${hex(region.base)}, ${hex(region.base + region.size)}) overlaps ` +
        `${existing.device.name} [${hex(existing.base)}, ${hex(existing.base + existing.size)})`,
    );
    this.name = "MmioOverlapError";
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The MMIO bus: places devices and routes accesses by guest physical address. Addresses are
 * plain numbers (the board lives below 2^53). Lookups cache the last region hit, since guests
 * touch one device many times in a row.
 */
export class MmioBus {
  private readonly regions: MmioRegion[] = [];
  private last: MmioRegion | undefined;

  /** Places `device` at `[base, base + size)`. Throws {@link MmioOverlapError} on overlap. */
  map(base: number, size: number, device: MmioDevice): MmioRegion {
    if (!(size > 0) || !Number.isInteger(base) || !Number.isInteger(size) || base < 0) {
      throw new RangeError(`invalid MMIO region for ${device.name}: base ${base}, size ${size}`);
    }
    const region: MmioRegion = { base, size, device };
    for (const existing of this.regions) {
      if (base < existing.base + existing.size && existing.base < base + size) {
        throw new MmioOverlapError(region, existing);
      }
    }
    this.regions.push(region);
    this.regions.sort((a, b) => a.base - b.base);
    return region;
  }

  /** The region holding `addr`, or undefined when nothing is mapped there. */
  find(addr: number): MmioRegion | undefined {
    const last = this.last;
    if (last !== undefined && addr >= last.base && addr < last.base + last.size) return last;
    for (const r of this.regions) {
      if (addr >= r.base && addr < r.base + r.size) {
        this.last = r;
        return r;
      }
    }
    return undefined;
  }

  /** All mapped regions, lowest base first. */
  list(): readonly MmioRegion[] {
    return this.regions;
  }
}
