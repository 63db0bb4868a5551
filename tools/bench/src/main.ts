import { BENCH_USAGE, type BenchOptions, parseBenchArgs, UsageError } from "./args.js";
import type { BenchContext } from "./context.js";
import { runCpuBench } from "./cpu-bench.js";
import { runLinuxBench } from "./linux-bench.js";
import { repoRoot } from "./paths.js";
import { findQemu } from "./qemu.js";
import { formatReport, jsonReport } from "./report.js";
import type { BenchResult } from "./result.js";

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
  if (options.only !== "linux") results.push(await runCpuBench(ctx));
  if (options.only !== "cpu") results.push(...(await runLinuxBench(ctx, options.guests)));

  process.stdout.write(
    options.json ? jsonReport(results, options.repeat) : formatReport(results, options.repeat),
  );
  return results.some((r) => r.failed) ? 1 : 0;
}

process.exitCode = await main();
