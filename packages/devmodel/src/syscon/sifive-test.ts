import type { AccessSize, MmioDevice } from "@monovisor/hv-core";
import { StateReader } from "../state/device-state.js";
import {
  FINISHER_CODE_SHIFT,
  FINISHER_FAIL,
  FINISHER_PASS,
  FINISHER_RESET,
  FINISHER_STATUS_MASK,
  SIFIVE_TEST_FINISHER,
} from "./registers.js";

/** What the guest asked of the machine through the finisher register. */
export type SifiveTestEvent =
  | { readonly kind: "poweroff" }
  | { readonly kind: "fail"; readonly code: number }
  | { readonly kind: "reset" };

export const SIFIVE_TEST_STATE_TYPE = "sifive-test";
export const SIFIVE_TEST_STATE_VERSION = 1;

/** The device has no runtime state; the record exists so every device saves the same way. */
export interface SifiveTestState {
  readonly type: typeof SIFIVE_TEST_STATE_TYPE;
  readonly version: typeof SIFIVE_TEST_STATE_VERSION;
}

export interface SifiveTestOptions {
  /** Name in errors and traces; default "test". */
  readonly name?: string;
  /** Called synchronously from the guest's write; the machine decides when to stop or reset. */
  readonly onEvent: (event: SifiveTestEvent) => void;
}

/**
 * The `sifive,test` syscon: Linux's syscon-poweroff and syscon-reboot drivers, OpenSBI and
 * bare-metal tests write it to power off, fail with an exit code, or reset. Reads return 0.
 * Unknown status values are ignored, as on QEMU.
 */
export class SifiveTest implements MmioDevice {
  readonly name: string;
  private readonly onEvent: (event: SifiveTestEvent) => void;

  constructor(options: SifiveTestOptions) {
    this.name = options.name ?? "test";
    this.onEvent = options.onEvent;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    // 2- and 4-byte writes as QEMU accepts; an 8-byte store arrives as a 4-byte one here first.
    if (offset !== SIFIVE_TEST_FINISHER || size === 1) return;
    const status = value & FINISHER_STATUS_MASK;
    const code = (value >>> FINISHER_CODE_SHIFT) & 0xffff;
    if (status === FINISHER_PASS) this.onEvent({ kind: "poweroff" });
    else if (status === FINISHER_FAIL) this.onEvent({ kind: "fail", code });
    else if (status === FINISHER_RESET) this.onEvent({ kind: "reset" });
  }

  saveState(): SifiveTestState {
    return { type: SIFIVE_TEST_STATE_TYPE, version: SIFIVE_TEST_STATE_VERSION };
  }

  restoreState(state: SifiveTestState): void {
    new StateReader(this.name, state).header(SIFIVE_TEST_STATE_TYPE, SIFIVE_TEST_STATE_VERSION);
  }
}
