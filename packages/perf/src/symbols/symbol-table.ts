const TWO_32 = 4294967296;

export interface SymbolEntry {
  readonly name: string;
  readonly address: bigint;
  /** Bytes covered; 0 or absent means "up to the next symbol". */
  readonly size?: bigint;
  /** Global symbols win over local and weak ones at the same address. */
  readonly global?: boolean;
}

export interface SymbolMatch {
  readonly name: string;
  /** Bytes from the symbol's start. */
  readonly offset: number;
  readonly address: bigint;
  /** The table's module name when found through a `Symbolizer`. */
  readonly module?: string;
}

/** `start_kernel+0x4`, or the bare name at offset 0. */
export function formatSymbol(match: SymbolMatch): string {
  return match.offset === 0 ? match.name : `${match.name}+0x${match.offset.toString(16)}`;
}

/** Splits a 64-bit address into the lo/hi words the hot paths use. */
export function splitAddress(address: bigint): [lo: number, hi: number] {
  return [Number(address & 0xffffffffn), Number((address >> 32n) & 0xffffffffn)];
}

/** Symbols sorted by address, searched in O(log n) on 32-bit halves without BigInt. */
export class SymbolTable {
  private readonly names: string[];
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly sizes: Float64Array;

  /**
   * Builds a table. `sizeHints` are further addresses (data symbols, section ends) that bound
   * the inferred size of a preceding symbol without becoming symbols themselves.
   */
  constructor(entries: readonly SymbolEntry[], sizeHints: readonly bigint[] = []) {
    const sorted = [...entries].sort((a, b) =>
      a.address < b.address
        ? -1
        : a.address > b.address
          ? 1
          : Number(b.global ?? false) - Number(a.global ?? false) ||
            Number((b.size ?? 0n) > 0n) - Number((a.size ?? 0n) > 0n) ||
            (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    const unique = sorted.filter((entry, i) => i === 0 || entry.address !== sorted[i - 1].address);
    const boundaries = [...new Set([...unique.map((entry) => entry.address), ...sizeHints])].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    this.names = unique.map((entry) => entry.name);
    this.lo = new Uint32Array(unique.length);
    this.hi = new Uint32Array(unique.length);
    this.sizes = new Float64Array(unique.length);
    let boundary = 0;
    unique.forEach((entry, i) => {
      [this.lo[i], this.hi[i]] = splitAddress(entry.address);
      if (entry.size !== undefined && entry.size > 0n) {
        this.sizes[i] = Number(entry.size);
        return;
      }
      while (boundary < boundaries.length && boundaries[boundary] <= entry.address) boundary++;
      this.sizes[i] = boundary < boundaries.length ? Number(boundaries[boundary] - entry.address) : 0;
    });
  }

  get size(): number {
    return this.names.length;
  }

  lookup(address: bigint): SymbolMatch | undefined {
    const [lo, hi] = splitAddress(address);
    return this.lookupParts(lo, hi);
  }

  lookupParts(lo: number, hi: number): SymbolMatch | undefined {
    const index = this.indexOfParts(lo, hi);
    if (index < 0) return undefined;
    return {
      name: this.names[index],
      offset: this.offsetFrom(index, lo >>> 0, hi >>> 0),
      address: this.addressAt(index),
    };
  }

  /** Index of the symbol covering the address, or -1. */
  indexOfParts(lo: number, hi: number): number {
    const tlo = lo >>> 0;
    const thi = hi >>> 0;
    let low = 0;
    let high = this.names.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const mhi = this.hi[mid];
      if (mhi < thi || (mhi === thi && this.lo[mid] <= tlo)) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0) return -1;
    const offset = this.offsetFrom(found, tlo, thi);
    const size = this.sizes[found];
    return offset < size || (size === 0 && offset === 0) ? found : -1;
  }

  nameAt(index: number): string {
    return this.names[index];
  }

  addressAt(index: number): bigint {
    return (BigInt(this.hi[index]) << 32n) | BigInt(this.lo[index]);
  }

  sizeAt(index: number): number {
    return this.sizes[index];
  }

  /** Address of the first symbol with this name (linear; for tools and tests). */
  addressOf(name: string): bigint | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : this.addressAt(index);
  }

  /** Lowest symbol address and the end of the highest symbol, as bigints. */
  range(): { start: bigint; end: bigint } | undefined {
    const last = this.names.length - 1;
    if (last < 0) return undefined;
    return { start: this.addressAt(0), end: this.addressAt(last) + BigInt(Math.max(1, this.sizes[last])) };
  }

  private offsetFrom(index: number, lo: number, hi: number): number {
    return (hi - this.hi[index]) * TWO_32 + (lo - this.lo[index]);
  }
}
