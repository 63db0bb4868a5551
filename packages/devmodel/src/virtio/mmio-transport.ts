import type { AccessSize, GuestMemory, IrqLine, MmioDevice } from "@monovisor/hv-core";
import type { Tracer } from "@monovisor/perf";
import { StateReader } from "../state/device-state.js";
import {
  featureBit,
  hasFeature,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_RING_EVENT_IDX,
  VIRTIO_F_RING_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_GUEST_PAGE_SIZE,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_MONOVISOR_VENDOR,
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
  VIRTIO_MMIO_SHM_BASE_HIGH,
  VIRTIO_MMIO_SHM_BASE_LOW,
  VIRTIO_MMIO_SHM_LEN_HIGH,
  VIRTIO_MMIO_SHM_LEN_LOW,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_WINDOW_SIZE,
  VIRTQ_DESC_SIZE,
} from "./constants.js";
import type { VirtioDevice, VirtioDeviceHost, VirtioDeviceState } from "./device.js";
import { GuestRam } from "./guest-ram.js";
import { SplitVirtqueue, type VirtqueueState } from "./virtqueue.js";

export const VIRTIO_MMIO_STATE_TYPE = "virtio-mmio";
export const VIRTIO_MMIO_STATE_VERSION = 1;

/** Ring features every device gets from the transport. */
const TRANSPORT_FEATURES = featureBit(VIRTIO_F_RING_INDIRECT_DESC) | featureBit(VIRTIO_F_RING_EVENT_IDX);
const U64_MASK = (1n << 64n) - 1n;
const LEGACY_DEFAULT_ALIGN = 4096;

/** Saved state of a {@link VirtioMmioTransport} and the device behind it, version 1. */
export interface VirtioMmioState {
  readonly type: typeof VIRTIO_MMIO_STATE_TYPE;
  readonly version: typeof VIRTIO_MMIO_STATE_VERSION;
  /** Must match the configuration restored into. */
  readonly legacy: boolean;
  readonly deviceId: number;
  readonly status: number;
  readonly deviceFeaturesSel: number;
  readonly driverFeaturesSel: number;
  /** Driver-accepted features, a decimal string (64 bits). */
  readonly driverFeatures: string;
  readonly queueSel: number;
  readonly interruptStatus: number;
  readonly configGeneration: number;
  readonly guestPageSize: number;
  /** Legacy QueueAlign and QueuePFN of each queue. */
  readonly legacyAlign: readonly number[];
  readonly legacyPfn: readonly number[];
  readonly queues: readonly VirtqueueState[];
  readonly device: VirtioDeviceState;
}

export interface VirtioMmioTransportOptions {
  /** Name in errors and traces, e.g. "virtio-mmio0". */
  readonly name?: string;
  readonly memory: GuestMemory;
  /** The slot's interrupt line (PLIC source 1..8 on `virt`). */
  readonly irq: IrqLine;
  readonly device: VirtioDevice;
  /** Present the legacy interface (Version 1: GuestPageSize, QueuePFN, QueueAlign). Default: modern. */
  readonly legacy?: boolean;
  /**
   * Runs deferred device work after a doorbell. Default `queueMicrotask`: the vCPU's MMIO write
   * returns at once and the work runs when the vCPU yields to the event loop.
   */
  readonly schedule?: (task: () => void) => void;
  /** Told about every guest error that stops the device (for logs and traces). */
  readonly onDeviceError?: (reason: string) => void;
}

/**
 * The virtio-mmio transport (virtio 1.2 §4.2): registers, feature negotiation, queue setup,
 * interrupts and reset, in front of one {@link VirtioDevice}.
 *
 * Doorbells are posted: a QueueNotify write records the queue and returns; the device runs from
 * the scheduler and completes by writing the used ring and raising the line, as ioeventfd and
 * irqfd do for KVM.
 *
 * A reset takes effect at once, as Linux's `vm_reset` expects (it does not poll Status). Work
 * still in flight then finishes against a new queue epoch: its used-ring writes are dropped,
 * though a backend read already under way may still fill its guest buffer.
 */
export class VirtioMmioTransport implements MmioDevice {
  readonly name: string;
  readonly legacy: boolean;
  readonly device: VirtioDevice;
  private readonly ram: GuestRam;
  private readonly irq: IrqLine;
  private readonly schedule: (task: () => void) => void;
  private readonly onDeviceError: ((reason: string) => void) | undefined;
  private readonly queues: SplitVirtqueue[];
  /** Features offered, with VERSION_1 unless legacy. */
  readonly offeredFeatures: bigint;

  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private guestPageSize = 0;
  private readonly legacyAlign: number[];
  private readonly legacyPfn: number[];

  private irqLevel = false;
  private readonly doorbells = new Set<number>();
  private flushScheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Why the device last stopped itself, for diagnostics. */
  lastError: string | undefined;

  constructor(options: VirtioMmioTransportOptions) {
    this.name = options.name ?? "virtio-mmio";
    this.legacy = options.legacy ?? false;
    this.device = options.device;
    this.ram = new GuestRam(options.memory);
    this.irq = options.irq;
    this.schedule = options.schedule ?? queueMicrotask;
    this.onDeviceError = options.onDeviceError;
    const offered = options.device.features | TRANSPORT_FEATURES;
    // Legacy drivers see 32 feature bits only and must not see VERSION_1.
    this.offeredFeatures = this.legacy ? offered & 0xffff_ffffn : offered | featureBit(VIRTIO_F_VERSION_1);
    this.queues = options.device.queueMaxSizes.map(
      (max, i) => new SplitVirtqueue(this.ram, i, max, () => this.raise(VIRTIO_MMIO_INT_VRING)),
    );
    this.legacyAlign = this.queues.map(() => LEGACY_DEFAULT_ALIGN);
    this.legacyPfn = this.queues.map(() => 0);
    this.device.attach(this.host());
    this.irq.setLevel(false);
  }

  /**
   * Emits a `virtio.request` span (host vCPU) for every chain completed on any queue: device =
   * this transport's name, queue index, head, bytes, and the time from pop to completion.
   */
  attachTracer(tracer: Tracer): void {
    const trace = {
      tracer,
      tp: tracer.tracepoint("virtio.request"),
      device: tracer.registry.intern(this.name),
    };
    for (const q of this.queues) q.trace = trace;
  }

  detachTracer(): void {
    for (const q of this.queues) q.trace = undefined;
  }

  /** Features both sides agreed on. */
  get negotiatedFeatures(): bigint {
    return this.driverFeatures & this.offeredFeatures;
  }

  /** The device status register as the driver sees it. */
  get deviceStatus(): number {
    return this.status;
  }

  /** The device stopped itself and waits for the driver to reset it. */
  get needsReset(): boolean {
    return (this.status & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }

  private get driverOk(): boolean {
    return (this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && !this.needsReset;
  }

  private host(): VirtioDeviceHost {
    const transport = this;
    return {
      ram: this.ram,
      get features() {
        return transport.negotiatedFeatures;
      },
      get active() {
        return transport.driverOk;
      },
      queue: (index) => this.queues[index],
      run: (work) => this.runDeviceWork(work),
      configChanged: () => this.configChanged(),
      fail: (reason) => this.fail(reason),
    };
  }

  // ---------------------------------------------------------------- MMIO

  read(offset: number, size: AccessSize): number {
    if (offset >= VIRTIO_MMIO_CONFIG) {
      return offset < VIRTIO_MMIO_WINDOW_SIZE ? this.device.readConfig(offset - VIRTIO_MMIO_CONFIG, size) : 0;
    }
    // Registers take 32-bit accesses only (§4.2.2.2).
    if (size !== 4) return 0;
    const q = this.queues[this.queueSel] as SplitVirtqueue | undefined;
    switch (offset) {
      case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
      case VIRTIO_MMIO_VERSION:
        return this.legacy ? 1 : 2;
      case VIRTIO_MMIO_DEVICE_ID:
        return this.device.deviceId;
      case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_MMIO_MONOVISOR_VENDOR;
      case VIRTIO_MMIO_DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1
          ? 0
          : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q === undefined ? 0 : q.maxSize;
      case VIRTIO_MMIO_QUEUE_READY:
        return !this.legacy && q?.ready ? 1 : 0;
      case VIRTIO_MMIO_QUEUE_PFN:
        return this.legacy && q !== undefined ? this.legacyPfn[this.queueSel] : 0;
      case VIRTIO_MMIO_INTERRUPT_STATUS:
        return this.interruptStatus;
      case VIRTIO_MMIO_STATUS:
        return this.status;
      case VIRTIO_MMIO_SHM_LEN_LOW:
      case VIRTIO_MMIO_SHM_LEN_HIGH:
      case VIRTIO_MMIO_SHM_BASE_LOW:
      case VIRTIO_MMIO_SHM_BASE_HIGH:
        // No shared memory regions: all ones says "does not exist".
        return this.legacy ? 0 : 0xffff_ffff;
      case VIRTIO_MMIO_CONFIG_GENERATION:
        return this.legacy ? 0 : this.configGeneration;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset >= VIRTIO_MMIO_CONFIG) {
      if (offset < VIRTIO_MMIO_WINDOW_SIZE) {
        this.guard(() => this.device.writeConfig(offset - VIRTIO_MMIO_CONFIG, size, value));
      }
      return;
    }
    if (size !== 4) return;
    value >>>= 0;
    if (offset === VIRTIO_MMIO_STATUS) {
      this.writeStatus(value);
      return;
    }
    const q = this.queues[this.queueSel] as SplitVirtqueue | undefined;
    switch (offset) {
      case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = value;
        break;
      case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = value;
        break;
      case VIRTIO_MMIO_DRIVER_FEATURES:
        this.writeDriverFeatures(value);
        break;
      case VIRTIO_MMIO_GUEST_PAGE_SIZE:
        if (this.legacy) this.guestPageSize = value;
        break;
      case VIRTIO_MMIO_QUEUE_SEL:
        this.queueSel = value;
        break;
      case VIRTIO_MMIO_QUEUE_NUM:
        if (q !== undefined && !q.ready) q.size = value;
        break;
      case VIRTIO_MMIO_QUEUE_ALIGN:
        if (this.legacy && q !== undefined) this.legacyAlign[this.queueSel] = value;
        break;
      case VIRTIO_MMIO_QUEUE_PFN:
        if (this.legacy && q !== undefined) this.writeLegacyPfn(q, value);
        break;
      case VIRTIO_MMIO_QUEUE_READY:
        if (!this.legacy && q !== undefined) this.setQueueReady(q, (value & 1) === 1);
        break;
      case VIRTIO_MMIO_QUEUE_NOTIFY:
        this.doorbell(value);
        break;
      case VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        this.updateIrq();
        break;
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
      case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
      case VIRTIO_MMIO_QUEUE_USED_LOW:
      case VIRTIO_MMIO_QUEUE_USED_HIGH:
        if (!this.legacy && q !== undefined && !q.ready) setQueueAddressRegister(q, offset, value);
        break;
      default:
        break;
    }
  }

  private writeDriverFeatures(value: number): void {
    // Features are fixed once FEATURES_OK is set (or, legacy, once the driver is up).
    if ((this.status & (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)) !== 0) return;
    const sel = this.driverFeaturesSel;
    if (sel > 1) return;
    const shift = BigInt(32 * sel);
    const mask = 0xffff_ffffn << shift;
    this.driverFeatures = ((this.driverFeatures & ~mask) | (BigInt(value) << shift)) & U64_MASK;
  }

  private writeStatus(value: number): void {
    if ((value & 0xff) === 0) {
      this.reset();
      return;
    }
    const before = this.status;
    let next = (value & 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (before & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (
      !this.legacy &&
      (next & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 &&
      (before & VIRTIO_CONFIG_S_FEATURES_OK) === 0
    ) {
      // Refuse features never offered, and a modern device requires VERSION_1 (§6.1).
      const unknown = this.driverFeatures & ~this.offeredFeatures;
      if (unknown !== 0n || !hasFeature(this.driverFeatures, VIRTIO_F_VERSION_1))
        next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
    this.status = next;
    if ((next & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (before & VIRTIO_CONFIG_S_DRIVER_OK) === 0)
      this.activate();
  }

  /** DRIVER_OK: the queues go live with the negotiated ring features, and pending work runs. */
  private activate(): void {
    const features = this.negotiatedFeatures;
    for (const q of this.queues) {
      q.eventIdx = hasFeature(features, VIRTIO_F_RING_EVENT_IDX);
      q.indirect = hasFeature(features, VIRTIO_F_RING_INDIRECT_DESC);
    }
    this.updateQueues();
    // Drivers may fill queues before DRIVER_OK; look at every ready queue once.
    for (const q of this.queues) if (q.ready) this.doorbells.add(q.index);
    this.scheduleFlush();
  }

  private setQueueReady(q: SplitVirtqueue, ready: boolean): void {
    if (ready === q.ready) return;
    if (!ready) {
      q.ready = false;
      q.epoch++;
      q.inFlight = 0;
      this.updateQueues();
      return;
    }
    const problem = q.checkLayout();
    q.ready = true;
    if (problem !== undefined) {
      this.fail(problem);
      return;
    }
    this.updateQueues();
    if (this.driverOk) {
      this.doorbells.add(q.index);
      this.scheduleFlush();
    }
  }

  /** Legacy queues live at PFN × GuestPageSize: descriptors, then avail, then used at QueueAlign. */
  private writeLegacyPfn(q: SplitVirtqueue, pfn: number): void {
    this.legacyPfn[q.index] = pfn;
    if (pfn === 0) {
      this.setQueueReady(q, false);
      return;
    }
    if (q.ready) return;
    const align = this.legacyAlign[q.index];
    const desc = pfn * this.guestPageSize;
    const avail = desc + VIRTQ_DESC_SIZE * q.size;
    const availEnd = avail + 6 + 2 * q.size;
    const used = align > 0 && (align & (align - 1)) === 0 ? Math.ceil(availEnd / align) * align : Number.NaN;
    q.setAddresses(desc, avail, Number.isNaN(used) ? 0 : used);
    if (Number.isNaN(used)) {
      q.ready = true;
      this.fail(`queue ${q.index}: QueueAlign ${align} is not a power of two`);
      return;
    }
    this.setQueueReady(q, true);
  }

  private updateQueues(): void {
    const live = this.driverOk;
    for (const q of this.queues) q.enabled = live && q.ready;
  }

  // ---------------------------------------------------------------- doorbells and device work

  private doorbell(index: number): void {
    if (index >= this.queues.length) return;
    this.doorbells.add(index);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.doorbells.size === 0) return;
    this.flushScheduled = true;
    this.schedule(() => this.flushDoorbells());
  }

  private flushDoorbells(): void {
    this.flushScheduled = false;
    const rung = [...this.doorbells];
    this.doorbells.clear();
    for (const index of rung) {
      if (!this.driverOk || !this.queues[index].enabled) continue;
      this.runDeviceWork(() => this.device.queueNotify(index));
    }
    this.settleIfIdle();
  }

  /** Runs device code: a throw or rejection stops the device instead of reaching the caller. */
  private runDeviceWork(work: () => void | Promise<void>): void {
    let result: void | Promise<void>;
    try {
      result = work();
    } catch (error) {
      this.fail(describe(error));
      return;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== "function") return;
    this.inFlight++;
    result.then(
      () => this.workSettled(),
      (error: unknown) => {
        this.fail(describe(error));
        this.workSettled();
      },
    );
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.fail(describe(error));
    }
  }

  private workSettled(): void {
    this.inFlight--;
    this.settleIfIdle();
  }

  private settleIfIdle(): void {
    if (this.inFlight > 0 || this.flushScheduled) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once no doorbell is pending and no device work is in flight: call before
   * {@link saveState} and in tests before looking at the used ring.
   */
  idle(): Promise<void> {
    if (this.inFlight === 0 && !this.flushScheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- interrupts, errors, reset

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.updateIrq();
  }

  private updateIrq(force = false): void {
    const level = this.interruptStatus !== 0;
    if (force || level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }

  private configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if ((this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.raise(VIRTIO_MMIO_INT_CONFIG);
  }

  /** DEVICE_NEEDS_RESET with a config interrupt (§2.1.2); queues stop until the driver resets. */
  private fail(reason: string): void {
    if (this.needsReset) return;
    this.lastError = reason;
    this.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    this.updateQueues();
    this.onDeviceError?.(reason);
    if ((this.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.raise(VIRTIO_MMIO_INT_CONFIG);
  }

  /** Device reset (Status = 0): every register back to its power-on value, the device too. */
  reset(): void {
    this.doorbells.clear();
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.guestPageSize = 0;
    this.lastError = undefined;
    for (const q of this.queues) q.reset();
    this.legacyAlign.fill(LEGACY_DEFAULT_ALIGN);
    this.legacyPfn.fill(0);
    this.device.reset();
    this.updateIrq();
  }

  // ---------------------------------------------------------------- saved state

  /** The transport's and the device's state. Take it when {@link idle} has resolved. */
  saveState(): VirtioMmioState {
    return {
      type: VIRTIO_MMIO_STATE_TYPE,
      version: VIRTIO_MMIO_STATE_VERSION,
      legacy: this.legacy,
      deviceId: this.device.deviceId,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatures.toString(),
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      guestPageSize: this.guestPageSize,
      legacyAlign: [...this.legacyAlign],
      legacyPfn: [...this.legacyPfn],
      queues: this.queues.map((q) => q.saveState()),
      device: this.device.saveState(),
    };
  }

  /**
   * Restores a saved state: validated completely (device state included) before anything
   * changes, then applied; drives the IRQ line to match and lets live queues resume.
   */
  restoreState(state: VirtioMmioState): void {
    const r = new StateReader(this.name, state);
    r.header(VIRTIO_MMIO_STATE_TYPE, VIRTIO_MMIO_STATE_VERSION);
    if (r.bool("legacy") !== this.legacy) throw r.error("saved with the other transport version");
    if (r.int("deviceId", 0, 0xffff_ffff) !== this.device.deviceId)
      throw r.error("saved for another device type");
    const u32 = (name: string) => r.int(name, 0, 0xffff_ffff);
    const status = r.byte("status");
    const deviceFeaturesSel = u32("deviceFeaturesSel");
    const driverFeaturesSel = u32("driverFeaturesSel");
    const driverFeatures = r.uint64("driverFeatures");
    const queueSel = u32("queueSel");
    const interruptStatus = r.int("interruptStatus", 0, VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
    const configGeneration = u32("configGeneration");
    const guestPageSize = u32("guestPageSize");
    const s = state as unknown as Record<string, unknown>;
    const legacyAlign = u32Array(r, s.legacyAlign, "legacyAlign", this.queues.length);
    const legacyPfn = u32Array(r, s.legacyPfn, "legacyPfn", this.queues.length);
    if (!Array.isArray(s.queues) || s.queues.length !== this.queues.length) {
      throw r.error(`queues must list ${this.queues.length} queues`);
    }
    const queues = s.queues.map((q: unknown, i: number) =>
      readQueueState(this.name, q, i, this.queues[i].maxSize),
    );
    this.device.restoreState(s.device);

    this.doorbells.clear();
    this.status = status;
    this.deviceFeaturesSel = deviceFeaturesSel;
    this.driverFeaturesSel = driverFeaturesSel;
    this.driverFeatures = driverFeatures;
    this.queueSel = queueSel;
    this.interruptStatus = interruptStatus;
    this.configGeneration = configGeneration;
    this.guestPageSize = guestPageSize;
    legacyAlign.forEach((v, i) => {
      this.legacyAlign[i] = v;
    });
    legacyPfn.forEach((v, i) => {
      this.legacyPfn[i] = v;
    });
    const features = this.negotiatedFeatures;
    this.queues.forEach((q, i) => {
      q.applyState(queues[i]);
      q.eventIdx = hasFeature(features, VIRTIO_F_RING_EVENT_IDX);
      q.indirect = hasFeature(features, VIRTIO_F_RING_INDIRECT_DESC);
    });
    this.updateQueues();
    this.updateIrq(true);
    // A restored ring may hold buffers the device had taken (rewound at save), or new ones.
    if (this.driverOk) {
      for (const q of this.queues) {
        if (q.ready) this.doorbells.add(q.index);
      }
      this.scheduleFlush();
    }
  }
}

function setQueueAddressRegister(q: SplitVirtqueue, offset: number, value: number): void {
  switch (offset) {
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
      q.descLow = value;
      break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
      q.descHigh = value;
      break;
    case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
      q.availLow = value;
      break;
    case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
      q.availHigh = value;
      break;
    case VIRTIO_MMIO_QUEUE_USED_LOW:
      q.usedLow = value;
      break;
    case VIRTIO_MMIO_QUEUE_USED_HIGH:
      q.usedHigh = value;
      break;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function u32Array(r: StateReader, value: unknown, name: string, length: number): number[] {
  if (!Array.isArray(value) || value.length !== length) throw r.error(`${name} must list ${length} values`);
  for (const v of value) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
      throw r.error(`${name} holds a non-u32 value ${String(v)}`);
    }
  }
  return value as number[];
}

function readQueueState(device: string, state: unknown, index: number, maxSize: number): VirtqueueState {
  const r = new StateReader(`${device} queue ${index}`, state);
  const u32 = (name: string) => r.int(name, 0, 0xffff_ffff);
  const size = r.int("size", 0, 0xffff_ffff);
  const ready = r.bool("ready");
  if (ready && (size === 0 || size > maxSize || (size & (size - 1)) !== 0))
    throw r.error(`ready with size ${size}`);
  return {
    size,
    ready,
    descLow: u32("descLow"),
    descHigh: u32("descHigh"),
    availLow: u32("availLow"),
    availHigh: u32("availHigh"),
    usedLow: u32("usedLow"),
    usedHigh: u32("usedHigh"),
    lastAvailIdx: r.int("lastAvailIdx", 0, 0xffff),
    usedIdx: r.int("usedIdx", 0, 0xffff),
    signalledUsed: r.int("signalledUsed", -1, 0xffff),
  };
}
