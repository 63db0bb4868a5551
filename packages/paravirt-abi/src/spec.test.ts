import { describe, expect, it } from "vitest";
import { HsmState, SbiEid, SbiError, SbiFid, SrstReason, SrstType, sbiErrorName } from "./constants.js";
import {
  MONOVISOR_MVENDORID,
  MONOVISOR_SERVED_EXTENSIONS,
  MONOVISOR_VENDOR_EID,
  MONOVISOR_VENDOR_VERSION,
  SBI_CONSTANT_GROUPS,
  SBI_EID_RANGES,
  SBI_ERRORS,
  SBI_EXTENSIONS,
} from "./spec.js";
import { SBI_SPEC_RELEASES } from "./version.js";

function duplicates<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

describe("the SBI description", () => {
  it("has no duplicate EIDs or extension keys", () => {
    expect(duplicates(SBI_EXTENSIONS.map((e) => e.eid))).toEqual([]);
    expect(duplicates(SBI_EXTENSIONS.map((e) => e.id))).toEqual([]);
  });

  it("has no duplicate FIDs, function keys or names within an extension", () => {
    for (const ext of SBI_EXTENSIONS) {
      const fns = ext.functions as readonly { fid: number; id: string; name: string }[];
      expect(duplicates(fns.map((f) => f.fid)), ext.id).toEqual([]);
      expect(duplicates(fns.map((f) => f.id)), ext.id).toEqual([]);
      expect(duplicates(fns.map((f) => f.name)), ext.id).toEqual([]);
    }
  });

  it("uses 32-bit EIDs and small non-negative FIDs", () => {
    for (const ext of SBI_EXTENSIONS) {
      expect(Number.isInteger(ext.eid) && ext.eid >= 0 && ext.eid < 2 ** 31, ext.id).toBe(true);
      for (const f of ext.functions) expect(Number.isInteger(f.fid) && f.fid >= 0 && f.fid < 64).toBe(true);
    }
  });

  it("gives every function a version no older than its extension", () => {
    for (const ext of SBI_EXTENSIONS) {
      for (const f of ext.functions) expect(f.since, `${ext.id}.${f.id}`).toBeGreaterThanOrEqual(ext.since);
      if (ext.kind !== "vendor") expect(SBI_SPEC_RELEASES).toContain(ext.since);
    }
  });

  it("keeps legacy extensions at EIDs 0x00-0x08 with one function each", () => {
    const legacy = SBI_EXTENSIONS.filter((e) => e.kind === "legacy");
    expect(legacy.map((e) => e.eid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of legacy) expect(e.functions).toHaveLength(1);
  });

  it("matches the specification's IDs", () => {
    expect(SbiEid.BASE).toBe(0x10);
    expect(SbiEid.TIME).toBe(0x5449_4d45);
    expect(SbiEid.IPI).toBe(0x73_5049);
    expect(SbiEid.RFENCE).toBe(0x5246_4e43);
    expect(SbiEid.HSM).toBe(0x48_534d);
    expect(SbiEid.SRST).toBe(0x5352_5354);
    expect(SbiEid.PMU).toBe(0x50_4d55);
    expect(SbiEid.DBCN).toBe(0x4442_434e);
    expect(SbiEid.SUSP).toBe(0x5355_5350);
    expect(SbiEid.CPPC).toBe(0x4350_5043);
    expect(SbiEid.STA).toBe(0x53_5441);
    expect(SbiFid.BASE.PROBE_EXTENSION).toBe(3);
    expect(SbiFid.HSM.HART_SUSPEND).toBe(3);
    expect(SbiFid.RFENCE.REMOTE_HFENCE_VVMA).toBe(6);
    expect(SbiFid.PMU.SNAPSHOT_SET_SHMEM).toBe(7);
    expect(SbiFid.DBCN.CONSOLE_WRITE_BYTE).toBe(2);
  });

  it("spells ASCII mnemonics in the EIDs as the spec does", () => {
    const ascii = (eid: number) =>
      String.fromCharCode(...[24, 16, 8, 0].map((s) => (eid >>> s) & 0xff).filter((c) => c !== 0));
    expect(ascii(SbiEid.TIME)).toBe("TIME");
    expect(ascii(SbiEid.IPI)).toBe("sPI");
    expect(ascii(SbiEid.RFENCE)).toBe("RFNC");
    expect(ascii(SbiEid.STA)).toBe("STA");
  });

  it("defines the standard error codes", () => {
    expect(SbiError).toEqual({
      SUCCESS: 0,
      ERR_FAILED: -1,
      ERR_NOT_SUPPORTED: -2,
      ERR_INVALID_PARAM: -3,
      ERR_DENIED: -4,
      ERR_INVALID_ADDRESS: -5,
      ERR_ALREADY_AVAILABLE: -6,
      ERR_ALREADY_STARTED: -7,
      ERR_ALREADY_STOPPED: -8,
      ERR_NO_SHMEM: -9,
    });
    expect(duplicates(SBI_ERRORS.map((e) => e.value))).toEqual([]);
    expect(sbiErrorName(-2)).toBe("ERR_NOT_SUPPORTED");
    expect(sbiErrorName(-100)).toBeUndefined();
  });

  it("has unique names and values in each constant group", () => {
    for (const g of SBI_CONSTANT_GROUPS) {
      expect(duplicates(g.values.map((v) => v.id)), g.id).toEqual([]);
      expect(duplicates(g.values.map((v) => v.value)), g.id).toEqual([]);
    }
    expect(duplicates(SBI_CONSTANT_GROUPS.map((g) => g.cPrefix))).toEqual([]);
    expect(HsmState.SUSPENDED).toBe(4);
    expect(SrstType.WARM_REBOOT).toBe(2);
    expect(SrstReason.SYSTEM_FAILURE).toBe(1);
  });

  it("keeps named values out of their group's reserved ranges", () => {
    for (const g of SBI_CONSTANT_GROUPS) {
      const ranges = "ranges" in g ? g.ranges : [];
      for (const r of ranges) {
        expect(r.first).toBeLessThanOrEqual(r.last);
        for (const v of g.values) expect(v.value < r.first || v.value > r.last, `${g.id}.${v.id}`).toBe(true);
      }
    }
  });

  it("places the vendor extension in the vendor range with mvendorid in its low bits", () => {
    const vendor = SBI_EID_RANGES.find((r) => r.id === "VENDOR")!;
    expect(MONOVISOR_VENDOR_EID).toBeGreaterThanOrEqual(vendor.first);
    expect(MONOVISOR_VENDOR_EID).toBeLessThanOrEqual(vendor.last);
    expect(MONOVISOR_VENDOR_EID & 0xff_ffff).toBe(MONOVISOR_MVENDORID & 0xff_ffff);
    const ext = SBI_EXTENSIONS.find((e) => e.kind === "vendor")!;
    for (const f of ext.functions) expect(f.since).toBeLessThanOrEqual(MONOVISOR_VENDOR_VERSION);
    // No standard extension may sit in a reserved range.
    for (const e of SBI_EXTENSIONS.filter((x) => x.kind !== "vendor")) {
      for (const r of SBI_EID_RANGES) expect(e.eid < r.first || e.eid > r.last).toBe(true);
    }
  });

  it("serves only described extensions, including the ones DESIGN §6 names", () => {
    const ids = new Set<string>(SBI_EXTENSIONS.map((e) => e.id));
    for (const id of MONOVISOR_SERVED_EXTENSIONS) expect(ids.has(id), id).toBe(true);
    for (const id of ["BASE", "TIME", "IPI", "RFENCE", "HSM", "SRST", "DBCN", "STA", "MONOVISOR"]) {
      expect(MONOVISOR_SERVED_EXTENSIONS).toContain(id);
    }
  });
});
