import { VirtioBalloon } from "@monovisor/devmodel";
import { describe, expect, it } from "vitest";
import { bootGuest, guestFile, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
/** 32 MiB in 4 KiB pages. */
const TARGET_PAGES = 8192;

/**
 * Prints MemFree, asks the host to inflate the balloon, waits, and prints MemFree again. (MemTotal
 * stays put: the device offers DEFLATE_ON_OOM, under which Linux keeps ballooned pages counted.)
 */
const SCRIPT = [
  "grep MemFree /proc/meminfo | sed 's/^/before: /'",
  "echo balloon-go",
  "i=0; while [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done",
  "grep MemFree /proc/meminfo | sed 's/^/after: /'",
  "",
].join("\n");

function memFreeKb(console: string, label: string): number {
  const m = new RegExp(`^${label}: MemFree:\\s+(\\d+) kB`, "m").exec(console);
  if (m === null) throw new Error(`no '${label}' MemFree line in:\n${console.slice(-2000)}`);
  return Number(m[1]);
}

describe("virtio-balloon with the Linux guest", () => {
  it("inflates on the host's request: the device holds the pages and the guest's free memory drops", async () => {
    const balloon = new VirtioBalloon();
    let actualWhileRunning = -1;
    let heldWhileRunning = -1;
    const run = await bootGuest(
      {
        kernel: guestFile(`${LINUX}/Image`),
        initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
        cmdline: `console=ttyS0 quiet ${runScriptArg(SCRIPT)}`,
        memoryBytes: 256 * 1024 * 1024,
        virtio: [balloon],
      },
      60_000,
      async (_vm, guestConsole) => {
        await guestConsole.waitFor("balloon-go");
        balloon.setTargetPages(TARGET_PAGES);
        // Read the device while the guest still runs: powering off resets it.
        await guestConsole.waitFor("after:");
        actualWhileRunning = balloon.actualPages;
        heldWhileRunning = balloon.inflatedPages;
      },
    );
    expect(run.exit, run.console.slice(-3000)).toEqual({ kind: "poweroff" });
    expect(actualWhileRunning).toBe(TARGET_PAGES);
    expect(heldWhileRunning).toBe(TARGET_PAGES);
    const dropped = memFreeKb(run.console, "before") - memFreeKb(run.console, "after");
    expect(dropped).toBeGreaterThanOrEqual(TARGET_PAGES * 4 * 0.9);
  }, 90_000);
});
