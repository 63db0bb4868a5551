import { readFileSync } from "node:fs";
import { availableParallelism, cpus as hostCpus } from "node:os";
import { join, resolve } from "node:path";
import { VcpuPool } from "@monovisor/hv-core";
import type { BenchContext } from "./context.js";
import { bootLinux } from "./linux-board.js";
import { describeRatio, speedRatio } from "./metrics.js";
import { hasLinuxGuest, LINUX_INITRD_FILE, LINUX_KERNEL_FILE, linuxGuestCandidates } from "./paths.js";
import { QEMU_MISSING, runQemu, tail } from "./qemu.js";
import { formatTable } from "./table.js";

/** Guest CPUs on every side. */
export const SMP_CPUS = 2;
/** The issue's goal for `threads: 1` seconds over `threads: 2` seconds on a 2-core host. */
export const SMP_SPEEDUP_TARGET = 1.6;
const FILE_MIB = 16;
/** md5 of 16 MiB of zeros. */
export const ZEROS_16M_MD5 = "2c7ab85a893283e98c931e9511add182";
const MiB = 1024 * 1024;
const MONOVISOR_TIMEOUT_MS = 600_000;
const QEMU_TIMEOUT_MS = 120_000;

/** One way monovisor runs the guest's harts. */
export interface SmpVariant {
  readonly id: string;
  readonly title: string;
  /** `VirtMachine`'s `threads`. */
  readonly threads: number;
}

export const SMP_VARIANTS: readonly SmpVariant[] = [
  { id: "smp-threads-1", title: "monovisor threads: 1 (both harts on one worker)", threads: 1 },
  { id: "smp-threads-2", title: "monovisor threads: 2 (a worker per hart)", threads: 2 },
  { id: "smp-threads-0", title: "monovisor threads: 0 (harts on the main thread)", threads: 0 },
];

export interface SmpRow extends SmpVariant {
  /** Best in-guest seconds of the parallel md5sums; undefined when no run succeeded. */
  readonly seconds: number | undefined;
  /** Busy host cores while the guest ran the md5sums, in the best run. */
  readonly coresBusy: CoresBusy | undefined;
  readonly failed: boolean;
}

/** In-guest seconds of {@link balanceScript} with the pool's load balancing on and off. */
export interface BalanceResult {
  readonly on: number | undefined;
  readonly off: number | undefined;
}

export interface SmpResult {
  readonly cpus: number;
  readonly balance: BalanceResult;
  /** `os.availableParallelism()` of the host. */
  readonly hostCores: number;
  readonly monovisor: readonly SmpRow[];
  readonly qemu: { readonly seconds: number | undefined; readonly failed: boolean };
  /** `threads: 1` seconds over `threads: 2` seconds. */
  readonly speedup: number | undefined;
  readonly notes: readonly string[];
  readonly failed: boolean;
}

/**
 * The guest script: a file in tmpfs, then one md5sum of it per CPU at once, timed with the
 * guest's own uptime so boot and poweroff stay out of the figure.
 */
export function smpScript(cpus: number): string {
  return [
    `dd if=/dev/zero of=/tmp/z bs=1M count=${FILE_MIB} 2>/dev/null`,
    "echo smp-cpus $(grep -c ^processor /proc/cpuinfo)",
    "t0=$(cut -d' ' -f1 /proc/uptime)",
    `${"md5sum /tmp/z & ".repeat(cpus)}wait`,
    "t1=$(cut -d' ' -f1 /proc/uptime)",
    'echo smp-seconds $(awk "BEGIN { print $t1 - $t0 }")',
    "",
  ].join("\n");
}

/** Load balancing: guest CPUs, host threads, and the CPUs the two md5sums are pinned to. */
export const BALANCE_CPUS = 4;
export const BALANCE_THREADS = 2;
/** CPUs 0 and 2: harts placed on the same thread (hart i on the i-th least loaded, round robin). */
const BALANCE_MASKS = [1, 4];

/** Two md5sums pinned to CPUs that start on one thread, timed like {@link smpScript}. */
export function balanceScript(): string {
  return smpScript(BALANCE_CPUS).replace(
    `${"md5sum /tmp/z & ".repeat(BALANCE_CPUS)}wait`,
    `${BALANCE_MASKS.map((m) => `taskset ${m} md5sum /tmp/z & `).join("")}wait`,
  );
}

export function smpCmdline(cpus: number): string {
  return `console=ttyS0 quiet run=${Buffer.from(smpScript(cpus)).toString("base64")}`;
}

/** The guest's `smp-seconds` figure, or undefined when the line is missing. */
export function parseSmpSeconds(console: string): number | undefined {
  const m = /^smp-seconds (\d+(?:\.\d+)?)\r?$/m.exec(console);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Why a run's console does not count, or undefined when it does: the guest must have seen
 * `cpus` CPUs, printed one correct md5 per CPU and its timing, and finished the script cleanly.
 */
export function smpConsoleProblem(console: string, cpus: number): string | undefined {
  const seen = /^smp-cpus (\d+)\r?$/m.exec(console);
  if (seen === null) return "no smp-cpus line";
  if (Number(seen[1]) !== cpus) return `the guest saw ${seen[1]} CPUs, not ${cpus}`;
  const sums = [...console.matchAll(/^([0-9a-f]{32}) +\/tmp\/z\r?$/gm)].map((m) => m[1]);
  if (sums.length !== cpus) return `${sums.length} md5sum lines, not ${cpus}`;
  const wrong = sums.find((s) => s !== ZEROS_16M_MD5);
  if (wrong !== undefined) return `wrong md5 ${wrong}`;
  if (parseSmpSeconds(console) === undefined) return "no smp-seconds line";
  if (!/^monovisor-guest: exit=0/m.test(console)) return "the script did not exit 0";
  return undefined;
}

/**
 * Host cores busy on average (CPU time over wall time): by this process, all its threads (near 2
 * when two workers really ran at once), and by the whole host, so a contended run shows as such.
 */
export interface CoresBusy {
  readonly process: number;
  readonly host: number;
}

/** CPU seconds over wall seconds: how many host cores were busy on average. */
export function coresBusy(cpuSeconds: number, wallSeconds: number): number | undefined {
  return wallSeconds > 0 ? cpuSeconds / wallSeconds : undefined;
}

/** Non-idle CPU seconds of the whole host so far, summed over its CPUs. */
function hostCpuSeconds(): number {
  let ms = 0;
  for (const cpu of hostCpus()) ms += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return ms / 1000;
}

/**
 * Watches a guest console for the lines around the timed part (`smp-cpus` just before, and
 * `smp-seconds` just after) and samples this process's and the host's CPU time at each.
 */
function timedPartMeter(): { onConsole: (text: string) => void; busy: () => CoresBusy | undefined } {
  let text = "";
  let start: { cpu: NodeJS.CpuUsage; host: number; wall: number } | undefined;
  let busy: CoresBusy | undefined;
  return {
    onConsole: (chunk) => {
      if (busy !== undefined) return;
      text += chunk;
      if (start === undefined && text.includes("smp-cpus ")) {
        start = { cpu: process.cpuUsage(), host: hostCpuSeconds(), wall: performance.now() };
      } else if (start !== undefined && text.includes("smp-seconds ")) {
        const cpu = process.cpuUsage(start.cpu);
        const wall = (performance.now() - start.wall) / 1000;
        const mine = coresBusy((cpu.user + cpu.system) / 1e6, wall);
        const host = coresBusy(hostCpuSeconds() - start.host, wall);
        if (mine !== undefined && host !== undefined) busy = { process: mine, host };
      }
    },
    busy: () => busy,
  };
}

/** `threads: 1` seconds over `threads: 2` seconds; undefined unless both are positive. */
export function smpSpeedup(
  oneThreadSeconds: number | undefined,
  twoThreadSeconds: number | undefined,
): number | undefined {
  if (oneThreadSeconds === undefined || twoThreadSeconds === undefined) return undefined;
  return oneThreadSeconds > 0 && twoThreadSeconds > 0 ? oneThreadSeconds / twoThreadSeconds : undefined;
}

function bestSeconds(samples: readonly number[]): number | undefined {
  return samples.length === 0 ? undefined : Math.min(...samples);
}

interface SmpSample {
  readonly seconds: number;
  readonly coresBusy: CoresBusy | undefined;
}

function findGuest(ctx: BenchContext, explicit: string | undefined): string | undefined {
  const candidates =
    explicit === undefined ? linuxGuestCandidates(ctx.root, process.env) : [resolve(explicit)];
  return candidates.find(hasLinuxGuest);
}

/**
 * A parallel CPU workload in the Linux guest on {@link SMP_CPUS} CPUs: monovisor with its harts
 * on one worker thread, on a worker each, and on the main thread, next to QEMU `-smp 2`. Each
 * figure is the guest's own time for the md5sums; `--repeat` keeps the best.
 */
export async function runSmpBench(ctx: BenchContext, guestDir: string | undefined): Promise<SmpResult> {
  const cpus = SMP_CPUS;
  const hostCores = availableParallelism();
  const notes: string[] = [];
  const dir = findGuest(ctx, guestDir);
  if (dir === undefined) {
    return {
      cpus,
      hostCores,
      monovisor: SMP_VARIANTS.map((v) => ({ ...v, seconds: undefined, coresBusy: undefined, failed: false })),
      qemu: { seconds: undefined, failed: false },
      balance: { on: undefined, off: undefined },
      speedup: undefined,
      notes: [
        `smp: guest files missing (${LINUX_KERNEL_FILE} and ${LINUX_INITRD_FILE}); build them with tools/guest-builder/ensure-guests.sh`,
      ],
      failed: false,
    };
  }
  const kernelPath = join(dir, LINUX_KERNEL_FILE);
  const initrdPath = join(dir, LINUX_INITRD_FILE);
  const kernel = new Uint8Array(readFileSync(kernelPath));
  const initrd = new Uint8Array(readFileSync(initrdPath));
  const cmdline = smpCmdline(cpus);

  const samples = new Map<string, SmpSample[]>(SMP_VARIANTS.map((v) => [v.id, []]));
  const failedIds = new Set<string>();
  const qemuSamples: number[] = [];
  let qemuFailed = false;
  const balanceOn: number[] = [];
  const balanceOff: number[] = [];
  let balanceFailed = false;
  // Variants alternate within each repeat so slow drift on the host hits them alike.
  for (let run = 1; run <= ctx.repeat; run++) {
    for (const variant of SMP_VARIANTS) {
      ctx.progress(`smp: ${variant.title}, run ${run}/${ctx.repeat}`);
      const meter = timedPartMeter();
      const problem = await bootLinux({
        kernel,
        initrd,
        cmdline,
        memoryBytes: 256 * MiB,
        hartCount: cpus,
        threads: variant.threads,
        onConsole: meter.onConsole,
        timeoutMs: MONOVISOR_TIMEOUT_MS,
      }).then(
        (outcome) => {
          const seconds = parseSmpSeconds(outcome.console);
          const why = outcome.poweredOff
            ? smpConsoleProblem(outcome.console, cpus)
            : `ended with ${outcome.exit}`;
          if (why !== undefined || seconds === undefined) return `${why}: ${tail(outcome.console)}`;
          samples.get(variant.id)?.push({ seconds, coresBusy: meter.busy() });
          return undefined;
        },
        // A machine that cannot be built fails its row, not the whole benchmark.
        (error: unknown) => `threw ${error instanceof Error ? error.message : String(error)}`,
      );
      if (problem !== undefined) {
        failedIds.add(variant.id);
        notes.push(`smp: ${variant.title} run ${run} failed (${problem})`);
      }
    }
    for (const balance of [true, false]) {
      ctx.progress(`smp: load balancing ${balance ? "on" : "off"}, run ${run}/${ctx.repeat}`);
      const pool = new VcpuPool({ workers: BALANCE_THREADS, balance });
      const problem = await bootLinux({
        kernel,
        initrd,
        cmdline: `console=ttyS0 quiet run=${Buffer.from(balanceScript()).toString("base64")}`,
        memoryBytes: 256 * MiB,
        hartCount: BALANCE_CPUS,
        pool,
        timeoutMs: MONOVISOR_TIMEOUT_MS,
      })
        .then(
          (outcome) => {
            const seconds = parseSmpSeconds(outcome.console);
            const sums = outcome.console.split(`${ZEROS_16M_MD5}  /tmp/z`).length - 1;
            if (!outcome.poweredOff || seconds === undefined || sums !== BALANCE_MASKS.length)
              return `${outcome.exit}: ${tail(outcome.console)}`;
            (balance ? balanceOn : balanceOff).push(seconds);
            return undefined;
          },
          (error: unknown) => `threw ${error instanceof Error ? error.message : String(error)}`,
        )
        .finally(() => pool.close());
      if (problem !== undefined) {
        balanceFailed = true;
        notes.push(`smp: load balancing ${balance ? "on" : "off"} run ${run} failed (${problem})`);
      }
    }
    if (ctx.qemu === undefined) continue;
    ctx.progress(`smp: qemu -smp ${cpus}, run ${run}/${ctx.repeat}`);
    const result = await runQemu(
      ctx.qemu,
      [
        ...["-M", "virt", "-smp", String(cpus), "-m", "256M", "-nographic", "-no-reboot"],
        ...["-kernel", kernelPath, "-initrd", initrdPath, "-append", cmdline],
      ],
      QEMU_TIMEOUT_MS,
    );
    const problem = result.timedOut
      ? "timed out"
      : result.exitCode !== 0
        ? `exit status ${result.exitCode}`
        : smpConsoleProblem(result.output, cpus);
    const seconds = parseSmpSeconds(result.output);
    if (problem !== undefined || seconds === undefined) {
      qemuFailed = true;
      notes.push(`smp: qemu run ${run} failed (${problem}): ${tail(result.output)}`);
    } else qemuSamples.push(seconds);
  }

  const monovisor = SMP_VARIANTS.map((v): SmpRow => {
    const runs = samples.get(v.id) ?? [];
    const best = runs.reduce<SmpSample | undefined>(
      (a, b) => (a === undefined || b.seconds < a.seconds ? b : a),
      undefined,
    );
    return { ...v, seconds: best?.seconds, coresBusy: best?.coresBusy, failed: failedIds.has(v.id) };
  });
  const byThreads = (threads: number) => monovisor.find((r) => r.threads === threads)?.seconds;
  if (ctx.qemu === undefined) notes.push(`smp: ${QEMU_MISSING}`);
  notes.push(
    `smp: seconds are the guest's /proc/uptime around ${cpus} concurrent md5sums of a ${FILE_MIB} MiB tmpfs file, best of ${ctx.repeat}`,
    `smp: speedup = threads: 1 seconds / threads: 2 seconds; the target is >= ${SMP_SPEEDUP_TARGET}x on a 2-core host`,
    "smp: cores busy = CPU time over wall time while the guest ran the md5sums, of this process (all its threads) / of the whole host; the host's well above this process's means other work shared the cores",
    `smp: load balancing: ${BALANCE_CPUS} CPUs on ${BALANCE_THREADS} threads, md5sums pinned to CPUs 0 and 2, which start on the same thread; off keeps the placement (VcpuPool balance: false)`,
    hostCores < cpus
      ? `smp: this host has ${hostCores} core(s) (os.availableParallelism()); with fewer than ${cpus} the speedup cannot show`
      : `smp: this host has ${hostCores} cores (os.availableParallelism())`,
  );
  return {
    cpus,
    hostCores,
    monovisor,
    qemu: { seconds: bestSeconds(qemuSamples), failed: qemuFailed },
    balance: { on: bestSeconds(balanceOn), off: bestSeconds(balanceOff) },
    speedup: smpSpeedup(byThreads(1), byThreads(2)),
    notes,
    failed: qemuFailed || balanceFailed || failedIds.size > 0,
  };
}

/** The SMP table: a row per monovisor variant, QEMU's time beside each, the speedup on `threads: 2`. */
export function formatSmpReport(r: SmpResult): string {
  const secondsCell = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(2));
  const rows = r.monovisor.map((row) => {
    const ratio =
      row.seconds === undefined || r.qemu.seconds === undefined
        ? undefined
        : speedRatio(row.seconds, r.qemu.seconds);
    return [
      row.failed ? `${row.title} (FAILED)` : row.title,
      secondsCell(row.seconds),
      row.coresBusy === undefined
        ? "-"
        : `${row.coresBusy.process.toFixed(2)} / ${row.coresBusy.host.toFixed(2)}`,
      r.qemu.failed ? "FAILED" : secondsCell(r.qemu.seconds),
      ratio === undefined ? "-" : describeRatio(ratio),
      row.threads === 2 && r.speedup !== undefined ? `${r.speedup.toFixed(2)}x` : "",
    ];
  });
  const table = formatTable(
    [
      { header: `smp: ${r.cpus} CPUs, an md5sum each` },
      { header: "in-guest s", align: "right" },
      { header: "cores busy: ours / host", align: "right" },
      { header: `qemu -smp ${r.cpus} s`, align: "right" },
      { header: "speed vs qemu" },
      { header: "smp speedup", align: "right" },
    ],
    rows,
  );
  const { on, off } = r.balance;
  const balance = formatTable(
    [
      { header: `load balancing, ${BALANCE_CPUS} CPUs on ${BALANCE_THREADS} threads, 2 pinned md5sums` },
      { header: "in-guest s", align: "right" },
      { header: "gain", align: "right" },
    ],
    [
      [
        "on (default)",
        secondsCell(on),
        on !== undefined && off !== undefined ? `${(off / on).toFixed(2)}x` : "-",
      ],
      ["off (placement kept)", secondsCell(off), ""],
    ],
  );
  return `\n${table}\n\n${balance}\n\n${r.notes.map((n) => `* ${n}`).join("\n")}\n`;
}
