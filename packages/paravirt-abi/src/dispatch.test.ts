import { describe, expect, it } from "vitest";
import { SbiEid, SbiFid } from "./constants.js";
import { findSbiExtension, findSbiFunction, SBI_DISPATCH_TABLE, sbiCallLabel } from "./dispatch.js";
import { SBI_EXTENSIONS } from "./spec.js";

describe("the dispatch table", () => {
  it("holds every described extension and function", () => {
    expect(SBI_DISPATCH_TABLE.size).toBe(SBI_EXTENSIONS.length);
    for (const ext of SBI_EXTENSIONS) {
      for (const f of ext.functions) {
        const found = findSbiFunction(ext.eid, f.fid);
        expect(found?.name, `${ext.id}.${f.id}`).toBe(f.name);
        expect(found?.argNames).toEqual(f.args.map((a) => a.name));
      }
    }
  });

  it("finds functions by EID and FID and gives argument names", () => {
    const fn = findSbiFunction(SbiEid.HSM, SbiFid.HSM.HART_START);
    expect(fn?.name).toBe("sbi_hart_start");
    expect(fn?.argNames).toEqual(["hartid", "start_addr", "opaque"]);
    expect(findSbiExtension(SbiEid.TIME)?.title).toBe("Timer");
  });

  it("returns undefined for unknown EIDs and FIDs", () => {
    expect(findSbiExtension(0x1234_5678)).toBeUndefined();
    expect(findSbiFunction(SbiEid.TIME, 1)).toBeUndefined();
    expect(findSbiFunction(SbiEid.BASE, 7)).toBeUndefined();
    expect(findSbiFunction(SbiEid.BASE, -1)).toBeUndefined();
  });

  it("accepts EIDs in signed 32-bit form", () => {
    expect(findSbiExtension(SbiEid.TIME | 0)?.id).toBe("TIME");
  });

  it("ignores the FID for legacy extensions", () => {
    expect(findSbiFunction(SbiEid.LEGACY_CONSOLE_PUTCHAR, 0)?.name).toBe("sbi_console_putchar");
    expect(findSbiFunction(SbiEid.LEGACY_CONSOLE_PUTCHAR, 1234)?.name).toBe("sbi_console_putchar");
  });

  it("labels calls for traces", () => {
    expect(sbiCallLabel(SbiEid.HSM, 0)).toBe("HSM.sbi_hart_start");
    expect(sbiCallLabel(SbiEid.HSM, 9)).toBe("HSM fid 9");
    expect(sbiCallLabel(0x0a00_0001, 2)).toBe("eid 0xa000001 fid 2");
  });
});
