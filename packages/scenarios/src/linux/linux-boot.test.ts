import { describe, expect, it } from "vitest";
import { bootGuest, guestFile, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
const SCRIPT = "uname -a; cat /proc/cpuinfo; dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum\n";
/** md5 of 16 MiB of zeros. */
const ZEROS_MD5 = "2c7ab85a893283e98c931e9511add182";
const BOOT_TIMEOUT_MS = 90_000;

function linuxConfig(cmdline: string, hartCount = 1) {
  return {
    kernel: guestFile(`${LINUX}/Image`),
    initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
    cmdline,
    hartCount,
    memoryBytes: 256 * 1024 * 1024,
  };
}

describe("Linux 6.1 on the virt board, hypervisor flow (S-mode entry, SBI served by monovisor)", () => {
  it("runs a script from the command line and powers off", async () => {
    const run = await bootGuest(linuxConfig(`console=ttyS0 quiet ${runScriptArg(SCRIPT)}`), BOOT_TIMEOUT_MS);
    const tail = run.console.slice(-2000);
    expect(run.exit, tail).toEqual({ kind: "poweroff" });
    expect(run.console).toMatch(/monovisor-guest: up [\d.]+s, 1 cpu\(s\), \d+ kB/);
    expect(run.console).toMatch(/Linux guest 6\.1\.\d+ #1 SMP .* riscv64 GNU\/Linux/);
    expect(run.console).toMatch(/isa\s+: rv64imafdc\S*sstc/);
    expect(run.console).toMatch(/mmu\s+: sv(39|48)/);
    expect(run.console).toContain(`${ZEROS_MD5}  -`);
    expect(run.console).toContain("monovisor-guest: exit=0");
    expect(run.console).not.toMatch(/unhandled signal|Oops|Kernel panic/);
    console.info(`linux boot + script: ${run.seconds.toFixed(1)} s`);
  });

  it("powers off right after boot with poweroff=1", async () => {
    const run = await bootGuest(linuxConfig("console=ttyS0 quiet poweroff=1"), BOOT_TIMEOUT_MS);
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("monovisor-guest: poweroff");
    console.info(`linux boot to poweroff: ${run.seconds.toFixed(1)} s`);
  });

  it("brings up secondary harts through SBI HSM", async () => {
    // dd reads the time (rdtime in the vDSO) from U-mode on the hart that HSM hart_start brought up.
    const script =
      "taskset 2 dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum; taskset 2 echo on-hart-1\n";
    const run = await bootGuest(
      linuxConfig(`console=ttyS0 quiet ${runScriptArg(script)}`, 2),
      BOOT_TIMEOUT_MS,
    );
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("2 cpu(s)");
    expect(run.console).toContain(`${ZEROS_MD5}  -`);
    expect(run.console).toContain("on-hart-1");
    expect(run.console).not.toMatch(/unhandled signal|Oops|Kernel panic|CPU\d+: failed to come online/);
    console.info(`linux 2-hart boot + script: ${run.seconds.toFixed(1)} s`);
  });
});
