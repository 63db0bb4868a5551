import type { AccessSize } from "@monovisor/hv-core";
import type { CharBackend } from "../../backends/char-backend.js";
import { StateReader } from "../../state/device-state.js";
import { featureBit, hasFeature, VIRTIO_ID_CONSOLE } from "../constants.js";
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from "../device.js";
import {
  VIRTIO_CONSOLE_CFG_COLS,
  VIRTIO_CONSOLE_CFG_EMERG_WR,
  VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
  VIRTIO_CONSOLE_CFG_ROWS,
  VIRTIO_CONSOLE_CONFIG_SIZE,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_CONTROL_RX,
  VIRTIO_CONSOLE_CONTROL_SIZE,
  VIRTIO_CONSOLE_CONTROL_TX,
  VIRTIO_CONSOLE_DEVICE_ADD,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_F_EMERG_WRITE,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_F_SIZE,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_RESIZE,
} from "./constants.js";

export const VIRTIO_CONSOLE_STATE_TYPE = "virtio-console";
export const VIRTIO_CONSOLE_STATE_VERSION = 1;

export interface VirtioConsolePortState {
  /** Host input not yet delivered to the guest, oldest first. */
  readonly input: readonly number[];
  /** The driver reported the port set up (PORT_READY). */
  readonly guestReady: boolean;
  /** The guest side has the port open (PORT_OPEN). */
  readonly guestOpen: boolean;
}

/** Saved state of a {@link VirtioConsole}, version 1. */
export interface VirtioConsoleState {
  readonly type: typeof VIRTIO_CONSOLE_STATE_TYPE;
  readonly version: typeof VIRTIO_CONSOLE_STATE_VERSION;
  readonly cols: number;
  readonly rows: number;
  readonly ports: readonly VirtioConsolePortState[];
  /** Control messages waiting for a control receive buffer. */
  readonly control: readonly (readonly number[])[];
}

export interface VirtioConsolePortOptions {
  /** Where the guest's output on this port goes. */
  readonly backend: CharBackend;
  /** Announced with PORT_NAME (appears as /dev/virtio-ports/<name> in Linux). */
  readonly name?: string;
  /** Announce as a console (hvc). Default: true for port 0 only. */
  readonly console?: boolean;
}

export interface VirtioConsoleOptions {
  /** The ports; port 0 is the console. More than one offers MULTIPORT. */
  readonly ports: readonly VirtioConsolePortOptions[];
  /** Offer MULTIPORT even with a single port (default: only with several). */
  readonly multiport?: boolean;
  /** Initial terminal size; offering it sets VIRTIO_CONSOLE_F_SIZE. */
  readonly size?: { readonly cols: number; readonly rows: number };
  /** Host input bytes buffered per port while the guest has no buffers posted (default 64 KiB). */
  readonly inputCapacity?: number;
  readonly queueSize?: number;
}

interface Port {
  readonly options: VirtioConsolePortOptions;
  input: number[];
  guestReady: boolean;
  guestOpen: boolean;
}

/** Output is copied out of guest RAM in pieces of this size, so backends never see shared memory. */
const OUTPUT_CHUNK = 4096;
const MAX_PORTS = 31;
/** Control messages kept for a driver that posts no control buffers; later ones are dropped. */
const MAX_CONTROL_BACKLOG = 256;

/**
 * virtio-console (device ID 3). Port 0's output goes to its {@link CharBackend}; host input is
 * pushed in with {@link pushInput} and lands in the receive buffers the driver posts. With
 * MULTIPORT the device announces each port on the control queue (DEVICE_ADD, CONSOLE_PORT,
 * PORT_NAME, PORT_OPEN), as QEMU's virtio-serial does; input waits until the guest opened the port.
 */
export class VirtioConsole implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  private readonly ports: Port[];
  private readonly config = new ConfigSpace(VIRTIO_CONSOLE_CONFIG_SIZE);
  private readonly inputCapacity: number;
  private readonly scratch = new Uint8Array(OUTPUT_CHUNK);
  private control: Uint8Array[] = [];
  private cols: number;
  private rows: number;
  private host!: VirtioDeviceHost;
  private attached = false;

  constructor(options: VirtioConsoleOptions) {
    if (options.ports.length < 1 || options.ports.length > MAX_PORTS) {
      throw new RangeError(`virtio-console takes 1..${MAX_PORTS} ports, not ${options.ports.length}`);
    }
    this.ports = options.ports.map((o) => ({ options: o, input: [], guestReady: false, guestOpen: false }));
    this.inputCapacity = options.inputCapacity ?? 65536;
    const multiport = options.multiport ?? options.ports.length > 1;
    let features = featureBit(VIRTIO_CONSOLE_F_EMERG_WRITE);
    if (multiport) features |= featureBit(VIRTIO_CONSOLE_F_MULTIPORT);
    if (options.size !== undefined) features |= featureBit(VIRTIO_CONSOLE_F_SIZE);
    this.features = features;
    const queueSize = options.queueSize ?? 64;
    const queues = multiport ? 2 + 2 * this.ports.length : 2;
    this.queueMaxSizes = Array.from({ length: queues }, () => queueSize);
    this.cols = options.size?.cols ?? 0;
    this.rows = options.size?.rows ?? 0;
    this.config.u32(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, this.ports.length);
    this.updateSizeConfig();
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
    this.attached = true;
  }

  private get multiport(): boolean {
    return hasFeature(this.host.features, VIRTIO_CONSOLE_F_MULTIPORT);
  }

  /**
   * Queues host input for `port`; returns how many bytes fit in its buffer. Input reaches the
   * guest as soon as it has receive buffers posted (and, with MULTIPORT, the port open).
   */
  pushInput(bytes: Uint8Array, port = 0): number {
    const p = this.ports[port];
    if (p === undefined) return 0;
    const accepted = Math.max(0, Math.min(bytes.length, this.inputCapacity - p.input.length));
    for (let i = 0; i < accepted; i++) p.input.push(bytes[i]);
    if (this.attached && this.host.active) this.host.run(() => this.deliverInput(port));
    return accepted;
  }

  /** Host input bytes waiting for the guest on `port`. */
  pendingInput(port = 0): number {
    return this.ports[port]?.input.length ?? 0;
  }

  /** The guest's end of `port` is open (always true for port 0 without MULTIPORT). */
  isGuestOpen(port: number): boolean {
    return this.acceptsInput(port);
  }

  /** New terminal size: updates the config and, with MULTIPORT, tells the console port. */
  resize(cols: number, rows: number): void {
    this.cols = cols & 0xffff;
    this.rows = rows & 0xffff;
    this.updateSizeConfig();
    if (!this.attached) return;
    this.host.configChanged();
    if (this.host.active && this.multiport) {
      const consolePort = this.ports.findIndex((p, i) => this.isConsole(p, i));
      if (consolePort >= 0) {
        const extra = new Uint8Array(4);
        new DataView(extra.buffer).setUint16(0, this.rows, true);
        new DataView(extra.buffer).setUint16(2, this.cols, true);
        this.sendControl(consolePort, VIRTIO_CONSOLE_RESIZE, 0, extra);
      }
    }
  }

  private updateSizeConfig(): void {
    this.config.u16(VIRTIO_CONSOLE_CFG_COLS, this.cols);
    this.config.u16(VIRTIO_CONSOLE_CFG_ROWS, this.rows);
  }

  private isConsole(p: Port, index: number): boolean {
    return p.options.console ?? index === 0;
  }

  readConfig(offset: number, size: AccessSize): number {
    return this.config.read(offset, size);
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    // Emergency write: one character to port 0, usable before any queue is set up.
    if (offset === VIRTIO_CONSOLE_CFG_EMERG_WR && size === 4) {
      this.scratch[0] = value & 0xff;
      this.ports[0].options.backend.write(this.scratch.subarray(0, 1));
    }
  }

  reset(): void {
    this.control = [];
    for (const p of this.ports) {
      p.guestReady = false;
      p.guestOpen = false;
    }
  }

  queueNotify(index: number): void {
    if (index === VIRTIO_CONSOLE_CONTROL_RX) this.flushControl();
    else if (index === VIRTIO_CONSOLE_CONTROL_TX) this.readControl();
    else {
      const port = index < 2 ? 0 : (index >> 1) - 1;
      if ((index & 1) === 0) this.deliverInput(port);
      else this.drainOutput(port, index);
    }
  }

  private acceptsInput(port: number): boolean {
    if (!this.multiport) return port === 0;
    const p = this.ports[port];
    return p.guestReady && p.guestOpen;
  }

  private rxQueue(port: number): number {
    return port === 0 ? 0 : 2 + 2 * port;
  }

  private deliverInput(port: number): void {
    const p = this.ports[port];
    if (p === undefined || p.input.length === 0 || !this.acceptsInput(port)) return;
    const queue = this.host.queue(this.rxQueue(port));
    let delivered = false;
    while (p.input.length > 0) {
      const chain = queue.pop();
      if (chain === undefined) break;
      const n = Math.min(p.input.length, chain.writable.length);
      const written = chain.writable.write(this.host.ram, 0, Uint8Array.from(p.input.slice(0, n)));
      p.input.splice(0, written);
      delivered = queue.push(chain, written) || delivered;
    }
    if (delivered) queue.signal();
  }

  private drainOutput(port: number, queueIndex: number): void {
    const p = this.ports[port];
    if (p === undefined) return;
    const queue = this.host.queue(queueIndex);
    let completed = false;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const data = chain.readable;
      for (let at = 0; at < data.length; at += OUTPUT_CHUNK) {
        const n = data.read(
          this.host.ram,
          at,
          this.scratch.subarray(0, Math.min(OUTPUT_CHUNK, data.length - at)),
        );
        p.options.backend.write(this.scratch.subarray(0, n));
      }
      completed = queue.push(chain, 0) || completed;
    }
    if (completed) queue.signal();
  }

  // ---------------------------------------------------------------- MULTIPORT control queues

  private sendControl(id: number, event: number, value: number, extra?: Uint8Array): void {
    const msg = new Uint8Array(VIRTIO_CONSOLE_CONTROL_SIZE + (extra?.length ?? 0));
    const v = new DataView(msg.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    if (extra !== undefined) msg.set(extra, VIRTIO_CONSOLE_CONTROL_SIZE);
    if (this.control.length < MAX_CONTROL_BACKLOG) this.control.push(msg);
    this.flushControl();
  }

  private flushControl(): void {
    if (!this.multiport || this.control.length === 0) return;
    const queue = this.host.queue(VIRTIO_CONSOLE_CONTROL_RX);
    let delivered = false;
    while (this.control.length > 0) {
      const chain = queue.pop();
      if (chain === undefined) break;
      const msg = this.control.shift() as Uint8Array;
      delivered = queue.push(chain, chain.writable.write(this.host.ram, 0, msg)) || delivered;
    }
    if (delivered) queue.signal();
  }

  private readControl(): void {
    if (!this.multiport) return;
    const queue = this.host.queue(VIRTIO_CONSOLE_CONTROL_TX);
    const msg = new Uint8Array(VIRTIO_CONSOLE_CONTROL_SIZE);
    const view = new DataView(msg.buffer);
    let completed = false;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const n = chain.readable.read(this.host.ram, 0, msg);
      completed = queue.push(chain, 0) || completed;
      // Short or unknown messages are ignored, as QEMU does.
      if (n === VIRTIO_CONSOLE_CONTROL_SIZE)
        this.handleControl(view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true));
    }
    if (completed) queue.signal();
  }

  private handleControl(id: number, event: number, value: number): void {
    switch (event) {
      case VIRTIO_CONSOLE_DEVICE_READY:
        if (value !== 1) break;
        for (let i = 0; i < this.ports.length; i++) this.sendControl(i, VIRTIO_CONSOLE_DEVICE_ADD, 0);
        break;
      case VIRTIO_CONSOLE_PORT_READY: {
        const p = this.ports[id];
        if (p === undefined || value !== 1) break;
        p.guestReady = true;
        if (this.isConsole(p, id)) this.sendControl(id, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
        if (p.options.name !== undefined) {
          this.sendControl(id, VIRTIO_CONSOLE_PORT_NAME, 1, new TextEncoder().encode(p.options.name));
        }
        // The host end is always connected.
        this.sendControl(id, VIRTIO_CONSOLE_PORT_OPEN, 1);
        break;
      }
      case VIRTIO_CONSOLE_PORT_OPEN: {
        const p = this.ports[id];
        if (p === undefined) break;
        p.guestOpen = value === 1;
        this.deliverInput(id);
        break;
      }
      default:
        break;
    }
  }

  saveState(): VirtioConsoleState {
    return {
      type: VIRTIO_CONSOLE_STATE_TYPE,
      version: VIRTIO_CONSOLE_STATE_VERSION,
      cols: this.cols,
      rows: this.rows,
      ports: this.ports.map((p) => ({
        input: [...p.input],
        guestReady: p.guestReady,
        guestOpen: p.guestOpen,
      })),
      control: this.control.map((m) => [...m]),
    };
  }

  restoreState(state: unknown): void {
    const r = new StateReader(VIRTIO_CONSOLE_STATE_TYPE, state);
    r.header(VIRTIO_CONSOLE_STATE_TYPE, VIRTIO_CONSOLE_STATE_VERSION);
    const cols = r.int("cols", 0, 0xffff);
    const rows = r.int("rows", 0, 0xffff);
    const s = state as Record<string, unknown>;
    if (!Array.isArray(s.ports) || s.ports.length !== this.ports.length) {
      throw r.error(`ports must list ${this.ports.length} ports`);
    }
    const ports = s.ports.map((p: unknown) => {
      const pr = new StateReader(VIRTIO_CONSOLE_STATE_TYPE, p);
      return {
        input: pr.bytes("input", this.inputCapacity),
        guestReady: pr.bool("guestReady"),
        guestOpen: pr.bool("guestOpen"),
      };
    });
    if (!Array.isArray(s.control) || s.control.length > MAX_CONTROL_BACKLOG)
      throw r.error("control must be a short list");
    const control = s.control.map((m: unknown) =>
      Uint8Array.from(new StateReader(VIRTIO_CONSOLE_STATE_TYPE, { m }).bytes("m", 4096)),
    );
    this.cols = cols;
    this.rows = rows;
    this.updateSizeConfig();
    ports.forEach((p, i) => {
      Object.assign(this.ports[i], p);
    });
    this.control = control;
  }
}
