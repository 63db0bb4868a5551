import { type FieldLayout, layoutFields, type TracepointKind, type TracepointSpec } from "./fields.js";
import type { StandardTracepointName, StandardTracepointSpecOf } from "./standard.js";
import {
  MODE_FLAG,
  Tracepoint,
  type TracepointMode,
  type TraceSink,
  type TypedTracepoint,
} from "./tracepoint.js";

/**
 * Which tracepoints an operation applies to. A string is an exact name (`hart.trap`), a glob
 * over names (`sched.*`, `*.request`), `class:NAME`, or a comma-separated list of those.
 */
export type TracepointSelector =
  | string
  | { readonly name: string }
  | { readonly class: string }
  | readonly TracepointSelector[];

export class UnknownTracepointError extends Error {
  override readonly name = "UnknownTracepointError";
}

/** Everything needed to decode records: the tracepoint table and the interned strings. */
export interface TraceTable {
  readonly tracepoints: readonly TracepointInfo[];
  readonly strings: readonly string[];
}

export interface TracepointInfo {
  readonly id: number;
  readonly name: string;
  readonly class: string;
  readonly kind: TracepointKind;
  readonly description?: string;
  readonly fields: readonly FieldLayout[];
}

/** At most this many tracepoints: the id shares a record word with the vCPU number. */
const MAX_TRACEPOINTS = 0x10000;

function isSelectorList(selector: TracepointSelector): selector is readonly TracepointSelector[] {
  return Array.isArray(selector);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** Tracepoints by name and id, their enablement, and the string table their payloads use. */
export class TracepointRegistry {
  /** One byte per tracepoint id mirroring its mode (0 off, 1 count, 2 trace). */
  readonly flags: Uint8Array;
  private readonly points: Tracepoint[] = [];
  private readonly byName = new Map<string, Tracepoint>();
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly sink: TraceSink;
  private readonly vcpus: number;

  constructor(sink: TraceSink, vcpus: number, specs: readonly TracepointSpec[] = []) {
    this.sink = sink;
    this.vcpus = vcpus;
    this.flags = new Uint8Array(MAX_TRACEPOINTS);
    for (const spec of specs) this.define(spec);
  }

  /** Adds a tracepoint; its id is the next free one. */
  define<S extends TracepointSpec>(spec: S): TypedTracepoint<S> {
    if (this.byName.has(spec.name))
      throw new UnknownTracepointError(`tracepoint ${spec.name} already defined`);
    if (this.points.length >= MAX_TRACEPOINTS) throw new RangeError("too many tracepoints");
    const tracepoint = new Tracepoint(this.points.length, spec, layoutFields(spec), this.sink, this.vcpus);
    this.points.push(tracepoint);
    this.byName.set(spec.name, tracepoint);
    return tracepoint as unknown as TypedTracepoint<S>;
  }

  get<N extends StandardTracepointName>(name: N): TypedTracepoint<StandardTracepointSpecOf<N>>;
  get(name: string): Tracepoint;
  get(name: string): Tracepoint {
    const tracepoint = this.byName.get(name);
    if (tracepoint === undefined) throw new UnknownTracepointError(`no tracepoint named ${name}`);
    return tracepoint;
  }

  find(name: string): Tracepoint | undefined {
    return this.byName.get(name);
  }

  byId(id: number): Tracepoint | undefined {
    return this.points[id];
  }

  all(): readonly Tracepoint[] {
    return this.points;
  }

  classes(): string[] {
    return [...new Set(this.points.map((tracepoint) => tracepoint.class))];
  }

  /** Tracepoints a selector names. An exact name that matches nothing throws. */
  select(selector: TracepointSelector): Tracepoint[] {
    const picked = new Set<Tracepoint>();
    this.collect(selector, picked);
    return this.points.filter((tracepoint) => picked.has(tracepoint));
  }

  /** Turns the selected tracepoints on; returns how many were selected. */
  enable(selector: TracepointSelector, mode: Exclude<TracepointMode, "off"> = "trace"): number {
    return this.setMode(selector, mode);
  }

  disable(selector: TracepointSelector): number {
    return this.setMode(selector, "off");
  }

  disableAll(): void {
    for (const tracepoint of this.points) this.apply(tracepoint, "off");
  }

  /** The id of an interned string, for `str` payload fields. Resolve once, outside hot paths. */
  intern(text: string): number {
    let id = this.stringIds.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.stringIds.set(text, id);
    }
    return id;
  }

  string(id: number): string | undefined {
    return this.strings[id];
  }

  /** A snapshot of the table for decoders and recordings. */
  table(): TraceTable {
    return {
      tracepoints: this.points.map((tracepoint) => ({
        id: tracepoint.id,
        name: tracepoint.name,
        class: tracepoint.class,
        kind: tracepoint.kind,
        ...(tracepoint.spec.description === undefined ? {} : { description: tracepoint.spec.description }),
        fields: tracepoint.fields,
      })),
      strings: [...this.strings],
    };
  }

  private setMode(selector: TracepointSelector, mode: TracepointMode): number {
    const selected = this.select(selector);
    for (const tracepoint of selected) this.apply(tracepoint, mode);
    return selected.length;
  }

  private apply(tracepoint: Tracepoint, mode: TracepointMode): void {
    tracepoint.setMode(mode);
    this.flags[tracepoint.id] = MODE_FLAG[mode];
  }

  private collect(selector: TracepointSelector, into: Set<Tracepoint>): void {
    if (isSelectorList(selector)) {
      for (const part of selector) this.collect(part, into);
      return;
    }
    if (typeof selector === "object") {
      if ("class" in selector) this.collect(`class:${selector.class}`, into);
      else this.collect(selector.name, into);
      return;
    }
    const text = selector;
    if (text.includes(",")) {
      for (const part of text.split(",")) if (part.trim() !== "") this.collect(part.trim(), into);
      return;
    }
    if (text.startsWith("class:")) {
      const className = text.slice("class:".length);
      for (const tracepoint of this.points) if (tracepoint.class === className) into.add(tracepoint);
      return;
    }
    if (text.includes("*") || text.includes("?")) {
      const pattern = globToRegExp(text);
      for (const tracepoint of this.points) if (pattern.test(tracepoint.name)) into.add(tracepoint);
      return;
    }
    into.add(this.get(text));
  }
}
