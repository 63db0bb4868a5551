import type { AccessSize } from "@monovisor/hv-core";
import { StateReader } from "../../state/device-state.js";
import { featureBit, VIRTIO_ID_BALLOON } from "../constants.js";
import type { DescriptorChain } from "../descriptor-chain.js";
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from "../device.js";
import {
  VIRTIO_BALLOON_CFG_ACTUAL,
  VIRTIO_BALLOON_CFG_NUM_PAGES,
  VIRTIO_BALLOON_CONFIG_SIZE,
  VIRTIO_BALLOON_DEFLATE_QUEUE,
  VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
  VIRTIO_BALLOON_F_MUST_TELL_HOST,
  VIRTIO_BALLOON_F_STATS_VQ,
  VIRTIO_BALLOON_INFLATE_QUEUE,
  VIRTIO_BALLOON_PFN_SHIFT,
  VIRTIO_BALLOON_STAT_SIZE,
  VIRTIO_BALLOON_STATS_QUEUE,
} from "./constants.js";

export const VIRTIO_BALLOON_STATE_TYPE = "virtio-balloon";
export const VIRTIO_BALLOON_STATE_VERSION = 1;

/** Saved state of a {@link VirtioBalloon}, version 1. */
export interface VirtioBalloonState {
  readonly type: typeof VIRTIO_BALLOON_STATE_TYPE;
  readonly version: typeof VIRTIO_BALLOON_STATE_VERSION;
  readonly targetPages: number;
  readonly actualPages: number;
  /** Page frame numbers (4 KiB) in the balloon, ascending. */
  readonly inflated: readonly number[];
  /** Last statistics: [tag, value as a decimal string]. */
  readonly stats: readonly (readonly [number, string])[];
}

export interface VirtioBalloonOptions {
  /** Offer the statistics queue (default true). */
  readonly statsQueue?: boolean;
  /** Let the guest deflate on its own under memory pressure (default true). */
  readonly deflateOnOom?: boolean;
  /** Told whenever the guest reports statistics. */
  readonly onStats?: (stats: ReadonlyMap<number, bigint>) => void;
  readonly queueSize?: number;
}

/** PFNs are read from guest buffers in pieces of this many bytes. */
const PFN_CHUNK = 4096;
/** Statistics entries read from one buffer at most (16 tags are defined). */
const MAX_STATS = 64;

/**
 * virtio-balloon (device ID 5). The host sets a target with {@link setTargetPages}; the driver
 * inflates (gives pages back) or deflates (takes them again) and reports how many it holds in
 * config `actual`. The device tracks which 4 KiB frames are in the balloon; PFNs outside RAM are
 * ignored, as QEMU does. RAM lives in one host buffer, so inflated pages are not returned to
 * the host OS.
 *
 * With STATS_VQ the driver keeps one statistics buffer posted; the device holds it and returns
 * it on {@link requestStats}, and the driver answers with fresh numbers in a new buffer.
 */
export class VirtioBalloon implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BALLOON;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  private readonly config = new ConfigSpace(VIRTIO_BALLOON_CONFIG_SIZE);
  private readonly onStats: ((stats: ReadonlyMap<number, bigint>) => void) | undefined;
  private readonly inflated = new Set<number>();
  private stats = new Map<number, bigint>();
  private statsBuffer: DescriptorChain | undefined;
  private host!: VirtioDeviceHost;
  private attached = false;

  constructor(options: VirtioBalloonOptions = {}) {
    let features = featureBit(VIRTIO_BALLOON_F_MUST_TELL_HOST);
    if (options.statsQueue ?? true) features |= featureBit(VIRTIO_BALLOON_F_STATS_VQ);
    if (options.deflateOnOom ?? true) features |= featureBit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
    this.features = features;
    const size = options.queueSize ?? 64;
    this.queueMaxSizes = (options.statsQueue ?? true) ? [size, size, size] : [size, size];
    this.onStats = options.onStats;
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
    this.attached = true;
  }

  /** The host's target balloon size in 4 KiB pages. */
  get targetPages(): number {
    return this.config.getU32(VIRTIO_BALLOON_CFG_NUM_PAGES);
  }

  /** The balloon size the driver last reported. */
  get actualPages(): number {
    return this.config.getU32(VIRTIO_BALLOON_CFG_ACTUAL);
  }

  /** Frames currently in the balloon. */
  get inflatedPages(): number {
    return this.inflated.size;
  }

  isInflated(pfn: number): boolean {
    return this.inflated.has(pfn);
  }

  /** The statistics the guest last reported, by tag (see VIRTIO_BALLOON_STAT_NAMES). */
  get latestStats(): ReadonlyMap<number, bigint> {
    return this.stats;
  }

  /** Asks the guest to grow or shrink the balloon to `pages` 4 KiB pages. */
  setTargetPages(pages: number): void {
    this.config.u32(VIRTIO_BALLOON_CFG_NUM_PAGES, Math.max(0, Math.min(0xffff_ffff, Math.floor(pages))));
    if (this.attached) this.host.configChanged();
  }

  /**
   * Hands the held statistics buffer back so the driver refills it; the answer arrives through
   * `onStats`. False when the driver has no buffer posted (or stats were not negotiated).
   */
  requestStats(): boolean {
    const chain = this.statsBuffer;
    if (chain === undefined || !this.attached || !this.host.active) return false;
    this.statsBuffer = undefined;
    this.host.run(() => this.host.queue(VIRTIO_BALLOON_STATS_QUEUE).complete(chain, 0));
    return true;
  }

  readConfig(offset: number, size: AccessSize): number {
    return this.config.read(offset, size);
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    // Only `actual` belongs to the driver.
    if (offset === VIRTIO_BALLOON_CFG_ACTUAL && size === 4) this.config.u32(VIRTIO_BALLOON_CFG_ACTUAL, value);
  }

  reset(): void {
    this.statsBuffer = undefined;
    this.inflated.clear();
    this.config.u32(VIRTIO_BALLOON_CFG_ACTUAL, 0);
  }

  queueNotify(index: number): void {
    if (index === VIRTIO_BALLOON_INFLATE_QUEUE || index === VIRTIO_BALLOON_DEFLATE_QUEUE) {
      this.changePages(index, index === VIRTIO_BALLOON_INFLATE_QUEUE);
    } else if (index === VIRTIO_BALLOON_STATS_QUEUE) {
      this.takeStats();
    }
  }

  private changePages(index: number, inflate: boolean): void {
    const ram = this.host.ram;
    const queue = this.host.queue(index);
    const chunk = new Uint8Array(PFN_CHUNK);
    const view = new DataView(chunk.buffer);
    const memory = ram.memory;
    let completed = false;
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      const total = chain.readable.length - (chain.readable.length % 4);
      for (let at = 0; at < total; at += PFN_CHUNK) {
        const n = chain.readable.read(ram, at, chunk.subarray(0, Math.min(PFN_CHUNK, total - at)));
        for (let i = 0; i + 4 <= n; i += 4) {
          const pfn = view.getUint32(i, true);
          if (!memory.containsRam(pfn * 2 ** VIRTIO_BALLOON_PFN_SHIFT, 1 << VIRTIO_BALLOON_PFN_SHIFT))
            continue;
          if (inflate) this.inflated.add(pfn);
          else this.inflated.delete(pfn);
        }
      }
      completed = queue.push(chain, 0) || completed;
    }
    if (completed) queue.signal();
  }

  private takeStats(): void {
    const queue = this.host.queue(VIRTIO_BALLOON_STATS_QUEUE);
    for (let chain = queue.pop(); chain !== undefined; chain = queue.pop()) {
      // A driver only keeps one buffer posted; return an older one rather than leak it.
      if (this.statsBuffer !== undefined) queue.complete(this.statsBuffer, 0);
      this.statsBuffer = chain;
      const count = Math.min(MAX_STATS, Math.floor(chain.readable.length / VIRTIO_BALLOON_STAT_SIZE));
      const bytes = new Uint8Array(count * VIRTIO_BALLOON_STAT_SIZE);
      chain.readable.read(this.host.ram, 0, bytes);
      const view = new DataView(bytes.buffer);
      const stats = new Map<number, bigint>();
      for (let i = 0; i < count; i++) {
        stats.set(
          view.getUint16(i * VIRTIO_BALLOON_STAT_SIZE, true),
          view.getBigUint64(i * VIRTIO_BALLOON_STAT_SIZE + 2, true),
        );
      }
      this.stats = stats;
      this.onStats?.(stats);
    }
  }

  saveState(): VirtioBalloonState {
    return {
      type: VIRTIO_BALLOON_STATE_TYPE,
      version: VIRTIO_BALLOON_STATE_VERSION,
      targetPages: this.targetPages,
      actualPages: this.actualPages,
      inflated: [...this.inflated].sort((a, b) => a - b),
      stats: [...this.stats].map(([tag, value]) => [tag, value.toString()] as const),
    };
  }

  restoreState(state: unknown): void {
    const r = new StateReader(VIRTIO_BALLOON_STATE_TYPE, state);
    r.header(VIRTIO_BALLOON_STATE_TYPE, VIRTIO_BALLOON_STATE_VERSION);
    const targetPages = r.int("targetPages", 0, 0xffff_ffff);
    const actualPages = r.int("actualPages", 0, 0xffff_ffff);
    const s = state as Record<string, unknown>;
    const inflated = s.inflated;
    if (
      !Array.isArray(inflated) ||
      inflated.some((p) => typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 0xffff_ffff)
    ) {
      throw r.error("inflated must be a list of page frame numbers");
    }
    const statsList = s.stats;
    if (!Array.isArray(statsList) || statsList.length > MAX_STATS)
      throw r.error("stats must be a short list");
    const stats = new Map<number, bigint>();
    for (const entry of statsList) {
      if (!Array.isArray(entry) || entry.length !== 2) throw r.error("a stats entry must be [tag, value]");
      const er = new StateReader(VIRTIO_BALLOON_STATE_TYPE, { tag: entry[0], value: entry[1] });
      stats.set(er.int("tag", 0, 0xffff), er.uint64("value"));
    }
    this.config.u32(VIRTIO_BALLOON_CFG_NUM_PAGES, targetPages);
    this.config.u32(VIRTIO_BALLOON_CFG_ACTUAL, actualPages);
    this.inflated.clear();
    for (const p of inflated as number[]) this.inflated.add(p);
    this.stats = stats;
    // A held statistics buffer was made available again by the queue's saved state.
    this.statsBuffer = undefined;
  }
}
