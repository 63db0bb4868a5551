import { describe, expect, it } from "vitest";
import { SbiEid, SbiFid } from "./constants.js";
import {
  extensionsInSpec,
  isExtensionInSpec,
  isFunctionInSpec,
  isVendorFunctionAvailable,
  negotiateVendorAbi,
  VENDOR_PROBE_FIDS,
} from "./policy.js";
import { MONOVISOR_VENDOR_EID, MONOVISOR_VENDOR_VERSION } from "./spec.js";
import { SBI_V0_1, SBI_V0_2, SBI_V0_3, SBI_V1_0, SBI_V2_0, sbiVersion } from "./version.js";

describe("spec version predicates", () => {
  it("knows which release introduced each extension", () => {
    expect(isExtensionInSpec(SbiEid.BASE, SBI_V0_1)).toBe(false);
    expect(isExtensionInSpec(SbiEid.BASE, SBI_V0_2)).toBe(true);
    expect(isExtensionInSpec(SbiEid.SRST, SBI_V0_2)).toBe(false);
    expect(isExtensionInSpec(SbiEid.SRST, SBI_V0_3)).toBe(true);
    expect(isExtensionInSpec(SbiEid.DBCN, SBI_V1_0)).toBe(false);
    expect(isExtensionInSpec(SbiEid.DBCN, SBI_V2_0)).toBe(true);
    expect(isExtensionInSpec(SbiEid.STA, SBI_V2_0)).toBe(true);
    expect(isExtensionInSpec(SbiEid.LEGACY_SHUTDOWN, SBI_V0_1)).toBe(true);
    expect(isExtensionInSpec(SbiEid.LEGACY_SHUTDOWN, SBI_V2_0)).toBe(true);
    expect(isExtensionInSpec(0x1234, SBI_V2_0)).toBe(false);
  });

  it("treats the vendor extension as outside the spec", () => {
    expect(isExtensionInSpec(MONOVISOR_VENDOR_EID, SBI_V2_0)).toBe(false);
  });

  it("knows which release introduced each function", () => {
    expect(isFunctionInSpec(SbiEid.HSM, SbiFid.HSM.HART_START, SBI_V0_2)).toBe(true);
    expect(isFunctionInSpec(SbiEid.HSM, SbiFid.HSM.HART_SUSPEND, SBI_V0_2)).toBe(false);
    expect(isFunctionInSpec(SbiEid.HSM, SbiFid.HSM.HART_SUSPEND, SBI_V0_3)).toBe(true);
    expect(isFunctionInSpec(SbiEid.PMU, SbiFid.PMU.COUNTER_FW_READ_HI, SBI_V1_0)).toBe(false);
    expect(isFunctionInSpec(SbiEid.PMU, SbiFid.PMU.COUNTER_FW_READ_HI, SBI_V2_0)).toBe(true);
    expect(isFunctionInSpec(SbiEid.TIME, 5, SBI_V2_0)).toBe(false);
  });

  it("lists the extensions of a release", () => {
    const ids = (v: number) => extensionsInSpec(v).map((e) => e.id);
    expect(ids(SBI_V0_1)).toHaveLength(9);
    expect(ids(SBI_V0_2)).toEqual(expect.arrayContaining(["BASE", "TIME", "IPI", "RFENCE", "HSM"]));
    expect(ids(SBI_V0_2)).not.toContain("SRST");
    expect(ids(SBI_V2_0)).toEqual(expect.arrayContaining(["SRST", "PMU", "DBCN", "SUSP", "CPPC", "STA"]));
    expect(ids(SBI_V2_0)).not.toContain("MONOVISOR");
  });
});

describe("vendor extension version policy", () => {
  const v = sbiVersion;
  const TRACE_MARK = SbiFid.MONOVISOR.TRACE_MARK;

  it("offers every current function at the current version", () => {
    for (const fid of Object.values(SbiFid.MONOVISOR)) {
      expect(isVendorFunctionAvailable(fid, MONOVISOR_VENDOR_VERSION)).toBe(true);
    }
    expect(isVendorFunctionAvailable(99, MONOVISOR_VENDOR_VERSION)).toBe(false);
  });

  it("keeps the probe functions across major versions and drops the rest", () => {
    for (const fid of VENDOR_PROBE_FIDS) expect(isVendorFunctionAvailable(fid, v(2, 0))).toBe(true);
    expect(isVendorFunctionAvailable(TRACE_MARK, v(2, 0))).toBe(false);
    expect(isVendorFunctionAvailable(TRACE_MARK, v(1, 7))).toBe(true);
  });

  // Compatibility matrix: guest built against G, host implementing H.
  it.each([
    { guest: v(1, 0), host: v(1, 0), compatible: true, effective: v(1, 0) },
    { guest: v(1, 0), host: v(1, 3), compatible: true, effective: v(1, 0) },
    { guest: v(1, 3), host: v(1, 0), compatible: true, effective: v(1, 0) },
    { guest: v(1, 0), host: v(2, 0), compatible: false, effective: undefined },
    { guest: v(2, 1), host: v(1, 0), compatible: false, effective: undefined },
  ])("guest $guest on host $host", ({ guest, host, compatible, effective }) => {
    const n = negotiateVendorAbi(guest, host);
    expect(n.compatible).toBe(compatible);
    expect(n.effectiveVersion).toBe(effective);
    expect(n.usableFids).toEqual(expect.arrayContaining([...VENDOR_PROBE_FIDS]));
    expect(n.usableFids.includes(TRACE_MARK)).toBe(compatible);
  });

  it("defaults the host to the current version", () => {
    expect(negotiateVendorAbi(MONOVISOR_VENDOR_VERSION).effectiveVersion).toBe(MONOVISOR_VENDOR_VERSION);
  });
});
