import { SbiEid, SbiError, SbiFid, StaShmem } from "@monovisor/paravirt-abi";
import { describe, expect, it } from "vitest";
import { RAM_BASE, RAM_SIZE, type SbiMachine, sbiMachine } from "./test-machine.js";

const INVALID_PARAM = BigInt(SbiError.ERR_INVALID_PARAM);
const INVALID_ADDRESS = BigInt(SbiError.ERR_INVALID_ADDRESS);
const RECORD = RAM_BASE + 0x8000;
const TWO32 = 2 ** 32;

const setShmem = (m: SbiMachine, hartId: number, lo: number | bigint, hi: number | bigint = 0, flags = 0) =>
  m.call(hartId, SbiEid.STA, SbiFid.STA.STEAL_TIME_SET_SHMEM, lo, hi, flags);

/** The record at `addr` as the guest would read it. */
function record(m: SbiMachine, addr: number) {
  const bytes = m.memory.readBytes(addr, StaShmem.SIZE);
  const view = new DataView(bytes.buffer);
  return {
    sequence: view.getUint32(StaShmem.SEQUENCE_OFFSET, true),
    flags: view.getUint32(StaShmem.FLAGS_OFFSET, true),
    steal: view.getBigUint64(StaShmem.STEAL_OFFSET, true),
    preempted: bytes[StaShmem.PREEMPTED_OFFSET],
    padding: Array.from(bytes.subarray(StaShmem.PREEMPTED_OFFSET + 1)),
  };
}

const zeros = (n: number) => new Array<number>(n).fill(0);

describe("SBI STA (steal-time accounting)", () => {
  it("probe_extension reports STA and set_shmem is counted", () => {
    const m = sbiMachine();
    expect(m.call(0, SbiEid.BASE, SbiFid.BASE.PROBE_EXTENSION, SbiEid.STA)).toEqual({ error: 0n, value: 1n });
    expect(m.sbi.servedExtensions).toContain("STA");
    setShmem(m, 0, RECORD);
    expect(m.sbi.counters.calls["STA.sbi_steal_time_set_shmem"]).toBe(1);
  });

  it("set_shmem zeroes the whole record and publishes the current steal time at once", () => {
    const m = sbiMachine();
    m.writeRam(RECORD, new Array<number>(StaShmem.SIZE).fill(0xa5));
    m.sbi.addSteal(0, 1234);
    m.harts[0].setX(11, 99); // a stale a1 must read 0 afterwards
    expect(setShmem(m, 0, RECORD)).toEqual({ error: 0n, value: 0n });
    expect(record(m, RECORD)).toEqual({
      sequence: 2,
      flags: 0,
      steal: 1234n,
      preempted: 0,
      padding: zeros(StaShmem.SIZE - 17),
    });
  });

  it("publishSteal keeps the sequence even, adds 2 per update and writes steal and preempted", () => {
    const m = sbiMachine();
    setShmem(m, 0, RECORD);
    const first = record(m, RECORD).sequence;
    m.sbi.addSteal(0, 5 * TWO32 + 7);
    expect(m.sbi.publishSteal(0, true)).toBe(true);
    let r = record(m, RECORD);
    expect(r.sequence).toBe(first + 2);
    expect(r.steal).toBe(5n * 2n ** 32n + 7n);
    expect(r.preempted).toBe(1);
    m.sbi.addSteal(0, 10);
    expect(m.sbi.publishSteal(0)).toBe(true);
    r = record(m, RECORD);
    expect(r.sequence).toBe(first + 4);
    expect(r.sequence % 2).toBe(0);
    expect(r.steal).toBe(5n * 2n ** 32n + 17n);
    expect(r.preempted).toBe(0);
    expect(r.flags).toBe(0);
    expect(r.padding).toEqual(zeros(StaShmem.SIZE - 17));
    // Byte by byte, little-endian: sequence at 0, steal at 8, preempted at 16.
    const bytes = m.memory.readBytes(RECORD, 24);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([first + 4, 0, 0, 0]);
    expect(Array.from(bytes.subarray(8, 16))).toEqual([17, 0, 0, 0, 5, 0, 0, 0]);
  });

  it("keeps the protocol when the guest left an odd sequence in the record", () => {
    const m = sbiMachine();
    setShmem(m, 0, RECORD);
    m.writeRam(RECORD, [7, 0, 0, 0]);
    m.sbi.publishSteal(0);
    // 7 + 1 would be even: the update runs under 9 and ends at 10.
    expect(record(m, RECORD).sequence).toBe(10);
    m.writeRam(RECORD, [0xff, 0xff, 0xff, 0xff]);
    m.sbi.publishSteal(0);
    expect(record(m, RECORD).sequence).toBe(2);
  });

  it("writes each hart's own record, and none for a hart that registered nothing", () => {
    const m = sbiMachine(2);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, RAM_BASE + 0x4000, 0);
    setShmem(m, 1, RECORD + 0x40);
    m.sbi.addSteal(0, 100);
    m.sbi.addSteal(1, 200);
    expect(m.sbi.publishSteal(0)).toBe(false);
    expect(m.sbi.publishSteal(1)).toBe(true);
    expect(record(m, RECORD + 0x40).steal).toBe(200n);
    expect(record(m, RECORD).sequence).toBe(0);
    expect(m.sbi.stealNanoseconds(0)).toBe(100);
    expect(m.sbi.stealNanoseconds(1)).toBe(200);
  });

  it("all-ones shmem_phys_lo and _hi disable the record", () => {
    const m = sbiMachine();
    setShmem(m, 0, RECORD);
    const before = record(m, RECORD);
    expect(setShmem(m, 0, -1, -1)).toEqual({ error: 0n, value: 0n });
    m.sbi.addSteal(0, 50);
    expect(m.sbi.publishSteal(0)).toBe(false);
    expect(record(m, RECORD)).toEqual(before);
    // Disabling without a record is fine too.
    expect(setShmem(m, 0, -1, -1).error).toBe(0n);
  });

  it("rejects non-zero flags and misaligned addresses with INVALID_PARAM", () => {
    const m = sbiMachine();
    expect(setShmem(m, 0, RECORD, 0, 1)).toEqual({ error: INVALID_PARAM, value: 0n });
    expect(setShmem(m, 0, -1, -1, 1).error).toBe(INVALID_PARAM);
    for (const offset of [1, 8, 32, 63]) expect(setShmem(m, 0, RECORD + offset).error).toBe(INVALID_PARAM);
    // All-ones lo alone is no disable request: it is misaligned.
    expect(setShmem(m, 0, -1, 0).error).toBe(INVALID_PARAM);
    expect(m.sbi.publishSteal(0)).toBe(false);
  });

  it("rejects records not wholly in RAM with INVALID_ADDRESS and keeps the old one", () => {
    const m = sbiMachine();
    expect(setShmem(m, 0, RECORD).error).toBe(0n);
    expect(setShmem(m, 0, RAM_BASE + RAM_SIZE - 64).error).toBe(0n);
    expect(setShmem(m, 0, RECORD).error).toBe(0n);
    for (const addr of [0, 0x1000_0000, RAM_BASE - 64, RAM_BASE + RAM_SIZE, (1n << 40n) | BigInt(RECORD)]) {
      expect(setShmem(m, 0, addr), `0x${addr.toString(16)}`).toEqual({ error: INVALID_ADDRESS, value: 0n });
    }
    // Address bits above XLEN: no RAM there.
    expect(setShmem(m, 0, RECORD, 1).error).toBe(INVALID_ADDRESS);
    m.sbi.addSteal(0, 9);
    expect(m.sbi.publishSteal(0)).toBe(true);
    expect(record(m, RECORD).steal).toBe(9n);
  });

  it("leaves no stale decoded code behind in the record's page", () => {
    const m = sbiMachine();
    const hart = m.harts[0];
    const runAt = (pc: number) => {
      hart.jumpTo(pc, 0);
      hart.setX(10, 0);
      expect(hart.run(1)).toBe(1);
      return hart.getX(10);
    };
    m.writeRam(RECORD + StaShmem.STEAL_OFFSET, [0x13, 0x05, 0x15, 0x00]); // addi a0, a0, 1
    expect(runAt(RECORD + StaShmem.STEAL_OFFSET)).toBe(1);
    m.sbi.addSteal(0, 0x0025_0513); // the low steal word reads as addi a0, a0, 2
    setShmem(m, 0, RECORD);
    expect(runAt(RECORD + StaShmem.STEAL_OFFSET)).toBe(2);
  });

  it("accumulates steal time exactly across 2^32 and keeps fractions", () => {
    const m = sbiMachine();
    m.sbi.addSteal(0, TWO32 - 1);
    m.sbi.addSteal(0, 1);
    expect(m.sbi.stealNanoseconds(0)).toBe(TWO32);
    m.sbi.addSteal(0, 0.5);
    m.sbi.addSteal(0, 0.75);
    expect(m.sbi.stealNanoseconds(0)).toBe(TWO32 + 1.25);
    m.sbi.addSteal(0, 2 ** 52);
    expect(m.sbi.stealNanoseconds(0)).toBe(2 ** 52 + TWO32 + 1.25);
    setShmem(m, 0, RECORD);
    // The record holds whole nanoseconds.
    expect(record(m, RECORD).steal).toBe(2n ** 52n + 2n ** 32n + 1n);
  });

  it("refuses harts that do not exist and steal times that are not 0..2^53 ns", () => {
    const m = sbiMachine(2);
    for (const id of [-1, 2, 1.5, Number.NaN]) {
      expect(() => m.sbi.addSteal(id, 1)).toThrow(RangeError);
      expect(() => m.sbi.publishSteal(id)).toThrow(RangeError);
      expect(() => m.sbi.stealNanoseconds(id)).toThrow(RangeError);
    }
    for (const ns of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 54]) {
      expect(() => m.sbi.addSteal(0, ns)).toThrow(RangeError);
    }
    expect(m.sbi.stealNanoseconds(0)).toBe(0);
  });

  it("stops writing a record once its hart stops; reset drops records and steal time", () => {
    const m = sbiMachine(2);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, RAM_BASE + 0x4000, 0);
    setShmem(m, 0, RECORD);
    setShmem(m, 1, RECORD + 0x40);
    m.sbi.addSteal(1, 300);
    expect(m.call(1, SbiEid.HSM, SbiFid.HSM.HART_STOP).error).toBe(0n);
    expect(m.sbi.publishSteal(1)).toBe(false);
    expect(m.sbi.stealNanoseconds(1)).toBe(300);
    m.sbi.addSteal(0, 10);
    m.sbi.reset();
    expect(m.sbi.publishSteal(0)).toBe(false);
    expect(m.sbi.stealNanoseconds(0)).toBe(0);
    expect(m.sbi.stealNanoseconds(1)).toBe(0);
  });
});

describe("SBI STA saveState / restoreState", () => {
  it("round-trips records and steal time through JSON", () => {
    const a = sbiMachine(2);
    const b = sbiMachine(2);
    setShmem(a, 0, RECORD);
    a.sbi.addSteal(0, 2 ** 40 + 3);
    a.sbi.addSteal(1, 0.5);
    const state = JSON.parse(JSON.stringify(a.sbi.saveState()));
    expect(state.version).toBe(2);
    expect(state.staShmem).toEqual([RECORD, null]);
    b.sbi.restoreState(state);
    expect(b.sbi.saveState()).toEqual(a.sbi.saveState());
    expect(b.sbi.stealNanoseconds(0)).toBe(2 ** 40 + 3);
    expect(b.sbi.stealNanoseconds(1)).toBe(0.5);
    // The restored server writes the same record (RAM itself is restored separately).
    expect(b.sbi.publishSteal(0)).toBe(true);
    expect(record(b, RECORD).steal).toBe(2n ** 40n + 3n);
    expect(b.sbi.publishSteal(1)).toBe(false);
  });

  it("loads a version 1 state with no records and no steal time", () => {
    const a = sbiMachine(2);
    const b = sbiMachine(2);
    a.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 4321);
    setShmem(b, 0, RECORD);
    b.sbi.addSteal(0, 5);
    const { staShmem: _shmem, stealLoHi: _steal, ...rest } = a.sbi.saveState();
    b.sbi.restoreState({ ...rest, version: 1 });
    expect(b.sbi.timerDeadline(0)).toBe(4321);
    expect(b.sbi.publishSteal(0)).toBe(false);
    expect(b.sbi.stealNanoseconds(0)).toBe(0);
  });

  it("rejects bad STA fields, changing nothing", () => {
    const a = sbiMachine(2);
    const b = sbiMachine(2);
    setShmem(a, 0, RECORD);
    a.sbi.addSteal(0, 77);
    b.sbi.addSteal(1, 11);
    const state = a.sbi.saveState();
    const before = b.sbi.saveState();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ staShmem: [RECORD] }, /staShmem must have 2/],
      [{ staShmem: [RECORD + 8, null] }, /staShmem holds/],
      [{ staShmem: [RAM_BASE + RAM_SIZE, null] }, /staShmem holds/],
      [{ staShmem: ["0x80008000", null] }, /staShmem holds/],
      [{ stealLoHi: [0, 0, 0] }, /stealLoHi must have 4/],
      [{ stealLoHi: [-1, 0, 0, 0] }, /stealLoHi holds -1/],
      [{ stealLoHi: [TWO32, 0, 0, 0] }, /stealLoHi holds/],
      [{ stealLoHi: [0, 0.5, 0, 0] }, /stealLoHi holds 0.5/],
      [{ stealLoHi: [0, 0, 0, TWO32] }, /stealLoHi holds/],
      [{ stealLoHi: undefined }, /stealLoHi must have/],
    ];
    for (const [change, why] of bad) {
      expect(() => b.sbi.restoreState({ ...state, ...change } as never), why.source).toThrow(why);
    }
    expect(b.sbi.saveState()).toEqual(before);
  });
});
