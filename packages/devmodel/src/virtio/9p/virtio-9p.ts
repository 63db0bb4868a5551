import type { AccessSize } from "@monovisor/hv-core";
import { StateReader } from "../../state/device-state.js";
import { featureBit, VIRTIO_ID_9P } from "../constants.js";
import type { DescriptorChain } from "../descriptor-chain.js";
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from "../device.js";
import { VirtioDeviceError } from "../guest-ram.js";
import type { P9Backend } from "./backend.js";
import { P9ProtocolError } from "./codec.js";
import {
  P9_HEADER_SIZE,
  VIRTIO_9P_CFG_TAG,
  VIRTIO_9P_CFG_TAG_LEN,
  VIRTIO_9P_MAX_TAG_LEN,
  VIRTIO_9P_MOUNT_TAG,
} from "./constants.js";
import { P9Server } from "./server.js";

export const VIRTIO_9P_STATE_TYPE = "virtio-9p";
export const VIRTIO_9P_STATE_VERSION = 1;

/**
 * Saved state of a {@link Virtio9p}, version 1: the tag only. Fids hold open host files and are
 * not saved; after a restore the guest's mount sees EBADF until it is mounted again.
 */
export interface Virtio9pState {
  readonly type: typeof VIRTIO_9P_STATE_TYPE;
  readonly version: typeof VIRTIO_9P_STATE_VERSION;
  readonly tag: string;
}

export interface Virtio9pOptions {
  /** The host directory, e.g. `new NodeFsBackend(dir, { readOnly })`. */
  readonly backend: P9Backend;
  /** Mount tag the guest names in `mount -t 9p <tag>` (1..255 bytes). */
  readonly tag: string;
  /** Allow the guest to create symlinks (default true). */
  readonly symlinks?: boolean;
  /** Largest msize negotiated (default 512 KiB). */
  readonly maxMsize?: number;
  /** QueueNumMax of the request queue (default 128). */
  readonly queueSize?: number;
}

/** Largest request read from the guest: msize plus slack for a sloppy driver. */
const REQUEST_SLACK = 4096;

/**
 * virtio-9p (device ID 9): a 9P2000.L server sharing one host directory under a mount tag. Each
 * request chain holds one T-message (readable) and room for its R-message (writable). Requests
 * are served concurrently and complete in any order, as the protocol allows.
 */
export class Virtio9p implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_9P;
  readonly features = featureBit(VIRTIO_9P_MOUNT_TAG);
  readonly queueMaxSizes: readonly number[];
  readonly tag: string;
  readonly server: P9Server;
  private readonly config: ConfigSpace;
  private readonly maxRequest: number;
  private host!: VirtioDeviceHost;
  /** Bumped by reset and restore, so replies to requests from before are dropped. */
  private generation = 0;

  constructor(options: Virtio9pOptions) {
    const tag = new TextEncoder().encode(options.tag);
    if (tag.length === 0 || tag.length > VIRTIO_9P_MAX_TAG_LEN)
      throw new RangeError(`virtio-9p: mount tag must be 1..${VIRTIO_9P_MAX_TAG_LEN} bytes`);
    this.tag = options.tag;
    this.queueMaxSizes = [options.queueSize ?? 128];
    const maxMsize = options.maxMsize ?? 512 * 1024;
    this.maxRequest = maxMsize + REQUEST_SLACK;
    this.server = new P9Server(options.backend, { maxMsize, symlinks: options.symlinks });
    this.config = new ConfigSpace(VIRTIO_9P_CFG_TAG + tag.length);
    this.config.u16(VIRTIO_9P_CFG_TAG_LEN, tag.length);
    this.config.bytes.set(tag, VIRTIO_9P_CFG_TAG);
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(offset: number, size: AccessSize): number {
    return this.config.read(offset, size);
  }

  writeConfig(): void {}

  reset(): void {
    this.generation++;
    this.server.reset();
  }

  /** Takes every available request and serves them concurrently. */
  async queueNotify(index: number): Promise<void> {
    if (index !== 0) return;
    const queue = this.host.queue(0);
    const work: Promise<void>[] = [];
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) work.push(this.serve(chain));
    await Promise.all(work);
  }

  private async serve(chain: DescriptorChain): Promise<void> {
    const generation = this.generation;
    const ram = this.host.ram;
    const length = chain.readable.length;
    if (length < P9_HEADER_SIZE || chain.writable.length < P9_HEADER_SIZE + 4)
      throw new VirtioDeviceError("virtio-9p: request without a message or reply room");
    if (length > this.maxRequest) throw new VirtioDeviceError(`virtio-9p: ${length}-byte request`);
    // Copied out before any await: the guest owns its buffers again once it sees a reply.
    const request = new Uint8Array(length);
    chain.readable.read(ram, 0, request);
    let reply: Uint8Array;
    try {
      reply = await this.server.handle(request, chain.writable.length);
    } catch (error) {
      if (error instanceof P9ProtocolError) throw new VirtioDeviceError(`virtio-9p: ${error.message}`);
      throw error;
    }
    if (generation !== this.generation) return;
    const written = chain.writable.write(this.host.ram, 0, reply);
    this.host.queue(0).complete(chain, written);
  }

  saveState(): Virtio9pState {
    return { type: VIRTIO_9P_STATE_TYPE, version: VIRTIO_9P_STATE_VERSION, tag: this.tag };
  }

  restoreState(state: unknown): void {
    const r = new StateReader(VIRTIO_9P_STATE_TYPE, state);
    r.header(VIRTIO_9P_STATE_TYPE, VIRTIO_9P_STATE_VERSION);
    const tag = (state as { tag?: unknown }).tag;
    if (tag !== this.tag) throw r.error(`saved with mount tag ${String(tag)}, this device has ${this.tag}`);
    this.reset();
  }
}
