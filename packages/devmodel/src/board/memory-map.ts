/**
 * The memory map of the QEMU-compatible `virt` board (DESIGN §1). This one table drives both the
 * bus wiring in {@link VirtMachine} and the generated device tree, as QEMU's `hw/riscv/virt.c`
 * does with `virt_memmap[]`, so the two cannot disagree.
 */
import { CLINT_MMIO_SIZE, plicMmioSize, SSWI_MMIO_SIZE } from "@monovisor/hv-core";

/** What occupies a region; the device tree and the wiring switch on it. */
export type VirtRegionKind = "test" | "rtc" | "clint" | "sswi" | "plic" | "uart" | "virtio-mmio" | "dram";

export interface VirtRegion {
  /** Unique name, e.g. `"uart0"`, `"virtio-mmio3"`. */
  readonly name: string;
  readonly kind: VirtRegionKind;
  readonly base: number;
  readonly size: number;
  /** PLIC source the device drives, if any. */
  readonly irq?: number;
}

export const VIRT_TEST_BASE = 0x0010_0000;
export const VIRT_RTC_BASE = 0x0010_1000;
export const VIRT_CLINT_BASE = 0x0200_0000;
/** QEMU places the ACLINT SSWI here when `aclint=on`; it lies inside no other region. */
export const VIRT_SSWI_BASE = 0x02f0_0000;
export const VIRT_PLIC_BASE = 0x0c00_0000;
export const VIRT_UART0_BASE = 0x1000_0000;
export const VIRT_VIRTIO_BASE = 0x1000_1000;
export const VIRT_VIRTIO_STRIDE = 0x1000;
export const VIRT_VIRTIO_COUNT = 8;
export const VIRT_DRAM_BASE = 0x8000_0000;

export const VIRT_UART0_IRQ = 10;
export const VIRT_RTC_IRQ = 11;
/** virtio-mmio slot `n` (0-based) drives PLIC source `n + 1`. */
export const VIRT_VIRTIO_IRQ_BASE = 1;
/** The PLIC window QEMU reserves (enough for its maximum of harts). */
export const VIRT_PLIC_WINDOW = 0x60_0000;

/** The `virt` board's regions for `hartCount` harts and `ramSize` bytes of RAM, lowest base first. */
export function virtMemoryMap(hartCount: number, ramSize: number): readonly VirtRegion[] {
  const regions: VirtRegion[] = [
    { name: "test", kind: "test", base: VIRT_TEST_BASE, size: 0x1000 },
    { name: "rtc", kind: "rtc", base: VIRT_RTC_BASE, size: 0x1000, irq: VIRT_RTC_IRQ },
    { name: "clint", kind: "clint", base: VIRT_CLINT_BASE, size: CLINT_MMIO_SIZE },
    { name: "sswi", kind: "sswi", base: VIRT_SSWI_BASE, size: SSWI_MMIO_SIZE },
    {
      name: "plic",
      kind: "plic",
      base: VIRT_PLIC_BASE,
      size: Math.max(VIRT_PLIC_WINDOW, plicMmioSize(hartCount)),
    },
    { name: "uart0", kind: "uart", base: VIRT_UART0_BASE, size: 0x100, irq: VIRT_UART0_IRQ },
  ];
  for (let n = 0; n < VIRT_VIRTIO_COUNT; n++) {
    regions.push({
      name: `virtio-mmio${n}`,
      kind: "virtio-mmio",
      base: VIRT_VIRTIO_BASE + n * VIRT_VIRTIO_STRIDE,
      size: VIRT_VIRTIO_STRIDE,
      irq: VIRT_VIRTIO_IRQ_BASE + n,
    });
  }
  regions.push({ name: "dram", kind: "dram", base: VIRT_DRAM_BASE, size: ramSize });
  return regions;
}

/** The region named `name`; throws if the map has none (a programming error). */
export function virtRegion(map: readonly VirtRegion[], name: string): VirtRegion {
  const region = map.find((r) => r.name === name);
  if (region === undefined) throw new Error(`the virt memory map has no region "${name}"`);
  return region;
}

/** Pairs of regions that overlap; empty for a well-formed map. */
export function overlappingRegions(map: readonly VirtRegion[]): [VirtRegion, VirtRegion][] {
  const out: [VirtRegion, VirtRegion][] = [];
  for (let i = 0; i < map.length; i++) {
    for (let j = i + 1; j < map.length; j++) {
      const a = map[i];
      const b = map[j];
      if (a.base < b.base + b.size && b.base < a.base + a.size) out.push([a, b]);
    }
  }
  return out;
}
