import { SbiEid, SbiError, SbiFid } from "@monovisor/paravirt-abi";
import { describe, expect, it, vi } from "vitest";
import { IRQ_S_TIMER, MIP_SSIP, MIP_STIP, MSTATUS_SIE } from "../hart/constants.js";
import { CSR_SCAUSE, CSR_STIMECMP, CSR_STVEC } from "../hart/csr-numbers.js";
import { MipBit } from "../irq/mip.js";
import { RAM_BASE, sbiMachine } from "./test-machine.js";

const INVALID_PARAM = BigInt(SbiError.ERR_INVALID_PARAM);
const NOT_SUPPORTED = BigInt(SbiError.ERR_NOT_SUPPORTED);
const ALL_ONES = (1n << 64n) - 1n;
const stip = (m: ReturnType<typeof sbiMachine>, hart: number) => (m.harts[hart].mipExt & MIP_STIP) !== 0;
const ssip = (m: ReturnType<typeof sbiMachine>, hart: number) => (m.harts[hart].mipSw & MIP_SSIP) !== 0;
const setTimer = (m: ReturnType<typeof sbiMachine>, hart: number, when: number | bigint) =>
  m.call(hart, SbiEid.TIME, SbiFid.TIME.SET_TIMER, when);

describe("SBI TIME", () => {
  it("clears STIP, arms the deadline and raises STIP once the clock reaches it", () => {
    const m = sbiMachine();
    m.harts[0].setPending(MipBit.STIP, true);
    m.clock.ticks = 1000;
    expect(setTimer(m, 0, 1500)).toEqual({ error: 0n, value: 0n });
    expect(stip(m, 0)).toBe(false);
    expect(m.sbi.nextDeadline()).toBe(1500);
    expect(m.sbi.timerDeadline(0)).toBe(1500);
    m.clock.ticks = 1499;
    m.sbi.updateTimers();
    expect(stip(m, 0)).toBe(false);
    m.clock.ticks = 1500;
    m.sbi.updateTimers();
    expect(stip(m, 0)).toBe(true);
    // Spent: an idle machine must not wake for it again; STIP stays until the next set_timer.
    expect(m.sbi.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    m.sbi.updateTimers(2000);
    expect(stip(m, 0)).toBe(true);
    setTimer(m, 0, 5000);
    expect(stip(m, 0)).toBe(false);
  });

  it("raises STIP at once for a deadline already passed", () => {
    const m = sbiMachine();
    m.clock.ticks = 100;
    setTimer(m, 0, 100);
    expect(stip(m, 0)).toBe(true);
    expect(m.sbi.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("treats all ones as no deadline", () => {
    const m = sbiMachine();
    setTimer(m, 0, 10);
    setTimer(m, 0, ALL_ONES);
    expect(stip(m, 0)).toBe(false);
    expect(m.sbi.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    m.sbi.updateTimers(2 ** 52);
    expect(stip(m, 0)).toBe(false);
  });

  it("keeps a deadline per hart and reports the earliest", () => {
    const m = sbiMachine(3);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, RAM_BASE + 0x1000, 0);
    setTimer(m, 0, 900);
    setTimer(m, 1, 300);
    expect(m.sbi.nextDeadline()).toBe(300);
    m.sbi.updateTimers(300);
    expect([stip(m, 0), stip(m, 1), stip(m, 2)]).toEqual([false, true, false]);
    expect(m.sbi.nextDeadline()).toBe(900);
  });

  it("holds deadlines above 2^32 ticks", () => {
    const m = sbiMachine();
    setTimer(m, 0, 0x1_2345_6789n);
    expect(m.sbi.nextDeadline()).toBe(0x1_2345_6789);
  });

  it("delivers the timer interrupt to the guest's trap vector", () => {
    const m = sbiMachine();
    const hart = m.harts[0];
    setTimer(m, 0, 50);
    hart.csrLoArr[CSR_STVEC] = RAM_BASE + 0x2000;
    m.writeRam(RAM_BASE + 0x2000, [0x13, 0, 0, 0]); // nop
    hart.mie = MIP_STIP;
    hart.mstatus |= MSTATUS_SIE;
    m.sbi.updateTimers(50);
    hart.run(1);
    expect(hart.csrLoArr[CSR_SCAUSE]).toBe(IRQ_S_TIMER);
    expect(hart.csrHiArr[CSR_SCAUSE]).toBe(1 << 31);
    expect(hart.pc).toBe(RAM_BASE + 0x2004);
  });

  it("programs stimecmp instead when the hart has Sstc enabled", () => {
    const m = sbiMachine(1, { sstc: true });
    const hart = m.harts[0];
    m.clock.ticks = 10;
    setTimer(m, 0, 0x2_0000_0040n);
    expect(hart.csrLoArr[CSR_STIMECMP]).toBe(0x40);
    expect(hart.csrHiArr[CSR_STIMECMP]).toBe(2);
    expect(hart.sstcDeadline()).toBe(0x2_0000_0040);
    expect(m.sbi.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
    setTimer(m, 0, 5);
    expect(stip(m, 0)).toBe(true);
  });
});

describe("SBI IPI", () => {
  const sendIpi = (m: ReturnType<typeof sbiMachine>, mask: number | bigint, base: number | bigint) =>
    m.call(0, SbiEid.IPI, SbiFid.IPI.SEND_IPI, mask, base);

  it("sets SSIP on the harts in the mask", () => {
    const m = sbiMachine(4);
    expect(sendIpi(m, 0b1010, 0)).toEqual({ error: 0n, value: 0n });
    expect([0, 1, 2, 3].map((h) => ssip(m, h))).toEqual([false, true, false, true]);
  });

  it("offsets the mask by hart_mask_base", () => {
    const m = sbiMachine(4);
    sendIpi(m, 0b1, 2);
    expect([0, 1, 2, 3].map((h) => ssip(m, h))).toEqual([false, false, true, false]);
  });

  it("selects every hart with base all ones, whatever the mask", () => {
    const m = sbiMachine(3);
    expect(sendIpi(m, 0, ALL_ONES).error).toBe(0n);
    expect([0, 1, 2].map((h) => ssip(m, h))).toEqual([true, true, true]);
  });

  it("rejects a mask naming a hart that does not exist, before touching any hart", () => {
    const m = sbiMachine(2);
    expect(sendIpi(m, 0b101, 0)).toEqual({ error: INVALID_PARAM, value: 0n });
    expect(ssip(m, 0)).toBe(false);
    expect(sendIpi(m, 0b1, 2).error).toBe(INVALID_PARAM);
    expect(sendIpi(m, 1n << 40n, 0).error).toBe(INVALID_PARAM);
    expect(sendIpi(m, 1, 1n << 32n).error).toBe(INVALID_PARAM);
    expect(sendIpi(m, 1, -2).error).toBe(INVALID_PARAM);
    expect([ssip(m, 0), ssip(m, 1)]).toEqual([false, false]);
  });

  it("accepts an empty mask at any base", () => {
    const m = sbiMachine(2);
    expect(sendIpi(m, 0, 7).error).toBe(0n);
    expect([ssip(m, 0), ssip(m, 1)]).toEqual([false, false]);
  });

  it("reaches harts through the high word of the mask", () => {
    const m = sbiMachine(40);
    expect(sendIpi(m, 1n << 35n, 2).error).toBe(0n);
    expect(m.harts.map((_, h) => ssip(m, h)).indexOf(true)).toBe(37);
    expect(m.harts.filter((_, h) => ssip(m, h))).toHaveLength(1);
  });

  it("wakes a hart waiting in wfi with SSIP enabled", () => {
    const m = sbiMachine(2);
    m.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, RAM_BASE + 0x1000, 0);
    const target = m.harts[1];
    target.mie = MIP_SSIP;
    target.waitForInterrupt();
    expect(target.waiting).toBe(true);
    sendIpi(m, 0b10, 0);
    expect(target.waiting).toBe(false);
  });
});

describe("SBI RFENCE", () => {
  function spies(m: ReturnType<typeof sbiMachine>) {
    return m.harts.map((h) => ({ fenceI: vi.spyOn(h, "flushDecodeCache"), tlb: vi.spyOn(h, "flushTlb") }));
  }

  it("remote_fence_i drops decoded code on the harts in the mask", () => {
    const m = sbiMachine(3);
    const s = spies(m);
    expect(m.call(0, SbiEid.RFENCE, SbiFid.RFENCE.REMOTE_FENCE_I, 0b110, 0)).toEqual({
      error: 0n,
      value: 0n,
    });
    expect(s.map((x) => x.fenceI.mock.calls.length)).toEqual([0, 1, 1]);
    expect(s.map((x) => x.tlb.mock.calls.length)).toEqual([0, 0, 0]);
  });

  it("remote_sfence_vma and its ASID form flush the TLBs of the harts in the mask", () => {
    const m = sbiMachine(3);
    const s = spies(m);
    m.harts[1].rTagLo[3] = 0x1000;
    m.call(0, SbiEid.RFENCE, SbiFid.RFENCE.REMOTE_SFENCE_VMA, 0b10, 0, 0x1000, 0x1000);
    expect(m.harts[1].rTagLo[3]).toBe(-1);
    m.call(0, SbiEid.RFENCE, SbiFid.RFENCE.REMOTE_SFENCE_VMA_ASID, 0, ALL_ONES, 0, ALL_ONES, 5);
    expect(s.map((x) => x.tlb.mock.calls.length)).toEqual([1, 2, 1]);
    expect(s.map((x) => x.fenceI.mock.calls.length)).toEqual([0, 0, 0]);
  });

  it("rejects invalid hart masks without fencing", () => {
    const m = sbiMachine(2);
    const s = spies(m);
    for (const fid of [
      SbiFid.RFENCE.REMOTE_FENCE_I,
      SbiFid.RFENCE.REMOTE_SFENCE_VMA,
      SbiFid.RFENCE.REMOTE_SFENCE_VMA_ASID,
    ]) {
      expect(m.call(0, SbiEid.RFENCE, fid, 0b100, 0, 0, 4096, 1).error, `fid ${fid}`).toBe(INVALID_PARAM);
      expect(m.call(0, SbiEid.RFENCE, fid, 0b1, 5, 0, 4096, 1).error, `fid ${fid}`).toBe(INVALID_PARAM);
    }
    expect(s.every((x) => x.fenceI.mock.calls.length === 0 && x.tlb.mock.calls.length === 0)).toBe(true);
  });

  it("answers the hypervisor fences NOT_SUPPORTED (no H extension)", () => {
    const m = sbiMachine(2);
    for (const fid of [3, 4, 5, 6]) {
      expect(m.call(0, SbiEid.RFENCE, fid, 1, 0, 0, 4096, 1).error, `fid ${fid}`).toBe(NOT_SUPPORTED);
    }
  });
});
