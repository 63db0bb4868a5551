import { type SymbolMatch, type SymbolTable, splitAddress } from "./symbol-table.js";

export interface SymbolModuleOptions {
  /** Shown in reports, e.g. `vmlinux` or `busybox`. */
  readonly module: string;
  /** Address space (guest ASID or process id) the table belongs to; omit for the kernel. */
  readonly asid?: number;
  /** Load bias: runtime address minus link address. */
  readonly bias?: bigint;
}

interface Module {
  readonly name: string;
  readonly table: SymbolTable;
  readonly asid: number | undefined;
  readonly biasLo: number;
  readonly biasHi: number;
  /** First id of this module's symbols in the symbolizer's id space. */
  readonly idBase: number;
}

export interface SymbolDescription {
  readonly name: string;
  readonly module: string;
}

/**
 * Several symbol tables (the kernel, user programs per address space) behind one lookup.
 * Tables for a specific address space are tried before global ones.
 */
export class Symbolizer {
  private readonly modules: Module[] = [];
  private nextId = 0;

  add(table: SymbolTable, options: SymbolModuleOptions): void {
    const [biasLo, biasHi] = splitAddress(BigInt.asUintN(64, options.bias ?? 0n));
    this.modules.push({
      name: options.module,
      table,
      asid: options.asid,
      biasLo,
      biasHi,
      idBase: this.nextId,
    });
    this.nextId += table.size;
  }

  lookup(address: bigint, asid?: number): SymbolMatch | undefined {
    const [lo, hi] = splitAddress(BigInt.asUintN(64, address));
    return this.lookupParts(lo, hi, asid);
  }

  lookupParts(lo: number, hi: number, asid?: number): SymbolMatch | undefined {
    const id = this.symbolId(lo, hi, asid);
    if (id < 0) return undefined;
    const module = this.moduleOf(id);
    const [linkLo, linkHi] = unbias(module, lo, hi);
    const match = module.table.lookupParts(linkLo, linkHi);
    return match === undefined ? undefined : { ...match, module: module.name };
  }

  /**
   * A dense id for the symbol covering an address, or -1; stable for this symbolizer, so
   * aggregators can count by id without building strings.
   */
  symbolId(lo: number, hi: number, asid?: number): number {
    for (let pass = 0; pass < 2; pass++) {
      for (const module of this.modules) {
        if (pass === 0 ? module.asid === undefined || module.asid !== asid : module.asid !== undefined)
          continue;
        const [linkLo, linkHi] = unbias(module, lo, hi);
        const index = module.table.indexOfParts(linkLo, linkHi);
        if (index >= 0) return module.idBase + index;
      }
    }
    return -1;
  }

  describe(id: number): SymbolDescription | undefined {
    if (id < 0 || id >= this.nextId) return undefined;
    const module = this.moduleOf(id);
    return { name: module.table.nameAt(id - module.idBase), module: module.name };
  }

  private moduleOf(id: number): Module {
    for (const module of this.modules) {
      if (id >= module.idBase && id < module.idBase + module.table.size) return module;
    }
    throw new RangeError(`symbol id ${id} out of range`);
  }
}

function unbias(module: Module, lo: number, hi: number): [number, number] {
  const newLo = ((lo >>> 0) - module.biasLo) >>> 0;
  const borrow = lo >>> 0 < module.biasLo ? 1 : 0;
  return [newLo, ((hi >>> 0) - module.biasHi - borrow) >>> 0];
}
