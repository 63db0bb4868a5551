import { SBI_EXTENSIONS, sbiCallLabel } from "@monovisor/paravirt-abi";

/**
 * Call counts of the SBI server, plain data so tracing and stats can read or snapshot them.
 * `calls` is keyed by `sbiCallLabel` (`"HSM.sbi_hart_start"`) and holds every described function,
 * served or not, starting at 0.
 */
export interface SbiCallCounters {
  /** Every `ecall` the server saw. */
  total: number;
  /** Calls answered `SBI_ERR_NOT_SUPPORTED` because the EID or FID is unknown or not served. */
  notSupported: number;
  readonly calls: Record<string, number>;
}

export function createSbiCallCounters(): SbiCallCounters {
  const calls: Record<string, number> = {};
  for (const ext of SBI_EXTENSIONS) for (const fn of ext.functions) calls[sbiCallLabel(ext.eid, fn.fid)] = 0;
  return { total: 0, notSupported: 0, calls };
}

/**
 * Counter keys by EID, then FID (legacy extensions use index 0), computed once so counting a
 * call costs two lookups and no string building.
 */
export function sbiCounterKeys(): ReadonlyMap<number, readonly string[]> {
  const keys = new Map<number, string[]>();
  for (const ext of SBI_EXTENSIONS) {
    const byFid: string[] = [];
    for (const fn of ext.functions) byFid[fn.fid] = sbiCallLabel(ext.eid, fn.fid);
    keys.set(ext.eid, byFid);
  }
  return keys;
}
