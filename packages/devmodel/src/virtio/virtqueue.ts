import { HOST_VCPU, type StandardTracepointSpecOf, type Tracer, type TypedTracepoint } from "@monovisor/perf";
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  VIRTQ_MAX_SIZE,
} from "./constants.js";
import { DescriptorChain, type GuestBuffer } from "./descriptor-chain.js";
import { type GuestRam, joinAddress, VirtioDeviceError } from "./guest-ram.js";

/** What a queue needs to emit `virtio.request`; set by the transport's `attachTracer`. */
export interface VirtqueueTrace {
  readonly tracer: Tracer;
  readonly tp: TypedTracepoint<StandardTracepointSpecOf<"virtio.request">>;
  /** Interned device name. */
  readonly device: number;
}

/** Register-level and progress state of one queue; plain data, part of the transport's saved state. */
export interface VirtqueueState {
  /** QueueNum as the driver set it. */
  readonly size: number;
  readonly ready: boolean;
  readonly descLow: number;
  readonly descHigh: number;
  readonly availLow: number;
  readonly availHigh: number;
  readonly usedLow: number;
  readonly usedHigh: number;
  /** Next available ring slot the device will read (free-running 16-bit). */
  readonly lastAvailIdx: number;
  /** The used ring index the device last published. */
  readonly usedIdx: number;
  /** used idx at the last interrupt decision, for EVENT_IDX; -1 when none was made yet. */
  readonly signalledUsed: number;
}

const u16 = (n: number): number => n & 0xffff;

/**
 * One split virtqueue (virtio 1.2 §2.7) living in guest RAM: the descriptor table, the available
 * ring (driver area) and the used ring (device area) are read and written in place through
 * {@link GuestRam}, so every access is checked against RAM.
 *
 * Ring layout (`size` = N): descriptors 16·N bytes; avail = flags, idx, ring[N], used_event;
 * used = flags, idx, ring[N] of {id u32, len u32}, avail_event.
 *
 * A malformed ring or chain throws {@link VirtioDeviceError}: the transport turns it into
 * DEVICE_NEEDS_RESET, as QEMU's `virtio_error` does.
 */
export class SplitVirtqueue {
  size = 0;
  ready = false;
  descLow = 0;
  descHigh = 0;
  availLow = 0;
  availHigh = 0;
  usedLow = 0;
  usedHigh = 0;
  lastAvailIdx = 0;
  usedIdx = 0;
  private signalledUsed = 0;
  private signalledValid = false;

  /** Set by the transport: the driver is up, the queue ready and the device healthy. */
  enabled = false;
  /** Negotiated ring features. */
  eventIdx = false;
  indirect = false;
  /** Bumped by resets and restores; chains from an older epoch are never completed. */
  epoch = 0;
  /** Chains popped and not yet completed in this epoch. */
  inFlight = 0;
  /** Set while a tracer is attached: pops are stamped and completions emit `virtio.request`. */
  trace: VirtqueueTrace | undefined;

  constructor(
    private readonly ram: GuestRam,
    readonly index: number,
    /** QueueNumMax. */
    readonly maxSize: number,
    /** Called after used entries are published and the driver wants an interrupt. */
    private readonly interrupt: () => void,
  ) {}

  get descAddr(): number {
    return joinAddress(this.descLow, this.descHigh);
  }

  get availAddr(): number {
    return joinAddress(this.availLow, this.availHigh);
  }

  get usedAddr(): number {
    return joinAddress(this.usedLow, this.usedHigh);
  }

  setAddresses(desc: number, avail: number, used: number): void {
    this.descLow = desc >>> 0;
    this.descHigh = Math.floor(desc / 4294967296) >>> 0;
    this.availLow = avail >>> 0;
    this.availHigh = Math.floor(avail / 4294967296) >>> 0;
    this.usedLow = used >>> 0;
    this.usedHigh = Math.floor(used / 4294967296) >>> 0;
  }

  /** Back to the power-on state (registers cleared, nothing in flight). */
  reset(): void {
    this.size = 0;
    this.ready = false;
    this.setAddresses(0, 0, 0);
    this.lastAvailIdx = 0;
    this.usedIdx = 0;
    this.signalledUsed = 0;
    this.signalledValid = false;
    this.enabled = false;
    this.eventIdx = false;
    this.indirect = false;
    this.epoch++;
    this.inFlight = 0;
  }

  /** Why the queue cannot be used as configured, or undefined when it can. */
  checkLayout(): string | undefined {
    const n = this.size;
    if (n === 0 || n > this.maxSize || n > VIRTQ_MAX_SIZE || (n & (n - 1)) !== 0) {
      return `queue ${this.index}: size ${n} is not a power of two in [1, ${this.maxSize}]`;
    }
    const areas: [string, number, number, number][] = [
      ["descriptor table", this.descAddr, VIRTQ_DESC_SIZE * n, 16],
      ["available ring", this.availAddr, 6 + 2 * n, 2],
      ["used ring", this.usedAddr, 6 + 8 * n, 4],
    ];
    for (const [what, addr, length, align] of areas) {
      if (!this.ram.contains(addr, length)) {
        return `queue ${this.index}: ${what} at 0x${addr.toString(16)} (+${length}) is outside guest RAM`;
      }
      if (addr % align !== 0)
        return `queue ${this.index}: ${what} at 0x${addr.toString(16)} is not ${align}-aligned`;
    }
    return undefined;
  }

  /**
   * Takes the next available chain, or undefined when the ring is empty (or the queue is
   * stopped). With EVENT_IDX it publishes avail_event before reporting empty, then looks again,
   * so a buffer added in between is never missed.
   */
  pop(): DescriptorChain | undefined {
    if (!this.enabled) return undefined;
    const avail = this.availAddr;
    let availIdx = this.ram.loadU16(avail + 2, "avail.idx");
    if (availIdx === this.lastAvailIdx) {
      if (!this.eventIdx) return undefined;
      this.ram.storeU16(this.usedAddr + 4 + 8 * this.size, this.lastAvailIdx, "avail_event");
      availIdx = this.ram.loadU16(avail + 2, "avail.idx");
      if (availIdx === this.lastAvailIdx) return undefined;
    }
    const pending = u16(availIdx - this.lastAvailIdx);
    if (pending > this.size) {
      throw new VirtioDeviceError(
        `queue ${this.index}: avail.idx moved ${pending} entries ahead of a ${this.size}-entry ring`,
      );
    }
    const slot = this.lastAvailIdx & (this.size - 1);
    const head = this.ram.readU16(avail + 4 + 2 * slot, "avail.ring");
    this.lastAvailIdx = u16(this.lastAvailIdx + 1);
    const chain = this.readChain(head);
    this.inFlight++;
    const trace = this.trace;
    if (trace?.tp.enabled) chain.poppedAt = trace.tracer.now();
    return chain;
  }

  /**
   * Walks the chain at `head`. Loops are caught by bounding the walk by the table size (a chain
   * can visit each descriptor once); an indirect table is bounded by its own length and may not
   * nest. Every buffer must lie inside RAM, and readable buffers must precede writable ones.
   */
  private readChain(head: number): DescriptorChain {
    const ram = this.ram;
    const readable: GuestBuffer[] = [];
    const writable: GuestBuffer[] = [];
    let table = this.descAddr;
    let tableSize = this.size;
    let budget = tableSize;
    let inIndirect = false;
    let index = head;
    if (index >= tableSize)
      throw new VirtioDeviceError(`queue ${this.index}: head ${index} is past the table`);
    for (;;) {
      if (budget-- === 0)
        throw new VirtioDeviceError(`queue ${this.index}: descriptor chain at ${head} loops`);
      const d = table + VIRTQ_DESC_SIZE * index;
      const addr = ram.readU64(d, "descriptor");
      const len = ram.readU32(d + 8, "descriptor");
      const flags = ram.readU16(d + 12, "descriptor");
      const next = ram.readU16(d + 14, "descriptor");
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (!this.indirect)
          throw new VirtioDeviceError(`queue ${this.index}: indirect descriptor not negotiated`);
        if (inIndirect) throw new VirtioDeviceError(`queue ${this.index}: nested indirect table`);
        if ((flags & VIRTQ_DESC_F_NEXT) !== 0)
          throw new VirtioDeviceError(`queue ${this.index}: indirect descriptor with NEXT`);
        if (len === 0 || len % VIRTQ_DESC_SIZE !== 0) {
          throw new VirtioDeviceError(
            `queue ${this.index}: indirect table length ${len} is not a multiple of 16`,
          );
        }
        ram.offset(addr, len, "indirect table");
        table = addr;
        tableSize = len / VIRTQ_DESC_SIZE;
        budget = tableSize;
        inIndirect = true;
        index = 0;
        continue;
      }
      if (len > 0) {
        ram.offset(addr, len, "buffer");
        if ((flags & VIRTQ_DESC_F_WRITE) !== 0) writable.push({ addr, len });
        else if (writable.length > 0) {
          throw new VirtioDeviceError(`queue ${this.index}: readable descriptor after a writable one`);
        } else readable.push({ addr, len });
      }
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
      if (next >= tableSize)
        throw new VirtioDeviceError(`queue ${this.index}: next ${next} is past the table`);
      index = next;
    }
    return new DescriptorChain(head, readable, writable, this.epoch);
  }

  /**
   * Gives back the chain the last {@link pop} returned, untouched, so the next pop sees it again
   * (a device that found it too small for what it holds now).
   */
  unpop(chain: DescriptorChain): void {
    if (chain.epoch !== this.epoch || !this.enabled) return;
    this.lastAvailIdx = u16(this.lastAvailIdx - 1);
    this.inFlight--;
  }

  /**
   * Returns a chain to the driver with `written` bytes written into its writable buffers, then
   * interrupts if the driver asked for it. A chain from before a reset, or a stopped queue,
   * is dropped: its rings may already belong to something else.
   */
  complete(chain: DescriptorChain, written: number): void {
    if (this.push(chain, written)) this.signal();
  }

  /** Publishes a used entry without interrupting (batch several, then {@link signal}). */
  push(chain: DescriptorChain, written: number): boolean {
    if (chain.epoch !== this.epoch || !this.enabled) return false;
    this.inFlight--;
    const used = this.usedAddr;
    const slot = this.usedIdx & (this.size - 1);
    const elem = used + 4 + 8 * slot;
    const len = Math.min(written, chain.writable.length) >>> 0;
    this.ram.writeU32(elem, chain.head, "used.ring");
    this.ram.writeU32(elem + 4, len, "used.ring");
    this.usedIdx = u16(this.usedIdx + 1);
    // The atomic store orders the entry before the index the driver polls.
    this.ram.storeU16(used + 2, this.usedIdx, "used.idx");
    const trace = this.trace;
    if (trace?.tp.enabled && chain.poppedAt >= 0) this.emitRequest(trace, chain, len);
    return true;
  }

  /**
   * `virtio.request` from pop to now. Bytes count both directions (device-readable buffers plus
   * what the device wrote); op and status are device-specific and left 0 at this layer.
   */
  private emitRequest(trace: VirtqueueTrace, chain: DescriptorChain, written: number): void {
    const end = trace.tracer.now();
    const bytes = chain.readable.length + written;
    trace.tp.emitAt(end, HOST_VCPU, end - chain.poppedAt, trace.device, this.index, chain.head, 0, bytes, 0);
  }

  /** Interrupts the driver if its suppression settings allow (§2.7.10). */
  signal(): void {
    if (this.enabled && this.wantsInterrupt()) this.interrupt();
  }

  private wantsInterrupt(): boolean {
    const avail = this.availAddr;
    if (!this.eventIdx) return (this.ram.loadU16(avail, "avail.flags") & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    const usedEvent = this.ram.loadU16(avail + 4 + 2 * this.size, "used_event");
    const valid = this.signalledValid;
    const old = this.signalledUsed;
    this.signalledValid = true;
    this.signalledUsed = this.usedIdx;
    return !valid || needEvent(usedEvent, this.usedIdx, old);
  }

  saveState(): VirtqueueState {
    return {
      size: this.size,
      ready: this.ready,
      descLow: this.descLow,
      descHigh: this.descHigh,
      availLow: this.availLow,
      availHigh: this.availHigh,
      usedLow: this.usedLow,
      usedHigh: this.usedHigh,
      // Chains the device still holds are made available again, and taken anew after restore.
      lastAvailIdx: u16(this.lastAvailIdx - this.inFlight),
      usedIdx: this.usedIdx,
      signalledUsed: this.signalledValid ? this.signalledUsed : -1,
    };
  }

  /** Applies an already validated state. */
  applyState(s: VirtqueueState): void {
    this.size = s.size;
    this.ready = s.ready;
    this.descLow = s.descLow;
    this.descHigh = s.descHigh;
    this.availLow = s.availLow;
    this.availHigh = s.availHigh;
    this.usedLow = s.usedLow;
    this.usedHigh = s.usedHigh;
    this.lastAvailIdx = s.lastAvailIdx;
    this.usedIdx = s.usedIdx;
    this.signalledValid = s.signalledUsed >= 0;
    this.signalledUsed = Math.max(0, s.signalledUsed);
    this.enabled = false;
    this.epoch++;
    this.inFlight = 0;
  }
}

/** `vring_need_event`: has `newIdx` moved past `event` since `oldIdx`? */
export function needEvent(event: number, newIdx: number, oldIdx: number): boolean {
  return u16(newIdx - event - 1) < u16(newIdx - oldIdx);
}
