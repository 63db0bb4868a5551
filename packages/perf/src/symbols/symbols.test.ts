import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ElfFormatError, parseElfSymbols } from "./elf-symbols.js";
import { formatSymbol, SymbolTable } from "./symbol-table.js";
import { Symbolizer } from "./symbolizer.js";
import { parseSystemMap } from "./system-map.js";

const GUEST = "/work/shared/guests/linux-6.1-virt";
const SYSTEM_MAP = `${GUEST}/System.map`;
const VMLINUX = `${GUEST}/vmlinux`;

const SMALL_MAP = `0000000000001000 A PECOFF_SECTION_ALIGNMENT
ffffffff80000000 T _start
ffffffff80000040 t relocate
ffffffff80000040 T relocate_alias
ffffffff80000100 W arch_cpu_idle
ffffffff80000180 T do_idle
ffffffff80000200 D some_data
ffffffff80000300 T late_text
`;

interface ElfSymbolSpec {
  name: string;
  value: bigint;
  size: bigint;
  type: number;
  bind: number;
  section: number;
}

/** A minimal ELF64 with sections: null, .text (exec), .data, .symtab, .strtab. */
function buildElf(symbols: readonly ElfSymbolSpec[]): Uint8Array {
  const names = ["", ...symbols.map((s) => s.name)];
  const strtab: number[] = [];
  const nameOffsets = names.map((name) => {
    const offset = strtab.length;
    strtab.push(...new TextEncoder().encode(name), 0);
    return offset;
  });
  const symtabOffset = 64;
  const symtabSize = 24 * (symbols.length + 1);
  const strtabOffset = symtabOffset + symtabSize;
  const shoff = Math.ceil((strtabOffset + strtab.length) / 8) * 8;
  const bytes = new Uint8Array(shoff + 64 * 5);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 243, true); // EM_RISCV
  view.setBigUint64(0x28, BigInt(shoff), true);
  view.setUint16(0x3a, 64, true);
  view.setUint16(0x3c, 5, true);
  symbols.forEach((symbol, i) => {
    const at = symtabOffset + 24 * (i + 1);
    view.setUint32(at, nameOffsets[i + 1], true);
    bytes[at + 4] = (symbol.bind << 4) | symbol.type;
    view.setUint16(at + 6, symbol.section, true);
    view.setBigUint64(at + 8, symbol.value, true);
    view.setBigUint64(at + 16, symbol.size, true);
  });
  bytes.set(strtab, strtabOffset);
  const section = (index: number, type: number, flags: bigint, offset: number, size: number, link = 0) => {
    const at = shoff + 64 * index;
    view.setUint32(at + 4, type, true);
    view.setBigUint64(at + 8, flags, true);
    view.setBigUint64(at + 24, BigInt(offset), true);
    view.setBigUint64(at + 32, BigInt(size), true);
    view.setUint32(at + 40, link, true);
    view.setBigUint64(at + 56, type === 2 ? 24n : 0n, true);
  };
  section(1, 1, 0x6n, 0, 0); // .text: ALLOC | EXECINSTR
  section(2, 1, 0x3n, 0, 0); // .data: WRITE | ALLOC
  section(3, 2, 0n, symtabOffset, symtabSize, 4);
  section(4, 3, 0n, strtabOffset, strtab.length);
  return bytes;
}

const FUNC = 2;
const OBJECT = 1;
const NOTYPE = 0;
const GLOBAL = 1;
const LOCAL = 0;

describe("System.map", () => {
  it("keeps text symbols, infers sizes up to the next symbol of any type", () => {
    const table = parseSystemMap(SMALL_MAP);
    expect(table.size).toBe(5);
    expect(formatSymbol(table.lookup(0xffffffff80000004n)!)).toBe("_start+0x4");
    // Global wins over local at the same address.
    expect(table.lookup(0xffffffff80000040n)).toMatchObject({ name: "relocate_alias", offset: 0 });
    expect(table.lookup(0xffffffff800001ffn)).toMatchObject({ name: "do_idle", offset: 0x7f });
    // The data symbol ends do_idle without becoming a text symbol.
    expect(table.lookup(0xffffffff80000200n)).toBeUndefined();
    expect(table.lookup(0xffffffff7fffffffn)).toBeUndefined();
    // Nothing follows the last symbol, so only its own address matches.
    expect(table.lookup(0xffffffff80000300n)?.name).toBe("late_text");
    expect(table.lookup(0xffffffff80000301n)).toBeUndefined();
  });

  it("includes data symbols when asked", () => {
    const table = parseSystemMap(SMALL_MAP, { symbols: "all" });
    expect(table.lookup(0xffffffff80000208n)).toMatchObject({ name: "some_data", offset: 8 });
  });

  it.skipIf(!existsSync(SYSTEM_MAP))("symbolizes the real guest kernel's System.map", () => {
    const table = parseSystemMap(readFileSync(SYSTEM_MAP, "utf8"));
    expect(table.size).toBeGreaterThan(10000);
    const start = table.addressOf("start_kernel")!;
    expect(start >> 32n).toBe(0xffffffffn);
    expect(formatSymbol(table.lookup(start + 4n)!)).toBe("start_kernel+0x4");
    expect(table.lookup(start)).toMatchObject({ name: "start_kernel", offset: 0, address: start });
  });
});

describe("ELF symbols", () => {
  const elf = buildElf([
    { name: "main", value: 0x10000n, size: 0x40n, type: FUNC, bind: GLOBAL, section: 1 },
    { name: "helper", value: 0x10040n, size: 0x20n, type: FUNC, bind: LOCAL, section: 1 },
    { name: "$x", value: 0x10040n, size: 0n, type: NOTYPE, bind: LOCAL, section: 1 },
    { name: "asm_entry", value: 0x10080n, size: 0n, type: NOTYPE, bind: GLOBAL, section: 1 },
    { name: "table", value: 0x10100n, size: 0x80n, type: OBJECT, bind: GLOBAL, section: 2 },
    { name: "undefined_import", value: 0n, size: 0n, type: FUNC, bind: GLOBAL, section: 0 },
  ]);

  it("reads functions with sizes and untyped code labels, skipping mapping symbols", () => {
    const table = parseElfSymbols(elf);
    expect(table.size).toBe(3);
    expect(table.lookup(0x1003fn)).toMatchObject({ name: "main", offset: 0x3f });
    expect(table.lookup(0x10044n)).toMatchObject({ name: "helper", offset: 4 });
    // helper's explicit size ends it before asm_entry.
    expect(table.lookup(0x10060n)).toBeUndefined();
    // asm_entry has no size: it runs to the data object.
    expect(table.lookup(0x100ffn)).toMatchObject({ name: "asm_entry", offset: 0x7f });
    expect(table.lookup(0x10100n)).toBeUndefined();
  });

  it("adds data objects with symbols: all", () => {
    expect(parseElfSymbols(elf, { symbols: "all" }).lookup(0x10110n)?.name).toBe("table");
  });

  it("rejects non-ELF input", () => {
    expect(() => parseElfSymbols(new Uint8Array(100))).toThrow(ElfFormatError);
  });

  it.skipIf(!existsSync(VMLINUX) || !existsSync(SYSTEM_MAP))(
    "agrees with System.map on the real vmlinux",
    () => {
      const fromElf = parseElfSymbols(readFileSync(VMLINUX));
      const fromMap = parseSystemMap(readFileSync(SYSTEM_MAP, "utf8"));
      const start = fromMap.addressOf("start_kernel")!;
      expect(fromElf.addressOf("start_kernel")).toBe(start);
      expect(formatSymbol(fromElf.lookup(start + 4n)!)).toBe("start_kernel+0x4");
      for (const name of ["do_idle", "schedule", "handle_exception", "panic"]) {
        const address = fromMap.addressOf(name);
        if (address === undefined) continue;
        expect(fromElf.lookup(address + 2n)?.name, name).toBe(fromMap.lookup(address + 2n)?.name);
      }
    },
  );
});

describe("Symbolizer", () => {
  const kernel = new SymbolTable([
    { name: "kfunc", address: 0xffffffff80001000n, size: 0x100n },
    { name: "kother", address: 0xffffffff80001100n, size: 0x100n },
  ]);
  const userA = new SymbolTable([{ name: "a_main", address: 0x1000n, size: 0x200n }]);
  const userB = new SymbolTable([{ name: "b_main", address: 0x1000n, size: 0x200n }]);

  it("combines kernel and per-address-space user tables", () => {
    const symbolizer = new Symbolizer();
    symbolizer.add(kernel, { module: "vmlinux" });
    symbolizer.add(userA, { module: "a.out", asid: 1 });
    symbolizer.add(userB, { module: "b.out", asid: 2, bias: 0x5550000000n });
    expect(symbolizer.lookup(0xffffffff80001104n, 2)).toMatchObject({
      name: "kother",
      offset: 4,
      module: "vmlinux",
    });
    expect(symbolizer.lookup(0x1010n, 1)).toMatchObject({ name: "a_main", offset: 0x10, module: "a.out" });
    expect(symbolizer.lookup(0x5550001010n, 2)).toMatchObject({
      name: "b_main",
      offset: 0x10,
      module: "b.out",
    });
    expect(symbolizer.lookup(0x1010n, 2)).toBeUndefined();
    expect(symbolizer.lookup(0x1010n)).toBeUndefined();
    expect(symbolizer.lookupParts(0x80001000, 0xffffffff)?.name).toBe("kfunc");
    const id = symbolizer.symbolId(0x1010, 0, 1);
    expect(symbolizer.describe(id)).toEqual({ name: "a_main", module: "a.out" });
    expect(symbolizer.describe(symbolizer.symbolId(0x80001100, 0xffffffff))).toEqual({
      name: "kother",
      module: "vmlinux",
    });
  });
});
