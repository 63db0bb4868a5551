import { Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { bootGuest, guestFile, runScriptArg } from "./guests.js";

const LINUX = "linux-6.1-virt";
const BOOT_TIMEOUT_MS = 100_000;
/** md5 of 8 MiB of zeros. */
const ZEROS_8M_MD5 = "96995b58d4cbf6aaa9041b4f00c7f6ae";

function threadedLinux(cmdline: string, hartCount: number, threads: number) {
  return {
    kernel: guestFile(`${LINUX}/Image`),
    initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
    cmdline,
    hartCount,
    threads,
    memoryBytes: 256 * 1024 * 1024,
  };
}

describe("Linux 6.1 with its harts on vCPU threads", () => {
  it("boots 4 harts on 2 threads and runs a parallel workload on every CPU", async () => {
    // One md5sum pinned to each CPU, all at once: they share the file's page cache and run on
    // two host threads; every hart must finish with the right sum.
    const script = [
      "dd if=/dev/zero of=/tmp/z bs=1M count=8 2>/dev/null",
      "for c in 1 2 4 8; do taskset $c md5sum /tmp/z > /tmp/sum.$c & done; wait",
      "cat /tmp/sum.*",
      "grep -c ^processor /proc/cpuinfo",
      // Field 39 of /proc/<pid>/stat is the CPU the task last ran on.
      "for c in 1 2 4 8; do taskset $c awk '{ print \"ran-on-cpu-\" $39 }' /proc/self/stat; done",
    ].join("\n");
    const run = await bootGuest(
      threadedLinux(`console=ttyS0 quiet ${runScriptArg(`${script}\n`)}`, 4, 2),
      BOOT_TIMEOUT_MS,
    );
    const tail = run.console.slice(-3000);
    expect(run.exit, tail).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("4 cpu(s)");
    expect(run.console.split(`${ZEROS_8M_MD5}  /tmp/z`).length - 1, tail).toBe(4);
    for (const cpu of [0, 1, 2, 3]) expect(run.console).toContain(`ran-on-cpu-${cpu}`);
    expect(run.console).toContain("monovisor-guest: exit=0");
    expect(run.console).not.toMatch(
      /unhandled signal|Oops|Kernel panic|CPU\d+: failed to come online|rcu.*stall/,
    );
    console.info(`linux 4 harts on 2 threads, boot + script: ${run.seconds.toFixed(1)} s`);
  });

  it("moves a busy CPU to the thread that went idle (load balancing)", async () => {
    // Harts 0 and 2 start on thread 0, 1 and 3 on thread 1: two md5sums pinned to CPUs 0 and 2
    // leave thread 1 idle until it takes one of them.
    const tracer = new Tracer({ vcpus: 4, shared: true });
    tracer.enable("sched.migrate", "count");
    const script = [
      "dd if=/dev/zero of=/tmp/z bs=1M count=8 2>/dev/null",
      "taskset 1 md5sum /tmp/z > /tmp/sum.0 & taskset 4 md5sum /tmp/z > /tmp/sum.2 & wait",
      "cat /tmp/sum.0 /tmp/sum.2",
    ].join("\n");
    const run = await bootGuest(
      { ...threadedLinux(`console=ttyS0 quiet ${runScriptArg(`${script}\n`)}`, 4, 2), tracer },
      BOOT_TIMEOUT_MS,
    );
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });
    expect(run.console.split(`${ZEROS_8M_MD5}  /tmp/z`).length - 1).toBe(2);
    expect(run.console).toContain("monovisor-guest: exit=0");
    const moves = tracer.stats().tracepoints.find((t) => t.name === "sched.migrate");
    expect(moves?.total).toBeGreaterThan(0);
  });

  it("answers console input at the shell and powers off on request", async () => {
    const run = await bootGuest(
      threadedLinux("console=ttyS0", 2, 2),
      BOOT_TIMEOUT_MS,
      async (vm, console) => {
        await console.waitFor("monovisor-guest: shell");
        vm.sendInput(new TextEncoder().encode("echo threads-$((6 * 7))\n"));
        await console.waitFor("threads-42");
        vm.sendInput(new TextEncoder().encode("poweroff -f\n"));
      },
    );
    expect(run.exit, JSON.stringify(run.console.slice(-600))).toEqual({ kind: "poweroff" });
    expect(run.console).toContain("threads-42");
  });

  it("reports a hart whose trap has no handler as a crash, from its worker thread", async () => {
    // An Image of zeros: its first instruction is illegal, and stvec (0) leads nowhere.
    const zeros = new Uint8Array(64 * 1024);
    // A Linux Image header: magic "RISCV\0\0\0" and "RSC\x05" so the loader accepts it.
    zeros.set(new TextEncoder().encode("RISCV\0\0\0"), 0x30);
    zeros.set([0x52, 0x53, 0x43, 0x05], 0x38);
    const view = new DataView(zeros.buffer);
    view.setBigUint64(0x08, 0x200000n, true); // text_offset
    view.setBigUint64(0x10, BigInt(zeros.length), true); // image_size
    view.setUint32(0x24, 2, true); // header version 0.2
    const run = await bootGuest(
      { kernel: zeros, hartCount: 2, threads: 2, memoryBytes: 64 * 1024 * 1024 },
      BOOT_TIMEOUT_MS,
    );
    expect(run.exit.kind, JSON.stringify(run.exit)).toBe("crash");
    if (run.exit.kind === "crash")
      expect(run.exit.message).toMatch(
        /^hart 0: illegal instruction at pc 0x80200000 .*no trap handler \(stvec = 0x0\)/,
      );
  });
});
