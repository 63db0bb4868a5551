import { describe, expect, it } from "vitest";
import {
  Aclint,
  AclintSswi,
  CLINT_MSIP_BASE,
  CLINT_MTIME,
  CLINT_MTIMECMP_BASE,
  SSWI_SETSSIP_BASE,
} from "./aclint.js";
import { MipBit } from "./mip.js";
import { FakeClock, fakeHarts } from "./test-doubles.js";

function setup(hartCount = 2) {
  const clock = new FakeClock();
  const harts = fakeHarts(hartCount);
  const aclint = new Aclint({ hartCount }, clock, harts);
  const cmpOffset = (hart: number) => CLINT_MTIMECMP_BASE + 8 * hart;
  /** A 64-bit store as the bus delivers it: low half first. */
  const writeCmp = (hart: number, value: bigint) => {
    aclint.write(cmpOffset(hart), 4, Number(value & 0xffff_ffffn));
    aclint.write(cmpOffset(hart) + 4, 4, Number(value >> 32n));
  };
  const readCmp = (hart: number) =>
    (BigInt(aclint.read(cmpOffset(hart) + 4, 4)) << 32n) | BigInt(aclint.read(cmpOffset(hart), 4));
  const readMtime = () =>
    (BigInt(aclint.read(CLINT_MTIME + 4, 4)) << 32n) | BigInt(aclint.read(CLINT_MTIME, 4));
  return { clock, harts, aclint, writeCmp, readCmp, readMtime, cmpOffset };
}

describe("ACLINT MSWI", () => {
  it("drives MSIP from bit 0 of each hart's msip", () => {
    const { aclint, harts } = setup();
    aclint.write(CLINT_MSIP_BASE + 4, 4, 1);
    expect(harts[1]!.pending(MipBit.MSIP)).toBe(true);
    expect(harts[0]!.pending(MipBit.MSIP)).toBe(false);
    expect(aclint.read(CLINT_MSIP_BASE + 4, 4)).toBe(1);
    aclint.write(CLINT_MSIP_BASE + 4, 4, 0xffff_fffe); // only bit 0 counts
    expect(harts[1]!.pending(MipBit.MSIP)).toBe(false);
    expect(aclint.read(CLINT_MSIP_BASE + 4, 4)).toBe(0);
  });

  it("ignores msip of harts that do not exist", () => {
    const { aclint, harts } = setup(1);
    aclint.write(CLINT_MSIP_BASE + 4, 4, 1);
    expect(aclint.read(CLINT_MSIP_BASE + 4, 4)).toBe(0);
    expect(harts[0]!.calls).toEqual([]);
  });
});

describe("ACLINT MTIMER", () => {
  it("resets mtimecmp to all ones and keeps MTIP low", () => {
    const { aclint, harts, readCmp, clock } = setup();
    expect(readCmp(0)).toBe(0xffff_ffff_ffff_ffffn);
    expect(readCmp(1)).toBe(0xffff_ffff_ffff_ffffn);
    clock.ticks = 1e12;
    aclint.update();
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(false);
    expect(aclint.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("reads mtime from the clock in two halves", () => {
    const { clock, readMtime } = setup();
    clock.ticks = 0x1_2345_6789;
    expect(readMtime()).toBe(0x1_2345_6789n);
  });

  it("stores mtimecmp halves independently", () => {
    const { aclint, readCmp, cmpOffset } = setup();
    aclint.write(cmpOffset(1), 4, 0x1000);
    expect(readCmp(1)).toBe(0xffff_ffff_0000_1000n);
    aclint.write(cmpOffset(1) + 4, 4, 0x2);
    expect(readCmp(1)).toBe(0x2_0000_1000n);
    expect(readCmp(0)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it("raises MTIP when mtime reaches mtimecmp and lowers it on a new mtimecmp", () => {
    const { aclint, harts, clock, writeCmp } = setup();
    writeCmp(0, 1000n);
    clock.ticks = 999;
    aclint.update();
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(false);
    clock.ticks = 1000;
    aclint.update();
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(true);
    expect(harts[1]!.pending(MipBit.MTIP)).toBe(false);
    writeCmp(0, 5000n); // lowered at once, without waiting for update()
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(false);
  });

  it("raises MTIP at once when mtimecmp is already in the past", () => {
    const { harts, clock, writeCmp } = setup();
    clock.ticks = 10_000;
    writeCmp(1, 50n);
    expect(harts[1]!.pending(MipBit.MTIP)).toBe(true);
  });

  it("compares across the 32-bit boundary", () => {
    const { aclint, harts, clock, writeCmp } = setup();
    writeCmp(0, 0x1_0000_0000n);
    clock.ticks = 0xffff_ffff;
    aclint.update();
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(false);
    clock.ticks = 0x1_0000_0000;
    aclint.update();
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(true);
  });

  it("signals MTIP changes only", () => {
    const { aclint, harts, clock, writeCmp } = setup();
    writeCmp(0, 10n);
    clock.ticks = 20;
    aclint.update();
    aclint.update();
    expect(harts[0]!.calls.filter(([bit]) => bit === MipBit.MTIP)).toEqual([[MipBit.MTIP, true]]);
  });

  it("reports the next deadline of harts still waiting", () => {
    const { aclint, clock, writeCmp } = setup(3);
    writeCmp(0, 500n);
    writeCmp(2, 300n);
    expect(aclint.nextDeadline()).toBe(300);
    clock.ticks = 300;
    aclint.update();
    expect(aclint.nextDeadline()).toBe(500); // hart 2 already raised
    clock.ticks = 600;
    aclint.update();
    expect(aclint.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });

  it("moves mtime on writes without moving the clock", () => {
    const { aclint, clock, harts, readMtime, writeCmp } = setup();
    clock.ticks = 100;
    aclint.write(CLINT_MTIME, 4, 5000);
    aclint.write(CLINT_MTIME + 4, 4, 0);
    expect(readMtime()).toBe(5000n);
    clock.ticks = 150;
    expect(readMtime()).toBe(5050n);
    writeCmp(0, 6000n);
    // mtime reaches 6000 when the clock reads 1100.
    expect(aclint.nextDeadline()).toBe(1100);
    aclint.write(CLINT_MTIME, 4, 7000);
    expect(harts[0]!.pending(MipBit.MTIP)).toBe(true);
  });

  it("writes the high half of mtime", () => {
    const { aclint, clock, readMtime } = setup();
    clock.ticks = 7;
    aclint.write(CLINT_MTIME + 4, 4, 3);
    expect(readMtime()).toBe(0x3_0000_0007n);
  });

  it("never throws on odd guest accesses", () => {
    const { aclint } = setup();
    for (const offset of [1, 2, 0x3ffc, 0x4000 + 8 * 2, 0xbff0, 0xbffe, 0xc000, 0xfffc]) {
      for (const size of [1, 2, 4] as const) {
        expect(() => aclint.write(offset, size, 0xffff_ffff)).not.toThrow();
        expect(() => aclint.read(offset, size)).not.toThrow();
      }
    }
    expect(aclint.read(0x4000 + 8 * 2, 4)).toBe(0);
  });

  it("saves and restores, continuing mtime on a different clock", () => {
    const a = setup();
    a.aclint.write(CLINT_MSIP_BASE, 4, 1);
    a.writeCmp(0, 2000n);
    a.writeCmp(1, 0x5_0000_0000n);
    a.clock.ticks = 1500;
    const state = a.aclint.saveState();
    expect(state).toMatchObject({ type: "aclint", version: 1, mtime: 1500 });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);

    const b = setup();
    b.clock.ticks = 10;
    b.aclint.restoreState(JSON.parse(JSON.stringify(state)));
    expect(b.readMtime()).toBe(1500n);
    expect(b.readCmp(1)).toBe(0x5_0000_0000n);
    expect(b.harts[0]!.pending(MipBit.MSIP)).toBe(true);
    expect(b.harts[0]!.pending(MipBit.MTIP)).toBe(false);
    expect(b.aclint.nextDeadline()).toBe(10 + 500);
    b.clock.ticks = 510;
    b.aclint.update();
    expect(b.harts[0]!.pending(MipBit.MTIP)).toBe(true);
  });

  it("re-drives a raised MTIP on restore", () => {
    const a = setup(1);
    a.writeCmp(0, 5n);
    a.clock.ticks = 6;
    a.aclint.update();
    const b = setup(1);
    b.aclint.restoreState(a.aclint.saveState());
    expect(b.harts[0]!.pending(MipBit.MTIP)).toBe(true);
  });

  it("refuses state of another shape", () => {
    const state = setup(2).aclint.saveState();
    expect(() => setup(1).aclint.restoreState(state)).toThrow(/harts/);
    expect(() => setup(2).aclint.restoreState({ ...state, type: "plic" } as never)).toThrow();
  });

  it("rejects inconsistent configuration", () => {
    expect(() => new Aclint({ hartCount: 2 }, new FakeClock(), fakeHarts(3))).toThrow(RangeError);
    expect(() => new Aclint({ hartCount: 0 }, new FakeClock(), [])).toThrow(RangeError);
  });
});

describe("ACLINT SSWI", () => {
  it("sets SSIP on a write of 1 and never clears it", () => {
    const harts = fakeHarts(2);
    const sswi = new AclintSswi({ hartCount: 2 }, harts);
    sswi.write(SSWI_SETSSIP_BASE + 4, 4, 1);
    expect(harts[1]!.pending(MipBit.SSIP)).toBe(true);
    expect(harts[0]!.calls).toEqual([]);
    sswi.write(SSWI_SETSSIP_BASE + 4, 4, 0);
    expect(harts[1]!.calls).toEqual([[MipBit.SSIP, true]]);
    expect(sswi.read(SSWI_SETSSIP_BASE + 4, 4)).toBe(0);
  });

  it("ignores harts that do not exist and odd accesses", () => {
    const harts = fakeHarts(1);
    const sswi = new AclintSswi({ hartCount: 1 }, harts);
    sswi.write(4, 4, 1);
    sswi.write(0, 1, 1);
    sswi.write(2, 4, 1);
    expect(harts[0]!.calls).toEqual([]);
  });

  it("has a versioned state that checks its shape", () => {
    const sswi = new AclintSswi({ hartCount: 2 }, fakeHarts(2));
    const state = sswi.saveState();
    expect(state).toEqual({ type: "aclint-sswi", version: 1, hartCount: 2 });
    expect(() => new AclintSswi({ hartCount: 1 }, fakeHarts(1)).restoreState(state)).toThrow();
    expect(() => sswi.restoreState(state)).not.toThrow();
  });
});
