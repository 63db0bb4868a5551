import { parseArgs } from "node:util";
import { Tracer } from "@monovisor/perf";
import { ExitStats, formatExitTables } from "./exit-stats.js";
import { LiveView } from "./live-stats.js";
import { bootGuest, guestConfig, RUN_OPTIONS } from "./run.js";
import { formatSchedTable, SchedStats } from "./sched-stats.js";
import { UsageError } from "./sizes.js";

export const STAT_USAGE = `usage: hv stat [--per-vcpu] [--live [--interval <s>]] --kernel <Image|elf> [hv run options]

Boots a guest exactly as 'hv run' does (same options, console on the terminal) and, when it
exits, prints to standard error what made the engine leave guest code, like 'perf kvm stat':
traps by cause, SBI calls by extension and function, MMIO accesses by device, and WFI waits,
each with its count, share of all exits and, where measured, time. With --threads it also
prints how the vCPUs were scheduled on the host threads: switches, wake-ups, blocks and steal
time per vCPU.

  --per-vcpu         one table per vCPU instead of one for the whole guest
  --live             while the guest runs, also print the table every --interval seconds:
                     exits in the last interval and in total (redrawn in place on a terminal)
  --interval <s>     seconds between live tables (default 1)
  -h, --help         this help

See 'hv run --help' for the boot options. The exit status is the one 'hv run' would give.`;

/** Records per vCPU ring; drained every few milliseconds while the guest runs. */
const RING_CAPACITY = 1 << 16;
const DRAIN_INTERVAL_MS = 10;

/** `hv stat`: boots the guest with exit tracing on and prints the exit statistics at the end. */
export async function statCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      ...RUN_OPTIONS,
      "per-vcpu": { type: "boolean", default: false },
      live: { type: "boolean", default: false },
      interval: { type: "string" },
    },
  });
  if (values.help) {
    process.stdout.write(`${STAT_USAGE}\n`);
    return 0;
  }
  if (values.interval !== undefined && !values.live) throw new UsageError("--interval needs --live");
  const interval = Number(values.interval ?? "1");
  if (!(interval > 0))
    throw new UsageError(`--interval: not a positive number of seconds: ${values.interval}`);
  const config = guestConfig(values, STAT_USAGE);
  const threads = config.threads ?? 0;
  const tracer = new Tracer({
    vm: { id: 1, name: "guest" },
    vcpus: config.hartCount,
    ringCapacity: RING_CAPACITY,
    // vCPU threads write their rings themselves.
    shared: threads > 0,
  });
  const stats = new ExitStats(tracer);
  const sched = threads > 0 ? new SchedStats(tracer) : undefined;
  const stopDrain = tracer.startAutoDrain(DRAIN_INTERVAL_MS);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let timer: NodeJS.Timeout | undefined;
  if (values.live) {
    const view = new LiveView((text) => process.stderr.write(text), {
      tty: process.stderr.isTTY === true,
      rawTerminal: process.stdin.isTTY === true,
    });
    timer = setInterval(() => {
      tracer.drain();
      view.draw(stats.tables(values["per-vcpu"]), elapsed());
    }, interval * 1000);
    timer.unref();
  }
  let status: number;
  try {
    status = await bootGuest({ ...config, tracer }, "stat", values.kernel);
  } finally {
    clearInterval(timer);
    stopDrain();
    tracer.drain();
  }
  const seconds = elapsed();
  process.stderr.write(formatExitTables(stats.tables(values["per-vcpu"]), seconds));
  if (sched !== undefined) process.stderr.write(formatSchedTable(sched.rows(), threads, seconds));
  return status;
}
