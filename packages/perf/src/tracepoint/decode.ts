import type { RecordBatch } from "../ring/record-batch.js";
import type { TracepointKind } from "./fields.js";
import type { TraceTable } from "./registry.js";

export type FieldValue = number | bigint | boolean | string;

/** A record with its fields named and typed; for consumers, never built on the hot path. */
export interface TraceEvent {
  /** Nanoseconds; for a span, when it ended. */
  readonly ts: number;
  readonly vcpu: number;
  readonly tracepointId: number;
  readonly name: string;
  readonly class: string;
  readonly kind: TracepointKind;
  /** A span's duration in nanoseconds, 0 for points. */
  readonly durNs: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function decodeRecord(table: TraceTable, batch: RecordBatch, index: number): TraceEvent {
  const id = batch.tracepointId(index);
  const info = table.tracepoints[id];
  const fields: Record<string, FieldValue> = {};
  if (info === undefined) {
    return {
      ts: batch.timestamp(index),
      vcpu: batch.vcpu(index),
      tracepointId: id,
      name: `unknown.${id}`,
      class: "unknown",
      kind: "point",
      durNs: 0,
      fields,
    };
  }
  for (const field of info.fields) {
    const word = field.word >= 0 ? batch.word(index, field.word) : 0;
    switch (field.type) {
      case "f64":
        fields[field.name] = batch.value(index);
        break;
      case "u32":
        fields[field.name] = word;
        break;
      case "i32":
        fields[field.name] = word | 0;
        break;
      case "u64":
        fields[field.name] = toU64(word, batch.word(index, field.word + 1));
        break;
      case "bool":
        fields[field.name] = word !== 0;
        break;
      case "enum":
        fields[field.name] = field.values?.[word] ?? word;
        break;
      case "str":
        fields[field.name] = table.strings[word] ?? `#${word}`;
        break;
    }
  }
  return {
    ts: batch.timestamp(index),
    vcpu: batch.vcpu(index),
    tracepointId: id,
    name: info.name,
    class: info.class,
    kind: info.kind,
    durNs: info.kind === "span" ? batch.value(index) : 0,
    fields,
  };
}
