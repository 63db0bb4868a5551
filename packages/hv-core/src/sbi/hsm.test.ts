import { HsmState, HsmSuspendType, SbiEid, SbiError, SbiFid } from "@monovisor/paravirt-abi";
import { describe, expect, it } from "vitest";
import { MIP_SSIP, MIP_STIP, MSTATUS_SIE, PRIV_S, S_INTERRUPTS } from "../hart/constants.js";
import { CSR_MCOUNTEREN, CSR_MENVCFG, CSR_SATP } from "../hart/csr-numbers.js";
import { ECALL_PC, RAM_BASE, RAM_SIZE, type SbiMachine, sbiMachine } from "./test-machine.js";

const INVALID_PARAM = BigInt(SbiError.ERR_INVALID_PARAM);
const INVALID_ADDRESS = BigInt(SbiError.ERR_INVALID_ADDRESS);
const ALREADY_AVAILABLE = BigInt(SbiError.ERR_ALREADY_AVAILABLE);
const ENTRY = RAM_BASE + 0x4000;

const start = (m: SbiMachine, hartId: number | bigint, addr: number | bigint, opaque: number | bigint = 0) =>
  m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, hartId, addr, opaque);
const status = (m: SbiMachine, hartId: number | bigint, caller = 0) =>
  m.call(caller, SbiEid.HSM, SbiFid.HSM.HART_GET_STATUS, hartId);
const suspend = (
  m: SbiMachine,
  hartId: number,
  type: number | bigint,
  resume: number = 0,
  opaque: bigint = 0n,
) => m.call(hartId, SbiEid.HSM, SbiFid.HSM.HART_SUSPEND, type, resume, opaque);
const sendIpi = (m: SbiMachine, mask: number) => m.call(0, SbiEid.IPI, SbiFid.IPI.SEND_IPI, mask, 0);

describe("SBI HSM", () => {
  it("starts with the boot hart STARTED and the others STOPPED and held", () => {
    const m = sbiMachine(3);
    expect([0, 1, 2].map((h) => m.sbi.hartStatus(h))).toEqual([
      HsmState.STARTED,
      HsmState.STOPPED,
      HsmState.STOPPED,
    ]);
    expect(status(m, 0)).toEqual({ error: 0n, value: BigInt(HsmState.STARTED) });
    expect(status(m, 2)).toEqual({ error: 0n, value: BigInt(HsmState.STOPPED) });
    expect(m.sbi.isRunnable(0)).toBe(true);
    expect(m.sbi.isRunnable(1)).toBe(false);
    expect(m.harts[1].stopRequested).toBe(true);
    expect(m.harts[1].run(100)).toBe(0);
  });

  it("boots another hart when asked", () => {
    const m = sbiMachine(2, { bootHartId: 1 });
    expect(m.sbi.hartStatus(0)).toBe(HsmState.STOPPED);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
  });

  it("hart_start enters S-mode at start_addr with a0 = hartid, a1 = opaque, satp = 0, SIE = 0", () => {
    const m = sbiMachine(2);
    const target = m.harts[1];
    // Leftovers of an earlier life that the start must not keep.
    target.csrWrite(CSR_SATP, 0x1234, 0);
    target.mstatus |= MSTATUS_SIE;
    target.setX(5, 99);
    const opaque = 0xdead_beef_1234_5678n;
    expect(start(m, 1, ENTRY, opaque)).toEqual({ error: 0n, value: 0n });
    expect(target.pc).toBe(ENTRY);
    expect(target.priv).toBe(PRIV_S);
    expect(target.getX(10)).toBe(1);
    expect(target.getXBig(11)).toBe(opaque);
    expect(target.getX(5)).toBe(0);
    expect(target.csrLoArr[CSR_SATP]).toBe(0);
    expect(target.mstatus & MSTATUS_SIE).toBe(0);
    expect(target.mideleg).toBe(S_INTERRUPTS);
    expect(target.medeleg).toBe(0xb3ff);
    expect(target.csrLoArr[CSR_MCOUNTEREN]).toBe(0b111);
    expect(target.stopRequested).toBe(false);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
    expect(m.sbi.isRunnable(1)).toBe(true);
    // The started hart runs guest code, and its own ecalls reach the server.
    m.writeRam(ENTRY, [0x73, 0, 0, 0]);
    target.setX(17, SbiEid.HSM);
    target.setX(16, SbiFid.HSM.HART_GET_STATUS);
    target.setX(10, 0);
    expect(target.run(1)).toBe(1);
    expect(target.pc).toBe(ENTRY + 4);
    expect(target.getX(10)).toBe(0);
    expect(target.getX(11)).toBe(HsmState.STARTED);
  });

  it("hart_start gives the new hart Sstc when the server is configured for it", () => {
    const m = sbiMachine(2, { sstc: true });
    start(m, 1, ENTRY);
    expect(m.harts[1].csrHiArr[CSR_MENVCFG]).toBe(1 << 31);
    expect(m.harts[0].csrHiArr[CSR_MENVCFG]).toBe(1 << 31);
  });

  it("hart_start refuses a hart that is not stopped", () => {
    const m = sbiMachine(2);
    expect(start(m, 0, ENTRY)).toEqual({ error: ALREADY_AVAILABLE, value: 0n });
    start(m, 1, ENTRY);
    m.harts[1].setX(7, 7);
    expect(start(m, 1, ENTRY + 0x100).error).toBe(ALREADY_AVAILABLE);
    expect(m.harts[1].pc).toBe(ENTRY);
    expect(m.harts[1].getX(7)).toBe(7);
  });

  it("hart_start rejects hart IDs that do not exist", () => {
    const m = sbiMachine(2);
    expect(start(m, 2, ENTRY)).toEqual({ error: INVALID_PARAM, value: 0n });
    expect(start(m, (1n << 32n) | 1n, ENTRY).error).toBe(INVALID_PARAM);
    expect(start(m, -1, ENTRY).error).toBe(INVALID_PARAM);
  });

  it("hart_start rejects start addresses the hart cannot execute", () => {
    const m = sbiMachine(2);
    expect(start(m, 1, 0x1000)).toEqual({ error: INVALID_ADDRESS, value: 0n });
    expect(start(m, 1, RAM_BASE + RAM_SIZE).error).toBe(INVALID_ADDRESS);
    expect(start(m, 1, ENTRY + 1).error).toBe(INVALID_ADDRESS);
    expect(start(m, 1, (1n << 32n) | BigInt(ENTRY)).error).toBe(INVALID_ADDRESS);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STOPPED);
    expect(m.harts[1].stopRequested).toBe(true);
  });

  it("hart_get_status rejects hart IDs that do not exist", () => {
    const m = sbiMachine(2);
    expect(status(m, 2)).toEqual({ error: INVALID_PARAM, value: 0n });
    expect(status(m, 1n << 32n).error).toBe(INVALID_PARAM);
  });

  it("hart_stop stops the caller until another hart starts it again", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    m.sbi.updateTimers(0);
    m.call(1, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 500);
    expect(m.call(1, SbiEid.HSM, SbiFid.HSM.HART_STOP).error).toBe(0n);
    expect(status(m, 1)).toEqual({ error: 0n, value: BigInt(HsmState.STOPPED) });
    expect(m.sbi.isRunnable(1)).toBe(false);
    expect(m.harts[1].stopRequested).toBe(true);
    expect(m.harts[1].run(10)).toBe(0);
    // A stopped hart keeps no timer.
    expect(m.sbi.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    expect(start(m, 1, ENTRY + 0x40, 5).error).toBe(0n);
    expect(m.harts[1].pc).toBe(ENTRY + 0x40);
    expect(m.harts[1].getX(11)).toBe(5);
    expect(m.sbi.isRunnable(1)).toBe(true);
  });

  it("a retentive suspend waits for an interrupt and returns to the caller", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    const hart = m.harts[1];
    hart.mie = MIP_SSIP;
    expect(suspend(m, 1, HsmSuspendType.RETENTIVE)).toEqual({ error: 0n, value: 0n });
    expect(hart.waiting).toBe(true);
    expect(status(m, 1).value).toBe(BigInt(HsmState.SUSPENDED));
    expect(m.sbi.isRunnable(1)).toBe(false);
    sendIpi(m, 0b10);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
    expect(m.sbi.isRunnable(1)).toBe(true);
    expect(hart.pc).toBe(ECALL_PC + 4);
  });

  it("a retentive suspend with an interrupt already pending returns at once", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    const hart = m.harts[1];
    hart.mie = MIP_SSIP;
    sendIpi(m, 0b10);
    expect(suspend(m, 1, 0).error).toBe(0n);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
  });

  it("a suspended hart with Sstc wakes when its comparator fires", () => {
    const m = sbiMachine(1, { sstc: true });
    const hart = m.harts[0];
    hart.mie = MIP_STIP;
    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 100);
    suspend(m, 0, 0);
    expect(m.sbi.isRunnable(0)).toBe(false);
    m.clock.ticks = 100;
    expect(m.sbi.isRunnable(0)).toBe(true);
  });

  it("a non-retentive suspend resumes at resume_addr with a0 = hartid, a1 = opaque, satp = 0, SIE = 0", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    const hart = m.harts[1];
    hart.mie = MIP_SSIP;
    hart.mstatus |= MSTATUS_SIE;
    hart.csrWrite(CSR_SATP, 0x777, 0); // bare mode keeps the ecall fetchable
    // suspend_type is uint32_t, which RV64 passes sign-extended.
    const nonRetentive = BigInt.asUintN(64, BigInt.asIntN(32, BigInt(HsmSuspendType.NON_RETENTIVE)));
    const resume = RAM_BASE + 0x6000;
    expect(suspend(m, 1, nonRetentive, resume, 0x1122_3344_5566_7788n).error).toBe(0n);
    expect(m.sbi.hartStatus(1)).toBe(HsmState.SUSPENDED);
    expect(m.sbi.isRunnable(1)).toBe(false);
    expect(hart.waiting).toBe(true);
    sendIpi(m, 0b10);
    expect(m.sbi.isRunnable(1)).toBe(true);
    expect(status(m, 1).value).toBe(BigInt(HsmState.STARTED));
    expect(hart.pc).toBe(resume);
    expect(hart.getX(10)).toBe(1);
    expect(hart.getXBig(11)).toBe(0x1122_3344_5566_7788n);
    expect(hart.csrLoArr[CSR_SATP]).toBe(0);
    expect(hart.mstatus & MSTATUS_SIE).toBe(0);
    expect(hart.priv).toBe(PRIV_S);
    expect(hart.waiting).toBe(false);
    // It runs from there, not from after the ecall.
    m.writeRam(resume, [0x13, 0, 0, 0]);
    hart.run(1);
    expect(hart.pc).toBe(resume + 4);
  });

  it("a non-retentive suspend with an interrupt already pending resumes at resume_addr", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    const hart = m.harts[1];
    hart.mie = MIP_SSIP;
    sendIpi(m, 0b10);
    suspend(m, 1, HsmSuspendType.NON_RETENTIVE, RAM_BASE + 0x6000);
    expect(hart.pc).toBe(ECALL_PC + 4);
    expect(m.sbi.isRunnable(1)).toBe(true);
    expect(hart.pc).toBe(RAM_BASE + 0x6000);
  });

  it("a non-retentive suspend rejects a resume address the hart cannot execute", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    expect(suspend(m, 1, HsmSuspendType.NON_RETENTIVE, 0x2000)).toEqual({
      error: INVALID_ADDRESS,
      value: 0n,
    });
    expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
    expect(m.harts[1].waiting).toBe(false);
  });

  it("hart_suspend rejects reserved and platform-specific suspend types", () => {
    const m = sbiMachine(2);
    start(m, 1, ENTRY);
    for (const type of [1, 0x0fff_ffff, 0x1000_0000, 0x7fff_ffff, 0x8000_0001, 0x9000_0000, 0xffff_ffff]) {
      expect(suspend(m, 1, type, ENTRY).error, type.toString(16)).toBe(INVALID_PARAM);
      expect(m.sbi.hartStatus(1)).toBe(HsmState.STARTED);
    }
  });

  it("reset() returns to power-on states", () => {
    const m = sbiMachine(3);
    start(m, 1, ENTRY);
    start(m, 2, ENTRY);
    m.sbi.reset();
    expect([0, 1, 2].map((h) => m.sbi.hartStatus(h))).toEqual([
      HsmState.STARTED,
      HsmState.STOPPED,
      HsmState.STOPPED,
    ]);
    expect(m.harts[2].stopRequested).toBe(true);
  });
});
