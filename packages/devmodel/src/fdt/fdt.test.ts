import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeviceTree, u64Cells } from "./device-tree.js";
import { FdtError } from "./format.js";
import { parseDtb } from "./reader.js";

function haveTool(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A small virt-like tree exercising every property kind. */
function sampleTree(): DeviceTree {
  const tree = new DeviceTree({ bootCpuId: 0 });
  tree.addReservation(0x8000_0000, 0x8_0000);
  const root = tree.root
    .setU32("#address-cells", 2)
    .setU32("#size-cells", 2)
    .setString("compatible", "riscv-virtio")
    .setString("model", "riscv-virtio,qemu");
  root
    .addNode("chosen")
    .setString("stdout-path", "/soc/serial@10000000")
    .setU64("linux,initrd-start", 0x8f00_0000);
  root
    .addNode("memory@80000000")
    .setString("device_type", "memory")
    .setCells("reg", [...u64Cells(0x8000_0000), ...u64Cells(0x1000_0000)]);
  const cpus = root.addNode("cpus").setU32("#address-cells", 1).setU32("#size-cells", 0);
  cpus.setU32("timebase-frequency", 10_000_000);
  const cpu = cpus.addNode("cpu@0").setString("device_type", "cpu").setU32("reg", 0);
  cpu.setString("riscv,isa", "rv64imafdc_zicsr_zifencei").setString("mmu-type", "riscv,sv48");
  const intc = cpu
    .addNode("interrupt-controller")
    .setU32("#interrupt-cells", 1)
    .setEmpty("interrupt-controller");
  intc.setString("compatible", "riscv,cpu-intc").setU32("#address-cells", 0);
  const soc = root.addNode("soc").setU32("#address-cells", 2).setU32("#size-cells", 2);
  soc.setStrings("compatible", ["simple-bus"]).setEmpty("ranges");
  const plic = soc.addNode("plic@c000000").setStrings("compatible", ["sifive,plic-1.0.0", "riscv,plic0"]);
  plic.setU32("#interrupt-cells", 1).setEmpty("interrupt-controller").setU32("#address-cells", 0);
  plic.setCells("reg", [0, 0x0c00_0000, 0, 0x60_0000]);
  plic.setCells("interrupts-extended", [intc.phandle(), 11, intc.phandle(), 9]);
  const uart = soc
    .addNode("serial@10000000")
    .setU32("interrupts", 10)
    .setU32("interrupt-parent", plic.phandle());
  uart.setCells("reg", [0, 0x1000_0000, 0, 0x100]).setString("compatible", "ns16550a");
  uart.setBytes("local-mac-address", new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
  return tree;
}

describe("DeviceTree", () => {
  it("round-trips through its own reader", () => {
    const tree = sampleTree();
    const back = parseDtb(tree.toDtb());
    expect(back.reservations).toEqual([{ address: 0x8000_0000, size: 0x8_0000 }]);
    expect(back.root.getStrings("compatible")).toEqual(["riscv-virtio"]);
    expect(back.find("/chosen")?.getU64("linux,initrd-start")).toBe(0x8f00_0000n);
    expect(back.find("/memory@80000000")?.getCells("reg")).toEqual([0, 0x8000_0000, 0, 0x1000_0000]);
    const plic = back.find("/soc/plic@c000000");
    expect(plic?.getStrings("compatible")).toEqual(["sifive,plic-1.0.0", "riscv,plic0"]);
    expect(plic?.getCells("interrupts-extended")).toEqual([1, 11, 1, 9]);
    expect(back.find("/cpus/cpu@0/interrupt-controller")?.getU32("phandle")).toBe(1);
    expect(back.find("/soc/serial@10000000")?.getU32("interrupt-parent")).toBe(2);
    expect(back.find("/soc")?.getBytes("ranges")?.length).toBe(0);
    expect([...(back.find("/soc/serial@10000000")?.getBytes("local-mac-address") ?? [])]).toEqual([
      0x52, 0x54, 0, 0x12, 0x34, 0x56,
    ]);
    // A re-serialized parse is byte-identical.
    expect(back.toDtb()).toEqual(tree.toDtb());
  });

  it("writes a well-formed header and a deduplicated string table", () => {
    const dtb = sampleTree().toDtb({ padding: 256 });
    const v = new DataView(dtb.buffer);
    expect(v.getUint32(0)).toBe(0xd00dfeed);
    expect(v.getUint32(4)).toBe(dtb.length);
    expect(v.getUint32(20)).toBe(17);
    expect(v.getUint32(24)).toBe(16);
    expect(v.getUint32(16)).toBe(40);
    expect(v.getUint32(8) % 4).toBe(0);
    const strings = new TextDecoder().decode(
      dtb.subarray(v.getUint32(12), v.getUint32(12) + v.getUint32(32)),
    );
    const names = strings.split("\0").filter((s) => s !== "");
    expect(names.filter((n) => n === "compatible")).toHaveLength(1);
    expect(names.filter((n) => n === "#address-cells")).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
  });

  it("assigns each node one phandle, above any already in the tree", () => {
    const tree = new DeviceTree();
    const a = tree.root.addNode("a");
    const b = tree.root.addNode("b").setU32("phandle", 7);
    expect(b.phandle()).toBe(7);
    expect(a.phandle()).toBe(8);
    expect(a.phandle()).toBe(8);
  });

  it("rejects bad names and values with FdtError", () => {
    const tree = new DeviceTree();
    expect(() => tree.root.addNode("bad name")).toThrow(FdtError);
    expect(() => tree.root.addNode("a".repeat(32))).toThrow(/invalid node name/);
    tree.root.addNode("uart@10000000");
    expect(() => tree.root.addNode("uart@10000000")).toThrow(/already has a child/);
    expect(() => tree.root.setU32("x", -1)).toThrow(/not a 32-bit/);
    expect(() => tree.root.setU32("x", 2 ** 32)).toThrow(/not a 32-bit/);
    expect(() => tree.root.setU64("x", 2 ** 60)).toThrow(/not a safe/);
    expect(tree.root.setU64("x", 1n << 60n).getU64("x")).toBe(1n << 60n);
    expect(() => tree.root.setString("bad=prop", "x")).toThrow(/invalid property name/);
    expect(() => tree.root.setString("s", "a\0b")).toThrow(/NUL/);
  });
});

describe("parseDtb", () => {
  it("rejects every truncation and corrupted header with FdtError", () => {
    const dtb = sampleTree().toDtb();
    for (let n = 0; n < dtb.length; n += 3) {
      expect(() => parseDtb(dtb.subarray(0, n))).toThrow(FdtError);
    }
    let seed = 7;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let round = 0; round < 2000; round++) {
      const b = dtb.slice();
      for (let k = 0; k < 3; k++) b[rand() % b.length] = rand() & 0xff;
      try {
        parseDtb(b);
      } catch (e) {
        expect(e).toBeInstanceOf(FdtError);
      }
    }
  });

  it("names the problem", () => {
    const dtb = sampleTree().toDtb();
    const bad = dtb.slice();
    bad[0] = 0;
    expect(() => parseDtb(bad)).toThrow(/bad magic/);
    const long = dtb.slice();
    new DataView(long.buffer).setUint32(4, dtb.length + 1);
    expect(() => parseDtb(long)).toThrow(/totalsize/);
  });
});

const DTC = haveTool("dtc", ["--version"]);

describe.skipIf(!DTC)("dtc interoperability", () => {
  const dir = mkdtempSync(join(tmpdir(), "monovisor-fdt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const dtcToDts = (dtb: Uint8Array): string => {
    const file = join(dir, `t${Math.random().toString(36).slice(2)}.dtb`);
    writeFileSync(file, dtb);
    // -q: no warnings on stderr; dtc still fails on a malformed blob.
    return execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", file], { encoding: "utf8" });
  };

  it("dtc decodes the blob to the expected source", () => {
    const dts = dtcToDts(sampleTree().toDtb());
    expect(dts).toContain("/memreserve/\t0x0000000080000000 0x0000000000080000;");
    expect(dts).toMatch(
      /memory@80000000 \{\s+device_type = "memory";\s+reg = <0x00 0x80000000 0x00 0x10000000>;/,
    );
    expect(dts).toContain('compatible = "sifive,plic-1.0.0\\0riscv,plic0";');
    expect(dts).toContain("interrupts-extended = <0x01 0x0b 0x01 0x09>;");
    expect(dts).toContain("interrupt-controller;");
    expect(dts).toContain("linux,initrd-start = <0x00 0x8f000000>;");
    expect(dts).toContain("local-mac-address = [52 54 00 12 34 56];");
    expect(dts).toContain("timebase-frequency = <0x989680>;");
    expect(dts).toMatch(/cpu@0 \{[^}]*interrupt-controller \{\s+#interrupt-cells = <0x01>;/);
  });

  it("passes dtc's semantic checks without a warning", () => {
    const file = join(dir, "checked.dtb");
    writeFileSync(file, sampleTree().toDtb());
    const run = spawnSync("dtc", ["-I", "dtb", "-O", "dts", "-o", "/dev/null", file], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
  });

  it("reads a blob dtc compiled", () => {
    const src = join(dir, "in.dts");
    const out = join(dir, "in.dtb");
    writeFileSync(
      src,
      `/dts-v1/;
/memreserve/ 0x1000 0x2000;
/ {
  #address-cells = <2>; #size-cells = <2>;
  node@1 { label: sub { val = <1 2 3>; str = "a", "bc"; flag; }; };
  other { ref = <&label>; blob = [de ad be ef]; };
};
`,
    );
    execFileSync("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", out, src]);
    const tree = parseDtb(new Uint8Array(readFileSync(out)));
    expect(tree.reservations).toEqual([{ address: 0x1000, size: 0x2000 }]);
    const sub = tree.find("/node@1/sub");
    expect(sub?.getCells("val")).toEqual([1, 2, 3]);
    expect(sub?.getStrings("str")).toEqual(["a", "bc"]);
    expect(sub?.has("flag")).toBe(true);
    expect(tree.find("/other")?.getU32("ref")).toBe(sub?.getU32("phandle"));
    expect([...(tree.find("/other")?.getBytes("blob") ?? [])]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it.skipIf(!haveTool("qemu-system-riscv64", ["--version"]))(
    "re-serializes QEMU's virt tree to one dtc decodes identically",
    () => {
      const file = join(dir, "virt.dtb");
      execFileSync("qemu-system-riscv64", ["-M", `virt,dumpdtb=${file}`, "-m", "256M", "-nographic"], {
        stdio: "ignore",
      });
      const original = new Uint8Array(readFileSync(file));
      const tree = parseDtb(original);
      expect(tree.find("/soc/serial@10000000")?.getString("compatible")).toBe("ns16550a");
      expect(tree.find("/soc/rtc@101000")?.getU32("interrupts")).toBe(11);
      expect(dtcToDts(tree.toDtb())).toBe(dtcToDts(original));
    },
  );
});
