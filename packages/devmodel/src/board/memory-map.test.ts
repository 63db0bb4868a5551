import { CLINT_MMIO_SIZE } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { overlappingRegions, VIRT_DRAM_BASE, virtMemoryMap, virtRegion } from "./memory-map.js";

describe("virt memory map", () => {
  it("has no overlapping regions for any supported hart count", () => {
    for (let harts = 1; harts <= 8; harts++) {
      expect(overlappingRegions(virtMemoryMap(harts, 256 * 1024 * 1024))).toEqual([]);
    }
  });

  it("detects an overlap", () => {
    const map = [
      ...virtMemoryMap(1, 1 << 20),
      { name: "bad", kind: "test" as const, base: 0x1000_0080, size: 0x100 },
    ];
    expect(overlappingRegions(map).map(([a, b]) => [a.name, b.name])).toEqual([["uart0", "bad"]]);
  });

  it("places devices where QEMU's virt machine does (DESIGN §1)", () => {
    const map = virtMemoryMap(1, 128 * 1024 * 1024);
    const at = (name: string) => {
      const r = virtRegion(map, name);
      return [r.base, r.size, r.irq];
    };
    expect(at("test")).toEqual([0x10_0000, 0x1000, undefined]);
    expect(at("rtc")).toEqual([0x10_1000, 0x1000, 11]);
    expect(at("clint")).toEqual([0x200_0000, CLINT_MMIO_SIZE, undefined]);
    expect(at("plic")).toEqual([0xc00_0000, 0x60_0000, undefined]);
    expect(at("uart0")).toEqual([0x1000_0000, 0x100, 10]);
    for (let n = 0; n < 8; n++)
      expect(at(`virtio-mmio${n}`)).toEqual([0x1000_1000 + n * 0x1000, 0x1000, n + 1]);
    expect(at("dram")).toEqual([VIRT_DRAM_BASE, 128 * 1024 * 1024, undefined]);
  });

  it("gives every interrupt source to one device only", () => {
    const irqs = virtMemoryMap(4, 1 << 20)
      .map((r) => r.irq)
      .filter((irq) => irq !== undefined);
    expect(new Set(irqs).size).toBe(irqs.length);
  });

  it("rejects a lookup of a region it does not have", () => {
    expect(() => virtRegion(virtMemoryMap(1, 1 << 20), "pci")).toThrow(/no region "pci"/);
  });
});
