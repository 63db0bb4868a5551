import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchContext } from "./context.js";
import { bootLinux } from "./linux-board.js";
import { bestOf, mips } from "./metrics.js";
import { hasLinuxGuest, LINUX_INITRD_FILE, LINUX_KERNEL_FILE, linuxGuestCandidates } from "./paths.js";
import { QEMU_MISSING, runQemu, tail } from "./qemu.js";
import type { BenchResult, SideResult } from "./result.js";

const MiB = 1024 * 1024;
const GUEST_MEMORY_MIB = 256;
const QEMU_TIMEOUT_MS = 120_000;
const MONOVISOR_TIMEOUT_MS = 900_000;

/** A fixed guest workload, identified by what the guest's init must print before poweroff. */
export interface LinuxWorkload {
  readonly id: string;
  readonly title: string;
  /** Appended to `console=ttyS0 quiet`. */
  readonly cmdlineArg: string;
  /** Lines the console must contain for the run to count. */
  readonly expect: readonly RegExp[];
}

const RUN_SCRIPT = "uname -a; dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum\n";
/** md5 of 16 MiB of zeros. */
const ZEROS_16M_MD5 = "2c7ab85a893283e98c931e9511add182";

export const LINUX_WORKLOADS: readonly LinuxWorkload[] = [
  {
    id: "linux-poweroff",
    title: "linux: boot, poweroff=1",
    cmdlineArg: "poweroff=1",
    expect: [/^monovisor-guest: poweroff/m],
  },
  {
    id: "linux-run",
    title: "linux: boot, uname + md5 16M",
    cmdlineArg: `run=${Buffer.from(RUN_SCRIPT).toString("base64")}`,
    expect: [new RegExp(`^${ZEROS_16M_MD5}`, "m"), /^monovisor-guest: exit=0/m],
  },
];

export function linuxCmdline(workload: LinuxWorkload): string {
  return `console=ttyS0 quiet ${workload.cmdlineArg}`;
}

/** The first expected line missing from a console, or undefined when all are there. */
export function missingOutput(workload: LinuxWorkload, console: string): RegExp | undefined {
  return workload.expect.find((pattern) => !pattern.test(console));
}

interface LinuxGuest {
  readonly kernelPath: string;
  readonly initrdPath: string;
}

function findGuest(ctx: BenchContext, explicit: string | undefined): LinuxGuest | string {
  const candidates =
    explicit === undefined ? linuxGuestCandidates(ctx.root, process.env) : [resolve(explicit)];
  const dir = candidates.find(hasLinuxGuest);
  if (dir === undefined) {
    return (
      `linux: guest files missing (${LINUX_KERNEL_FILE} and ${LINUX_INITRD_FILE} in ${candidates.join(", ")}); ` +
      "build them with tools/guest-builder/ensure-guests.sh"
    );
  }
  return { kernelPath: join(dir, LINUX_KERNEL_FILE), initrdPath: join(dir, LINUX_INITRD_FILE) };
}

/**
 * Wall time from start to clean poweroff of the shared Linux guest, for each workload: monovisor
 * starts the kernel directly in S-mode in this process; QEMU boots through its bundled OpenSBI in
 * a child process, startup included.
 */
export async function runLinuxBench(ctx: BenchContext, guestDir: string | undefined): Promise<BenchResult[]> {
  const guest = findGuest(ctx, guestDir);
  if (typeof guest === "string") {
    return LINUX_WORKLOADS.map((w) => ({
      id: w.id,
      title: w.title,
      monovisor: undefined,
      qemu: undefined,
      notes: [guest],
      failed: false,
    }));
  }
  const results: BenchResult[] = [];
  for (const workload of LINUX_WORKLOADS) {
    const notes: string[] = [];
    const mono = await monovisorSide(ctx, guest, workload, notes);
    const qemu = await qemuSide(ctx, guest, workload, notes);
    results.push({
      id: workload.id,
      title: workload.title,
      monovisor: mono.side,
      qemu: qemu.side,
      notes,
      failed: mono.failed || qemu.failed,
    });
  }
  return results;
}

interface SideOutcome {
  readonly side: SideResult | undefined;
  readonly failed: boolean;
}

async function monovisorSide(
  ctx: BenchContext,
  guest: LinuxGuest,
  workload: LinuxWorkload,
  notes: string[],
): Promise<SideOutcome> {
  const kernel = new Uint8Array(readFileSync(guest.kernelPath));
  const initrd = new Uint8Array(readFileSync(guest.initrdPath));
  // A Linux boot retires a different count each run (timer interrupts land on wall-clock time),
  // so keep the count of the best run with its time.
  let best: { seconds: number; instructions: number } | undefined;
  for (let run = 1; run <= ctx.repeat; run++) {
    ctx.progress(`${workload.title}: monovisor run ${run}/${ctx.repeat}`);
    const started = performance.now();
    const outcome = await bootLinux({
      kernel,
      initrd,
      cmdline: linuxCmdline(workload),
      memoryBytes: GUEST_MEMORY_MIB * MiB,
      timeoutMs: MONOVISOR_TIMEOUT_MS,
    });
    const seconds = (performance.now() - started) / 1000;
    const missing = missingOutput(workload, outcome.console);
    if (!outcome.poweredOff || missing !== undefined) {
      const why = outcome.poweredOff ? `no line matching ${missing}` : `ended with ${outcome.exit}`;
      notes.push(`${workload.title}: monovisor run failed (${why}): ${tail(outcome.console)}`);
      return { side: undefined, failed: true };
    }
    if (best === undefined || seconds < best.seconds) best = { seconds, instructions: outcome.instructions };
  }
  const { seconds, instructions } = best!;
  notes.push(
    "linux: monovisor MIPS = instructions retired / wall seconds, so time the guest spends idle counts",
  );
  return {
    side: {
      seconds,
      instructions,
      mips: mips(instructions, seconds),
    },
    failed: false,
  };
}

async function qemuSide(
  ctx: BenchContext,
  guest: LinuxGuest,
  workload: LinuxWorkload,
  notes: string[],
): Promise<SideOutcome> {
  if (ctx.qemu === undefined) {
    notes.push(`linux: ${QEMU_MISSING}`);
    return { side: undefined, failed: false };
  }
  const args = [
    "-M",
    "virt",
    "-smp",
    "1",
    "-m",
    `${GUEST_MEMORY_MIB}M`,
    "-nographic",
    "-no-reboot",
    "-kernel",
    guest.kernelPath,
    "-initrd",
    guest.initrdPath,
    "-append",
    linuxCmdline(workload),
  ];
  const times: number[] = [];
  for (let run = 1; run <= ctx.repeat; run++) {
    ctx.progress(`${workload.title}: qemu run ${run}/${ctx.repeat}`);
    const result = await runQemu(ctx.qemu, args, QEMU_TIMEOUT_MS);
    const missing = missingOutput(workload, result.output);
    if (result.exitCode !== 0 || missing !== undefined) {
      const why = result.timedOut
        ? "timed out"
        : result.exitCode !== 0
          ? `exit status ${result.exitCode}`
          : `no line matching ${missing}`;
      notes.push(`${workload.title}: qemu run failed (${why}): ${tail(result.output)}`);
      return { side: undefined, failed: true };
    }
    times.push(result.seconds);
  }
  notes.push(
    "linux: qemu seconds include process startup and OpenSBI; monovisor starts the kernel in S-mode",
  );
  return { side: { seconds: bestOf(times) }, failed: false };
}
