import {
  MONOVISOR_SIGNATURE,
  MONOVISOR_VENDOR_VERSION,
  SbiEid,
  SbiError,
  SbiFid,
  SrstReason,
  SrstType,
} from "@monovisor/paravirt-abi";
import { describe, expect, it, vi } from "vitest";
import { RAM_BASE, RAM_SIZE, type SbiMachine, sbiMachine } from "./test-machine.js";

const INVALID_PARAM = BigInt(SbiError.ERR_INVALID_PARAM);
const NOT_SUPPORTED = BigInt(SbiError.ERR_NOT_SUPPORTED);
const BUF = RAM_BASE + 0x8000;

const reset = (m: SbiMachine, type: number | bigint, reason: number | bigint) =>
  m.call(0, SbiEid.SRST, SbiFid.SRST.SYSTEM_RESET, type, reason);
const write = (m: SbiMachine, n: number | bigint, lo: number | bigint, hi: number | bigint = 0) =>
  m.call(0, SbiEid.DBCN, SbiFid.DBCN.CONSOLE_WRITE, n, lo, hi);
const read = (m: SbiMachine, n: number | bigint, lo: number | bigint, hi: number | bigint = 0) =>
  m.call(0, SbiEid.DBCN, SbiFid.DBCN.CONSOLE_READ, n, lo, hi);

describe("SBI SRST", () => {
  it("reports shutdown, cold and warm reboot with their reason and stops every hart", () => {
    const m = sbiMachine(2);
    expect(reset(m, SrstType.SHUTDOWN, SrstReason.NO_REASON)).toEqual({ error: 0n, value: 0n });
    expect(m.harts.every((h) => h.stopRequested)).toBe(true);
    // The platform acts after `run` returns; here it just lets hart 0 go on.
    const again = (type: number, reason: number) => {
      m.harts[0].stopRequested = false;
      reset(m, type, reason);
    };
    again(SrstType.COLD_REBOOT, SrstReason.SYSTEM_FAILURE);
    again(SrstType.WARM_REBOOT, 0xf000_0001);
    again(SrstType.WARM_REBOOT, 0xe000_0000);
    expect(m.resets).toEqual([
      [0, 0],
      [1, 1],
      [2, 0xf000_0001],
      [2, 0xe000_0000],
    ]);
  });

  it("reads type and reason as uint32_t (sign-extended on RV64)", () => {
    const m = sbiMachine(1);
    reset(m, (0xffff_ffffn << 32n) | 1n, 0xffff_ffff_f000_0002n);
    expect(m.resets).toEqual([[1, 0xf000_0002]]);
  });

  it("rejects reserved and unimplemented platform-specific types and reserved reasons", () => {
    const m = sbiMachine(2);
    for (const [type, reason] of [
      [3, 0],
      [0xefff_ffff, 0],
      [0xf000_0000, 0],
      [0, 2],
      [1, 0xdfff_ffff],
    ]) {
      expect(reset(m, type, reason), `${type}/${reason}`).toEqual({ error: INVALID_PARAM, value: 0n });
    }
    expect(m.resets).toEqual([]);
    expect(m.harts[0].stopRequested).toBe(false);
  });

  it("legacy shutdown powers off as SRST shutdown", () => {
    const m = sbiMachine(2, { legacyV01: true });
    expect(m.call(0, SbiEid.LEGACY_SHUTDOWN, 0).error).toBe(0n);
    expect(m.resets).toEqual([[SrstType.SHUTDOWN, SrstReason.NO_REASON]]);
    expect(m.harts.every((h) => h.stopRequested)).toBe(true);
  });
});

describe("SBI DBCN", () => {
  it("console_write sends bytes from guest physical memory", () => {
    const m = sbiMachine();
    m.writeRam(BUF, new TextEncoder().encode("hello, world"));
    expect(write(m, 5, BUF)).toEqual({ error: 0n, value: 5n });
    expect(m.text()).toBe("hello");
  });

  it("console_write of zero bytes succeeds with nothing written", () => {
    const m = sbiMachine();
    expect(write(m, 0, BUF)).toEqual({ error: 0n, value: 0n });
    expect(m.output).toEqual([]);
  });

  it("console_write accepts the last bytes of RAM and nothing beyond", () => {
    const m = sbiMachine();
    const end = RAM_BASE + RAM_SIZE;
    m.writeRam(end - 2, [0x4f, 0x4b]);
    expect(write(m, 2, end - 2)).toEqual({ error: 0n, value: 2n });
    expect(m.text()).toBe("OK");
    expect(write(m, 3, end - 2)).toEqual({ error: INVALID_PARAM, value: 0n });
  });

  it("console_write rejects memory outside RAM or addresses with high bits", () => {
    const m = sbiMachine();
    expect(write(m, 4, 0x1000_0000).error).toBe(INVALID_PARAM); // the UART, not RAM
    expect(write(m, 4, RAM_BASE - 2).error).toBe(INVALID_PARAM);
    expect(write(m, 4, (1n << 32n) | BigInt(BUF)).error).toBe(INVALID_PARAM);
    expect(write(m, 4, BUF, 1).error).toBe(INVALID_PARAM);
    expect(write(m, 1n << 32n, BUF).error).toBe(INVALID_PARAM);
    expect(write(m, -1, BUF).error).toBe(INVALID_PARAM);
    expect(m.output).toEqual([]);
  });

  it("console_read copies pending input into guest memory without blocking", () => {
    const m = sbiMachine();
    const invalidate = m.harts.map((h) => vi.spyOn(h, "invalidateCode"));
    m.input.push(0x61, 0x62, 0x63);
    expect(read(m, 8, BUF)).toEqual({ error: 0n, value: 3n });
    expect(Array.from(m.memory.readBytes(BUF, 4))).toEqual([0x61, 0x62, 0x63, 0]);
    // Decoded code of the written bytes is stale on every hart.
    expect(invalidate.map((s) => s.mock.calls)).toEqual([[[BUF, 3]], [[BUF, 3]]]);
    expect(read(m, 8, BUF)).toEqual({ error: 0n, value: 0n });
  });

  it("console_read reads no more than asked", () => {
    const m = sbiMachine();
    m.input.push(1, 2, 3);
    expect(read(m, 2, BUF).value).toBe(2n);
    expect(m.input).toEqual([3]);
  });

  it("console_read rejects memory outside RAM", () => {
    const m = sbiMachine();
    m.input.push(1);
    expect(read(m, 1, 0x1000).error).toBe(INVALID_PARAM);
    expect(read(m, 16, RAM_BASE + RAM_SIZE - 8).error).toBe(INVALID_PARAM);
    expect(read(m, 1, BUF, 1).error).toBe(INVALID_PARAM);
    expect(m.input).toEqual([1]);
  });

  it("console_write_byte writes the low byte of a0", () => {
    const m = sbiMachine();
    expect(m.call(0, SbiEid.DBCN, SbiFid.DBCN.CONSOLE_WRITE_BYTE, 0x41)).toEqual({ error: 0n, value: 0n });
    m.call(0, SbiEid.DBCN, SbiFid.DBCN.CONSOLE_WRITE_BYTE, 0x1234_5642);
    expect(m.text()).toBe("AB");
  });
});

describe("monovisor vendor extension", () => {
  const vendor = (m: SbiMachine, fid: number, ...args: (number | bigint)[]) =>
    m.call(0, SbiEid.MONOVISOR, fid, ...args);

  it("identifies itself", () => {
    const m = sbiMachine();
    expect(vendor(m, SbiFid.MONOVISOR.GET_SIGNATURE)).toEqual({
      error: 0n,
      value: BigInt(MONOVISOR_SIGNATURE),
    });
    expect(MONOVISOR_SIGNATURE).toBe(0x4d4f_4e56);
    expect(vendor(m, SbiFid.MONOVISOR.GET_VERSION)).toEqual({
      error: 0n,
      value: BigInt(MONOVISOR_VENDOR_VERSION),
    });
  });

  it("probe_function answers 1 for its functions and 0 otherwise", () => {
    const m = sbiMachine();
    const probe = (fid: number | bigint) => vendor(m, SbiFid.MONOVISOR.PROBE_FUNCTION, fid);
    for (const fid of [0, 1, 2, 3]) expect(probe(fid), `fid ${fid}`).toEqual({ error: 0n, value: 1n });
    expect(probe(4).value).toBe(0n);
    expect(probe(0xffff_ffff).value).toBe(0n);
    expect(probe((1n << 32n) | 1n).value).toBe(0n);
  });

  it("trace_mark hands (hart, tag, value) to the platform", () => {
    const m = sbiMachine(2);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, RAM_BASE + 0x4000, 0);
    expect(vendor(m, SbiFid.MONOVISOR.TRACE_MARK, 0x1234, 2n ** 40n + 7n)).toEqual({ error: 0n, value: 0n });
    m.call(1, SbiEid.MONOVISOR, SbiFid.MONOVISOR.TRACE_MARK, 0xffff_ffff, 0);
    expect(m.marks).toEqual([
      [0, 0x1234, 2 ** 40 + 7],
      [1, 0xffff_ffff, 0],
    ]);
  });

  it("trace_mark succeeds without a trace callback", () => {
    const m = sbiMachine(1, {}, false);
    expect(vendor(m, SbiFid.MONOVISOR.TRACE_MARK, 1, 2)).toEqual({ error: 0n, value: 0n });
  });

  it("answers unknown vendor functions NOT_SUPPORTED", () => {
    const m = sbiMachine();
    expect(vendor(m, 4)).toEqual({ error: NOT_SUPPORTED, value: 0n });
    expect(vendor(m, 0x100)).toEqual({ error: NOT_SUPPORTED, value: 0n });
  });
});
