import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestMemory } from "@monovisor/hv-core";
import { afterAll, describe, expect, it } from "vitest";
import { ElfFormatError, ElfLoadError, loadElf, parseElf } from "./elf.js";
import { buildElf } from "./elf-builder.testing.js";

const RAM = 0x8000_0000;

function sample() {
  return buildElf({
    entry: 0x8000_0010n,
    segments: [
      { paddr: RAM, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), memsz: 0x20, flags: 5 },
      { paddr: RAM + 0x1000, data: new Uint8Array([9, 9]), flags: 6 },
    ],
    symbols: [
      { name: "tohost", value: 0x8000_1000n },
      { name: "fromhost", value: 0x8000_1008n },
      { name: "helper", value: 0x8000_0004n, bind: 0, kind: 2 },
      { name: "extern_thing", value: 0n, shndx: 0 },
      { name: ".text", value: BigInt(RAM), kind: 3 },
    ],
  });
}

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ElfFormatError);
  expect((caught as Error).message).toMatch(pattern);
}

describe("parseElf", () => {
  it("returns entry, load segments and defined symbols", () => {
    const img = parseElf(sample().bytes);
    expect(img.entry).toBe(0x8000_0010);
    expect(img.type).toBe("exec");
    expect(img.segments).toHaveLength(2);
    expect(img.segments[0]).toMatchObject({ paddr: RAM, filesz: 8, memsz: 0x20, flags: 5 });
    expect([...img.segments[0].data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(img.symbols.get("tohost")).toBe(0x8000_1000);
    expect(img.symbols.get("fromhost")).toBe(0x8000_1008);
    expect(img.symbols.get("helper")).toBe(0x8000_0004);
    expect(img.symbols.has("extern_thing")).toBe(false);
    expect(img.symbols.has(".text")).toBe(false);
    expect(img.start).toBe(RAM);
    expect(img.end).toBe(RAM + 0x1002);
  });

  it("prefers a global symbol over a local of the same name", () => {
    const { bytes } = buildElf({
      entry: BigInt(RAM),
      segments: [{ paddr: RAM, data: new Uint8Array(4) }],
      symbols: [
        { name: "x", value: 0x8000_0100n, bind: 0 },
        { name: "x", value: 0x8000_0200n, bind: 1 },
      ],
    });
    expect(parseElf(bytes).symbols.get("x")).toBe(0x8000_0200);
  });

  it("translates a virtual entry through its executable segment", () => {
    const { bytes } = buildElf({
      entry: 0xffff_ffff_8000_0040n,
      segments: [
        { paddr: 0x8020_0000, vaddr: 0xffff_ffff_8000_0000n, data: new Uint8Array(0x100), flags: 5 },
      ],
      symbols: [{ name: "_start", value: 0xffff_ffff_8000_0040n }],
    });
    const img = parseElf(bytes);
    expect(img.entry).toBe(0x8020_0040);
    // High-half symbols cannot be numbers, so they are left out rather than rounded.
    expect(img.symbols.has("_start")).toBe(false);
  });

  it("rejects files that are not ELF64 little-endian RISC-V executables", () => {
    const good = sample().bytes;
    expectFormatError(new Uint8Array(10), /shorter than the 64-byte/);
    const patch = (at: number, value: number) => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    expectFormatError(patch(0, 0x7e), /bad magic/);
    expectFormatError(patch(4, 1), /not ELFCLASS64/);
    expectFormatError(patch(5, 2), /not little-endian/);
    expectFormatError(patch(6, 0), /version/);
    expectFormatError(patch(16, 1), /not an executable/);
    expectFormatError(buildElf({ entry: 0n, segments: [], machine: 62 }).bytes, /machine 62 is not RISC-V/);
    expectFormatError(buildElf({ entry: 0n, segments: [] }).bytes, /no program headers/);
  });

  it("rejects headers and segments that point outside the file", () => {
    const { bytes, phoff, shoff, symtabOffset } = sample();
    const v = (b: Uint8Array) => new DataView(b.buffer);

    const phTable = bytes.slice();
    v(phTable).setBigUint64(32, BigInt(bytes.length - 8), true);
    expectFormatError(phTable, /program header table .* outside/);

    const segData = bytes.slice();
    v(segData).setBigUint64(phoff + 32, 0x10_0000n, true);
    v(segData).setBigUint64(phoff + 40, 0x10_0000n, true);
    expectFormatError(segData, /segment 0 data .* outside/);

    const bss = bytes.slice();
    v(bss).setBigUint64(phoff + 40, 4n, true);
    expectFormatError(bss, /file size 8 exceeds its memory size 4/);

    const huge = bytes.slice();
    v(huge).setBigUint64(phoff + 24, 0xffff_ffff_ffff_0000n, true);
    expectFormatError(huge, /physical address 0xffffffffffff0000 is too large/);

    const sections = bytes.slice();
    v(sections).setUint16(60, 200, true);
    expectFormatError(sections, /section header table .* outside/);

    const strLink = bytes.slice();
    v(strLink).setUint32(shoff + 64 + 40, 1, true);
    expectFormatError(strLink, /not a string table/);

    const symName = bytes.slice();
    v(symName).setUint32(symtabOffset + 24, 0xffff, true);
    expectFormatError(symName, /symbol name offset 65535 out of bounds/);
  });

  it("rejects overlapping segments", () => {
    const { bytes } = buildElf({
      entry: BigInt(RAM),
      segments: [
        { paddr: RAM, data: new Uint8Array(16), memsz: 0x100 },
        { paddr: RAM + 0x80, data: new Uint8Array(16) },
      ],
    });
    expectFormatError(bytes, /overlap/);
  });

  it("gives only ElfFormatError for every truncation and for random corruption", () => {
    const good = sample().bytes;
    for (let n = 0; n < good.length; n++) {
      try {
        parseElf(good.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(ElfFormatError);
      }
    }
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let round = 0; round < 2000; round++) {
      const b = good.slice();
      for (let k = 0; k < 4; k++) b[rand() % b.length] = rand() & 0xff;
      try {
        parseElf(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ElfFormatError);
      }
    }
  });
});

describe("loadElf", () => {
  it("copies segments and zero-fills bss", () => {
    const mem = new GuestMemory({ ramSize: 64 * 1024 });
    mem.writeBytes(RAM, new Uint8Array(0x40).fill(0xee));
    const img = loadElf(mem, sample().bytes);
    expect(img.entry).toBe(0x8000_0010);
    expect([...mem.readBytes(RAM, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mem.readBytes(RAM + 8, 0x18).every((b) => b === 0)).toBe(true);
    expect(mem.readBytes(RAM + 0x20, 1)[0]).toBe(0xee);
    expect([...mem.readBytes(RAM + 0x1000, 2)]).toEqual([9, 9]);
  });

  it("refuses a segment outside RAM and leaves RAM untouched", () => {
    const mem = new GuestMemory({ ramSize: 4096 });
    // The first segment fits; the second (0x8000_1000) is one page past the end of RAM.
    expect(() => loadElf(mem, sample().bytes)).toThrow(ElfLoadError);
    expect(() => loadElf(mem, sample().bytes)).toThrow(/outside RAM \[0x80000000, 0x80001000\)/);
    expect(mem.readBytes(RAM, 8).every((b) => b === 0)).toBe(true);
  });
});

const GCC = "riscv64-unknown-elf-gcc";
function haveTool(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!haveTool(GCC))("loadElf on a real toolchain output", () => {
  const dir = mkdtempSync(join(tmpdir(), "monovisor-elf-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds tohost/fromhost and the segments readelf reports", () => {
    const src = join(dir, "htif.c");
    const out = join(dir, "htif.elf");
    writeFileSync(
      src,
      `volatile unsigned long tohost __attribute__((section(".tohost"), aligned(64)));
volatile unsigned long fromhost __attribute__((section(".tohost")));
static unsigned char scratch[8192];
const char message[] = "hello";
void _start(void) { scratch[5] = message[0]; tohost = 1; for (;;) {} }
`,
    );
    const ld = join(dir, "link.ld");
    // The layout riscv-tests use: code at the start of RAM, then tohost, data and bss.
    writeFileSync(
      ld,
      `ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text*) }
  . = ALIGN(0x1000);
  .tohost : { *(.tohost) }
  .data : { *(.rodata*) *(.data*) *(.sdata*) }
  .bss : { *(.sbss*) *(.bss*) }
}
`,
    );
    execFileSync(GCC, ["-O1", "-mcmodel=medany", "-nostdlib", "-static", "-T", ld, "-o", out, src]);
    const bytes = new Uint8Array(readFileSync(out));
    const img = parseElf(bytes);

    const readelfSyms = execFileSync("riscv64-unknown-elf-readelf", ["-sW", out], { encoding: "utf8" });
    const symbol = (name: string) => {
      const line = readelfSyms.split("\n").find((l) => l.trim().endsWith(` ${name}`));
      if (line === undefined) throw new Error(`readelf has no ${name}`);
      return Number.parseInt(line.trim().split(/\s+/)[1], 16);
    };
    expect(img.symbols.get("tohost")).toBe(symbol("tohost"));
    expect(img.symbols.get("fromhost")).toBe(symbol("fromhost"));
    expect(img.symbols.get("_start")).toBe(symbol("_start"));
    expect(img.entry).toBe(symbol("_start"));

    const readelfSegs = execFileSync("riscv64-unknown-elf-readelf", ["-lW", out], { encoding: "utf8" });
    const loads = readelfSegs
      .split("\n")
      .filter((l) => l.trim().startsWith("LOAD"))
      .map((l) => l.trim().split(/\s+/))
      .map((f) => ({ paddr: Number(f[3]), filesz: Number(f[4]), memsz: Number(f[5]) }))
      .filter((s) => s.memsz > 0);
    expect(img.segments.map(({ paddr, filesz, memsz }) => ({ paddr, filesz, memsz }))).toEqual(loads);

    const mem = new GuestMemory({ ramSize: 1024 * 1024 });
    loadElf(mem, bytes);
    const msgAt = symbol("message");
    expect(new TextDecoder().decode(mem.readBytes(msgAt, 5))).toBe("hello");
  });
});

const OPENSBI = "/work/shared/guests/firmware/fw_jump.elf";
describe.skipIf(!existsSync(OPENSBI))("OpenSBI fw_jump.elf", () => {
  it("parses and loads at 0x80000000 with its symbols from .dynsym", () => {
    const bytes = new Uint8Array(readFileSync(OPENSBI));
    const mem = new GuestMemory({ ramSize: 4 * 1024 * 1024 });
    const img = loadElf(mem, bytes);
    expect(img.entry).toBe(RAM);
    expect(img.start).toBe(RAM);
    expect(img.end).toBeGreaterThan(RAM + 0x1_0000);
    expect(img.symbols.size).toBeGreaterThan(0);
  });
});
