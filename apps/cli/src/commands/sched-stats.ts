import type { RecordBatch, Subscription, Tracer, TraceTable } from "@monovisor/perf";
import { formatTime } from "./exit-stats.js";

/** Tracepoints `hv stat` counts for the scheduling table of a run on vCPU threads. */
const COUNTED = ["sched.switch", "sched.wake", "sched.block", "sched.migrate"] as const;

export interface SchedRow {
  readonly vcpu: number;
  readonly switches: number;
  readonly wakes: number;
  readonly blocks: number;
  readonly migrations: number;
  /** Time runnable while no host thread ran it, in ns. */
  readonly stealNs: number;
}

/**
 * Per-vCPU scheduling on vCPU threads, in the manner of `perf sched` and xentop's steal column:
 * switches in, wake-ups, blocks, migrations and steal time. Counts come from count mode; steal
 * time from `sched.steal` records, whose value is the length of the wait.
 */
export class SchedStats {
  private readonly tracer: Tracer;
  private readonly steal: Float64Array;
  private readonly subscription: Subscription;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
    this.steal = new Float64Array(tracer.vcpus);
    tracer.enable(COUNTED, "count");
    tracer.enable("sched.steal", "trace");
    this.subscription = tracer.subscribe({ tracepoints: "sched.steal" }, (batch, table) =>
      this.add(batch, table),
    );
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  /** One row per vCPU. Drain the tracer first. */
  rows(): SchedRow[] {
    const counts = new Map(this.tracer.stats().tracepoints.map((t) => [t.name, t.perVcpu]));
    const of = (name: string, vcpu: number) => counts.get(name)?.[vcpu] ?? 0;
    return Array.from({ length: this.tracer.vcpus }, (_, vcpu) => ({
      vcpu,
      switches: of("sched.switch", vcpu),
      wakes: of("sched.wake", vcpu),
      blocks: of("sched.block", vcpu),
      migrations: of("sched.migrate", vcpu),
      stealNs: this.steal[vcpu],
    }));
  }

  private add(batch: RecordBatch, _table: TraceTable): void {
    for (let i = 0; i < batch.length; i++) {
      const vcpu = batch.vcpu(i);
      if (vcpu < this.steal.length) this.steal[vcpu] += batch.value(i);
    }
  }
}

/** The scheduling table: per vCPU, with steal as a share of the run's wall time. */
export function formatSchedTable(rows: readonly SchedRow[], threads: number, seconds: number): string {
  const header = ["vCPU", "switches", "wakes", "blocks", "migrations", "steal", "steal %"];
  const body = rows.map((row) => [
    String(row.vcpu),
    String(row.switches),
    String(row.wakes),
    String(row.blocks),
    String(row.migrations),
    formatTime(row.stealNs),
    `${seconds > 0 ? ((100 * row.stealNs) / (seconds * 1e9)).toFixed(2) : "0.00"}%`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const format = (cells: string[]) => `  ${cells.map((cell, c) => cell.padStart(widths[c])).join("  ")}`;
  return [
    "",
    ` Scheduling on ${threads} vCPU thread${threads === 1 ? "" : "s"} over ${seconds.toFixed(2)} s`,
    "",
    format(header),
    ...body.map(format),
    "",
    " steal: time the vCPU could run but no host thread ran it (the guest sees it through SBI STA).",
    "",
  ].join("\n");
}
