import { describe, expect, it } from "vitest";
import { formatIoReport, ioCmdline, parseDdRates } from "./io-bench.js";

describe("io benchmark", () => {
  it("reads busybox dd's rates in MB/s, converting kB/s and GB/s", () => {
    const console = [
      "24+0 records in",
      "25165824 bytes (24.0MB) copied, 0.252 seconds, 95.2MB/s",
      "8388608 bytes (8.0MB) copied, 1.9 seconds, 512.0kB/s",
      "1073741824 bytes (1.0GB) copied, 0.5 seconds, 2.0GB/s",
    ].join("\n");
    expect(parseDdRates(console)).toEqual([95.2, 0.5, 2048]);
  });

  it("boots the ext4 root from the first virtio disk and runs the dd script", () => {
    const cmdline = ioCmdline();
    expect(cmdline).toMatch(/root=\/dev\/vda rw init=\/init run=/);
    const script = Buffer.from(cmdline.split("run=")[1], "base64").toString();
    expect(script).toContain("iflag=direct");
    expect(script).toContain("conv=fsync");
  });

  it("prints MB/s per side and the throughput ratio", () => {
    const text = formatIoReport([
      { id: "a", title: "io: raw read", monovisor: 50, qemu: 200, notes: ["n1"], failed: false },
      { id: "b", title: "io: raw write", monovisor: undefined, qemu: 10, notes: ["n1"], failed: true },
    ]);
    expect(text).toMatch(/io: raw read\s+50\.0\s+200\.0\s+0\.25x/);
    expect(text).toContain("io: raw write (FAILED)");
    expect(text.match(/\* n1/g)).toHaveLength(1);
  });
});
