import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBareMetal } from "@monovisor/devmodel";
import { Tracer } from "@monovisor/perf";
import type { BenchContext } from "./context.js";
import { bestOf, mips, overheadPercent, withoutStartup } from "./metrics.js";
import { QEMU_MISSING, type QemuRun, runQemu, tail } from "./qemu.js";
import type { BenchResult, SideResult } from "./result.js";

const PROGRAMS_DIR = join("tools", "guest-programs");
const BENCH_ELF = join("build", "bench-cpu.elf");
/** Does next to nothing, so its wall time is QEMU's startup and teardown. */
const STARTUP_ELF = join("build", "hello.elf");
const QEMU_TIMEOUT_MS = 120_000;
const QEMU_ARGS = ["-M", "virt", "-bios", "none", "-m", "128M", "-nographic", "-no-reboot"];
const QEMU_CPU = ["-cpu", "rv64,zba=true,zbb=true,zbs=true"];

const TITLE = "cpu: bench-cpu.elf";
const TRACED_ID = "cpu-traced";
const TRACED_TITLE = "cpu: bench-cpu.elf, tracer attached, tracepoints disabled";

/** The program's final `checksum` line: equal on both sides means both did the same work. */
function checksum(console: string): string | undefined {
  return /^checksum ([0-9a-f]+)$/m.exec(console)?.[1];
}

/** Why a QEMU run does not count, or undefined when it passed. */
function qemuProblem(run: QemuRun, needPassLine: boolean): string | undefined {
  if (run.timedOut) return `timed out: ${tail(run.output)}`;
  if (run.exitCode !== 0) return `exit status ${run.exitCode}: ${tail(run.output)}`;
  if (needPassLine && !/^PASS$/m.test(run.output)) return `no PASS line: ${tail(run.output)}`;
  return undefined;
}

/** Builds the guest programs when they are missing (a fresh clone has sources only). */
function ensurePrograms(ctx: BenchContext): string | undefined {
  const dir = join(ctx.root, PROGRAMS_DIR);
  if (existsSync(join(dir, BENCH_ELF)) && existsSync(join(dir, STARTUP_ELF))) return undefined;
  ctx.progress(`cpu: building ${BENCH_ELF} and ${STARTUP_ELF} in ${PROGRAMS_DIR}`);
  const make = spawnSync("make", ["-C", dir, BENCH_ELF, STARTUP_ELF], { encoding: "utf8" });
  if (make.error !== undefined || make.status !== 0) {
    const why = make.error?.message ?? tail(make.stderr ?? "");
    return `cpu: could not build the guest programs (make -C ${PROGRAMS_DIR}; needs gcc-riscv64-unknown-elf): ${why}`;
  }
  return undefined;
}

/** One side's best run, and the checksum it printed (undefined when it did not run or failed). */
export interface CpuSide {
  readonly side: SideResult | undefined;
  readonly checksum: string | undefined;
  readonly failed: boolean;
}

const NOT_RUN: CpuSide = { side: undefined, checksum: undefined, failed: false };

/**
 * Guest MIPS on the same bare-metal program: monovisor's interpreter in this process against
 * QEMU's TCG in a child process, whose startup (timed on `hello.elf`) is subtracted. A second
 * row runs the same program with a `Tracer` attached and nothing enabled, and gives its overhead
 * over the plain run (the hot-path guards should make it close to zero).
 */
export async function runCpuBench(ctx: BenchContext): Promise<BenchResult[]> {
  const buildProblem = ensurePrograms(ctx);
  if (buildProblem !== undefined) {
    return [
      {
        id: "cpu",
        title: TITLE,
        monovisor: undefined,
        qemu: undefined,
        notes: [buildProblem],
        failed: false,
      },
    ];
  }
  const notes: string[] = [];
  const tracedNotes: string[] = [];
  const [mono, traced] = monovisorSides(ctx, notes, tracedNotes);
  const qemu = await qemuSide(ctx, mono.side?.instructions, notes);
  let checksumsDiffer = false;
  if (mono.checksum !== undefined && qemu.checksum !== undefined) {
    checksumsDiffer = mono.checksum !== qemu.checksum;
    notes.push(
      checksumsDiffer
        ? `cpu: checksums differ (monovisor ${mono.checksum}, qemu ${qemu.checksum})`
        : `cpu: both print checksum ${qemu.checksum}, so both did the same work`,
    );
  }
  if (traced.checksum !== undefined && traced.checksum !== mono.checksum) {
    tracedNotes.push(
      `cpu: the traced run printed checksum ${traced.checksum}, the plain run ${mono.checksum}`,
    );
  }
  return [
    {
      id: "cpu",
      title: TITLE,
      monovisor: mono.side,
      qemu: qemu.side,
      notes,
      failed: mono.failed || qemu.failed || checksumsDiffer,
    },
    tracedResult(mono, traced, tracedNotes),
  ];
}

/** The traced row: monovisor only, with its overhead over the plain run when both ran. */
export function tracedResult(plain: CpuSide, traced: CpuSide, notes: readonly string[]): BenchResult {
  const percent =
    plain.side === undefined || traced.side === undefined
      ? undefined
      : overheadPercent(plain.side.seconds, traced.side.seconds);
  return {
    id: TRACED_ID,
    title: TRACED_TITLE,
    monovisor: traced.side,
    qemu: undefined,
    ...(percent === undefined ? {} : { overhead: { baseline: "cpu", percent } }),
    notes: [
      ...notes,
      "cpu: overhead = the traced run's time over the plain run's, minus 1 (the target is at most 2%)",
    ],
    failed:
      traced.failed ||
      (traced.checksum !== undefined && plain.checksum !== undefined && traced.checksum !== plain.checksum),
  };
}

/**
 * The plain and the traced run, alternated so both see the same host noise and neither gets all
 * of the warm-up.
 */
function monovisorSides(ctx: BenchContext, notes: string[], tracedNotes: string[]): [CpuSide, CpuSide] {
  const elf = new Uint8Array(readFileSync(join(ctx.root, PROGRAMS_DIR, BENCH_ELF)));
  const plain = new SideRuns("plain", notes);
  const traced = new SideRuns("traced", tracedNotes);
  for (let run = 1; run <= ctx.repeat; run++) {
    ctx.progress(`cpu: monovisor run ${run}/${ctx.repeat}`);
    plain.run(elf, undefined);
    ctx.progress(`cpu: monovisor run ${run}/${ctx.repeat}, tracer attached`);
    traced.run(elf, new Tracer({ vm: { id: 1, name: "bench-cpu" }, vcpus: 1 }));
  }
  return [plain.result(), traced.result()];
}

/** Timed runs of one variant; stops timing after the first run that does not pass. */
class SideRuns {
  private readonly times: number[] = [];
  private instructions = 0;
  private printed: string | undefined;
  private failed = false;

  constructor(
    private readonly what: string,
    private readonly notes: string[],
  ) {}

  run(elf: Uint8Array, tracer: Tracer | undefined): void {
    if (this.failed) return;
    const started = performance.now();
    const result = runBareMetal(elf, { tracer });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== "pass") {
      this.notes.push(
        `cpu: monovisor (${this.what}) did not pass (${result.status}): ${result.message}; console: ${tail(result.console)}`,
      );
      this.failed = true;
      return;
    }
    this.times.push(seconds);
    this.instructions = result.instructions;
    this.printed = checksum(result.console);
  }

  result(): CpuSide {
    if (this.failed || this.times.length === 0) return { ...NOT_RUN, failed: this.failed };
    const seconds = bestOf(this.times);
    return {
      side: { seconds, instructions: this.instructions, mips: mips(this.instructions, seconds) },
      checksum: this.printed,
      failed: false,
    };
  }
}

/** `instructions`: monovisor's count for the same program, undefined if it did not run. */
async function qemuSide(
  ctx: BenchContext,
  instructions: number | undefined,
  notes: string[],
): Promise<CpuSide> {
  if (ctx.qemu === undefined) {
    notes.push(`cpu: ${QEMU_MISSING}`);
    return NOT_RUN;
  }
  const dir = join(ctx.root, PROGRAMS_DIR);
  const args = (elf: string): string[] => [...QEMU_ARGS, ...QEMU_CPU, "-kernel", join(dir, elf)];
  const benchTimes: number[] = [];
  const startupTimes: number[] = [];
  let printed: string | undefined;
  for (let run = 1; run <= ctx.repeat; run++) {
    ctx.progress(`cpu: qemu run ${run}/${ctx.repeat}`);
    const startup = await runQemu(ctx.qemu, args(STARTUP_ELF), QEMU_TIMEOUT_MS);
    const bench = await runQemu(ctx.qemu, args(BENCH_ELF), QEMU_TIMEOUT_MS);
    // hello.elf prints no PASS line; its clean poweroff (exit 0) is enough.
    const problem = qemuProblem(startup, false) ?? qemuProblem(bench, true);
    if (problem !== undefined) {
      notes.push(`cpu: qemu run did not pass (${problem})`);
      return { ...NOT_RUN, failed: true };
    }
    startupTimes.push(startup.seconds);
    benchTimes.push(bench.seconds);
    printed = checksum(bench.output);
  }
  const wall = bestOf(benchTimes);
  const startup = bestOf(startupTimes);
  const seconds = withoutStartup(wall, startup);
  notes.push(
    `cpu: qemu seconds = ${wall.toFixed(3)} s wall - ${startup.toFixed(3)} s startup (hello.elf); ` +
      "its instruction count is taken to be monovisor's retired count for the same deterministic program",
  );
  // QEMU TCG has no cheap retired-instruction counter; the program is deterministic, so it
  // retires what monovisor retires (the checksums confirm both did the same work).
  return {
    side: {
      seconds,
      instructions,
      mips: instructions === undefined ? undefined : mips(instructions, seconds),
    },
    checksum: printed,
    failed: false,
  };
}
