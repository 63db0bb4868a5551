export type { BenchName, BenchOptions } from "./args.js";
export { BENCH_USAGE, parseBenchArgs, UsageError } from "./args.js";
export type { BenchContext } from "./context.js";
export { runCpuBench } from "./cpu-bench.js";
export type { LinuxWorkload } from "./linux-bench.js";
export { LINUX_WORKLOADS, runLinuxBench } from "./linux-bench.js";
export type { LinuxBootOutcome, LinuxBootRequest } from "./linux-board.js";
export { bootLinux, describeExit } from "./linux-board.js";
export {
  bestOf,
  describeOverhead,
  describeRatio,
  mips,
  overheadPercent,
  speedRatio,
  withoutStartup,
} from "./metrics.js";
export { formatReport, jsonReport, resultRatio } from "./report.js";
export type { BenchResult, SideResult } from "./result.js";
export type { TableColumn } from "./table.js";
export { formatTable, groupDigits } from "./table.js";
