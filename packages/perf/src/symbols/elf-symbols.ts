import { type SymbolEntry, SymbolTable } from "./symbol-table.js";

export class ElfFormatError extends Error {
  override readonly name = "ElfFormatError";
}

export interface ElfSymbolOptions {
  /** `functions` keeps FUNC symbols and untyped labels in executable sections; `all` adds data. */
  readonly symbols?: "functions" | "all";
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHF_EXECINSTR = 0x4;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_LOCAL = 0;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SYMBOL_BYTES = 24;

interface Section {
  readonly type: number;
  readonly flags: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

/**
 * Reads the symbol table of an ELF64 file (`.symtab`, else `.dynsym`). Values are link-time
 * addresses; give a `Symbolizer` the load bias of a position-independent object.
 */
export function parseElfSymbols(bytes: Uint8Array, options: ElfSymbolOptions = {}): SymbolTable {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfFormatError("not an ELF file");
  }
  if (bytes[4] !== 2) throw new ElfFormatError("only ELF64 is supported");
  const little = bytes[5] === 1;
  if (!little && bytes[5] !== 2) throw new ElfFormatError("bad ELF data encoding");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const u64 = (at: number) => view.getBigUint64(at, little);
  const inBounds = (offset: number, size: number) =>
    offset >= 0 && size >= 0 && offset + size <= bytes.length;

  const shoff = Number(u64(0x28));
  const shentsize = u16(0x3a);
  const shnum = u16(0x3c);
  if (shnum === 0 || shentsize < 64 || !inBounds(shoff, shnum * shentsize)) {
    throw new ElfFormatError("ELF section headers missing or out of range");
  }
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: u32(at + 4),
      flags: u64(at + 8),
      offset: Number(u64(at + 24)),
      size: Number(u64(at + 32)),
      link: u32(at + 40),
      entsize: Number(u64(at + 56)),
    });
  }
  const symtab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  if (symtab === undefined) return new SymbolTable([]);
  const strtab = sections[symtab.link];
  if (
    strtab === undefined ||
    !inBounds(symtab.offset, symtab.size) ||
    !inBounds(strtab.offset, strtab.size)
  ) {
    throw new ElfFormatError("ELF symbol or string table out of range");
  }
  const entsize = symtab.entsize || SYMBOL_BYTES;
  const decoder = new TextDecoder();
  const nameAt = (offset: number): string => {
    const start = strtab.offset + offset;
    const limit = strtab.offset + strtab.size;
    let end = start;
    while (end < limit && bytes[end] !== 0) end++;
    return decoder.decode(bytes.subarray(start, end));
  };

  const wantData = options.symbols === "all";
  const entries: SymbolEntry[] = [];
  const hints: bigint[] = [];
  for (let at = symtab.offset; at + SYMBOL_BYTES <= symtab.offset + symtab.size; at += entsize) {
    const info = bytes[at + 4];
    const shndx = u16(at + 6);
    if (shndx === SHN_UNDEF || shndx >= SHN_LORESERVE) continue;
    const type = info & 0xf;
    if (type !== STT_NOTYPE && type !== STT_OBJECT && type !== STT_FUNC) continue;
    const address = u64(at + 8);
    const size = u64(at + 16);
    const executable = ((sections[shndx]?.flags ?? 0n) & BigInt(SHF_EXECINSTR)) !== 0n;
    const keep =
      type === STT_FUNC || (type === STT_NOTYPE && executable) || (wantData && type === STT_OBJECT);
    if (!keep) {
      hints.push(address);
      if (size > 0n) hints.push(address + size);
      continue;
    }
    const name = nameAt(u32(at));
    // RISC-V mapping symbols ($x, $d) and assembler-local labels name no function.
    if (name === "" || name.startsWith("$") || name.startsWith(".L")) continue;
    entries.push({ name, address, size, global: info >> 4 !== STB_LOCAL });
  }
  return new SymbolTable(entries, hints);
}
