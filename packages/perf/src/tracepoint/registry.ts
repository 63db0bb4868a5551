import { type FieldLayout, layoutFields, type TracepointKind, type TracepointSpec } from "./fields.js";
import type { StandardTracepointName, StandardTracepointSpecOf } from "./standard.js";
import { StringTable } from "./strings.js";
import {
  FLAG_MODE,
  MODE_FLAG,
  Tracepoint,
  type TracepointMode,
  type TracepointStorage,
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
/** The flags buffer: an Int32 generation (bumped on every change), padding, then the flags. */
const FLAGS_OFFSET = 8;

export interface TracepointRegistryOptions {
  /**
   * Flags to share with other threads' registries (from `flagsBuffer` of another registry, or
   * omitted for a fresh one). Each registry applies the others' changes on `sync`.
   */
  readonly flags?: SharedArrayBuffer;
  /** Back the flags and string table with shared memory (implied by `flags` and `strings`). */
  readonly shared?: boolean;
  readonly strings?: StringTable;
  /** Where each tracepoint keeps its counts and latency (by id); own arrays when omitted. */
  readonly storage?: (id: number, spec: TracepointSpec) => TracepointStorage | undefined;
}

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
  /** The flags' storage; pass it to another thread's registry to share enablement. */
  readonly flagsBuffer: ArrayBuffer | SharedArrayBuffer;
  readonly strings: StringTable;
  private readonly generation: Int32Array;
  private seenGeneration = 0;
  private readonly points: Tracepoint[] = [];
  private readonly byName = new Map<string, Tracepoint>();
  private readonly sink: TraceSink;
  private readonly vcpus: number;
  private readonly storage: TracepointRegistryOptions["storage"];

  constructor(
    sink: TraceSink,
    vcpus: number,
    specs: readonly TracepointSpec[] = [],
    options: TracepointRegistryOptions = {},
  ) {
    this.sink = sink;
    this.vcpus = vcpus;
    this.storage = options.storage;
    const shared = options.shared === true || options.flags !== undefined;
    const bytes = FLAGS_OFFSET + MAX_TRACEPOINTS;
    this.flagsBuffer = options.flags ?? (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    this.generation = new Int32Array(this.flagsBuffer, 0, 1);
    this.flags = new Uint8Array(this.flagsBuffer, FLAGS_OFFSET, MAX_TRACEPOINTS);
    this.strings = options.strings ?? StringTable.create(shared);
    for (const spec of specs) this.define(spec);
    // A registry joining shared flags starts from their current modes.
    if (options.flags !== undefined) this.sync(true);
  }

  /** Adds a tracepoint; its id is the next free one. */
  define<S extends TracepointSpec>(spec: S): TypedTracepoint<S> {
    if (this.byName.has(spec.name))
      throw new UnknownTracepointError(`tracepoint ${spec.name} already defined`);
    if (this.points.length >= MAX_TRACEPOINTS) throw new RangeError("too many tracepoints");
    const id = this.points.length;
    const tracepoint = new Tracepoint(
      id,
      spec,
      layoutFields(spec),
      this.sink,
      this.vcpus,
      this.storage?.(id, spec),
    );
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

  /**
   * Applies enable/disable done by another thread's registry over the same flags; returns
   * whether anything changed. One atomic load when nothing did, so call it often (per slice).
   */
  sync(force = false): boolean {
    const generation = Atomics.load(this.generation, 0);
    if (generation === this.seenGeneration && !force) return false;
    this.seenGeneration = generation;
    let changed = false;
    for (const tracepoint of this.points) {
      const mode = FLAG_MODE[this.flags[tracepoint.id]] ?? "off";
      if (mode !== tracepoint.mode) {
        tracepoint.setMode(mode);
        changed = true;
      }
    }
    return changed;
  }

  /** The id of an interned string, for `str` payload fields. Resolve once, outside hot paths. */
  intern(text: string): number {
    return this.strings.intern(text);
  }

  string(id: number): string | undefined {
    return this.strings.string(id);
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
      strings: this.strings.all(),
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
    // Publishes the flag; our own change needs no sync here.
    const generation = Atomics.add(this.generation, 0, 1) + 1;
    if (this.seenGeneration === generation - 1) this.seenGeneration = generation;
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
