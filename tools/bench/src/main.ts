import { BENCH_USAGE, type BenchOptions, parseBenchArgs, UsageError } from "./args.js";
import type { BenchContext } from "./context.js";
import { runCpuBench } from "./cpu-bench.js";
import { formatIdleReport, type IdleResult, runIdleBench } from "./idle-bench.js";
import { formatIoReport, type IoResult, runIoBench } from "./io-bench.js";
import { runLinuxBench } from "./linux-bench.js";
import { repoRoot } from "./paths.js";
import { findQemu } from "./qemu.js";
import { formatReport, jsonReport } from "./report.js";
import type { BenchResult } from "./result.js";
import { formatSchedReport, runSchedBench, type SchedResult } from "./sched-bench.js";
import { formatSmpReport, runSmpBench, type SmpResult } from "./smp-bench.js";

function parseOrExit(argv: readonly string[]): BenchOptions {
  try {
    return parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${BENCH_USAGE}\n`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  const options = parseOrExit(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const ctx: BenchContext = {
    root: repoRoot(),
    qemu: findQemu(),
    repeat: options.repeat,
    progress: (line) => process.stderr.write(`bench: ${line}\n`),
  };
  const results: BenchResult[] = [];
  if (options.only === undefined || options.only === "cpu") results.push(...(await runCpuBench(ctx)));
  if (options.only === undefined || options.only === "linux") {
    results.push(...(await runLinuxBench(ctx, options.guests)));
  }
  const io: IoResult[] = [];
  if (options.only === undefined || options.only === "io")
    io.push(...(await runIoBench(ctx, options.guests)));
  let idle: IdleResult | undefined;
  if (options.only === undefined || options.only === "idle") idle = await runIdleBench(ctx, options.guests);
  let smp: SmpResult | undefined;
  if (options.only === undefined || options.only === "smp") smp = await runSmpBench(ctx, options.guests);
  let sched: SchedResult | undefined;
  if (options.only === undefined || options.only === "sched") sched = await runSchedBench(ctx);

  if (options.json) {
    const report = JSON.parse(jsonReport(results, options.repeat)) as Record<string, unknown>;
    process.stdout.write(
      `${JSON.stringify({ ...report, io, idle: idle ?? null, smp: smp ?? null, sched: sched ?? null }, null, 2)}\n`,
    );
  } else {
    if (results.length > 0) process.stdout.write(formatReport(results, options.repeat));
    if (io.length > 0) process.stdout.write(formatIoReport(io));
    if (idle !== undefined) process.stdout.write(formatIdleReport(idle));
    if (smp !== undefined) process.stdout.write(formatSmpReport(smp));
    if (sched !== undefined) process.stdout.write(formatSchedReport(sched));
  }
  const failed = results.some((r) => r.failed) || io.some((r) => r.failed) || smp?.failed === true;
  return failed ? 1 : 0;
}

process.exitCode = await main();
