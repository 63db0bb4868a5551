import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDtb } from "../fdt/reader.js";
import { virtMemoryMap } from "./memory-map.js";
import { buildVirtDeviceTree, VIRT_RISCV_ISA } from "./virt-device-tree.js";

const hasTool = (tool: string): boolean => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
const hasDtc = hasTool("dtc");
const hasQemu = hasTool("qemu-system-riscv64");

function virtDtb(harts = 2): Uint8Array {
  return buildVirtDeviceTree({
    map: virtMemoryMap(harts, 256 * 1024 * 1024),
    hartCount: harts,
    plicSources: 95,
    bootargs: "console=ttyS0 quiet",
    initrd: { start: 0x8f00_0000, end: 0x8f10_0000 },
  }).toDtb({ padding: 1024 });
}

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "virt-dtb-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("virt device tree", () => {
  it.skipIf(!hasDtc)("is accepted by dtc and holds the nodes Linux and OpenSBI look for", () => {
    const dts = withTempDir((dir) => {
      const file = join(dir, "virt.dtb");
      writeFileSync(file, virtDtb(2));
      return execFileSync("dtc", ["-I", "dtb", "-O", "dts", file], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    });
    for (const line of [
      'compatible = "riscv-virtio";',
      "timebase-frequency = <0x989680>;",
      `riscv,isa = "${VIRT_RISCV_ISA}";`,
      'mmu-type = "riscv,sv48";',
      'compatible = "riscv,cpu-intc";',
      "memory@80000000 {",
      "reg = <0x00 0x80000000 0x00 0x10000000>;",
      'bootargs = "console=ttyS0 quiet";',
      "linux,initrd-start = <0x00 0x8f000000>;",
      "linux,initrd-end = <0x00 0x8f100000>;",
      'stdout-path = "/soc/serial@10000000";',
      "plic@c000000 {",
      "riscv,ndev = <0x5f>;",
      "clint@2000000 {",
      "serial@10000000 {",
      "rtc@101000 {",
      'compatible = "google,goldfish-rtc";',
      "test@100000 {",
      'compatible = "syscon-poweroff";',
      'compatible = "syscon-reboot";',
      "value = <0x5555>;",
      "value = <0x7777>;",
      "virtio_mmio@10008000 {",
    ]) {
      expect(dts).toContain(line);
    }
    expect(dts.match(/device_type = "cpu";/g)?.length).toBe(2);
    expect(dts.match(/compatible = "virtio,mmio";/g)?.length).toBe(8);
  });

  it("wires the PLIC and CLINT to every hart's interrupt controller", () => {
    const tree = parseDtb(virtDtb(2));
    const intc0 = tree.find("/cpus/cpu@0/interrupt-controller")?.getU32("phandle");
    const intc1 = tree.find("/cpus/cpu@1/interrupt-controller")?.getU32("phandle");
    expect(intc0).toBeDefined();
    expect(tree.find("/soc/plic@c000000")?.getCells("interrupts-extended")).toEqual([
      intc0,
      11,
      intc0,
      9,
      intc1,
      11,
      intc1,
      9,
    ]);
    expect(tree.find("/soc/clint@2000000")?.getCells("interrupts-extended")).toEqual([
      intc0,
      3,
      intc0,
      7,
      intc1,
      3,
      intc1,
      7,
    ]);
    const plic = tree.find("/soc/plic@c000000")?.getU32("phandle");
    const uart = tree.find("/soc/serial@10000000");
    expect(uart?.getU32("interrupt-parent")).toBe(plic);
    expect(uart?.getU32("interrupts")).toBe(10);
    expect(uart?.getU32("clock-frequency")).toBe(3_686_400);
    expect(tree.find("/soc/rtc@101000")?.getU32("interrupts")).toBe(11);
    expect(tree.find("/soc/virtio_mmio@10001000")?.getU32("interrupts")).toBe(1);
    const test = tree.find("/soc/test@100000")?.getU32("phandle");
    expect(tree.find("/poweroff")?.getU32("regmap")).toBe(test);
    expect(tree.find("/cpus/cpu-map/cluster0/core1")?.getU32("cpu")).toBe(
      tree.find("/cpus/cpu@1")?.getU32("phandle"),
    );
  });

  it("keeps its size when only /chosen numbers change (boot planning relies on it)", () => {
    const build = (start: number) =>
      buildVirtDeviceTree({
        map: virtMemoryMap(1, 1 << 28),
        hartCount: 1,
        plicSources: 95,
        bootargs: "x",
        initrd: { start, end: start + 10 },
      }).toDtb().length;
    expect(build(0)).toBe(build(0x8fff_0000));
  });

  it.skipIf(!hasQemu)("describes shared devices the way qemu-system-riscv64 -M virt does", () => {
    const qemuDtb = withTempDir((dir) => {
      const file = join(dir, "qemu.dtb");
      execFileSync("qemu-system-riscv64", ["-M", `virt,dumpdtb=${file}`, "-m", "256M", "-nographic"], {
        stdio: "ignore",
        timeout: 30_000,
      });
      return new Uint8Array(readFileSync(file));
    });
    const qemu = parseDtb(qemuDtb);
    const ours = parseDtb(virtDtb(1));
    const shared = [
      "/memory@80000000",
      "/poweroff",
      "/reboot",
      "/cpus",
      "/soc",
      "/soc/plic@c000000",
      "/soc/clint@2000000",
      "/soc/serial@10000000",
      "/soc/rtc@101000",
      "/soc/test@100000",
      ...Array.from({ length: 8 }, (_, n) => `/soc/virtio_mmio@1000${n + 1}000`),
    ];
    for (const path of shared) {
      const q = qemu.find(path);
      const o = ours.find(path);
      expect(o, path).toBeDefined();
      for (const prop of [
        "compatible",
        "reg",
        "interrupts",
        "#address-cells",
        "#size-cells",
        "timebase-frequency",
        "value",
        "offset",
        "#interrupt-cells",
        "device_type",
      ]) {
        if (q?.has(prop)) expect([path, prop, o?.getBytes(prop)]).toEqual([path, prop, q.getBytes(prop)]);
      }
    }
    expect(ours.find("/cpus/cpu@0")?.getString("mmu-type")).toBe(
      qemu.find("/cpus/cpu@0")?.getString("mmu-type"),
    );
  });
});
