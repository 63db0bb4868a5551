import { StateReader } from "../../state/device-state.js";
import { VIRTIO_ID_RNG } from "../constants.js";
import type { VirtioDevice, VirtioDeviceHost } from "../device.js";

export const VIRTIO_RNG_STATE_TYPE = "virtio-rng";
export const VIRTIO_RNG_STATE_VERSION = 1;

/** Saved state of a {@link VirtioRng}, version 1: the device keeps nothing between requests. */
export interface VirtioRngState {
  readonly type: typeof VIRTIO_RNG_STATE_TYPE;
  readonly version: typeof VIRTIO_RNG_STATE_VERSION;
}

/** Fills `into` with random bytes. */
export type EntropySource = (into: Uint8Array) => void;

/** `crypto.getRandomValues`, which takes at most 64 KiB per call. */
export const hostEntropy: EntropySource = (into) => {
  for (let at = 0; at < into.length; at += 65536) crypto.getRandomValues(into.subarray(at, at + 65536));
};

export interface VirtioRngOptions {
  /** Default: the host's cryptographic generator; inject a seeded one for deterministic runs. */
  readonly entropy?: EntropySource;
  /** Bytes handed out per request at most (default 64 KiB); Linux asks for far less. */
  readonly maxBytesPerRequest?: number;
  readonly queueSize?: number;
}

/**
 * virtio-rng (device ID 4): fills each writable buffer the driver posts with entropy. Guest RAM
 * views are filled in place, so a large buffer costs no host allocation; a request beyond
 * `maxBytesPerRequest` is filled only that far (the used length tells the driver).
 */
export class VirtioRng implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueMaxSizes: readonly number[];
  private readonly entropy: EntropySource;
  private readonly maxBytes: number;
  private host!: VirtioDeviceHost;
  private scratch: Uint8Array | undefined;

  constructor(options: VirtioRngOptions = {}) {
    this.entropy = options.entropy ?? hostEntropy;
    this.maxBytes = options.maxBytesPerRequest ?? 65536;
    this.queueMaxSizes = [options.queueSize ?? 64];
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(): number {
    return 0;
  }

  writeConfig(): void {}

  reset(): void {}

  queueNotify(index: number): void {
    if (index !== 0) return;
    const ram = this.host.ram;
    const queue = this.host.queue(0);
    let completed = false;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      let written = 0;
      for (const view of chain.writable.views(ram, 0, this.maxBytes)) {
        this.fill(view);
        written += view.length;
      }
      completed = queue.push(chain, written) || completed;
    }
    if (completed) queue.signal();
  }

  /** Entropy straight into guest RAM, through a private copy when RAM is shared between threads. */
  private fill(view: Uint8Array): void {
    if (!(view.buffer instanceof SharedArrayBuffer)) {
      this.entropy(view);
      return;
    }
    // getRandomValues refuses shared memory.
    if (this.scratch === undefined || this.scratch.length < view.length)
      this.scratch = new Uint8Array(view.length);
    const tmp = this.scratch.subarray(0, view.length);
    this.entropy(tmp);
    view.set(tmp);
  }

  saveState(): VirtioRngState {
    return { type: VIRTIO_RNG_STATE_TYPE, version: VIRTIO_RNG_STATE_VERSION };
  }

  restoreState(state: unknown): void {
    new StateReader(VIRTIO_RNG_STATE_TYPE, state).header(VIRTIO_RNG_STATE_TYPE, VIRTIO_RNG_STATE_VERSION);
  }
}
