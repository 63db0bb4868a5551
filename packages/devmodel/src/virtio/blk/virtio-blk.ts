import type { AccessSize } from "@monovisor/hv-core";
import type { BlockBackend } from "../../block/block-backend.js";
import { StateReader } from "../../state/device-state.js";
import { featureBit, VIRTIO_ID_BLOCK } from "../constants.js";
import type { DescriptorChain } from "../descriptor-chain.js";
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from "../device.js";
import { VirtioDeviceError } from "../guest-ram.js";
import {
  VIRTIO_BLK_CFG_BLK_SIZE,
  VIRTIO_BLK_CFG_CAPACITY,
  VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
  VIRTIO_BLK_CFG_MAX_DISCARD_SEG,
  VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
  VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
  VIRTIO_BLK_CFG_NUM_QUEUES,
  VIRTIO_BLK_CFG_SEG_MAX,
  VIRTIO_BLK_CFG_SIZE_MAX,
  VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP,
  VIRTIO_BLK_CONFIG_SIZE,
  VIRTIO_BLK_DISCARD_SEGMENT_SIZE,
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_F_SIZE_MAX,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_REQ_HEADER_SIZE,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from "./constants.js";

export const VIRTIO_BLK_STATE_TYPE = "virtio-blk";
export const VIRTIO_BLK_STATE_VERSION = 1;

/**
 * Saved state of a {@link VirtioBlk}, version 1. The disk contents belong to the backend (and its
 * image file); the device itself keeps nothing between requests.
 */
export interface VirtioBlkState {
  readonly type: typeof VIRTIO_BLK_STATE_TYPE;
  readonly version: typeof VIRTIO_BLK_STATE_VERSION;
  /** Capacity in sectors when saved; a restore onto a different disk size is refused. */
  readonly capacity: string;
}

export interface VirtioBlkOptions {
  readonly backend: BlockBackend;
  /** GET_ID answer (at most 20 bytes); default the backend's serial. */
  readonly serial?: string;
  /** QueueNumMax of the request queue (default 256). */
  readonly queueSize?: number;
  /** Largest segment the driver may send, config `size_max` (default 1 MiB). */
  readonly sizeMax?: number;
  /**
   * Largest data transfer of one request; bigger requests fail with IOERR instead of being
   * staged (default 8 MiB, well above Linux's default 1280 KiB).
   */
  readonly maxRequestBytes?: number;
  /** Offer DISCARD (default true). */
  readonly discard?: boolean;
  /** Offer WRITE_ZEROES (default true). */
  readonly writeZeroes?: boolean;
}

/** 2^22 - 1 sectors (about 2 GiB) per discard or write-zeroes segment, as QEMU bounds them. */
const MAX_DISCARD_SECTORS = 0x3f_ffff;
const MAX_DISCARD_SEGMENTS = 16;

/**
 * virtio-blk (device ID 2) over a {@link BlockBackend}: one request queue, IN / OUT / FLUSH /
 * GET_ID / DISCARD / WRITE_ZEROES. Requests run one at a time per queue, in ring order, so a
 * FLUSH covers every write completed before it.
 *
 * Data moves straight between the backend and guest RAM when each guest segment is a whole
 * number of sectors (what Linux sends); odd segment splits go through a bounce buffer no larger
 * than `maxRequestBytes`. A malformed header or a missing status byte stops the device (as in
 * QEMU); everything else fails just the request.
 */
export class VirtioBlk implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  readonly backend: BlockBackend;
  private readonly config = new ConfigSpace(VIRTIO_BLK_CONFIG_SIZE);
  private readonly serial: Uint8Array;
  private readonly maxRequestBytes: number;
  private readonly capacity: number;
  private host!: VirtioDeviceHost;
  private busy = false;
  /** Bumped by reset and restore, so a drain loop from before stops taking requests. */
  private generation = 0;

  constructor(options: VirtioBlkOptions) {
    const backend = options.backend;
    this.backend = backend;
    const queueSize = options.queueSize ?? 256;
    const sizeMax = options.sizeMax ?? 1 << 20;
    this.maxRequestBytes = options.maxRequestBytes ?? 8 << 20;
    this.queueMaxSizes = [queueSize];
    this.capacity = Math.floor(backend.size / VIRTIO_BLK_SECTOR_SIZE);
    const serial = new TextEncoder().encode(options.serial ?? backend.serial ?? "");
    this.serial = serial.subarray(0, VIRTIO_BLK_ID_BYTES);

    let features =
      featureBit(VIRTIO_BLK_F_SIZE_MAX) |
      featureBit(VIRTIO_BLK_F_SEG_MAX) |
      featureBit(VIRTIO_BLK_F_BLK_SIZE) |
      featureBit(VIRTIO_BLK_F_FLUSH);
    if (backend.readOnly) features |= featureBit(VIRTIO_BLK_F_RO);
    else {
      if (options.discard ?? true) features |= featureBit(VIRTIO_BLK_F_DISCARD);
      if (options.writeZeroes ?? true) features |= featureBit(VIRTIO_BLK_F_WRITE_ZEROES);
    }
    this.features = features;

    const c = this.config;
    c.u64(VIRTIO_BLK_CFG_CAPACITY, BigInt(this.capacity));
    c.u32(VIRTIO_BLK_CFG_SIZE_MAX, sizeMax);
    // Two descriptors go to the header and the status byte.
    c.u32(VIRTIO_BLK_CFG_SEG_MAX, Math.max(1, queueSize - 2));
    c.u32(VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE);
    c.u16(VIRTIO_BLK_CFG_NUM_QUEUES, 1);
    c.u32(VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, MAX_DISCARD_SECTORS);
    c.u32(VIRTIO_BLK_CFG_MAX_DISCARD_SEG, MAX_DISCARD_SEGMENTS);
    c.u32(VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 1);
    c.u32(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS, MAX_DISCARD_SECTORS);
    c.u32(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG, MAX_DISCARD_SEGMENTS);
    c.u8(VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1);
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
    this.busy = false;
  }

  /** Drains the request queue; a second doorbell while draining is picked up by the same loop. */
  async queueNotify(index: number): Promise<void> {
    if (index !== 0 || this.busy) return;
    const generation = this.generation;
    this.busy = true;
    try {
      const queue = this.host.queue(0);
      while (this.generation === generation) {
        const chain = queue.pop();
        if (chain === undefined) break;
        const written = await this.execute(chain);
        queue.complete(chain, written);
      }
    } finally {
      if (this.generation === generation) this.busy = false;
    }
  }

  /** Runs one request; returns the bytes written to the driver (data plus status). */
  private async execute(chain: DescriptorChain): Promise<number> {
    const ram = this.host.ram;
    const out = chain.readable;
    const into = chain.writable;
    if (out.length < VIRTIO_BLK_REQ_HEADER_SIZE || into.length < 1) {
      throw new VirtioDeviceError("virtio-blk: request without a header or a status byte");
    }
    const header = new Uint8Array(VIRTIO_BLK_REQ_HEADER_SIZE);
    out.read(ram, 0, header);
    const view = new DataView(header.buffer);
    const type = view.getUint32(0, true);
    const sector = view.getBigUint64(8, true);
    const statusAt = into.length - 1;
    let status: number;
    let dataWritten = 0;
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN:
          status = await this.transfer(chain, sector, false);
          if (status === VIRTIO_BLK_S_OK) dataWritten = statusAt;
          break;
        case VIRTIO_BLK_T_OUT:
          status = this.backend.readOnly ? VIRTIO_BLK_S_IOERR : await this.transfer(chain, sector, true);
          break;
        case VIRTIO_BLK_T_FLUSH:
          await this.backend.flush();
          status = VIRTIO_BLK_S_OK;
          break;
        case VIRTIO_BLK_T_GET_ID: {
          const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
          id.set(this.serial);
          dataWritten = into.write(ram, 0, id.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, statusAt)));
          status = VIRTIO_BLK_S_OK;
          break;
        }
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
          status = await this.discardOrZero(chain, type === VIRTIO_BLK_T_WRITE_ZEROES);
          break;
        default:
          status = VIRTIO_BLK_S_UNSUPP;
      }
    } catch (error) {
      // A device error is the guest's fault and stops the device; anything else is the backend's.
      if (error instanceof VirtioDeviceError) throw error;
      status = VIRTIO_BLK_S_IOERR;
      dataWritten = 0;
    }
    into.write(ram, statusAt, Uint8Array.of(status));
    return dataWritten + 1;
  }

  /** IN (`toDisk` false) or OUT: bounds and size checks, then the transfer. */
  private async transfer(chain: DescriptorChain, sector: bigint, toDisk: boolean): Promise<number> {
    const ram = this.host.ram;
    const data = toDisk
      ? chain.readable.slice(VIRTIO_BLK_REQ_HEADER_SIZE, chain.readable.length)
      : chain.writable.slice(0, chain.writable.length - 1);
    const length = data.length;
    if (length % VIRTIO_BLK_SECTOR_SIZE !== 0 || length > this.maxRequestBytes) return VIRTIO_BLK_S_IOERR;
    if (!this.inRange(sector, length / VIRTIO_BLK_SECTOR_SIZE)) return VIRTIO_BLK_S_IOERR;
    let offset = Number(sector) * VIRTIO_BLK_SECTOR_SIZE;
    const views = data.views(ram, 0, length);
    if (views.every((v) => v.length % VIRTIO_BLK_SECTOR_SIZE === 0)) {
      for (const v of views) {
        if (toDisk) await this.backend.write(offset, v);
        else await this.backend.read(offset, v);
        offset += v.length;
      }
      return VIRTIO_BLK_S_OK;
    }
    const bounce = new Uint8Array(length);
    if (toDisk) {
      data.read(ram, 0, bounce);
      await this.backend.write(offset, bounce);
    } else {
      await this.backend.read(offset, bounce);
      data.write(ram, 0, bounce);
    }
    return VIRTIO_BLK_S_OK;
  }

  private async discardOrZero(chain: DescriptorChain, zero: boolean): Promise<number> {
    const feature = zero ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;
    if ((this.features & featureBit(feature)) === 0n) return VIRTIO_BLK_S_UNSUPP;
    const bytes = chain.readable.length - VIRTIO_BLK_REQ_HEADER_SIZE;
    const count = bytes / VIRTIO_BLK_DISCARD_SEGMENT_SIZE;
    if (!Number.isInteger(count) || count < 1 || count > MAX_DISCARD_SEGMENTS) return VIRTIO_BLK_S_IOERR;
    const segments = new Uint8Array(bytes);
    chain.readable.read(this.host.ram, VIRTIO_BLK_REQ_HEADER_SIZE, segments);
    const view = new DataView(segments.buffer);
    for (let i = 0; i < count; i++) {
      const sector = view.getBigUint64(16 * i, true);
      const sectors = view.getUint32(16 * i + 8, true);
      const flags = view.getUint32(16 * i + 12, true);
      const allowed = zero ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
      if ((flags & ~allowed) !== 0) return VIRTIO_BLK_S_UNSUPP;
      if (sectors > MAX_DISCARD_SECTORS || !this.inRange(sector, sectors)) return VIRTIO_BLK_S_IOERR;
    }
    for (let i = 0; i < count; i++) {
      const offset = Number(view.getBigUint64(16 * i, true)) * VIRTIO_BLK_SECTOR_SIZE;
      const length = view.getUint32(16 * i + 8, true) * VIRTIO_BLK_SECTOR_SIZE;
      if (length === 0) continue;
      if (zero) {
        const unmap = (view.getUint32(16 * i + 12, true) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0;
        await this.backend.writeZeroes(offset, length, { unmap });
      } else await this.backend.discard(offset, length);
    }
    return VIRTIO_BLK_S_OK;
  }

  private inRange(sector: bigint, sectors: number): boolean {
    return sector + BigInt(sectors) <= BigInt(this.capacity);
  }

  saveState(): VirtioBlkState {
    return {
      type: VIRTIO_BLK_STATE_TYPE,
      version: VIRTIO_BLK_STATE_VERSION,
      capacity: String(this.capacity),
    };
  }

  restoreState(state: unknown): void {
    const r = new StateReader(VIRTIO_BLK_STATE_TYPE, state);
    r.header(VIRTIO_BLK_STATE_TYPE, VIRTIO_BLK_STATE_VERSION);
    const capacity = r.uint64("capacity");
    if (capacity !== BigInt(this.capacity)) {
      throw r.error(`saved with a ${capacity}-sector disk, this one has ${this.capacity}`);
    }
    this.reset();
  }
}
