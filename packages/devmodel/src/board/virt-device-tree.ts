import { DeviceTree, type FdtNode, u64Cells } from "../fdt/device-tree.js";
import type { VirtRegion } from "./memory-map.js";

/**
 * The ISA the hart implements, in the form Linux 6.1's `riscv_fill_hwcap` parses: single letters
 * after `rv64`, then `_`-separated multi-letter extensions. Linux ignores names it does not know.
 */
export const VIRT_RISCV_ISA = "rv64imafdc_zicsr_zifencei_zicntr_zihintpause_zba_zbb_zbs_sstc";
/** The widest paging mode the hart implements (it also does Sv39). */
export const VIRT_MMU_TYPE = "riscv,sv48";
export const VIRT_TIMEBASE_FREQUENCY = 10_000_000;
/** The 16550's input clock as QEMU reports it (3.6864 MHz). */
export const VIRT_UART_CLOCK_FREQUENCY = 3_686_400;
/** `sifive,test` values the syscon-poweroff / syscon-reboot drivers write. */
const SYSCON_POWEROFF_VALUE = 0x5555;
const SYSCON_REBOOT_VALUE = 0x7777;

/** Interrupt numbers a hart's `riscv,cpu-intc` takes in `interrupts-extended`. */
const INTC_S_SOFT = 1;
const INTC_M_SOFT = 3;
const INTC_M_TIMER = 7;
const INTC_S_EXT = 9;
const INTC_M_EXT = 11;

export interface VirtDeviceTreeOptions {
  readonly map: readonly VirtRegion[];
  readonly hartCount: number;
  /** PLIC sources (`riscv,ndev`). */
  readonly plicSources: number;
  readonly bootargs?: string;
  /**
   * Initial ramdisk `[start, end)`. Give a placeholder of the final width (any numbers) to size
   * a draft tree: the values are always written as 64-bit cells, so the size does not change.
   */
  readonly initrd?: { readonly start: number; readonly end: number };
  readonly isa?: string;
  readonly mmuType?: string;
  readonly timebaseFrequency?: number;
  readonly model?: string;
}

function reg(region: VirtRegion): number[] {
  return [...u64Cells(region.base), ...u64Cells(region.size)];
}

function unitName(prefix: string, region: VirtRegion): string {
  return `${prefix}@${region.base.toString(16)}`;
}

/**
 * Builds the device tree of the `virt` board from its memory map, with the nodes, properties and
 * names `qemu-system-riscv64 -M virt` generates (compare `-M virt,dumpdtb=virt.dtb`), so kernels
 * and firmware built for QEMU find what they expect.
 */
export function buildVirtDeviceTree(options: VirtDeviceTreeOptions): DeviceTree {
  const { map, hartCount } = options;
  const tree = new DeviceTree({ bootCpuId: 0 });
  const root = tree.root;
  root
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setString("compatible", "riscv-virtio")
    .setString("model", options.model ?? "riscv-virtio,monovisor");

  const chosen = root.addNode("chosen");
  const cpus = root.addNode("cpus");
  cpus
    .setU32("#address-cells", 1)
    .setU32("#size-cells", 0)
    .setU32("timebase-frequency", options.timebaseFrequency ?? VIRT_TIMEBASE_FREQUENCY);
  const intcs: FdtNode[] = [];
  const cpuNodes: FdtNode[] = [];
  for (let hart = 0; hart < hartCount; hart++) {
    const cpu = cpus.addNode(`cpu@${hart}`);
    cpu
      .setString("device_type", "cpu")
      .setU32("reg", hart)
      .setString("status", "okay")
      .setString("compatible", "riscv")
      .setString("riscv,isa", options.isa ?? VIRT_RISCV_ISA)
      .setString("mmu-type", options.mmuType ?? VIRT_MMU_TYPE);
    const intc = cpu.addNode("interrupt-controller");
    intc
      .setU32("#interrupt-cells", 1)
      .setEmpty("interrupt-controller")
      .setString("compatible", "riscv,cpu-intc");
    intc.phandle();
    cpu.phandle();
    intcs.push(intc);
    cpuNodes.push(cpu);
  }
  const cluster = cpus.addNode("cpu-map").addNode("cluster0");
  cpuNodes.forEach((cpu, hart) => {
    cluster.addNode(`core${hart}`).setU32("cpu", cpu.phandle());
  });
  const perHart = (...irqs: number[]): number[] =>
    intcs.flatMap((intc) => irqs.flatMap((irq) => [intc.phandle(), irq]));

  const soc = root.addNode("soc");
  soc
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setString("compatible", "simple-bus")
    .setEmpty("ranges");

  // The PLIC goes first so the devices below can refer to its phandle.
  const plicRegion = map.find((r) => r.kind === "plic");
  let plicPhandle = 0;
  if (plicRegion !== undefined) {
    const plic = soc.addNode(unitName("plic", plicRegion));
    plic
      .setU32("#interrupt-cells", 1)
      .setU32("#address-cells", 0)
      .setStrings("compatible", ["sifive,plic-1.0.0", "riscv,plic0"])
      .setEmpty("interrupt-controller")
      .setCells("interrupts-extended", perHart(INTC_M_EXT, INTC_S_EXT))
      .setCells("reg", reg(plicRegion))
      .setU32("riscv,ndev", options.plicSources);
    plicPhandle = plic.phandle();
  }
  const withIrq = (node: FdtNode, region: VirtRegion): FdtNode => {
    if (region.irq !== undefined)
      node.setU32("interrupt-parent", plicPhandle).setU32("interrupts", region.irq);
    return node;
  };

  let testPhandle: number | undefined;
  for (const region of map) {
    switch (region.kind) {
      case "dram":
        root
          .addNode(unitName("memory", region))
          .setString("device_type", "memory")
          .setCells("reg", reg(region));
        break;
      case "clint":
        soc
          .addNode(unitName("clint", region))
          .setStrings("compatible", ["sifive,clint0", "riscv,clint0"])
          .setCells("reg", reg(region))
          .setCells("interrupts-extended", perHart(INTC_M_SOFT, INTC_M_TIMER));
        break;
      case "sswi":
        // As QEMU describes it with `aclint=on`; S-mode software may raise SSIP through it.
        soc
          .addNode(unitName("sswi", region))
          .setStrings("compatible", ["riscv,aclint-sswi"])
          .setCells("reg", reg(region))
          .setCells("interrupts-extended", perHart(INTC_S_SOFT))
          .setEmpty("interrupt-controller")
          .setU32("#interrupt-cells", 0);
        break;
      case "uart":
        withIrq(soc.addNode(unitName("serial", region)), region)
          .setString("compatible", "ns16550a")
          .setCells("reg", reg(region))
          .setU32("clock-frequency", VIRT_UART_CLOCK_FREQUENCY);
        break;
      case "rtc":
        withIrq(soc.addNode(unitName("rtc", region)), region)
          .setString("compatible", "google,goldfish-rtc")
          .setCells("reg", reg(region));
        break;
      case "test": {
        const test = soc
          .addNode(unitName("test", region))
          .setStrings("compatible", ["sifive,test1", "sifive,test0", "syscon"])
          .setCells("reg", reg(region));
        testPhandle = test.phandle();
        break;
      }
      case "virtio-mmio":
        withIrq(soc.addNode(unitName("virtio_mmio", region)), region)
          .setString("compatible", "virtio,mmio")
          .setCells("reg", reg(region));
        break;
      case "plic":
        break;
    }
  }
  if (testPhandle !== undefined) {
    for (const [name, value] of [
      ["poweroff", SYSCON_POWEROFF_VALUE],
      ["reboot", SYSCON_REBOOT_VALUE],
    ] as const) {
      root
        .addNode(name)
        .setString("compatible", `syscon-${name}`)
        .setU32("regmap", testPhandle)
        .setU32("offset", 0)
        .setU32("value", value);
    }
  }

  const uart = map.find((r) => r.kind === "uart");
  if (uart !== undefined) chosen.setString("stdout-path", `/soc/${unitName("serial", uart)}`);
  if (options.bootargs !== undefined) chosen.setString("bootargs", options.bootargs);
  if (options.initrd !== undefined) {
    chosen.setU64("linux,initrd-start", options.initrd.start).setU64("linux,initrd-end", options.initrd.end);
  }
  return tree;
}
