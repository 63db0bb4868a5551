import type { RecordBatch } from "../ring/record-batch.js";
import { HOST_VCPU } from "../ring/record-layout.js";
import { decodeRecord, type FieldValue } from "../tracepoint/decode.js";
import type { TraceTable } from "../tracepoint/registry.js";

/** What the exporter needs from a recording (a `Recording` is one). */
export interface ChromeTraceSource extends TraceTable {
  readonly vm: { readonly id: number; readonly name: string };
  readonly vcpus: number;
  readonly records: RecordBatch;
  readonly lost?: readonly number[];
}

export interface ChromeTraceOptions {
  /** Names an address for `pc`/`epc` fields, e.g. `start_kernel+0x4`. */
  readonly symbolize?: (address: bigint) => string | undefined;
}

/** One event of the Trace Event Format that Chrome's tracing and Perfetto import. */
export interface ChromeTraceEvent {
  readonly name: string;
  readonly ph: "X" | "i" | "b" | "e" | "M";
  /** Microseconds. */
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly cat?: string;
  readonly dur?: number;
  readonly s?: "t" | "p" | "g";
  readonly id?: string;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export interface ChromeTrace {
  readonly traceEvents: ChromeTraceEvent[];
  readonly displayTimeUnit: "ns";
  readonly otherData: Readonly<Record<string, string | number>>;
}

const ADDRESS_FIELDS = new Set(["pc", "epc"]);

function jsonValue(value: FieldValue): string | number | boolean {
  return typeof value === "bigint" ? `0x${value.toString(16)}` : value;
}

/**
 * Converts recordings to Chrome trace-event JSON: one process per VM, one thread (track) per
 * vCPU plus a host track. Spans on vCPU tracks become complete (`X`) events, which must nest
 * as a vCPU does one thing at a time; spans on the host track may overlap (several virtio
 * requests in flight), so they become async begin/end pairs. Points become instant events.
 */
export function toChromeTrace(
  sources: ChromeTraceSource | readonly ChromeTraceSource[],
  options: ChromeTraceOptions = {},
): ChromeTrace {
  const list: readonly ChromeTraceSource[] = Array.isArray(sources)
    ? sources
    : [sources as ChromeTraceSource];
  const events: ChromeTraceEvent[] = [];
  const otherData: Record<string, string | number> = { producer: "monovisor perf" };
  let asyncId = 0;
  for (const source of list) {
    const pid = source.vm.id;
    events.push({
      name: "process_name",
      ph: "M",
      ts: 0,
      pid,
      tid: 0,
      args: { name: `VM ${source.vm.name}` },
    });
    for (let vcpu = 0; vcpu < source.vcpus; vcpu++) {
      events.push({ name: "thread_name", ph: "M", ts: 0, pid, tid: vcpu, args: { name: `vCPU ${vcpu}` } });
      events.push({ name: "thread_sort_index", ph: "M", ts: 0, pid, tid: vcpu, args: { sort_index: vcpu } });
    }
    events.push({ name: "thread_name", ph: "M", ts: 0, pid, tid: HOST_VCPU, args: { name: "host" } });
    events.push({
      name: "thread_sort_index",
      ph: "M",
      ts: 0,
      pid,
      tid: HOST_VCPU,
      args: { sort_index: HOST_VCPU },
    });
    const lost = source.lost?.reduce((sum, value) => sum + value, 0) ?? 0;
    otherData[`vm${pid}.lostEvents`] = lost;

    for (let i = 0; i < source.records.length; i++) {
      const event = decodeRecord(source, source.records, i);
      const args: Record<string, string | number | boolean> = {};
      for (const [name, value] of Object.entries(event.fields)) {
        if (name === "durNs" && event.kind === "span") continue;
        args[name] = jsonValue(value);
        if (options.symbolize !== undefined && typeof value === "bigint" && ADDRESS_FIELDS.has(name)) {
          const symbol = options.symbolize(value);
          if (symbol !== undefined) args[`${name}Symbol`] = symbol;
        }
      }
      const tid = event.vcpu < source.vcpus ? event.vcpu : HOST_VCPU;
      const base = { name: event.name, cat: event.class, pid, tid, args };
      if (event.kind === "span" && event.durNs > 0) {
        const begin = (event.ts - event.durNs) / 1000;
        if (tid === HOST_VCPU) {
          const id = `0x${(asyncId++).toString(16)}`;
          events.push({ ...base, ph: "b", ts: begin, id });
          events.push({ name: event.name, cat: event.class, pid, tid, ph: "e", ts: event.ts / 1000, id });
        } else {
          events.push({ ...base, ph: "X", ts: begin, dur: event.durNs / 1000 });
        }
      } else {
        events.push({ ...base, ph: "i", s: "t", ts: event.ts / 1000 });
      }
    }
  }
  return { traceEvents: events, displayTimeUnit: "ns", otherData };
}
