import type { AccessSize } from "@monovisor/hv-core";
import type { GuestRam } from "./guest-ram.js";
import type { SplitVirtqueue } from "./virtqueue.js";

/** The saved state every virtio device produces: named and versioned plain data. */
export interface VirtioDeviceState {
  readonly type: string;
  readonly version: number;
}

/**
 * What the transport gives a device: its queues, guest RAM, the negotiated features, and the
 * ways to report back. Devices never see MMIO registers or the interrupt line.
 */
export interface VirtioDeviceHost {
  readonly ram: GuestRam;
  /** Features the driver accepted (a subset of what the device offered). */
  readonly features: bigint;
  /** The driver set DRIVER_OK, and the device is neither broken nor being reset. */
  readonly active: boolean;
  queue(index: number): SplitVirtqueue;
  /**
   * Runs device work started by the host side (console input, a balloon target) under the same
   * rules as a doorbell: errors become DEVICE_NEEDS_RESET, async work counts as in flight.
   */
  run(work: () => void | Promise<void>): void;
  /** The config space changed: bumps ConfigGeneration and raises the config interrupt. */
  configChanged(): void;
  /** Stops the device with DEVICE_NEEDS_RESET. */
  fail(reason: string): void;
}

/**
 * A virtio device behind a transport. Queue work is deferred off the vCPU: {@link queueNotify}
 * runs from the transport's scheduler after a doorbell, never inside the MMIO write, and may
 * return a promise for work still in flight.
 */
export interface VirtioDevice {
  /** Device type (VIRTIO_ID_*). */
  readonly deviceId: number;
  /** Device-specific and ring feature bits offered; the transport adds VIRTIO_F_VERSION_1. */
  readonly features: bigint;
  /** QueueNumMax of each queue; the length is the number of queues. */
  readonly queueMaxSizes: readonly number[];
  /** Called once by the transport that owns the device. */
  attach(host: VirtioDeviceHost): void;
  /** A read of the device config space; unknown offsets read 0. */
  readConfig(offset: number, size: AccessSize): number;
  writeConfig(offset: number, size: AccessSize, value: number): void;
  /** The driver notified queue `index` (or the device was just activated or restored). */
  queueNotify(index: number): void | Promise<void>;
  /** Device-side reset, after all in-flight work has settled. */
  reset(): void;
  saveState(): VirtioDeviceState;
  /** Validates `state` completely, then applies it; throws DeviceStateError without side effects. */
  restoreState(state: unknown): void;
}

/** Little-endian read of `size` bytes at `offset` of a config image; out of range reads 0. */
export function readConfigBytes(config: Uint8Array, offset: number, size: AccessSize): number {
  if (offset < 0 || offset + size > config.length) return 0;
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + config[offset + i];
  return value;
}

/** A config image with typed little-endian setters, for the device to keep current. */
export class ConfigSpace {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  read(offset: number, size: AccessSize): number {
    return readConfigBytes(this.bytes, offset, size);
  }

  u8(offset: number, value: number): void {
    this.view.setUint8(offset, value);
  }
  u16(offset: number, value: number): void {
    this.view.setUint16(offset, value, true);
  }
  u32(offset: number, value: number): void {
    this.view.setUint32(offset, value >>> 0, true);
  }
  u64(offset: number, value: bigint): void {
    this.view.setBigUint64(offset, BigInt.asUintN(64, value), true);
  }
  getU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}
