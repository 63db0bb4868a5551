import { virtMemoryMap } from "@monovisor/devmodel";
import { Histogram, HOST_VCPU, IrqLatency, type IrqSourceLatency, type Recording } from "@monovisor/perf";
import { formatTime } from "./exit-stats.js";

/** Virt board interrupt sources by number (uart0 = 10, rtc = 11, virtio-mmio0..7 = 1..8). */
const VIRT_IRQ_NAMES: ReadonlyMap<number, string> = new Map(
  virtMemoryMap(1, 16 * 1024 * 1024)
    .filter((r) => r.irq !== undefined)
    .map((r) => [r.irq as number, r.name]),
);

/** The name of a virt board PLIC source, e.g. `10 (uart0)`. */
export function irqSourceLabel(source: number): string {
  const name = VIRT_IRQ_NAMES.get(source);
  return name === undefined ? String(source) : `${source} (${name})`;
}

/** Aligned text columns: the first left-aligned, the rest right-aligned. */
export function formatColumns(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")}`;
  return [line(header), ...rows.map(line)];
}

/** Raise→claim latency per interrupt source, from a recording's `irq.*` events. */
export function irqLatencyOf(recording: Recording): IrqSourceLatency[] {
  return new IrqLatency().addAll(recording.events()).sources();
}

/** The interrupt latency table (p50/p90/p99 from perf's `Histogram`). */
export function formatIrqLatency(sources: readonly IrqSourceLatency[]): string[] {
  const rows = sources
    .filter((s) => s.latency.count > 0)
    .map((s) => {
      const h = s.latency.summary();
      return [
        `${s.controller} ${irqSourceLabel(s.source)}`,
        String(h.count),
        formatTime(h.p50),
        formatTime(h.p90),
        formatTime(h.p99),
        formatTime(h.max),
      ];
    });
  if (rows.length === 0) return [" No interrupt was raised and claimed (enable class:irq)."];
  return [
    " Interrupt latency, line raised -> claimed:",
    "",
    ...formatColumns(["source", "count", "p50", "p90", "p99", "max"], rows),
  ];
}

/**
 * The text summary of a recording: events by tracepoint and vCPU, span latency percentiles,
 * and interrupt latency per source.
 */
export function formatTraceReport(recording: Recording): string {
  const vcpus = recording.vcpus;
  const counts = new Map<string, number[]>(); // tracepoint -> per vCPU, host last
  const spans = new Map<string, Histogram>();
  const records = recording.records;
  for (let i = 0; i < records.length; i++) {
    const info = recording.tracepoints[records.tracepointId(i)];
    const name = info?.name ?? `unknown.${records.tracepointId(i)}`;
    let row = counts.get(name);
    if (row === undefined) {
      row = new Array<number>(vcpus + 1).fill(0);
      counts.set(name, row);
    }
    const vcpu = records.vcpu(i);
    row[vcpu === HOST_VCPU || vcpu >= vcpus ? vcpus : vcpu]++;
    if (info?.kind === "span") {
      let h = spans.get(name);
      if (h === undefined) {
        h = new Histogram();
        spans.set(name, h);
      }
      h.record(Math.max(0, records.value(i)));
    }
  }
  const seconds = (recording.endNs - recording.startNs) / 1e9;
  const lost = recording.lost.reduce((a, b) => a + b, 0);
  const lines = [
    "",
    ` VM ${recording.vm.name}: ${records.length} events on ${vcpus} vCPU${vcpus === 1 ? "" : "s"} in ${seconds.toFixed(2)} s${lost > 0 ? `, ${lost} lost to full rings` : ""}`,
    "",
  ];
  const vcpuHeads = Array.from({ length: vcpus }, (_, v) => `vCPU ${v}`);
  const sorted = [...counts].sort((a, b) => sum(b[1]) - sum(a[1]) || (a[0] < b[0] ? -1 : 1));
  lines.push(
    ...formatColumns(
      ["tracepoint", "total", ...vcpuHeads, "host"],
      sorted.map(([name, row]) => [name, String(sum(row)), ...row.map(String)]),
    ),
  );
  if (spans.size > 0) {
    lines.push("", " Span durations:", "");
    lines.push(
      ...formatColumns(
        ["tracepoint", "count", "p50", "p90", "p99", "max"],
        [...spans].map(([name, h]) => {
          const s = h.summary();
          return [
            name,
            String(s.count),
            formatTime(s.p50),
            formatTime(s.p90),
            formatTime(s.p99),
            formatTime(s.max),
          ];
        }),
      ),
    );
  }
  lines.push("", ...formatIrqLatency(irqLatencyOf(recording)), "");
  return lines.join("\n");
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
