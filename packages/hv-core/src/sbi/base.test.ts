import {
  MONOVISOR_SBI_IMPL_ID,
  MONOVISOR_SERVED_EXTENSIONS,
  SBI_EXTENSIONS,
  SbiEid,
  SbiError,
  SbiFid,
  sbiVersion,
} from "@monovisor/paravirt-abi";
import { describe, expect, it } from "vitest";
import { MONOVISOR_SBI_IMPL_VERSION, SbiServer } from "./sbi-server.js";
import { sbiMachine } from "./test-machine.js";

const NOT_SUPPORTED = BigInt(SbiError.ERR_NOT_SUPPORTED);
const probe = (m: ReturnType<typeof sbiMachine>, eid: number | bigint) =>
  m.call(0, SbiEid.BASE, SbiFid.BASE.PROBE_EXTENSION, eid);

describe("SBI BASE", () => {
  it("reports spec version 2.0, the paravirt-abi implementation ID and the implementation version", () => {
    const m = sbiMachine();
    expect(m.call(0, SbiEid.BASE, SbiFid.BASE.GET_SPEC_VERSION)).toEqual({ error: 0n, value: 0x0200_0000n });
    expect(m.call(0, SbiEid.BASE, SbiFid.BASE.GET_IMPL_ID)).toEqual({
      error: 0n,
      value: BigInt(MONOVISOR_SBI_IMPL_ID),
    });
    expect(MONOVISOR_SBI_IMPL_ID).toBe(0x4d4f_4e56);
    expect(m.call(0, SbiEid.BASE, SbiFid.BASE.GET_IMPL_VERSION)).toEqual({
      error: 0n,
      value: BigInt(MONOVISOR_SBI_IMPL_VERSION),
    });
    expect(MONOVISOR_SBI_IMPL_VERSION).toBe(sbiVersion(0, 1));
  });

  it("honours an implementation version given as an option", () => {
    const m = sbiMachine(1, { implVersion: 0x0102_0003 });
    expect(m.call(0, SbiEid.BASE, SbiFid.BASE.GET_IMPL_VERSION).value).toBe(0x0102_0003n);
  });

  it("reports mvendorid, marchid and mimpid as 0", () => {
    const m = sbiMachine();
    for (const fid of [SbiFid.BASE.GET_MVENDORID, SbiFid.BASE.GET_MARCHID, SbiFid.BASE.GET_MIMPID]) {
      m.harts[0].setX(11, 0x55n); // a stale a1 must be overwritten
      expect(m.call(0, SbiEid.BASE, fid)).toEqual({ error: 0n, value: 0n });
    }
  });

  it("probes 1 for served extensions and 0 for the rest", () => {
    const m = sbiMachine();
    const served = new Set<string>(m.sbi.servedExtensions);
    for (const ext of SBI_EXTENSIONS) {
      expect(probe(m, ext.eid), ext.id).toEqual({ error: 0n, value: served.has(ext.id) ? 1n : 0n });
    }
    for (const id of ["BASE", "TIME", "IPI", "RFENCE", "HSM", "SRST", "DBCN", "STA", "MONOVISOR"] as const) {
      expect(probe(m, SbiEid[id]).value, id).toBe(1n);
    }
    expect(probe(m, SbiEid.LEGACY_CONSOLE_PUTCHAR).value).toBe(1n);
    expect(probe(m, SbiEid.LEGACY_CONSOLE_GETCHAR).value).toBe(1n);
    // Not served: PMU, SUSP, CPPC, the rest of v0.1 without the option.
    for (const id of ["PMU", "SUSP", "CPPC", "LEGACY_SET_TIMER", "LEGACY_SHUTDOWN"] as const) {
      expect(probe(m, SbiEid[id]).value, id).toBe(0n);
    }
    expect(probe(m, 0x0a00_0000).value).toBe(0n);
    expect(probe(m, 0x1234_5678).value).toBe(0n);
    // extension_id is a long: bits above 31 make it no EID at all.
    expect(probe(m, (1n << 32n) | BigInt(SbiEid.TIME)).value).toBe(0n);
    expect(probe(m, -1).value).toBe(0n);
  });

  it("serves exactly the paravirt-abi policy", () => {
    const m = sbiMachine();
    expect(m.sbi.servedExtensions).toEqual(MONOVISOR_SERVED_EXTENSIONS);
  });

  it("serves and probes every legacy call with legacyV01", () => {
    const m = sbiMachine(2, { legacyV01: true });
    for (const ext of SBI_EXTENSIONS.filter((e) => e.kind === "legacy")) {
      expect(probe(m, ext.eid).value, ext.id).toBe(1n);
    }
  });

  it("answers NOT_SUPPORTED for unknown or unserved EIDs and FIDs", () => {
    const m = sbiMachine();
    expect(m.call(0, 0x1234_5678, 0).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.STA, 1).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.PMU, SbiFid.PMU.NUM_COUNTERS).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.BASE, 7).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.TIME, 1).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.HSM, 4).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.DBCN, 3).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, SbiEid.MONOVISOR, 4).error).toBe(NOT_SUPPORTED);
    // An FID or EID with upper bits set is none of ours.
    expect(m.call(0, SbiEid.BASE, (1n << 32n) | 0n).error).toBe(NOT_SUPPORTED);
    expect(m.call(0, (1n << 32n) | 0x10n, 0).error).toBe(NOT_SUPPORTED);
    const r = m.call(0, 0x0900_0001, 0);
    expect(r).toEqual({ error: NOT_SUPPORTED, value: 0n });
  });

  it("answers a legacy call that is not served with NOT_SUPPORTED in a0", () => {
    const m = sbiMachine();
    m.harts[0].setX(11, 77);
    const r = m.call(0, SbiEid.LEGACY_SET_TIMER, 0, 1000);
    expect(r.error).toBe(NOT_SUPPORTED);
    expect(m.sbi.timerDeadline(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("counts calls per function, and the unsupported ones", () => {
    const m = sbiMachine();
    expect(m.sbi.counters.calls["TIME.sbi_set_timer"]).toBe(0);
    expect(m.sbi.counters.calls["PMU.sbi_pmu_num_counters"]).toBe(0);
    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 10);
    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 20);
    m.call(0, SbiEid.LEGACY_CONSOLE_PUTCHAR, 0, 65);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_GET_STATUS, 0);
    m.call(0, 0x1234_5678, 0);
    m.call(0, SbiEid.RFENCE, SbiFid.RFENCE.REMOTE_HFENCE_GVMA, 0, 0);
    const c = m.sbi.counters;
    expect(c.total).toBe(6);
    expect(c.notSupported).toBe(2);
    expect(c.calls["TIME.sbi_set_timer"]).toBe(2);
    expect(c.calls["LEGACY_CONSOLE_PUTCHAR.sbi_console_putchar"]).toBe(1);
    expect(c.calls["HSM.sbi_hart_get_status"]).toBe(1);
    expect(c.calls["RFENCE.sbi_remote_hfence_gvma"]).toBe(1);
  });

  it("rejects harts not indexed by hart ID and a boot hart that does not exist", () => {
    const m = sbiMachine(2);
    expect(
      () =>
        new SbiServer({
          harts: [m.harts[1]],
          consoleWrite: () => {},
          consoleRead: () => 0,
          systemReset: () => {},
        }),
    ).toThrow(RangeError);
    expect(
      () =>
        new SbiServer(
          { harts: m.harts, consoleWrite: () => {}, consoleRead: () => 0, systemReset: () => {} },
          { bootHartId: 2 },
        ),
    ).toThrow(RangeError);
  });
});
