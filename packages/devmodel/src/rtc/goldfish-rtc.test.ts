import type { IrqLine } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { DeviceStateError } from "../state/device-state.js";
import { GoldfishRtc, type GoldfishRtcState, hostWallTime } from "./goldfish-rtc.js";
import {
  RTC_ALARM_HIGH,
  RTC_ALARM_LOW,
  RTC_ALARM_STATUS,
  RTC_CLEAR_ALARM,
  RTC_CLEAR_INTERRUPT,
  RTC_IRQ_ENABLED,
  RTC_TIME_HIGH,
  RTC_TIME_LOW,
} from "./registers.js";

class RecordingIrq implements IrqLine {
  level = false;
  setLevel(level: boolean): void {
    this.level = level;
  }
}

/** 2023-11-14T22:13:20Z in ns: the high half is nonzero, so latching matters. */
const T0 = 1_700_000_000_000_000_000n;

function setup(start = T0) {
  const clock = { ns: start };
  const irq = new RecordingIrq();
  const rtc = new GoldfishRtc({ irq, now: () => clock.ns });
  const readTime = () => {
    const lo = rtc.read(RTC_TIME_LOW, 4);
    const hi = rtc.read(RTC_TIME_HIGH, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  };
  /** Linux's goldfish_rtc_set_alarm: high half, then low half (which arms). */
  const setAlarm = (ns: bigint) => {
    rtc.write(RTC_ALARM_HIGH, 4, Number(ns >> 32n));
    rtc.write(RTC_ALARM_LOW, 4, Number(ns & 0xffff_ffffn));
  };
  return { clock, irq, rtc, readTime, setAlarm };
}

describe("goldfish RTC time", () => {
  it("reads host time in ns, the high half latched by the low read", () => {
    const { clock, rtc, readTime } = setup();
    expect(readTime()).toBe(T0);
    const lo = rtc.read(RTC_TIME_LOW, 4);
    // Time moves on past a 2^32 boundary; TIME_HIGH still matches the earlier TIME_LOW.
    clock.ns += 1n << 33n;
    expect((BigInt(rtc.read(RTC_TIME_HIGH, 4)) << 32n) | BigInt(lo)).toBe(T0);
    expect(readTime()).toBe(T0 + (1n << 33n));
  });

  it("lets the guest set its time, which then advances with the host", () => {
    const { clock, rtc, readTime } = setup();
    const target = 946_684_800_000_000_000n; // 2000-01-01
    rtc.write(RTC_TIME_HIGH, 4, Number(target >> 32n));
    rtc.write(RTC_TIME_LOW, 4, Number(target & 0xffff_ffffn));
    expect(readTime()).toBe(target);
    clock.ns += 5_000n;
    expect(readTime()).toBe(target + 5_000n);
    expect(rtc.guestTimeNs()).toBe(target + 5_000n);
  });

  it("defaults to the host wall clock", () => {
    const rtc = new GoldfishRtc({ irq: new RecordingIrq() });
    const lo = BigInt(rtc.read(RTC_TIME_LOW, 4));
    const ns = (BigInt(rtc.read(RTC_TIME_HIGH, 4)) << 32n) | lo;
    const wall = BigInt(Date.now()) * 1_000_000n;
    expect(ns > wall - 1_000_000_000n && ns < wall + 1_000_000_000n).toBe(true);
    expect(hostWallTime() >= ns).toBe(true);
  });
});

describe("goldfish RTC alarm", () => {
  it("fires when due, raising the line only while enabled, until cleared", () => {
    const { clock, irq, rtc, setAlarm } = setup();
    rtc.write(RTC_IRQ_ENABLED, 4, 1);
    expect(rtc.read(RTC_IRQ_ENABLED, 4)).toBe(1);
    setAlarm(T0 + 1_000n);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(1);
    expect(rtc.read(RTC_ALARM_LOW, 4)).toBe(Number((T0 + 1_000n) & 0xffff_ffffn));
    expect(rtc.read(RTC_ALARM_HIGH, 4)).toBe(Number((T0 + 1_000n) >> 32n));
    expect(rtc.nanosUntilAlarm()).toBe(1_000n);
    rtc.poll();
    expect(irq.level).toBe(false);
    clock.ns += 999n;
    rtc.poll();
    expect(irq.level).toBe(false);
    clock.ns += 1n;
    rtc.poll();
    expect(irq.level).toBe(true);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(0);
    expect(rtc.nanosUntilAlarm()).toBeUndefined();
    rtc.write(RTC_IRQ_ENABLED, 4, 0);
    expect(irq.level).toBe(false);
    rtc.write(RTC_IRQ_ENABLED, 4, 1);
    expect(irq.level).toBe(true);
    rtc.write(RTC_CLEAR_INTERRUPT, 4, 1);
    expect(irq.level).toBe(false);
  });

  it("fires at once for an alarm in the past, and a register read notices a due alarm", () => {
    const { clock, irq, rtc, setAlarm } = setup();
    rtc.write(RTC_IRQ_ENABLED, 4, 1);
    setAlarm(T0 - 1n);
    expect(irq.level).toBe(true);
    rtc.write(RTC_CLEAR_INTERRUPT, 4, 1);
    setAlarm(T0 + 10n);
    clock.ns += 10n;
    expect(irq.level).toBe(false);
    rtc.read(RTC_ALARM_STATUS, 4);
    expect(irq.level).toBe(true);
  });

  it("does not arm on the high half alone, and disarms on CLEAR_ALARM", () => {
    const { clock, irq, rtc, setAlarm } = setup();
    rtc.write(RTC_IRQ_ENABLED, 4, 1);
    rtc.write(RTC_ALARM_HIGH, 4, 0);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(0);
    setAlarm(T0 + 100n);
    rtc.write(RTC_CLEAR_ALARM, 4, 1);
    expect(rtc.read(RTC_ALARM_STATUS, 4)).toBe(0);
    clock.ns += 1_000n;
    rtc.poll();
    expect(irq.level).toBe(false);
  });

  it("ignores accesses that are not 4 bytes wide or hit no register", () => {
    const { rtc } = setup();
    expect(rtc.read(RTC_TIME_LOW, 1)).toBe(0);
    rtc.write(RTC_IRQ_ENABLED, 2, 1);
    expect(rtc.read(RTC_IRQ_ENABLED, 4)).toBe(0);
    rtc.write(0x20, 4, 1);
    rtc.write(0x11, 4, 1);
    expect(rtc.read(0x20, 4)).toBe(0);
    expect(rtc.read(0xffc, 4)).toBe(0);
  });
});

describe("goldfish RTC saved state", () => {
  it("round-trips through JSON, keeping the guest's offset from host time", () => {
    const a = setup();
    a.rtc.write(RTC_TIME_HIGH, 4, 0);
    a.rtc.write(RTC_TIME_LOW, 4, 1234);
    a.rtc.write(RTC_IRQ_ENABLED, 4, 1);
    a.setAlarm(2000n);
    a.rtc.read(RTC_TIME_LOW, 4);
    const json = JSON.stringify(a.rtc.saveState());

    const b = setup(T0 + 500n);
    b.rtc.restoreState(JSON.parse(json) as GoldfishRtcState);
    expect(b.rtc.saveState()).toEqual(a.rtc.saveState());
    expect(b.readTime()).toBe(1734n);
    expect(b.rtc.read(RTC_ALARM_STATUS, 4)).toBe(1);
    b.clock.ns += 266n;
    b.rtc.poll();
    expect(b.irq.level).toBe(true);
  });

  it("drives the restored interrupt level", () => {
    const a = setup();
    a.rtc.write(RTC_IRQ_ENABLED, 4, 1);
    a.setAlarm(0n);
    expect(a.irq.level).toBe(true);
    const b = setup();
    b.rtc.restoreState(a.rtc.saveState());
    expect(b.irq.level).toBe(true);
  });

  it("rejects malformed states", () => {
    const { rtc } = setup();
    const good = rtc.saveState();
    for (const bad of [
      { ...good, version: 0 },
      { ...good, type: "ns16550a" },
      { ...good, offsetNs: 5 },
      { ...good, offsetNs: "1e9" },
      { ...good, alarmNs: "-1" },
      { ...good, alarmNs: (1n << 64n).toString() },
      { ...good, timeHigh: 2 ** 32 },
    ]) {
      expect(() => rtc.restoreState(bad as unknown as GoldfishRtcState)).toThrow(DeviceStateError);
    }
  });
});
