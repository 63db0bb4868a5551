import { HsmState, SbiEid, SbiFid } from "@monovisor/paravirt-abi";
import { describe, expect, it } from "vitest";
import { RAM_BASE, sbiMachine } from "./test-machine.js";

const ENTRY = RAM_BASE + 0x4000;
/** Two identical two-hart machines: `a` to save from, `b` to restore into. */
const pair = () => ({ a: sbiMachine(2), b: sbiMachine(2) });

describe("SBI server saveState / restoreState", () => {
  it("carries HSM states and timer deadlines into a fresh server", () => {
    const { a, b } = pair();
    a.call(0, SbiEid.HSM, SbiFid.HSM.HART_START, 1, ENTRY, 0);
    a.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 12345);
    const state = JSON.parse(JSON.stringify(a.sbi.saveState()));
    expect(state.deadlines).toEqual([12345, null]);
    b.sbi.restoreState(state);
    expect(a.sbi.hartStatus(1)).not.toBe(HsmState.STOPPED);
    expect(b.sbi.hartStatus(1)).toBe(a.sbi.hartStatus(1));
    expect(b.sbi.timerDeadline(0)).toBe(12345);
    expect(b.sbi.timerDeadline(1)).toBe(Number.POSITIVE_INFINITY);
    expect(b.sbi.saveState()).toEqual(a.sbi.saveState());
  });

  it("rejects a state for another hart count or version, changing nothing", () => {
    const { a, b } = pair();
    a.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 777);
    const state = a.sbi.saveState();
    const before = b.sbi.saveState();
    expect(() => b.sbi.restoreState({ ...state, hartCount: 3 })).toThrow(/3 harts/);
    expect(() => b.sbi.restoreState({ ...state, version: 3 } as never)).toThrow(/v3/);
    expect(() => b.sbi.restoreState({ ...state, hsm: [0, 99] })).toThrow(/hsm/);
    expect(b.sbi.saveState()).toEqual(before);
  });
});
