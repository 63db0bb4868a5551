import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openImage, VirtioBlk, VirtMachine } from "@monovisor/devmodel";
import { describe, expect, it } from "vitest";
import { ConsoleRecorder, guestFile, guestsDir, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
// The disk read goes through the host file's asynchronous reads.
const SCRIPT =
  "uname -a; cat /proc/interrupts; dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum; " +
  "dd if=/dev/vda bs=64k count=64 2>/dev/null | md5sum\n";
/** md5 of 4 MiB of zeros. */
const ZEROS_MD5 = "b5cfa9d6c8febd618f91ac2843d50a1c";
const TIMEOUT_MS = 60_000;

/** Boots two harts deterministically and returns the console and per-hart instruction counts. */
async function deterministicRun(): Promise<{ exit: unknown; console: string; instret: number[] }> {
  const recorder = new ConsoleRecorder();
  const disk = await openImage(join(guestsDir(), LINUX, "rootfs.ext4"), { format: "raw", readOnly: true });
  const vm = new VirtMachine({
    kernel: guestFile(`${LINUX}/Image`),
    initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
    // No `quiet`: the kernel's timestamped lines are part of what must repeat.
    cmdline: `console=ttyS0 ${runScriptArg(SCRIPT)}`,
    hartCount: 2,
    memoryBytes: 256 * 1024 * 1024,
    deterministic: true,
    console: recorder,
    virtio: [new VirtioBlk({ backend: disk })],
  });
  const timer = setTimeout(() => vm.stop(), TIMEOUT_MS);
  try {
    const exit = await vm.run();
    return { exit, console: recorder.text, instret: vm.harts.map((h) => h.instret) };
  } finally {
    clearTimeout(timer);
    await disk.close();
  }
}

describe("Linux 6.1, two harts, deterministic mode", () => {
  it("prints the same console, timestamps included, and retires the same instructions twice", async () => {
    const started = performance.now();
    const first = await deterministicRun();
    expect(first.exit, first.console.slice(-2000)).toEqual({ kind: "poweroff" });
    expect(first.console).toContain("2 cpu(s)");
    expect(first.console).toMatch(/\[\s+\d+\.\d{6}\] /);
    expect(first.console).toContain(`${ZEROS_MD5}  -`);
    expect(first.console).toMatch(/virtio_blk virtio0: \[vda\]/);
    const disk = readFileSync(join(guestsDir(), LINUX, "rootfs.ext4")).subarray(0, 4 * 1024 * 1024);
    expect(first.console).toContain(`${createHash("md5").update(disk).digest("hex")}  -`);
    expect(first.console).toContain("monovisor-guest: exit=0");
    expect(first.instret.every((n) => n > 0)).toBe(true);

    const second = await deterministicRun();
    expect(second.console).toBe(first.console);
    expect(second.instret).toEqual(first.instret);
    console.info(`two deterministic 2-hart boots: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
});
