/**
 * Payload field types of a tracepoint. Every field but `f64` occupies 32-bit payload words;
 * `f64` lives in the record's single 64-bit value slot, so a tracepoint has at most one and it
 * comes first (by convention the duration of a span).
 */
export type FieldType = "u32" | "i32" | "u64" | "f64" | "bool" | "enum" | "str";

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Labels of an `enum` field; the emitter passes the index. */
  readonly values?: readonly string[];
  readonly description?: string;
}

/**
 * `point` tracepoints become instant events; `span` tracepoints are emitted when the work ends
 * and carry its duration in nanoseconds as their first (`f64`) field.
 */
export type TracepointKind = "point" | "span";

export interface TracepointSpec {
  readonly name: string;
  readonly class: string;
  readonly kind: TracepointKind;
  readonly description?: string;
  readonly fields: readonly FieldSpec[];
}

/** 32-bit payload words per record. */
export const PAYLOAD_WORDS = 7;

/** Emit arguments of one field: a `u64` is passed as two 32-bit halves. */
type FieldArgs<F> = F extends { readonly type: "u64" } ? [lo: number, hi: number] : [value: number];

/** The fixed emit argument tuple a tracepoint's field list implies. */
export type PayloadArgs<Fields extends readonly FieldSpec[]> = Fields extends readonly [
  infer Head,
  ...infer Rest extends readonly FieldSpec[],
]
  ? [...FieldArgs<Head>, ...PayloadArgs<Rest>]
  : [];

/** Where a field's data sits in a record. */
export interface FieldLayout extends FieldSpec {
  /** Index of the first payload word, or -1 for the `f64` value slot. */
  readonly word: number;
}

export class TracepointSpecError extends Error {
  override readonly name = "TracepointSpecError";
}

const NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** Checks a spec and computes its record layout. */
export function layoutFields(spec: TracepointSpec): FieldLayout[] {
  if (!NAME_PATTERN.test(spec.name)) {
    throw new TracepointSpecError(`tracepoint name "${spec.name}" is not of the form class.event`);
  }
  const layout: FieldLayout[] = [];
  const seen = new Set<string>();
  let word = 0;
  spec.fields.forEach((field, index) => {
    if (seen.has(field.name)) throw new TracepointSpecError(`${spec.name}: duplicate field ${field.name}`);
    seen.add(field.name);
    if (field.type === "f64") {
      if (index !== 0) throw new TracepointSpecError(`${spec.name}: an f64 field must be the first field`);
      layout.push({ ...field, word: -1 });
      return;
    }
    if (field.type === "enum" && (field.values === undefined || field.values.length === 0)) {
      throw new TracepointSpecError(`${spec.name}: enum field ${field.name} has no values`);
    }
    layout.push({ ...field, word });
    word += field.type === "u64" ? 2 : 1;
  });
  if (word > PAYLOAD_WORDS) {
    throw new TracepointSpecError(`${spec.name}: ${word} payload words exceed ${PAYLOAD_WORDS}`);
  }
  if (spec.kind === "span" && spec.fields[0]?.type !== "f64") {
    throw new TracepointSpecError(`${spec.name}: a span's first field must be its f64 duration`);
  }
  return layout;
}
