import type { GuestMemory } from "@monovisor/hv-core";

/** ELF constants used here, with the names of the System V gABI. */
const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian
const EI_CLASS = 4;
const EI_DATA = 5;
const EI_VERSION = 6;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
/** e_machine of RISC-V. */
export const EM_RISCV = 243;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const PT_LOAD = 1;
const PF_X = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;
/** e_phnum value meaning "the real count is in section 0's sh_info". */
const PN_XNUM = 0xffff;
const STT_SECTION = 3;
const STT_FILE = 4;
const STB_LOCAL = 0;

/** Raised for input that is not a well-formed ELF64 little-endian RISC-V executable. */
export class ElfFormatError extends Error {
  constructor(message: string) {
    super(`invalid ELF: ${message}`);
    this.name = "ElfFormatError";
  }
}

/** Raised when a well-formed ELF does not fit the guest's RAM. */
export class ElfLoadError extends Error {
  constructor(message: string) {
    super(`cannot load ELF: ${message}`);
    this.name = "ElfLoadError";
  }
}

/** One PT_LOAD segment, placed by its physical address as QEMU's loader does. */
export interface ElfSegment {
  /** Guest physical load address (p_paddr). */
  readonly paddr: number;
  /** Bytes taken from the file (p_filesz). */
  readonly filesz: number;
  /** Bytes occupied in memory (p_memsz); the part past `filesz` is zero (bss). */
  readonly memsz: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  readonly flags: number;
  /** The file bytes, a view into the input. */
  readonly data: Uint8Array;
}

export interface ElfImage {
  /** Physical entry point: e_entry, translated through its segment when vaddr != paddr. */
  readonly entry: number;
  /** "exec" (ET_EXEC) or "dyn" (ET_DYN, loaded at its link addresses without relocation). */
  readonly type: "exec" | "dyn";
  /** e_flags: RVC, float ABI, RVE, TSO. */
  readonly flags: number;
  readonly segments: readonly ElfSegment[];
  /**
   * Defined symbols (from .symtab, else .dynsym) by name; globals win over locals of the same name.
   * Symbols whose value does not fit 2^53 (high-half kernel addresses) are left out.
   */
  readonly symbols: ReadonlyMap<string, number>;
  /** Lowest and one-past-highest physical address of all segments (both 0 when there are none). */
  readonly start: number;
  readonly end: number;
}

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** Bounds-checked little-endian reads that fail with {@link ElfFormatError}. */
class ElfReader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  check(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new ElfFormatError(
        `${what} [${hex(offset)}, ${hex(offset + length)}) lies outside the ${this.bytes.length}-byte file`,
      );
    }
  }
  u8(offset: number): number {
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
  u64Big(offset: number): bigint {
    return this.view.getBigUint64(offset, true);
  }
  /** A 64-bit field that must fit a JavaScript number exactly. */
  u64(offset: number, what: string): number {
    const v = this.u64Big(offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfFormatError(`${what} ${hex(v)} is too large`);
    return Number(v);
  }
}

interface SectionHeader {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: number;
}

interface RawSegment extends ElfSegment {
  readonly vaddr: bigint;
}

/** Parses and validates an ELF64 little-endian RISC-V executable without loading it. */
export function parseElf(bytes: Uint8Array): ElfImage {
  const r = new ElfReader(bytes);
  if (bytes.length < EHDR_SIZE) {
    throw new ElfFormatError(`file is ${bytes.length} bytes, shorter than the 64-byte ELF64 header`);
  }
  if (r.u32(0) !== ELF_MAGIC) throw new ElfFormatError("bad magic, not an ELF file");
  if (r.u8(EI_CLASS) !== ELFCLASS64) {
    throw new ElfFormatError(`class ${r.u8(EI_CLASS)} is not ELFCLASS64 (2); RV32 images are not supported`);
  }
  if (r.u8(EI_DATA) !== ELFDATA2LSB) throw new ElfFormatError("not little-endian (EI_DATA != ELFDATA2LSB)");
  if (r.u8(EI_VERSION) !== EV_CURRENT || r.u32(20) !== EV_CURRENT) {
    throw new ElfFormatError("unknown ELF version");
  }
  const machine = r.u16(18);
  if (machine !== EM_RISCV) throw new ElfFormatError(`machine ${machine} is not RISC-V (${EM_RISCV})`);
  const elfType = r.u16(16);
  if (elfType !== ET_EXEC && elfType !== ET_DYN) {
    throw new ElfFormatError(`type ${elfType} is not an executable (ET_EXEC or ET_DYN)`);
  }
  const entryRaw = r.u64Big(24);
  const phoff = r.u64(32, "program header offset");
  const shoff = r.u64(40, "section header offset");
  const flags = r.u32(48);
  const phentsize = r.u16(54);
  let phnum = r.u16(56);
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);

  // Section 0 holds the real counts when they overflow the 16-bit header fields.
  if (shoff !== 0) {
    if (shentsize !== SHDR_SIZE) throw new ElfFormatError(`section header size ${shentsize}, expected 64`);
    r.check(shoff, SHDR_SIZE, "section header 0");
    if (shnum === 0) shnum = r.u64(shoff + 32, "section count");
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
    if (phnum === PN_XNUM) phnum = r.u32(shoff + 44);
  } else if (phnum === PN_XNUM) {
    throw new ElfFormatError("extended program header count without a section header table");
  }
  if (phnum === 0) throw new ElfFormatError("no program headers");
  if (phentsize !== PHDR_SIZE) throw new ElfFormatError(`program header size ${phentsize}, expected 56`);
  r.check(phoff, phnum * PHDR_SIZE, "program header table");

  const segments = readLoadSegments(r, phoff, phnum);
  const entry = physicalEntry(entryRaw, segments);
  const sections = shoff === 0 ? [] : readSectionHeaders(r, shoff, shnum);
  const symbols = readSymbols(r, sections);

  let start = segments.length > 0 ? Number.MAX_SAFE_INTEGER : 0;
  let end = 0;
  for (const s of segments) {
    start = Math.min(start, s.paddr);
    end = Math.max(end, s.paddr + s.memsz);
  }
  return {
    entry,
    type: elfType === ET_EXEC ? "exec" : "dyn",
    flags,
    segments: segments.map(({ paddr, filesz, memsz, flags, data }) => ({
      paddr,
      filesz,
      memsz,
      flags,
      data,
    })),
    symbols,
    start,
    end,
  };
}

function readLoadSegments(r: ElfReader, phoff: number, phnum: number): RawSegment[] {
  const segments: RawSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    if (r.u32(at) !== PT_LOAD) continue;
    const what = `segment ${i}`;
    const flags = r.u32(at + 4);
    const offset = r.u64(at + 8, `${what} file offset`);
    const vaddr = r.u64Big(at + 16);
    const paddr = r.u64(at + 24, `${what} physical address`);
    const filesz = r.u64(at + 32, `${what} file size`);
    const memsz = r.u64(at + 40, `${what} memory size`);
    if (filesz > memsz)
      throw new ElfFormatError(`${what} file size ${filesz} exceeds its memory size ${memsz}`);
    if (paddr + memsz > Number.MAX_SAFE_INTEGER) throw new ElfFormatError(`${what} ends beyond 2^53`);
    r.check(offset, filesz, `${what} data`);
    if (memsz === 0) continue;
    segments.push({ paddr, vaddr, filesz, memsz, flags, data: r.bytes.subarray(offset, offset + filesz) });
  }
  const sorted = [...segments].sort((a, b) => a.paddr - b.paddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].paddr < prev.paddr + prev.memsz) {
      throw new ElfFormatError(
        `segments at ${hex(prev.paddr)} and ${hex(sorted[i].paddr)} overlap in physical memory`,
      );
    }
  }
  return segments;
}

/** e_entry is virtual; like QEMU, translate it through the executable segment that holds it. */
function physicalEntry(entry: bigint, segments: readonly RawSegment[]): number {
  for (const s of segments) {
    const paddr = BigInt(s.paddr);
    if (
      (s.flags & PF_X) !== 0 &&
      s.vaddr !== paddr &&
      entry >= s.vaddr &&
      entry < s.vaddr + BigInt(s.filesz)
    ) {
      return Number(entry - s.vaddr + paddr);
    }
  }
  if (entry > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfFormatError(`entry point ${hex(entry)} is not inside any loadable segment`);
  }
  return Number(entry);
}

function readSectionHeaders(r: ElfReader, shoff: number, shnum: number): SectionHeader[] {
  r.check(shoff, shnum * SHDR_SIZE, "section header table");
  const sections: SectionHeader[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    sections.push({
      type: r.u32(at + 4),
      offset: r.u64(at + 24, `section ${i} offset`),
      size: r.u64(at + 32, `section ${i} size`),
      link: r.u32(at + 40),
      entsize: r.u64(at + 56, `section ${i} entry size`),
    });
  }
  return sections;
}

function readSymbols(r: ElfReader, sections: readonly SectionHeader[]): Map<string, number> {
  const symbols = new Map<string, number>();
  const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  if (table === undefined) return symbols;
  if (table.entsize !== SYM_SIZE) throw new ElfFormatError(`symbol entry size ${table.entsize}, expected 24`);
  if (table.size % SYM_SIZE !== 0) throw new ElfFormatError("symbol table size is not a multiple of 24");
  r.check(table.offset, table.size, "symbol table");
  const strtab = sections[table.link];
  if (strtab === undefined || strtab.type !== SHT_STRTAB) {
    throw new ElfFormatError(`symbol table links to section ${table.link}, which is not a string table`);
  }
  r.check(strtab.offset, strtab.size, "symbol string table");
  const names = r.bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const decoder = new TextDecoder();
  const locals = new Map<string, number>();
  for (let at = table.offset; at < table.offset + table.size; at += SYM_SIZE) {
    const nameOffset = r.u32(at);
    const info = r.u8(at + 4);
    const shndx = r.u16(at + 6);
    const kind = info & 0xf;
    if (nameOffset === 0 || shndx === SHN_UNDEF || kind === STT_SECTION || kind === STT_FILE) continue;
    if (nameOffset >= names.length)
      throw new ElfFormatError(`symbol name offset ${nameOffset} out of bounds`);
    const nul = names.indexOf(0, nameOffset);
    if (nul < 0) throw new ElfFormatError("unterminated symbol name");
    const value = r.u64Big(at + 8);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const name = decoder.decode(names.subarray(nameOffset, nul));
    const into = info >> 4 === STB_LOCAL ? locals : symbols;
    if (!into.has(name)) into.set(name, Number(value));
  }
  for (const [name, value] of locals) if (!symbols.has(name)) symbols.set(name, value);
  return symbols;
}

/**
 * Parses `bytes` and copies every PT_LOAD segment to guest RAM at its physical address, zeroing
 * the bss tail. Checks every segment before writing any, so a refused image leaves RAM untouched.
 *
 * @throws ElfFormatError for malformed input, ElfLoadError when a segment lies outside RAM.
 */
export function loadElf(memory: GuestMemory, bytes: Uint8Array): ElfImage {
  const image = parseElf(bytes);
  for (const s of image.segments) {
    if (!memory.containsRam(s.paddr, s.memsz)) {
      throw new ElfLoadError(
        `segment [${hex(s.paddr)}, ${hex(s.paddr + s.memsz)}) lies outside RAM ` +
          `[${hex(memory.ramBase)}, ${hex(memory.ramBase + memory.ramSize)})`,
      );
    }
  }
  for (const s of image.segments) {
    memory.writeBytes(s.paddr, s.data);
    if (s.memsz > s.filesz) memory.zero(s.paddr + s.filesz, s.memsz - s.filesz);
  }
  return image;
}
