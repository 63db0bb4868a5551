/**
 * Version predicates: which standard extensions and functions a given SBI spec version defines,
 * and the compatibility rules of our vendor extension (README, "Version policy").
 */
import { findSbiExtension, findSbiFunction, type SbiDispatchExtension } from "./dispatch.js";
import { MONOVISOR_VENDOR_EID, MONOVISOR_VENDOR_VERSION, SBI_EXTENSIONS } from "./spec.js";
import { type SbiVersion, sbiVersionMajor } from "./version.js";

/** True when spec version `specVersion` defines the extension (legacy ones: every version). */
export function isExtensionInSpec(eid: number, specVersion: SbiVersion): boolean {
  const ext = findSbiExtension(eid);
  return ext !== undefined && ext.kind !== "vendor" && specVersion >= ext.since;
}

/** True when spec version `specVersion` defines function `fid` of extension `eid`. */
export function isFunctionInSpec(eid: number, fid: number, specVersion: SbiVersion): boolean {
  const fn = findSbiFunction(eid, fid);
  return fn !== undefined && isExtensionInSpec(eid, specVersion) && specVersion >= fn.since;
}

/** The standard and legacy extensions a spec version defines, in description order. */
export function extensionsInSpec(specVersion: SbiVersion): SbiDispatchExtension[] {
  const result: SbiDispatchExtension[] = [];
  for (const e of SBI_EXTENSIONS) {
    if (isExtensionInSpec(e.eid, specVersion)) result.push(findSbiExtension(e.eid)!);
  }
  return result;
}

/** The FIDs every version of the vendor extension keeps, so any guest can identify any host. */
export const VENDOR_PROBE_FIDS: readonly number[] = [0, 1, 2];

/**
 * Whether a vendor function is available on a hypervisor implementing `hostVersion` of the vendor
 * extension. Minor versions only add functions; a different major version promises nothing.
 */
export function isVendorFunctionAvailable(fid: number, hostVersion: SbiVersion): boolean {
  const fn = findSbiFunction(MONOVISOR_VENDOR_EID, fid);
  if (fn === undefined) return false;
  if (VENDOR_PROBE_FIDS.includes(fid)) return true;
  return sbiVersionMajor(fn.since) === sbiVersionMajor(hostVersion) && hostVersion >= fn.since;
}

export interface VendorAbiNegotiation {
  /** False when the majors differ: the guest must not call vendor functions beyond the probe ones. */
  readonly compatible: boolean;
  /** The version both sides understand (the older of the two) when compatible. */
  readonly effectiveVersion: SbiVersion | undefined;
  /** FIDs the guest may call. Always includes the probe functions (signature, version, probe). */
  readonly usableFids: readonly number[];
}

/**
 * What a guest built against `guestVersion` may use on a host reporting `hostVersion`: the common
 * minor when majors agree, only the probe functions otherwise.
 */
export function negotiateVendorAbi(
  guestVersion: SbiVersion,
  hostVersion: SbiVersion = MONOVISOR_VENDOR_VERSION,
): VendorAbiNegotiation {
  const compatible = sbiVersionMajor(guestVersion) === sbiVersionMajor(hostVersion);
  if (!compatible) return { compatible, effectiveVersion: undefined, usableFids: VENDOR_PROBE_FIDS };
  const effectiveVersion = Math.min(guestVersion, hostVersion);
  const vendor = findSbiExtension(MONOVISOR_VENDOR_EID)!;
  const usableFids = vendor.functions
    .filter((f) => f !== undefined && f.since <= effectiveVersion)
    .map((f) => f!.fid);
  return { compatible, effectiveVersion, usableFids };
}
