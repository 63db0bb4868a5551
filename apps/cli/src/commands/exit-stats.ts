import { riscv } from "@monovisor/hv-core";
import { sbiCallLabel } from "@monovisor/paravirt-abi";
import type { RecordBatch, Subscription, Tracer, TraceTable } from "@monovisor/perf";

/** The tracepoints `hv stat` counts as exits of the engine. */
export const EXIT_TRACEPOINTS = ["hart.trap", "sbi.call", "mmio.access", "hart.wfi"] as const;

/** Highest legacy (v0.1) SBI extension ID; legacy calls ignore a6, so their fid is not a key. */
const LAST_LEGACY_EID = 8;

export interface ExitRow {
  /** e.g. `trap: load page fault`, `sbi: TIME.sbi_set_timer`, `mmio: uart0`, `wfi`. */
  readonly reason: string;
  readonly count: number;
  /** Nanoseconds in the hypervisor (SBI), the device (MMIO) or waiting (WFI); undefined for traps. */
  readonly timeNs: number | undefined;
}

export interface ExitTable {
  /** vCPU number, or undefined for the table over all vCPUs. */
  readonly vcpu: number | undefined;
  readonly total: number;
  /** Most frequent first. */
  readonly rows: readonly ExitRow[];
}

interface MutableRow {
  readonly reason: string;
  count: number;
  timeNs: number;
  readonly timed: boolean;
}

interface FieldWords {
  readonly trap: number;
  readonly cause: number;
  readonly sbi: number;
  readonly eid: number;
  readonly fid: number;
  readonly mmio: number;
  readonly device: number;
  readonly wfi: number;
}

/**
 * Exit reasons per vCPU, built from `trace`-mode records as the tracer drains them. Count mode
 * keeps one number per tracepoint; the breakdown by cause, SBI function and device needs the
 * records' fields. Totals come from the tracepoints' own counts, so records lost to a full
 * ring show up as an unattributed remainder instead of going missing.
 */
export class ExitStats {
  private readonly tracer: Tracer;
  private readonly perVcpu: Map<string, MutableRow>[];
  private readonly labels = new Map<string, string>();
  private readonly subscription: Subscription;
  private words: FieldWords | undefined;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
    this.perVcpu = Array.from({ length: tracer.vcpus }, () => new Map());
    tracer.enable(EXIT_TRACEPOINTS, "trace");
    this.subscription = tracer.subscribe({ tracepoints: EXIT_TRACEPOINTS }, (batch, table) =>
      this.add(batch, table),
    );
  }

  /** Stops listening (the tracepoints stay enabled). */
  close(): void {
    this.subscription.unsubscribe();
  }

  /** The table over all vCPUs, or one per vCPU. Drain the tracer first. */
  tables(perVcpu: boolean): ExitTable[] {
    const counted = new Map(this.tracer.stats().tracepoints.map((t) => [t.name, t.perVcpu]));
    const tableOf = (vcpus: readonly number[], vcpu: number | undefined): ExitTable => {
      const rows = new Map<string, MutableRow>();
      let attributed = 0;
      for (const v of vcpus) {
        for (const row of this.perVcpu[v].values()) {
          const sum = rows.get(row.reason);
          if (sum === undefined) rows.set(row.reason, { ...row });
          else {
            sum.count += row.count;
            sum.timeNs += row.timeNs;
          }
          attributed += row.count;
        }
      }
      let total = 0;
      for (const name of EXIT_TRACEPOINTS) for (const v of vcpus) total += counted.get(name)?.[v] ?? 0;
      const sorted: ExitRow[] = [...rows.values()]
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
        .map((row) => ({ reason: row.reason, count: row.count, timeNs: row.timed ? row.timeNs : undefined }));
      if (total > attributed)
        sorted.push({ reason: "(records lost)", count: total - attributed, timeNs: undefined });
      return { vcpu, total: Math.max(total, attributed), rows: sorted };
    };
    const all = Array.from({ length: this.tracer.vcpus }, (_, v) => v);
    return perVcpu ? all.map((v) => tableOf([v], v)) : [tableOf(all, undefined)];
  }

  private add(batch: RecordBatch, table: TraceTable): void {
    const words = this.fieldWords(table);
    for (let i = 0; i < batch.length; i++) {
      const vcpu = batch.vcpu(i);
      const rows = this.perVcpu[vcpu];
      if (rows === undefined) continue;
      const id = batch.tracepointId(i);
      let key: string;
      let timed = true;
      if (id === words.trap) {
        key = `t${batch.word(i, words.cause)}`;
        timed = false;
      } else if (id === words.sbi) {
        const eid = batch.word(i, words.eid);
        key = `s${eid}.${eid <= LAST_LEGACY_EID ? 0 : batch.word(i, words.fid)}`;
      } else if (id === words.mmio) key = `m${batch.word(i, words.device)}`;
      else if (id === words.wfi) key = "w";
      else continue;
      let row = rows.get(key);
      if (row === undefined) {
        row = { reason: this.label(key, table), count: 0, timeNs: 0, timed };
        rows.set(key, row);
      }
      row.count++;
      row.timeNs += batch.value(i);
    }
  }

  private label(key: string, table: TraceTable): string {
    let label = this.labels.get(key);
    if (label !== undefined) return label;
    const rest = key.slice(1);
    switch (key[0]) {
      case "t": {
        const cause = Number(rest);
        label = `trap: ${cause >= 0x8000_0000 ? riscv.interruptName(cause - 0x8000_0000) : riscv.causeName(cause)}`;
        break;
      }
      case "s": {
        const [eid, fid] = rest.split(".").map(Number);
        label = `sbi: ${sbiCallLabel(eid, fid)}`;
        break;
      }
      case "m":
        label = `mmio: ${table.strings[Number(rest)] ?? `device #${rest}`}`;
        break;
      default:
        label = "wfi";
    }
    this.labels.set(key, label);
    return label;
  }

  private fieldWords(table: TraceTable): FieldWords {
    if (this.words !== undefined) return this.words;
    const find = (name: string, field: string): [number, number] => {
      const info = table.tracepoints.find((t) => t.name === name);
      const word = info?.fields.find((f) => f.name === field)?.word;
      if (info === undefined || word === undefined)
        throw new Error(`tracepoint ${name} has no field ${field}`);
      return [info.id, word];
    };
    const [trap, cause] = find("hart.trap", "cause");
    const [sbi, eid] = find("sbi.call", "eid");
    const [, fid] = find("sbi.call", "fid");
    const [mmio, device] = find("mmio.access", "device");
    const [wfi] = find("hart.wfi", "pc");
    this.words = { trap, cause, sbi, eid, fid, mmio, device, wfi };
    return this.words;
  }
}

export function formatTime(ns: number | undefined): string {
  if (ns === undefined) return "-";
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} us`;
  return `${Math.round(ns)} ns`;
}

/** The tables as text, like `perf kvm stat report`: count, share of exits, time, mean time. */
export function formatExitTables(tables: readonly ExitTable[], seconds: number): string {
  const lines: string[] = [];
  for (const table of tables) {
    const who = table.vcpu === undefined ? "all vCPUs" : `vCPU ${table.vcpu}`;
    lines.push("", ` Exits of ${who}: ${table.total} in ${seconds.toFixed(2)} s`, "");
    const header = ["exit reason", "count", "share", "time", "avg time"];
    const body = table.rows.map((row) => [
      row.reason,
      String(row.count),
      `${table.total === 0 ? "0.00" : ((100 * row.count) / table.total).toFixed(2)}%`,
      formatTime(row.timeNs),
      formatTime(row.timeNs === undefined || row.count === 0 ? undefined : row.timeNs / row.count),
    ]);
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
    const format = (cells: string[]) =>
      `  ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")}`;
    lines.push(format(header));
    for (const row of body) lines.push(format(row));
  }
  lines.push(
    "",
    " time: hypervisor time for SBI calls, device time for MMIO, time waiting for WFI; traps are",
    " delivered to the guest without leaving the engine.",
    "",
  );
  return lines.join("\n");
}
