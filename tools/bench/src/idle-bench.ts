import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VirtMachine } from "@monovisor/devmodel";
import type { BenchContext } from "./context.js";
import { linuxGuestCandidates } from "./paths.js";
import { QEMU_MISSING, tail } from "./qemu.js";
import { formatTable } from "./table.js";

/** One guest shape: monovisor's harts and threads, QEMU's `-smp`. */
export interface IdleVariant {
  readonly id: string;
  readonly title: string;
  readonly hartCount: number;
  /** `VirtMachine`'s `threads`. */
  readonly threads: number;
}

export const IDLE_VARIANTS: readonly IdleVariant[] = [
  { id: "idle-1-hart", title: "1 hart, threads: 0 (qemu -smp 1)", hartCount: 1, threads: 0 },
  { id: "idle-2-harts-2-threads", title: "2 harts, threads: 2 (qemu -smp 2)", hartCount: 2, threads: 2 },
];

/** Host CPU used by a booted guest sitting at its shell, in percent of one core. */
export interface IdleRow extends IdleVariant {
  readonly monovisor: number | undefined;
  readonly qemu: number | undefined;
}

export interface IdleResult {
  readonly rows: readonly IdleRow[];
  readonly windowSeconds: number;
  readonly notes: readonly string[];
}

const SHELL_READY = "monovisor-guest: shell";
const WINDOW_MS = 5000;
const BOOT_TIMEOUT_MS = 120_000;

/** Percent of one core from CPU seconds spent over wall seconds. */
export function corePercent(cpuSeconds: number, wallSeconds: number): number {
  return wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : 0;
}

/** utime + stime of a process in seconds, from /proc (Linux hosts). */
export function procCpuSeconds(stat: string, ticksPerSecond = 100): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / ticksPerSecond;
}

function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (predicate() || Date.now() - started > timeoutMs) {
        clearInterval(poll);
        resolve(predicate());
      }
    }, 50);
  });
}

async function monovisorIdle(
  kernel: Uint8Array,
  initrd: Uint8Array,
  variant: IdleVariant,
): Promise<number | string> {
  let console = "";
  const decoder = new TextDecoder();
  const vm = new VirtMachine({
    kernel,
    initrd,
    cmdline: "console=ttyS0 quiet",
    memoryBytes: 256 * 1024 * 1024,
    hartCount: variant.hartCount,
    threads: variant.threads,
    console: {
      write: (b) => {
        console += decoder.decode(b, { stream: true });
      },
    },
  });
  const running = vm.run();
  const ready = await until(() => console.includes(SHELL_READY), BOOT_TIMEOUT_MS);
  if (!ready) {
    vm.stop();
    await running;
    return `the guest did not reach its shell: ${tail(console)}`;
  }
  // Let boot-time work (deferred probes, RCU) settle before measuring.
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - wall0) / 1000;
  vm.stop();
  await running;
  return corePercent((cpu.user + cpu.system) / 1e6, wall);
}

async function qemuIdle(
  qemu: string,
  kernelPath: string,
  initrdPath: string,
  smp: number,
): Promise<number | string> {
  const child = spawn(
    qemu,
    [
      ...["-M", "virt", "-smp", String(smp), "-m", "256M", "-nographic", "-no-reboot"],
      ...["-kernel", kernelPath, "-initrd", initrdPath, "-append", "console=ttyS0 quiet"],
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  try {
    const ready = await until(() => output.includes(SHELL_READY), BOOT_TIMEOUT_MS);
    if (!ready || child.pid === undefined) return "qemu did not reach the guest's shell";
    const statPath = `/proc/${child.pid}/stat`;
    if (!existsSync(statPath)) return "no /proc on this host";
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = procCpuSeconds(readFileSync(statPath, "utf8"));
    const wall0 = performance.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const cpu = procCpuSeconds(readFileSync(statPath, "utf8")) - cpu0;
    return corePercent(cpu, (performance.now() - wall0) / 1000);
  } finally {
    child.kill("SIGKILL");
  }
}

/**
 * The idle cost of a booted guest: the shared Linux guest boots to its shell and sits there; the
 * host CPU it uses over a few seconds, as a percent of one core, next to QEMU doing the same.
 */
export async function runIdleBench(ctx: BenchContext, guestDir: string | undefined): Promise<IdleResult> {
  const notes: string[] = [];
  const dir = (guestDir === undefined ? linuxGuestCandidates(ctx.root, process.env) : [guestDir]).find((d) =>
    existsSync(join(d, "Image")),
  );
  const blank = (v: IdleVariant): IdleRow => ({ ...v, monovisor: undefined, qemu: undefined });
  if (dir === undefined) {
    return { rows: IDLE_VARIANTS.map(blank), windowSeconds: WINDOW_MS / 1000, notes: ["idle: no guest"] };
  }
  const kernelPath = join(dir, "Image");
  const initrdPath = join(dir, "initramfs.cpio.gz");
  const kernel = new Uint8Array(readFileSync(kernelPath));
  const initrd = new Uint8Array(readFileSync(initrdPath));
  const rows: IdleRow[] = [];
  for (const variant of IDLE_VARIANTS) {
    ctx.progress(`idle: monovisor, hartCount ${variant.hartCount}, threads ${variant.threads}`);
    const mono = await monovisorIdle(kernel, initrd, variant).catch(
      (error: unknown) => `threw ${error instanceof Error ? error.message : String(error)}`,
    );
    if (typeof mono === "string") notes.push(`idle: monovisor, ${variant.title}: ${mono}`);
    let qemu: number | string | undefined;
    if (ctx.qemu !== undefined) {
      ctx.progress(`idle: qemu -smp ${variant.hartCount}`);
      qemu = await qemuIdle(ctx.qemu, kernelPath, initrdPath, variant.hartCount);
      if (typeof qemu === "string") notes.push(`idle: qemu, ${variant.title}: ${qemu}`);
    }
    rows.push({
      ...variant,
      monovisor: typeof mono === "number" ? mono : undefined,
      qemu: typeof qemu === "number" ? qemu : undefined,
    });
  }
  if (ctx.qemu === undefined) notes.push(`idle: ${QEMU_MISSING}`);
  // process.cpuUsage() counts every thread of the process, so the vCPU workers are in it.
  notes.push(
    "idle: monovisor's figure is this whole process, its vCPU threads and the benchmark runner included",
  );
  return { rows, windowSeconds: WINDOW_MS / 1000, notes };
}

/** The idle table: a row per guest shape. */
export function formatIdleReport(r: IdleResult): string {
  const cell = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)} %`);
  const table = formatTable(
    [
      { header: `idle guest at its shell: host CPU over ${r.windowSeconds} s, % of one core` },
      { header: "monovisor", align: "right" },
      { header: "qemu", align: "right" },
    ],
    r.rows.map((row) => [row.title, cell(row.monovisor), cell(row.qemu)]),
  );
  return `\n${table}\n${r.notes.map((n) => `* ${n}`).join("\n")}\n`;
}
