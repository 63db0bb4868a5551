import type { AccessSize } from "@monovisor/hv-core";
import { macFromSeed, type NetBackend, type NetCounters, newCounters } from "../../net/net-backend.js";
import { StateReader } from "../../state/device-state.js";
import { featureBit, hasFeature, VIRTIO_F_VERSION_1, VIRTIO_ID_NET } from "../constants.js";
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from "../device.js";
import {
  ETH_HEADER_SIZE,
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_CONFIG_SIZE,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_NUM_BUFFERS,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_HDR_SIZE_LEGACY,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_S_LINK_UP,
  VIRTIO_NET_TX_QUEUE,
} from "./constants.js";

export const VIRTIO_NET_STATE_TYPE = "virtio-net";
export const VIRTIO_NET_STATE_VERSION = 1;

/** Saved state of a {@link VirtioNet}, version 1. Frames in flight are not saved: networks lose frames. */
export interface VirtioNetState {
  readonly type: typeof VIRTIO_NET_STATE_TYPE;
  readonly version: typeof VIRTIO_NET_STATE_VERSION;
  readonly linkUp: boolean;
}

export interface VirtioNetOptions {
  readonly backend: NetBackend;
  /** Six bytes; default 52:54:00:xx:xx:xx derived from `macSeed`. */
  readonly mac?: Uint8Array;
  /** Seed of the default MAC (default "virtio-net"); give each device on a segment its own. */
  readonly macSeed?: string;
  /** Initial link state (default up). */
  readonly linkUp?: boolean;
  /** Frames kept while the guest has no receive buffer posted; later ones are dropped (default 256). */
  readonly rxBacklog?: number;
  readonly queueSize?: number;
}

/** Frame counters of a {@link VirtioNet}, from the guest's point of view. */
export interface VirtioNetStats {
  /** Frames the guest sent; `dropped` counts runts, oversize frames and frames sent with the link down. */
  readonly tx: NetCounters;
  /** Frames delivered to the guest; `dropped` counts frames with no room (no buffers, too small, link down). */
  readonly rx: NetCounters;
}

/** Largest frame taken from the guest: no GSO is offered, so anything near 64 KiB is garbage. */
const MAX_FRAME = 65535;

/**
 * virtio-net (device ID 1): one receive and one transmit queue, a MAC and a link status in the
 * config space, no checksum offload, no GSO, no control queue, no mergeable receive buffers
 * (each frame goes into one buffer chain; a frame that does not fit is dropped and counted).
 *
 * Transmitted frames lose their virtio_net_hdr and go to the {@link NetBackend}; frames the
 * backend pushes are written behind a zeroed header into the receive buffers the driver posted,
 * or wait in a short backlog until it posts some. Everything runs on the I/O side; nothing
 * waits for the backend.
 */
export class VirtioNet implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = featureBit(VIRTIO_NET_F_MAC) | featureBit(VIRTIO_NET_F_STATUS);
  readonly queueMaxSizes: readonly number[];
  readonly mac: Uint8Array;
  private readonly backend: NetBackend;
  private readonly config = new ConfigSpace(VIRTIO_NET_CONFIG_SIZE);
  private readonly backlogLimit: number;
  private backlog: Uint8Array[] = [];
  private up: boolean;
  private host!: VirtioDeviceHost;
  private attached = false;
  private readonly tx = newCounters();
  private readonly rx = newCounters();

  constructor(options: VirtioNetOptions) {
    const mac = options.mac ?? macFromSeed(options.macSeed ?? "virtio-net");
    if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, not ${mac.length}`);
    if ((mac[0] & 1) !== 0) throw new RangeError("the MAC address is a multicast address");
    this.mac = Uint8Array.from(mac);
    this.backend = options.backend;
    this.backlogLimit = options.rxBacklog ?? 256;
    this.queueMaxSizes = [options.queueSize ?? 256, options.queueSize ?? 256];
    this.up = options.linkUp ?? true;
    this.config.bytes.set(this.mac, VIRTIO_NET_CFG_MAC);
    this.updateStatus();
    this.backend.setReceiver((frame) => this.receive(frame));
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
    this.attached = true;
  }

  get linkUp(): boolean {
    return this.up;
  }

  /** Plugs or unplugs the cable: updates `status` and raises a config interrupt. */
  setLink(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.updateStatus();
    if (!up) this.dropBacklog();
    if (this.attached) this.host.configChanged();
  }

  stats(): VirtioNetStats {
    return { tx: { ...this.tx }, rx: { ...this.rx } };
  }

  private updateStatus(): void {
    this.config.u16(VIRTIO_NET_CFG_STATUS, this.up ? VIRTIO_NET_S_LINK_UP : 0);
  }

  private get headerSize(): number {
    const f = this.host.features;
    return hasFeature(f, VIRTIO_F_VERSION_1) || hasFeature(f, VIRTIO_NET_F_MRG_RXBUF)
      ? VIRTIO_NET_HDR_SIZE
      : VIRTIO_NET_HDR_SIZE_LEGACY;
  }

  readConfig(offset: number, size: AccessSize): number {
    return this.config.read(offset, size);
  }

  /** The config space is read-only for the driver (the MAC is only writable on legacy, ignored). */
  writeConfig(): void {}

  reset(): void {
    this.backlog = [];
  }

  queueNotify(index: number): void {
    if (index === VIRTIO_NET_RX_QUEUE) this.deliver();
    else if (index === VIRTIO_NET_TX_QUEUE) this.transmit();
  }

  // ---------------------------------------------------------------- receive

  /** A frame from the backend: into the guest now, or into the backlog. */
  private receive(frame: Uint8Array): void {
    if (!this.attached || !this.host.active || !this.up || frame.length < ETH_HEADER_SIZE) {
      this.rx.dropped++;
      return;
    }
    if (this.backlog.length >= this.backlogLimit) {
      this.rx.dropped++;
      return;
    }
    this.backlog.push(frame.slice());
    this.host.run(() => this.deliver());
  }

  private dropBacklog(): void {
    this.rx.dropped += this.backlog.length;
    this.backlog = [];
  }

  private deliver(): void {
    if (this.backlog.length === 0 || !this.host.active) return;
    const ram = this.host.ram;
    const queue = this.host.queue(VIRTIO_NET_RX_QUEUE);
    const hdrSize = this.headerSize;
    const header = new Uint8Array(hdrSize);
    if (hdrSize === VIRTIO_NET_HDR_SIZE) header[VIRTIO_NET_HDR_NUM_BUFFERS] = 1;
    let delivered = false;
    while (this.backlog.length > 0) {
      const chain = queue.pop();
      if (chain === undefined) break;
      const frame = this.backlog.shift() as Uint8Array;
      if (chain.writable.length < hdrSize + frame.length) {
        // The buffer stays for the next frame; this one is lost, as on a real NIC.
        queue.unpop(chain);
        this.rx.dropped++;
        continue;
      }
      chain.writable.write(ram, 0, header);
      chain.writable.write(ram, hdrSize, frame);
      this.rx.frames++;
      this.rx.bytes += frame.length;
      delivered = queue.push(chain, hdrSize + frame.length) || delivered;
    }
    if (delivered) queue.signal();
  }

  // ---------------------------------------------------------------- transmit

  private transmit(): void {
    const ram = this.host.ram;
    const queue = this.host.queue(VIRTIO_NET_TX_QUEUE);
    const hdrSize = this.headerSize;
    let completed = false;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const length = chain.readable.length - hdrSize;
      if (length < ETH_HEADER_SIZE || length > MAX_FRAME || !this.up) this.tx.dropped++;
      else {
        const frame = new Uint8Array(length);
        chain.readable.read(ram, hdrSize, frame);
        this.tx.frames++;
        this.tx.bytes += length;
        this.backend.send(frame);
      }
      completed = queue.push(chain, 0) || completed;
    }
    if (completed) queue.signal();
  }

  saveState(): VirtioNetState {
    return { type: VIRTIO_NET_STATE_TYPE, version: VIRTIO_NET_STATE_VERSION, linkUp: this.up };
  }

  restoreState(state: unknown): void {
    const r = new StateReader(VIRTIO_NET_STATE_TYPE, state);
    r.header(VIRTIO_NET_STATE_TYPE, VIRTIO_NET_STATE_VERSION);
    const linkUp = r.bool("linkUp");
    this.backlog = [];
    this.up = linkUp;
    this.updateStatus();
  }
}
