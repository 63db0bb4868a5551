import type { AccessSize, IrqLine, MmioDevice } from "@monovisor/hv-core";
import { StateReader } from "../state/device-state.js";
import {
  RTC_ALARM_HIGH,
  RTC_ALARM_LOW,
  RTC_ALARM_STATUS,
  RTC_CLEAR_ALARM,
  RTC_CLEAR_INTERRUPT,
  RTC_IRQ_ENABLE_BIT,
  RTC_IRQ_ENABLED,
  RTC_TIME_HIGH,
  RTC_TIME_LOW,
} from "./registers.js";

const U64_MASK = (1n << 64n) - 1n;
const U32_MASK = 0xffff_ffffn;

/** Host wall-clock time in nanoseconds since the Unix epoch. */
export type WallTimeSource = () => bigint;

/** The host's wall clock, at the resolution `performance` offers. */
export const hostWallTime: WallTimeSource = () =>
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

export const GOLDFISH_RTC_STATE_TYPE = "goldfish-rtc";
export const GOLDFISH_RTC_STATE_VERSION = 1;

/**
 * Saved state of a {@link GoldfishRtc}, version 1. 64-bit values are decimal strings so the
 * state survives JSON.
 */
export interface GoldfishRtcState {
  readonly type: typeof GOLDFISH_RTC_STATE_TYPE;
  readonly version: typeof GOLDFISH_RTC_STATE_VERSION;
  /** Guest time minus host wall time, in ns (signed). */
  readonly offsetNs: string;
  /** Alarm time in guest ns (unsigned). */
  readonly alarmNs: string;
  readonly alarmArmed: boolean;
  readonly irqEnabled: boolean;
  readonly irqPending: boolean;
  /** TIME_HIGH as latched by the last TIME_LOW read. */
  readonly timeHigh: number;
}

export interface GoldfishRtcOptions {
  /** Name in errors and traces; default "rtc". */
  readonly name?: string;
  /** The interrupt line (PLIC source 11 on `virt`). */
  readonly irq: IrqLine;
  /** Host wall time; inject a fixed or virtual source for tests and deterministic runs. */
  readonly now?: WallTimeSource;
}

/**
 * The Goldfish RTC: guest time is host wall time plus an offset the guest may set.
 *
 * Alarms need no host timer inside the device: every register access and {@link poll} fires a
 * due alarm, and {@link nanosUntilAlarm} tells the machine when to call `poll` next. That keeps
 * the device free of host timers and deterministic under an injected time source.
 */
export class GoldfishRtc implements MmioDevice {
  readonly name: string;
  private readonly irq: IrqLine;
  private readonly now: WallTimeSource;

  private offsetNs = 0n;
  private alarmNs = 0n;
  private alarmArmed = false;
  private irqEnabled = false;
  private irqPending = false;
  private timeHigh = 0;
  private irqLevel = false;

  constructor(options: GoldfishRtcOptions) {
    this.name = options.name ?? "rtc";
    this.irq = options.irq;
    this.now = options.now ?? hostWallTime;
    this.reset();
  }

  /** Power-on state: guest time follows host time again, no alarm, interrupt off. */
  reset(): void {
    this.offsetNs = 0n;
    this.alarmNs = 0n;
    this.alarmArmed = false;
    this.irqEnabled = false;
    this.irqPending = false;
    this.timeHigh = 0;
    this.driveIrq(true);
  }

  /** The guest's current time in ns since the epoch. */
  guestTimeNs(): bigint {
    return (this.now() + this.offsetNs) & U64_MASK;
  }

  /** Fires the alarm if it is due. */
  poll(): void {
    if (this.alarmArmed && this.guestTimeNs() >= this.alarmNs) {
      this.alarmArmed = false;
      this.irqPending = true;
      this.driveIrq(false);
    }
  }

  /** Nanoseconds until the armed alarm is due (0 when overdue), or undefined when none is armed. */
  nanosUntilAlarm(): bigint | undefined {
    if (!this.alarmArmed) return undefined;
    const left = this.alarmNs - this.guestTimeNs();
    return left > 0n ? left : 0n;
  }

  read(offset: number, size: AccessSize): number {
    if (size !== 4) return 0;
    this.poll();
    switch (offset) {
      case RTC_TIME_LOW: {
        const t = this.guestTimeNs();
        this.timeHigh = Number(t >> 32n);
        return Number(t & U32_MASK);
      }
      case RTC_TIME_HIGH:
        return this.timeHigh;
      case RTC_ALARM_LOW:
        return Number(this.alarmNs & U32_MASK);
      case RTC_ALARM_HIGH:
        return Number(this.alarmNs >> 32n);
      case RTC_IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case RTC_ALARM_STATUS:
        return this.alarmArmed ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4) return;
    const v = BigInt(value >>> 0);
    switch (offset) {
      case RTC_TIME_LOW:
        this.setGuestTime((this.guestTimeNs() & ~U32_MASK & U64_MASK) | v);
        break;
      case RTC_TIME_HIGH:
        this.setGuestTime((this.guestTimeNs() & U32_MASK) | (v << 32n));
        break;
      case RTC_ALARM_LOW:
        this.alarmNs = (this.alarmNs & ~U32_MASK & U64_MASK) | v;
        this.alarmArmed = true;
        break;
      case RTC_ALARM_HIGH:
        this.alarmNs = (this.alarmNs & U32_MASK) | (v << 32n);
        break;
      case RTC_IRQ_ENABLED:
        this.irqEnabled = (value & RTC_IRQ_ENABLE_BIT) !== 0;
        break;
      case RTC_CLEAR_ALARM:
        this.alarmArmed = false;
        break;
      case RTC_CLEAR_INTERRUPT:
        this.irqPending = false;
        break;
      default:
        return;
    }
    // An alarm set in the past fires at once.
    this.poll();
    this.driveIrq(false);
  }

  private setGuestTime(guestNs: bigint): void {
    this.offsetNs = BigInt.asIntN(64, guestNs - this.now());
  }

  private driveIrq(force: boolean): void {
    const level = this.irqEnabled && this.irqPending;
    if (force || level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  saveState(): GoldfishRtcState {
    return {
      type: GOLDFISH_RTC_STATE_TYPE,
      version: GOLDFISH_RTC_STATE_VERSION,
      offsetNs: this.offsetNs.toString(),
      alarmNs: this.alarmNs.toString(),
      alarmArmed: this.alarmArmed,
      irqEnabled: this.irqEnabled,
      irqPending: this.irqPending,
      timeHigh: this.timeHigh,
    };
  }

  /** Restores a saved state (validated first) and drives the IRQ line to match it. */
  restoreState(state: GoldfishRtcState): void {
    const r = new StateReader(this.name, state);
    r.header(GOLDFISH_RTC_STATE_TYPE, GOLDFISH_RTC_STATE_VERSION);
    const offsetNs = r.int64("offsetNs");
    const alarmNs = r.uint64("alarmNs");
    const alarmArmed = r.bool("alarmArmed");
    const irqEnabled = r.bool("irqEnabled");
    const irqPending = r.bool("irqPending");
    const timeHigh = r.int("timeHigh", 0, 0xffff_ffff);
    this.offsetNs = offsetNs;
    this.alarmNs = alarmNs;
    this.alarmArmed = alarmArmed;
    this.irqEnabled = irqEnabled;
    this.irqPending = irqPending;
    this.timeHigh = timeHigh;
    this.driveIrq(true);
  }
}
