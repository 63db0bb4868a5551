/**
 * A guest-side virtio driver for tests: it lays out split rings in guest RAM, negotiates
 * features through the MMIO registers, posts descriptor chains, rings doorbells and reads the
 * used ring back, as Linux's virtio_mmio and virtio_ring do.
 */
import type { GuestMemory, IrqLine } from "@monovisor/hv-core";
import {
  featureBit,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_GUEST_PAGE_SIZE,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_QUEUE_ALIGN,
  VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
  VIRTIO_MMIO_QUEUE_AVAIL_LOW,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_PFN,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_QUEUE_USED_HIGH,
  VIRTIO_MMIO_QUEUE_USED_LOW,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VERSION,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from "../constants.js";
import type { VirtioMmioTransport } from "../mmio-transport.js";

/** An interrupt line that counts rising edges. */
export class TestIrqLine implements IrqLine {
  level = false;
  edges = 0;
  setLevel(level: boolean): void {
    if (level && !this.level) this.edges++;
    this.level = level;
  }
}

/** One buffer of a chain: bytes the device reads, or a number of bytes it may write. */
export type TestBuffer = { readonly out: Uint8Array } | { readonly in: number };

export interface UsedEntry {
  readonly id: number;
  readonly len: number;
  /** The chain's writable buffers, concatenated, as the device left them. */
  readonly written: Uint8Array;
}

interface TestQueue {
  size: number;
  desc: number;
  avail: number;
  used: number;
  free: number[];
  availIdx: number;
  lastUsed: number;
  chains: Map<number, { descs: number[]; writable: { addr: number; len: number }[] }>;
}

const PAGE = 4096;

export class VirtioTestDriver {
  readonly queues = new Map<number, TestQueue>();
  private next: number;
  private readonly end: number;
  negotiated = 0n;

  constructor(
    /** Swappable, to carry on against a restored transport. */
    public transport: VirtioMmioTransport,
    readonly memory: GuestMemory,
    /** Where the driver may allocate rings and buffers. */
    arena: { start: number; end: number } = { start: memory.ramBase, end: memory.ramBase + memory.ramSize },
  ) {
    this.next = arena.start;
    this.end = arena.end;
  }

  get legacy(): boolean {
    return this.r32(VIRTIO_MMIO_VERSION) === 1;
  }

  r32(offset: number): number {
    return this.transport.read(offset, 4);
  }

  w32(offset: number, value: number): void {
    this.transport.write(offset, 4, value >>> 0);
  }

  config(offset: number, size: 1 | 2 | 4): number {
    return this.transport.read(VIRTIO_MMIO_CONFIG + offset, size);
  }

  /** Allocates guest RAM (zeroed). */
  alloc(length: number, align = 16): number {
    const addr = Math.ceil(this.next / align) * align;
    if (addr + length > this.end) throw new Error("test arena exhausted");
    this.next = addr + length;
    this.memory.zero(addr, length);
    return addr;
  }

  deviceFeatures(): bigint {
    this.w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    const lo = BigInt(this.r32(VIRTIO_MMIO_DEVICE_FEATURES));
    this.w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    const hi = BigInt(this.r32(VIRTIO_MMIO_DEVICE_FEATURES));
    return (hi << 32n) | lo;
  }

  /**
   * Resets and initialises the device (§3.1.1): accepts `want` ∩ offered (VERSION_1 always on
   * the modern interface), sets up `queues` with `size` entries each, and sets DRIVER_OK.
   */
  init(options: { want?: bigint; queues?: readonly number[]; size?: number } = {}): void {
    this.w32(VIRTIO_MMIO_STATUS, 0);
    this.w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    const legacy = this.legacy;
    const offered = this.deviceFeatures();
    const want = (options.want ?? offered) | (legacy ? 0n : featureBit(VIRTIO_F_VERSION_1));
    this.negotiated = offered & want;
    this.w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.w32(VIRTIO_MMIO_DRIVER_FEATURES, Number(this.negotiated & 0xffff_ffffn));
    this.w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    this.w32(VIRTIO_MMIO_DRIVER_FEATURES, Number(this.negotiated >> 32n));
    let status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
    if (!legacy) {
      status |= VIRTIO_CONFIG_S_FEATURES_OK;
      this.w32(VIRTIO_MMIO_STATUS, status);
      if ((this.r32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK) === 0)
        throw new Error("FEATURES_OK refused");
    } else {
      this.w32(VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE);
    }
    for (const q of options.queues ?? [0]) this.setupQueue(q, options.size ?? 16);
    this.w32(VIRTIO_MMIO_STATUS, status | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  setupQueue(index: number, size: number): void {
    this.w32(VIRTIO_MMIO_QUEUE_SEL, index);
    const max = this.r32(VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max === 0 || size > max) throw new Error(`queue ${index}: max ${max}, wanted ${size}`);
    this.w32(VIRTIO_MMIO_QUEUE_NUM, size);
    let desc: number;
    let avail: number;
    let used: number;
    if (this.legacy) {
      // One contiguous legacy vring, used ring page-aligned.
      const availEnd = 16 * size + 6 + 2 * size;
      const total = Math.ceil(availEnd / PAGE) * PAGE + 6 + 8 * size;
      desc = this.alloc(total, PAGE);
      avail = desc + 16 * size;
      used = desc + Math.ceil(availEnd / PAGE) * PAGE;
      this.w32(VIRTIO_MMIO_QUEUE_ALIGN, PAGE);
      this.w32(VIRTIO_MMIO_QUEUE_PFN, desc / PAGE);
    } else {
      desc = this.alloc(16 * size, 16);
      avail = this.alloc(6 + 2 * size, 2);
      used = this.alloc(6 + 8 * size, 4);
      this.w32(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
      this.w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
      this.w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
      this.w32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
      this.w32(VIRTIO_MMIO_QUEUE_USED_LOW, used);
      this.w32(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
      this.w32(VIRTIO_MMIO_QUEUE_READY, 1);
    }
    const free = Array.from({ length: size }, (_, i) => size - 1 - i);
    this.queues.set(index, { size, desc, avail, used, free, availIdx: 0, lastUsed: 0, chains: new Map() });
  }

  private queue(index: number): TestQueue {
    const q = this.queues.get(index);
    if (q === undefined) throw new Error(`queue ${index} is not set up`);
    return q;
  }

  private writeDesc(table: number, i: number, addr: number, len: number, flags: number, next: number): void {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, addr >>> 0, true);
    v.setUint32(4, Math.floor(addr / 2 ** 32), true);
    v.setUint32(8, len, true);
    v.setUint16(12, flags, true);
    v.setUint16(14, next, true);
    this.memory.writeBytes(table + 16 * i, b);
  }

  /**
   * Puts a chain on the available ring (without ringing the doorbell); returns its head.
   * `indirect` places the buffers in an indirect table behind a single ring descriptor.
   */
  post(index: number, buffers: readonly TestBuffer[], options: { indirect?: boolean } = {}): number {
    const q = this.queue(index);
    const placed = buffers.map((b) => {
      if ("out" in b) {
        const addr = this.alloc(Math.max(1, b.out.length), 8);
        this.memory.writeBytes(addr, b.out);
        return { addr, len: b.out.length, flags: 0 };
      }
      return { addr: this.alloc(Math.max(1, b.in), 8), len: b.in, flags: VIRTQ_DESC_F_WRITE };
    });
    const writable = placed.filter((p) => p.flags !== 0).map(({ addr, len }) => ({ addr, len }));
    let descs: number[];
    if (options.indirect) {
      const table = this.alloc(16 * placed.length, 16);
      placed.forEach((p, i) => {
        const last = i === placed.length - 1;
        this.writeDesc(table, i, p.addr, p.len, p.flags | (last ? 0 : VIRTQ_DESC_F_NEXT), last ? 0 : i + 1);
      });
      const d = q.free.pop();
      if (d === undefined) throw new Error("queue full");
      this.writeDesc(q.desc, d, table, 16 * placed.length, VIRTQ_DESC_F_INDIRECT, 0);
      descs = [d];
    } else {
      if (q.free.length < placed.length) throw new Error("queue full");
      descs = placed.map(() => q.free.pop() as number);
      placed.forEach((p, i) => {
        const last = i === placed.length - 1;
        this.writeDesc(
          q.desc,
          descs[i],
          p.addr,
          p.len,
          p.flags | (last ? 0 : VIRTQ_DESC_F_NEXT),
          last ? 0 : descs[i + 1],
        );
      });
    }
    const head = descs[0];
    q.chains.set(head, { descs, writable });
    this.setU16(q.avail + 4 + 2 * (q.availIdx % q.size), head);
    q.availIdx = (q.availIdx + 1) & 0xffff;
    this.setU16(q.avail + 2, q.availIdx);
    return head;
  }

  kick(index: number): void {
    this.w32(VIRTIO_MMIO_QUEUE_NOTIFY, index);
  }

  /** Posts, kicks, waits for the device and returns the completion of that chain. */
  async request(
    index: number,
    buffers: readonly TestBuffer[],
    options: { indirect?: boolean } = {},
  ): Promise<UsedEntry> {
    const head = this.post(index, buffers, options);
    this.kick(index);
    await this.transport.idle();
    const done = this.takeUsed(index);
    const mine = done.find((u) => u.id === head);
    if (mine === undefined) throw new Error(`queue ${index}: chain ${head} did not complete`);
    return mine;
  }

  /** New used-ring entries since the last call, freeing their descriptors. */
  takeUsed(index: number): UsedEntry[] {
    const q = this.queue(index);
    const out: UsedEntry[] = [];
    const usedIdx = this.u16(q.used + 2);
    while (q.lastUsed !== usedIdx) {
      const elem = q.used + 4 + 8 * (q.lastUsed % q.size);
      const id = this.u32(elem);
      const len = this.u32(elem + 4);
      const chain = q.chains.get(id);
      if (chain === undefined) throw new Error(`queue ${index}: used id ${id} was not posted`);
      q.chains.delete(id);
      q.free.push(...chain.descs);
      const total = chain.writable.reduce((n, w) => n + w.len, 0);
      const written = new Uint8Array(total);
      let at = 0;
      for (const w of chain.writable) {
        written.set(this.memory.readBytes(w.addr, w.len), at);
        at += w.len;
      }
      out.push({ id, len, written });
      q.lastUsed = (q.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** Sets used_event (EVENT_IDX): interrupt once the used index passes `value`. */
  setUsedEvent(index: number, value: number): void {
    const q = this.queue(index);
    this.setU16(q.avail + 4 + 2 * q.size, value);
  }

  /** avail_event as the device last published it. */
  availEvent(index: number): number {
    const q = this.queue(index);
    return this.u16(q.used + 4 + 8 * q.size);
  }

  setAvailFlags(index: number, flags: number): void {
    this.setU16(this.queue(index).avail, flags);
  }

  /** Reads and acknowledges InterruptStatus. */
  ackInterrupts(): number {
    const status = this.r32(VIRTIO_MMIO_INTERRUPT_STATUS);
    this.w32(VIRTIO_MMIO_INTERRUPT_ACK, status);
    return status;
  }

  status(): number {
    return this.r32(VIRTIO_MMIO_STATUS);
  }

  u16(addr: number): number {
    const b = this.memory.readBytes(addr, 2);
    return b[0] | (b[1] << 8);
  }

  u32(addr: number): number {
    const b = this.memory.readBytes(addr, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  setU16(addr: number, value: number): void {
    this.memory.writeBytes(addr, Uint8Array.of(value & 0xff, (value >> 8) & 0xff));
  }
}
