/** Builds small ELF64 RISC-V files byte by byte, so tests can corrupt any field. Test-only. */

export interface TestSegment {
  paddr: number;
  vaddr?: bigint;
  data: Uint8Array;
  memsz?: number;
  flags?: number;
}

export interface TestSymbol {
  name: string;
  value: bigint;
  /** STB_GLOBAL = 1 (default), STB_LOCAL = 0. */
  bind?: number;
  /** STT_OBJECT = 1 (default), STT_FUNC = 2, STT_SECTION = 3. */
  kind?: number;
  /** Section index; 0 = undefined symbol. Defaults to 1. */
  shndx?: number;
}

export interface TestElf {
  entry: bigint;
  segments: TestSegment[];
  symbols?: TestSymbol[];
  machine?: number;
}

/** Offsets of interesting fields in the built file. */
export interface TestElfLayout {
  bytes: Uint8Array;
  phoff: number;
  shoff: number;
  symtabOffset: number;
}

export function buildElf(spec: TestElf): TestElfLayout {
  const phnum = spec.segments.length;
  const phoff = 64;
  let at = phoff + phnum * 56;
  const dataOffsets: number[] = [];
  for (const s of spec.segments) {
    at = Math.ceil(at / 8) * 8;
    dataOffsets.push(at);
    at += s.data.length;
  }
  const symbols = spec.symbols ?? [];
  const encoder = new TextEncoder();
  const names: number[] = [0];
  const nameOffsets = symbols.map((s) => {
    const off = names.length;
    names.push(...encoder.encode(s.name), 0);
    return off;
  });
  at = Math.ceil(at / 8) * 8;
  const strtabOffset = at;
  at += names.length;
  at = Math.ceil(at / 8) * 8;
  const symtabOffset = at;
  const symtabSize = (symbols.length + 1) * 24;
  at += symtabSize;
  at = Math.ceil(at / 8) * 8;
  const shoff = at;
  const shnum = symbols.length > 0 ? 3 : 0;
  at += shnum * 64;

  const bytes = new Uint8Array(at);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true);
  v.setUint16(18, spec.machine ?? 243, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, spec.entry, true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setBigUint64(40, BigInt(shnum > 0 ? shoff : 0), true);
  v.setUint32(48, 5, true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, 0, true);
  spec.segments.forEach((s, i) => {
    const p = phoff + i * 56;
    v.setUint32(p, 1, true);
    v.setUint32(p + 4, s.flags ?? 7, true);
    v.setBigUint64(p + 8, BigInt(dataOffsets[i]), true);
    v.setBigUint64(p + 16, s.vaddr ?? BigInt(s.paddr), true);
    v.setBigUint64(p + 24, BigInt(s.paddr), true);
    v.setBigUint64(p + 32, BigInt(s.data.length), true);
    v.setBigUint64(p + 40, BigInt(s.memsz ?? s.data.length), true);
    v.setBigUint64(p + 48, 8n, true);
    bytes.set(s.data, dataOffsets[i]);
  });
  bytes.set(names, strtabOffset);
  symbols.forEach((s, i) => {
    const p = symtabOffset + (i + 1) * 24;
    v.setUint32(p, nameOffsets[i], true);
    v.setUint8(p + 4, ((s.bind ?? 1) << 4) | (s.kind ?? 1));
    v.setUint16(p + 6, s.shndx ?? 1, true);
    v.setBigUint64(p + 8, s.value, true);
  });
  if (shnum > 0) {
    // [0] null, [1] .symtab (link 2), [2] .strtab
    const sym = shoff + 64;
    v.setUint32(sym + 4, 2, true);
    v.setBigUint64(sym + 24, BigInt(symtabOffset), true);
    v.setBigUint64(sym + 32, BigInt(symtabSize), true);
    v.setUint32(sym + 40, 2, true);
    v.setBigUint64(sym + 56, 24n, true);
    const str = shoff + 128;
    v.setUint32(str + 4, 3, true);
    v.setBigUint64(str + 24, BigInt(strtabOffset), true);
    v.setBigUint64(str + 32, BigInt(names.length), true);
  }
  return { bytes, phoff, shoff, symtabOffset };
}
