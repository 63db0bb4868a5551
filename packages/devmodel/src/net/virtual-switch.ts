import {
  type FrameReceiver,
  formatMac,
  type NetBackend,
  type NetCounters,
  newCounters,
} from "./net-backend.js";

export interface VirtualSwitchOptions {
  /** For messages and listings. */
  readonly name?: string;
  /** Addresses learned at most; past it, unknown destinations are flooded (default 4096). */
  readonly macTableSize?: number;
}

/** Counters of one port, seen from the switch: `in` is what the port sent, `out` what it was given. */
export interface SwitchPortStats {
  readonly in: NetCounters;
  readonly out: NetCounters;
}

/**
 * One port of a {@link VirtualSwitch}, and the {@link NetBackend} a device uses to reach it.
 * Frames sent to a detached port are dropped.
 */
export class SwitchPort implements NetBackend {
  private receiver: FrameReceiver | undefined;
  private detached = false;
  readonly in = newCounters();
  readonly out = newCounters();

  constructor(
    private readonly owner: VirtualSwitch,
    readonly id: number,
    readonly name: string,
  ) {}

  send(frame: Uint8Array): void {
    if (this.detached) {
      this.in.dropped++;
      return;
    }
    this.in.frames++;
    this.in.bytes += frame.length;
    this.owner.forward(this, frame);
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
  }

  /** Hands a frame to the device behind the port. */
  deliver(frame: Uint8Array): void {
    if (this.detached || this.receiver === undefined) {
      this.out.dropped++;
      return;
    }
    this.out.frames++;
    this.out.bytes += frame.length;
    this.receiver(frame);
  }

  stats(): SwitchPortStats {
    return { in: { ...this.in }, out: { ...this.out } };
  }

  /** Leaves the switch: its addresses are forgotten. */
  close(): void {
    if (this.detached) return;
    this.detached = true;
    this.owner.detach(this);
  }
}

/** Frames shorter than two addresses cannot be switched. */
const MIN_FRAME = 12;

const macKey = (frame: Uint8Array, at: number): number =>
  // 48 bits fit a double exactly.
  frame[at] * 2 ** 40 +
  frame[at + 1] * 2 ** 32 +
  frame[at + 2] * 2 ** 24 +
  frame[at + 3] * 2 ** 16 +
  frame[at + 4] * 2 ** 8 +
  frame[at + 5];

/**
 * A learning Ethernet switch for the VMs of one process: each {@link attach} returns a port.
 * The source address of every frame is learned for the port it came in on; frames to a
 * learned address go to that port only, broadcast, multicast and unknown destinations are
 * flooded to every other port, and a frame whose destination lives on its own port is dropped.
 * Delivery is synchronous: the receiving device copies the frame and defers its own work.
 *
 * @example
 * const lan = new VirtualSwitch({ name: "lan0" });
 * const a = new VirtioNet({ backend: lan.attach("a"), macSeed: "a" });
 * const b = new VirtioNet({ backend: lan.attach("b"), macSeed: "b" });
 */
export class VirtualSwitch {
  readonly name: string;
  private readonly tableSize: number;
  private readonly table = new Map<number, SwitchPort>();
  private readonly portList: SwitchPort[] = [];
  private nextId = 0;
  /** Frames with no usable destination (runts, destination on the sending port). */
  dropped = 0;

  constructor(options: VirtualSwitchOptions = {}) {
    this.name = options.name ?? "switch";
    this.tableSize = options.macTableSize ?? 4096;
  }

  /** A new port; `name` defaults to `port<N>`. */
  attach(name?: string): SwitchPort {
    const id = this.nextId++;
    const port = new SwitchPort(this, id, name ?? `port${id}`);
    this.portList.push(port);
    return port;
  }

  get ports(): readonly SwitchPort[] {
    return this.portList;
  }

  /** The learned addresses and the ports they live on. */
  macTable(): { mac: string; port: string }[] {
    return [...this.table].map(([key, port]) => {
      const mac = new Uint8Array(6);
      let k = key;
      for (let i = 5; i >= 0; i--) {
        mac[i] = k % 256;
        k = Math.floor(k / 256);
      }
      return { mac: formatMac(mac), port: port.name };
    });
  }

  /** Where a frame from `from` goes. */
  forward(from: SwitchPort, frame: Uint8Array): void {
    if (frame.length < MIN_FRAME) {
      this.dropped++;
      return;
    }
    // Group addresses are never sources.
    if ((frame[6] & 1) === 0) {
      const src = macKey(frame, 6);
      if (this.table.has(src) || this.table.size < this.tableSize) this.table.set(src, from);
    }
    const target = (frame[0] & 1) === 0 ? this.table.get(macKey(frame, 0)) : undefined;
    if (target === from) {
      this.dropped++;
      return;
    }
    if (target !== undefined) {
      target.deliver(frame);
      return;
    }
    for (const port of this.portList) if (port !== from) port.deliver(frame);
  }

  /** Removes a closed port and the addresses learned on it. */
  detach(port: SwitchPort): void {
    const i = this.portList.indexOf(port);
    if (i >= 0) this.portList.splice(i, 1);
    for (const [key, p] of this.table) if (p === port) this.table.delete(key);
  }
}
