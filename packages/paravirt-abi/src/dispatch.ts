/**
 * The description reshaped for a hypervisor's ecall handler: O(1) lookup by EID, then by FID.
 * Handlers themselves live in hv-core; this table gives them names, argument names and the
 * version each call appeared in, for dispatch, tracing and `probe_extension`.
 */
import { SBI_EXTENSIONS, type SbiExtensionDescription, type SbiExtensionKind } from "./spec.js";
import type { SbiVersion } from "./version.js";

export interface SbiDispatchFunction {
  readonly fid: number;
  readonly id: string;
  readonly name: string;
  readonly since: SbiVersion;
  readonly argNames: readonly string[];
}

export interface SbiDispatchExtension {
  readonly eid: number;
  readonly id: string;
  readonly title: string;
  readonly kind: SbiExtensionKind;
  readonly since: SbiVersion;
  /** Indexed by FID; holes are undefined FIDs. */
  readonly functions: readonly (SbiDispatchFunction | undefined)[];
}

function toDispatchExtension(ext: SbiExtensionDescription): SbiDispatchExtension {
  const functions: (SbiDispatchFunction | undefined)[] = [];
  for (const f of ext.functions) {
    functions[f.fid] = Object.freeze({
      fid: f.fid,
      id: f.id,
      name: f.name,
      since: f.since,
      argNames: Object.freeze(f.args.map((a) => a.name)),
    });
  }
  return Object.freeze({
    eid: ext.eid,
    id: ext.id,
    title: ext.title,
    kind: ext.kind,
    since: ext.since,
    functions: Object.freeze(Array.from(functions)),
  });
}

/** Every described extension by EID. */
export const SBI_DISPATCH_TABLE: ReadonlyMap<number, SbiDispatchExtension> = new Map(
  SBI_EXTENSIONS.map((e) => [e.eid, toDispatchExtension(e)]),
);

/**
 * The extension for `eid`. EIDs are signed 32-bit values in a7; pass the low 32 bits in either
 * signedness (the caller rejects non-zero upper bits if it cares).
 */
export function findSbiExtension(eid: number): SbiDispatchExtension | undefined {
  return SBI_DISPATCH_TABLE.get(eid >>> 0);
}

/** The function for `(eid, fid)`. A legacy extension has one function and ignores `fid` (a6). */
export function findSbiFunction(eid: number, fid: number): SbiDispatchFunction | undefined {
  const ext = findSbiExtension(eid);
  if (ext === undefined) return undefined;
  if (ext.kind === "legacy") return ext.functions[0];
  return ext.functions[fid >>> 0];
}

/** A stable label for traces and logs: `"HSM.sbi_hart_start"`, or hex IDs for unknown calls. */
export function sbiCallLabel(eid: number, fid: number): string {
  const ext = findSbiExtension(eid);
  const fn = findSbiFunction(eid, fid);
  if (ext !== undefined && fn !== undefined) return `${ext.id}.${fn.name}`;
  const eidHex = `0x${(eid >>> 0).toString(16)}`;
  return ext === undefined ? `eid ${eidHex} fid ${fid >>> 0}` : `${ext.id} fid ${fid >>> 0}`;
}
