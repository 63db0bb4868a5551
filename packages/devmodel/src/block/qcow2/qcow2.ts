import {
  asBlockError,
  type BlockBackend,
  BlockIoError,
  BlockReadOnlyError,
  checkBlockRequest,
  ImageFormatError,
  SECTOR_SIZE,
  type WriteZeroesOptions,
} from "../block-backend.js";
import { type ImageFile, readZeroFilled } from "../image-file.js";
import {
  COMPRESSION_ZLIB,
  featureName,
  INCOMPAT_COMPRESSION_TYPE,
  INCOMPAT_CORRUPT,
  INCOMPAT_DIRTY,
  L1_RESERVED_HI,
  L1_RESERVED_LO,
  L2_RESERVED_HI,
  L2_RESERVED_LO,
  MAX_HOST_OFFSET,
  OFLAG_COMPRESSED_HI,
  OFLAG_COPIED_HI,
  OFLAG_ZERO_LO,
  parseQcow2Extensions,
  parseQcow2Header,
  QCOW2_MAX_CLUSTER_BITS,
  QCOW2_MAX_REFTABLE_BYTES,
  type Qcow2Extensions,
  type Qcow2Header,
  REFTABLE_RESERVED_LO,
  readBackingName,
} from "./format.js";
import { getRefcountEntry, setRefcountEntry } from "./refcount-entry.js";

/** Inflates a raw deflate stream into exactly `outputLength` bytes (injected: no Node types here). */
export type InflateRaw = (compressed: Uint8Array, outputLength: number) => Promise<Uint8Array>;

/** Opens a backing file named in an image header; `format` comes from the header, if recorded. */
export type OpenBacking = (name: string, format: string | undefined) => Promise<BlockBackend>;

export interface Qcow2OpenOptions {
  serial?: string;
  /** Required when the image has a backing file. */
  openBacking?: OpenBacking;
  /** Required to read compressed clusters. */
  inflateRaw?: InflateRaw;
  /** Bytes of L2 tables and refcount blocks kept in memory (default 8 MiB, at least 4 tables). */
  metadataCacheBytes?: number;
}

/** What an open qcow2 image is, for `hv` and management to display. */
export interface Qcow2ImageInfo {
  version: 2 | 3;
  clusterSize: number;
  refcountBits: number;
  /** Virtual size as stored in the header (the backend's `size` rounds it up to a sector). */
  virtualSize: number;
  backingFile?: string;
  backingFormat?: string;
  snapshots: number;
  lazyRefcounts: boolean;
}

type MetadataKind = "L2 table" | "refcount block";

/** A cached L2 table or refcount block. */
interface MetadataTable {
  readonly offset: number;
  readonly kind: MetadataKind;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  dirty: boolean;
  /** Newly allocated: nothing on disk points at it yet, so it may be written early. */
  fresh: boolean;
}

/** A decoded L2 entry. */
type ClusterMapping =
  | { kind: "unallocated" }
  | { kind: "zero"; host: number; copied: boolean }
  | { kind: "normal"; host: number; copied: boolean }
  | { kind: "compressed"; host: number; length: number; firstCluster: number; lastCluster: number };

/** Metadata kept in memory before a write-back is forced, unless the opener says otherwise. */
export const QCOW2_DEFAULT_METADATA_CACHE = 8 << 20;
const TWO_32 = 2 ** 32;

/**
 * A qcow2 image (version 2 or 3) as a {@link BlockBackend}.
 *
 * Metadata writes are cached and written back on `flush()` (or when the cache fills) in an order
 * that keeps the image consistent after a crash at any point, leaking clusters at worst:
 * 1. guest data, refcount blocks and newly allocated L2 tables, then sync;
 * 2. the refcount table, then (if it moved) the header, each followed by a sync;
 * 3. existing L2 tables, then the L1 table, then sync;
 * 4. refcount decrements for clusters released since the last flush, then sync. A released
 *    cluster is not reused before its L2 entry no longer points at it on disk.
 *
 * New clusters reuse free ones (refcount 0) inside the file first, then append. Refcounts are
 * always kept exact (lazy refcounts are never used), so the dirty bit is never set.
 *
 * Not supported: encryption, external data files, extended L2 entries, zstd compression, writing
 * to images with internal snapshots (read-only works), writing compressed clusters.
 */
export class Qcow2BlockBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  readonly serial?: string;
  readonly info: Qcow2ImageInfo;

  private readonly name: string;
  private readonly clusterSize: number;
  private readonly clusterBits: number;
  private readonly l2Entries: number;
  private readonly refcountBits: number;
  private readonly refcountsPerBlock: number;
  private readonly cacheCapacity: number;

  private readonly l1: Uint8Array;
  private readonly l1View: DataView;
  private l1DirtyFrom = Number.POSITIVE_INFINITY;
  private l1DirtyTo = -1;

  private reftable: Uint8Array;
  private reftableView: DataView;
  private reftableOffset: number;
  private reftableClusters: number;
  private reftableDirtyFrom = Number.POSITIVE_INFINITY;
  private reftableDirtyTo = -1;
  private reftableMoved = false;

  private readonly cache = new Map<number, MetadataTable>();
  /** End of the allocated area: the file length rounded up to a cluster, grown by appends. */
  private allocEnd: number;
  /** No free cluster lies below this cluster index. */
  private freeHint = 0;
  /** Clusters whose refcount drops at the next write-back, with how many references go. */
  private readonly pendingFrees = new Map<number, number>();
  private dataDirty = false;
  private lastInflated: { host: number; data: Uint8Array } | null = null;

  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: ImageFile,
    private readonly header: Qcow2Header,
    extensions: Qcow2Extensions,
    backingName: string | undefined,
    private readonly backing: BlockBackend | null,
    l1: Uint8Array,
    reftable: Uint8Array,
    fileLength: number,
    readOnly: boolean,
    private readonly options: Qcow2OpenOptions,
  ) {
    this.name = file.name;
    this.readOnly = readOnly;
    if (options.serial !== undefined) this.serial = options.serial;
    this.clusterBits = header.clusterBits;
    this.clusterSize = 2 ** header.clusterBits;
    this.l2Entries = this.clusterSize / 8;
    this.refcountBits = 2 ** header.refcountOrder;
    this.refcountsPerBlock = (this.clusterSize * 8) / this.refcountBits;
    const cacheBytes = options.metadataCacheBytes ?? QCOW2_DEFAULT_METADATA_CACHE;
    this.cacheCapacity = Math.max(4, Math.floor(cacheBytes / this.clusterSize));
    this.size = Math.ceil(header.size / SECTOR_SIZE) * SECTOR_SIZE;
    this.l1 = l1;
    this.l1View = viewOf(l1);
    this.reftable = reftable;
    this.reftableView = viewOf(reftable);
    this.reftableOffset = header.refcountTableOffset;
    this.reftableClusters = header.refcountTableClusters;
    this.allocEnd = Math.ceil(fileLength / this.clusterSize) * this.clusterSize;
    this.info = {
      version: header.version,
      clusterSize: this.clusterSize,
      refcountBits: this.refcountBits,
      virtualSize: header.size,
      snapshots: header.nbSnapshots,
      lazyRefcounts: (header.compatibleFeatures & 1) !== 0,
    };
    if (backingName !== undefined) this.info.backingFile = backingName;
    if (extensions.backingFormat !== undefined) this.info.backingFormat = extensions.backingFormat;
  }

  /**
   * Opens a qcow2 image. Throws {@link ImageFormatError} for a malformed header or an unsupported
   * feature; `readOnly` follows the file unless asked for explicitly.
   */
  static open(
    file: ImageFile,
    options: Qcow2OpenOptions & { readOnly?: boolean } = {},
  ): Promise<Qcow2BlockBackend> {
    return asBlockError(`${file.name}: open`, () => Qcow2BlockBackend.openFile(file, options));
  }

  private static async openFile(
    file: ImageFile,
    options: Qcow2OpenOptions & { readOnly?: boolean },
  ): Promise<Qcow2BlockBackend> {
    const name = file.name;
    const readOnly = options.readOnly ?? file.readOnly;
    if (!readOnly && file.readOnly) throw new BlockReadOnlyError(`${name}: cannot open for writing`);
    const fileLength = await file.length();
    const probe = new Uint8Array(Math.min(fileLength, 4096));
    await readZeroFilled(file, 0, probe);
    let head = probe;
    if (probe.length >= 24) {
      const bits = viewOf(probe).getUint32(20);
      const clusterSize = 2 ** Math.min(bits, QCOW2_MAX_CLUSTER_BITS);
      if (clusterSize > probe.length && fileLength > probe.length) {
        head = new Uint8Array(Math.min(fileLength, clusterSize));
        await readZeroFilled(file, 0, head);
      }
    }
    const header = parseQcow2Header(head, fileLength, name);
    const extensions = parseQcow2Extensions(head, header, name);
    checkFeatures(header, extensions, name, readOnly);

    const l1 = new Uint8Array(header.l1Size * 8);
    await readZeroFilled(file, header.l1TableOffset, l1);
    const reftable = new Uint8Array(header.refcountTableClusters * 2 ** header.clusterBits);
    await readZeroFilled(file, header.refcountTableOffset, reftable);

    const backingName = readBackingName(head, header);
    let backing: BlockBackend | null = null;
    if (backingName !== undefined) {
      if (!options.openBacking) {
        throw new ImageFormatError(name, "backing file", `"${backingName}" given but no way to open it`);
      }
      backing = await options.openBacking(backingName, extensions.backingFormat);
    }
    const image = new Qcow2BlockBackend(
      file,
      header,
      extensions,
      backingName,
      backing,
      l1,
      reftable,
      fileLength,
      readOnly,
      options,
    );
    if (!readOnly && header.version === 3 && header.autoclearFeatures !== 0) {
      // We do not keep bitmaps (or anything else autoclear guards) up to date: declare them stale.
      try {
        await file.write(88, new Uint8Array(8));
        await file.sync();
      } catch (error) {
        await backing?.close();
        throw error;
      }
    }
    return image;
  }

  read(offset: number, buffer: Uint8Array): Promise<void> {
    return this.exclusive("read", false, offset, buffer.length, async () => {
      await this.forEachCluster(offset, buffer.length, (guest, at, length) =>
        this.readChunk(guest, buffer.subarray(at, at + length)),
      );
    });
  }

  write(offset: number, data: Uint8Array): Promise<void> {
    return this.exclusive("write", true, offset, data.length, async () => {
      await this.forEachCluster(offset, data.length, (guest, at, length) =>
        this.writeChunk(guest, data.subarray(at, at + length)),
      );
    });
  }

  flush(): Promise<void> {
    return this.exclusive("flush", false, 0, 0, async () => {
      if (!this.readOnly) await this.writeBack(true);
    });
  }

  discard(offset: number, length: number): Promise<void> {
    return this.exclusive("discard", true, offset, length, async () => {
      await this.forEachCluster(offset, length, async (guest, _at, chunk) => {
        // Partial clusters are left alone: discard promises nothing about contents.
        if (chunk === this.clusterSize) await this.deallocateCluster(guest, this.discardedEntryReadsZero());
      });
    });
  }

  writeZeroes(offset: number, length: number, options: WriteZeroesOptions = {}): Promise<void> {
    return this.exclusive("write-zeroes", true, offset, length, async () => {
      await this.forEachCluster(offset, length, (guest, _at, chunk) =>
        this.zeroChunk(guest, chunk, options.unmap ?? false),
      );
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.queue.then(() =>
      asBlockError(`${this.name}: close`, async () => {
        if (this.closed) return;
        this.closed = true;
        try {
          if (!this.readOnly) await this.writeBack(true);
        } finally {
          await this.file.close();
          await this.backing?.close();
        }
      }),
    );
    this.queue = done.catch(() => {});
    return done;
  }

  // ---- request plumbing ----

  /** Runs requests one at a time: allocation and metadata updates must not interleave. */
  private exclusive(
    op: string,
    writes: boolean,
    offset: number,
    length: number,
    body: () => Promise<void>,
  ): Promise<void> {
    const run = () =>
      asBlockError(`${this.name}: ${op}`, async () => {
        if (this.closed) throw new BlockIoError(`${this.name}: ${op}: image is closed`);
        if (writes && this.readOnly) throw new BlockReadOnlyError(`${op}: ${this.name}`);
        checkBlockRequest(this.size, offset, length, op);
        try {
          await body();
        } finally {
          await this.trimCache();
        }
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private async forEachCluster(
    offset: number,
    length: number,
    chunk: (guest: number, at: number, length: number) => Promise<void>,
  ): Promise<void> {
    for (let at = 0; at < length; ) {
      const guest = offset + at;
      const n = Math.min(this.clusterSize - (guest % this.clusterSize), length - at);
      await chunk(guest, at, n);
      at += n;
    }
  }

  private corrupt(field: string, detail: string): ImageFormatError {
    return new ImageFormatError(this.name, field, detail);
  }

  // ---- reading ----

  private async readChunk(guest: number, out: Uint8Array): Promise<void> {
    const mapping = await this.lookup(guest);
    const inCluster = guest % this.clusterSize;
    switch (mapping.kind) {
      case "unallocated":
        await this.readBacking(guest, out);
        return;
      case "zero":
        out.fill(0);
        return;
      case "normal":
        await readZeroFilled(this.file, mapping.host + inCluster, out);
        return;
      case "compressed": {
        const cluster = await this.inflate(mapping, guest);
        out.set(cluster.subarray(inCluster, inCluster + out.length));
        return;
      }
    }
  }

  /** Reads what lies under an unallocated cluster: the backing file, or zeros past its end. */
  private async readBacking(guest: number, out: Uint8Array): Promise<void> {
    const available = this.backing ? Math.max(0, Math.min(out.length, this.backing.size - guest)) : 0;
    if (available > 0) await this.backing!.read(guest, out.subarray(0, available));
    out.fill(0, available);
  }

  private async inflate(mapping: Extract<ClusterMapping, { kind: "compressed" }>, guest: number) {
    if (this.lastInflated?.host === mapping.host) return this.lastInflated.data;
    if (!this.options.inflateRaw) {
      throw this.corrupt("compressed cluster", "reading compressed clusters needs a deflate implementation");
    }
    const compressed = new Uint8Array(mapping.length);
    await readZeroFilled(this.file, mapping.host, compressed);
    let data: Uint8Array;
    try {
      data = await this.options.inflateRaw(compressed, this.clusterSize);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw this.corrupt(`compressed cluster for guest offset 0x${guest.toString(16)}`, detail);
    }
    if (data.length < this.clusterSize) {
      throw this.corrupt(
        `compressed cluster for guest offset 0x${guest.toString(16)}`,
        `inflates to ${data.length} bytes, not ${this.clusterSize}`,
      );
    }
    this.lastInflated = { host: mapping.host, data };
    return data;
  }

  /** The full contents a cluster reads as now (for copy-on-write). */
  private async clusterContents(clusterStart: number, mapping: ClusterMapping): Promise<Uint8Array> {
    const out = new Uint8Array(this.clusterSize);
    const visible = Math.min(this.clusterSize, this.size - clusterStart);
    if (mapping.kind === "compressed") {
      out.set((await this.inflate(mapping, clusterStart)).subarray(0, this.clusterSize));
    } else if (mapping.kind === "normal") {
      await readZeroFilled(this.file, mapping.host, out);
    } else if (mapping.kind === "unallocated") {
      await this.readBacking(clusterStart, out.subarray(0, visible));
    }
    return out;
  }

  // ---- L1 / L2 ----

  private l1Index(guest: number): number {
    return Math.floor(guest / (this.l2Entries * this.clusterSize));
  }

  private l2Index(guest: number): number {
    return Math.floor(guest / this.clusterSize) % this.l2Entries;
  }

  /** The L2 table offset in an L1 entry, validated; 0 when unallocated. */
  private l1Entry(index: number): { table: number; copied: boolean } {
    const hi = this.l1View.getUint32(index * 8);
    const lo = this.l1View.getUint32(index * 8 + 4);
    const field = `L1 entry ${index}`;
    if (lo & L1_RESERVED_LO || hi & L1_RESERVED_HI) throw this.corrupt(field, "reserved bits are set");
    const table = this.hostOffset(hi, lo, field);
    if (table !== 0) this.checkMetadataPointer(table, field);
    return { table, copied: (hi & OFLAG_COPIED_HI) !== 0 };
  }

  private setL1Entry(index: number, table: number): void {
    this.l1View.setUint32(index * 8, OFLAG_COPIED_HI | Math.floor(table / TWO_32));
    this.l1View.setUint32(index * 8 + 4, table >>> 0);
    this.l1DirtyFrom = Math.min(this.l1DirtyFrom, index);
    this.l1DirtyTo = Math.max(this.l1DirtyTo, index);
  }

  /** Decodes bits 9..55 of a table entry. */
  private hostOffset(hi: number, lo: number, field: string): number {
    if (hi & 0x00e0_0000) throw this.corrupt(field, "host offset is beyond 2^53");
    return (hi & 0x00ff_ffff) * TWO_32 + ((lo & ~0x1ff) >>> 0);
  }

  /** Metadata must be cluster-aligned, inside the file and not over the fixed structures. */
  private checkMetadataPointer(offset: number, field: string): void {
    if (offset % this.clusterSize !== 0) {
      throw this.corrupt(field, `offset 0x${offset.toString(16)} is not cluster-aligned`);
    }
    if (offset >= this.allocEnd) {
      throw this.corrupt(field, `offset 0x${offset.toString(16)} is past the end of the file`);
    }
    if (this.isFixedMetadata(offset / this.clusterSize)) {
      throw this.corrupt(field, `offset 0x${offset.toString(16)} overlaps the header, L1 or refcount table`);
    }
  }

  private isFixedMetadata(cluster: number): boolean {
    const l1First = this.header.l1TableOffset / this.clusterSize;
    const l1Clusters = Math.ceil((this.header.l1Size * 8) / this.clusterSize);
    const rtFirst = this.reftableOffset / this.clusterSize;
    return (
      cluster === 0 ||
      (cluster >= l1First && cluster < l1First + l1Clusters) ||
      (cluster >= rtFirst && cluster < rtFirst + this.reftableClusters)
    );
  }

  private async lookup(guest: number): Promise<ClusterMapping> {
    const { table } = this.l1Entry(this.l1Index(guest));
    if (table === 0) return { kind: "unallocated" };
    const l2 = await this.loadTable(table, "L2 table");
    return this.decodeL2(l2, this.l2Index(guest), guest);
  }

  private decodeL2(l2: MetadataTable, index: number, guest: number): ClusterMapping {
    const hi = l2.view.getUint32(index * 8);
    const lo = l2.view.getUint32(index * 8 + 4);
    const field = `L2 entry for guest offset 0x${guest.toString(16)}`;
    if (hi & OFLAG_COMPRESSED_HI) return this.decodeCompressed(hi, lo, field);
    if (lo & L2_RESERVED_LO || hi & L2_RESERVED_HI) throw this.corrupt(field, "reserved bits are set");
    const host = this.hostOffset(hi, lo, field);
    const copied = (hi & OFLAG_COPIED_HI) !== 0;
    if (host !== 0) {
      if (host % this.clusterSize !== 0) {
        throw this.corrupt(field, `host offset 0x${host.toString(16)} is not cluster-aligned`);
      }
      if (host >= this.allocEnd) {
        throw this.corrupt(field, `host offset 0x${host.toString(16)} is past the end of the file`);
      }
    }
    if (lo & OFLAG_ZERO_LO) {
      if (this.header.version < 3) throw this.corrupt(field, "zero flag in a version 2 image");
      return { kind: "zero", host, copied };
    }
    return host === 0 ? { kind: "unallocated" } : { kind: "normal", host, copied };
  }

  /**
   * A compressed descriptor: with x = 62 - (cluster_bits - 8), bits 0..x-1 are the host byte
   * offset and bits x..61 the number of 512-byte sectors the data spans after the first one.
   */
  private decodeCompressed(hi: number, lo: number, field: string): ClusterMapping {
    const entry = (BigInt(hi & 0x3fff_ffff) << 32n) | BigInt(lo >>> 0);
    const offsetBits = BigInt(62 - (this.clusterBits - 8));
    const host = Number(entry & ((1n << offsetBits) - 1n));
    const extraSectors = Number(entry >> offsetBits);
    if (host < this.clusterSize || host >= this.allocEnd) {
      throw this.corrupt(field, `compressed data at 0x${host.toString(16)} is outside the file`);
    }
    const sectorStart = host - (host % SECTOR_SIZE);
    const spanEnd = sectorStart + (extraSectors + 1) * SECTOR_SIZE;
    return {
      kind: "compressed",
      host,
      length: Math.min(spanEnd, this.allocEnd) - host,
      firstCluster: Math.floor(sectorStart / this.clusterSize),
      lastCluster: Math.floor((spanEnd - 1) / this.clusterSize),
    };
  }

  private setL2Entry(l2: MetadataTable, index: number, host: number, loFlags: number): void {
    l2.view.setUint32(index * 8, (host !== 0 ? OFLAG_COPIED_HI : 0) | Math.floor(host / TWO_32));
    l2.view.setUint32(index * 8 + 4, (host >>> 0) | loFlags);
    this.markDirty(l2);
  }

  /** The L2 table for `guest`, allocating it when `allocate` (null when absent and not asked). */
  private async l2ForWrite(guest: number, allocate: boolean): Promise<MetadataTable | null> {
    const index = this.l1Index(guest);
    const { table, copied } = this.l1Entry(index);
    if (table === 0) {
      if (!allocate) return null;
      const offset = await this.allocateCluster();
      const l2 = this.insertTable(offset, "L2 table", new Uint8Array(this.clusterSize), true);
      this.setL1Entry(index, offset);
      return l2;
    }
    if (!copied) {
      // Without the COPIED flag the table may be shared with a snapshot.
      if ((await this.refcount(table / this.clusterSize)) !== 1) {
        throw this.corrupt(`L1 entry ${index}`, "L2 table is shared (internal snapshot); cannot write");
      }
      this.setL1Entry(index, table);
    }
    return this.loadTable(table, "L2 table");
  }

  // ---- writing ----

  private async writeChunk(guest: number, data: Uint8Array): Promise<void> {
    const l2 = (await this.l2ForWrite(guest, true))!;
    const index = this.l2Index(guest);
    const mapping = this.decodeL2(l2, index, guest);
    const inCluster = guest % this.clusterSize;
    if ((mapping.kind === "normal" || mapping.kind === "zero") && mapping.host !== 0) {
      if (await this.ownsCluster(mapping)) {
        this.checkDataCluster(mapping.host, guest);
        if (mapping.kind === "zero") {
          // A preallocated zero cluster: make the rest of it zeros before it turns into data.
          const full = new Uint8Array(this.clusterSize);
          full.set(data, inCluster);
          await this.file.write(mapping.host, full);
        } else {
          await this.file.write(mapping.host + inCluster, data);
        }
        this.dataDirty = true;
        if (mapping.kind === "zero" || !mapping.copied) this.setL2Entry(l2, index, mapping.host, 0);
        return;
      }
    }
    // Copy-on-write into a new cluster: from the backing file, zeros, compressed or shared data.
    const full =
      data.length === this.clusterSize || mapping.kind === "zero"
        ? new Uint8Array(this.clusterSize)
        : await this.clusterContents(guest - inCluster, mapping);
    full.set(data, inCluster);
    const released = await this.releasedBy(mapping);
    const host = await this.allocateCluster();
    await this.file.write(host, full);
    this.dataDirty = true;
    this.setL2Entry(l2, index, host, 0);
    this.release(released);
    if (this.lastInflated && mapping.kind === "compressed") this.lastInflated = null;
  }

  /** A cluster may be written in place when it is referenced only from here. */
  private async ownsCluster(mapping: { host: number; copied: boolean }): Promise<boolean> {
    return mapping.copied || (await this.refcount(mapping.host / this.clusterSize)) === 1;
  }

  /** Data must not land on the fixed metadata or on a table we know about. */
  private checkDataCluster(host: number, guest: number): void {
    if (this.isFixedMetadata(host / this.clusterSize) || this.cache.has(host)) {
      throw this.corrupt(
        `L2 entry for guest offset 0x${guest.toString(16)}`,
        `host offset 0x${host.toString(16)} overlaps metadata`,
      );
    }
  }

  /** Host clusters whose reference goes away when this mapping is replaced; validated now. */
  private async releasedBy(mapping: ClusterMapping): Promise<number[]> {
    let clusters: number[] = [];
    if (mapping.kind === "compressed") {
      for (let c = mapping.firstCluster; c <= mapping.lastCluster; c++) clusters.push(c);
    } else if ((mapping.kind === "normal" || mapping.kind === "zero") && mapping.host !== 0) {
      clusters = [mapping.host / this.clusterSize];
    }
    for (const cluster of clusters) {
      const pending = this.pendingFrees.get(cluster) ?? 0;
      if ((await this.refcount(cluster)) <= pending) {
        throw this.corrupt(
          `refcount of cluster 0x${(cluster * this.clusterSize).toString(16)}`,
          "is zero but the cluster is in use",
        );
      }
    }
    return clusters;
  }

  private release(clusters: number[]): void {
    for (const c of clusters) this.pendingFrees.set(c, (this.pendingFrees.get(c) ?? 0) + 1);
  }

  /** A discarded or unmapped cluster reads as zeros, except that v2 cannot hide a backing file. */
  private discardedEntryReadsZero(): boolean {
    return this.header.version === 3 && this.backing !== null;
  }

  /** Drops a whole cluster's data; it then reads as zeros (`zeroFlag`) or from below. */
  private async deallocateCluster(guest: number, zeroFlag: boolean): Promise<void> {
    const l2 = await this.l2ForWrite(guest, zeroFlag);
    if (l2 === null) return;
    const index = this.l2Index(guest);
    const mapping = this.decodeL2(l2, index, guest);
    if (mapping.kind === "unallocated" && !zeroFlag) return;
    if (mapping.kind === "zero" && mapping.host === 0) return;
    const released = await this.releasedBy(mapping);
    this.setL2Entry(l2, index, 0, zeroFlag ? OFLAG_ZERO_LO : 0);
    this.release(released);
  }

  private async zeroChunk(guest: number, length: number, unmap: boolean): Promise<void> {
    const wholeCluster = length === this.clusterSize;
    if (wholeCluster && this.header.version === 3) {
      const l2 = await this.l2ForWrite(guest, this.backing !== null);
      if (l2 === null) return; // no table and nothing below: already reads as zeros
      const index = this.l2Index(guest);
      const mapping = this.decodeL2(l2, index, guest);
      if (!unmap && (mapping.kind === "normal" || mapping.kind === "zero") && mapping.host !== 0) {
        if (await this.ownsCluster(mapping)) {
          // Keep the space (no unmap): a preallocated zero cluster.
          this.setL2Entry(l2, index, mapping.host, OFLAG_ZERO_LO);
          return;
        }
      }
      if (mapping.kind === "unallocated" && this.backing === null) return;
      await this.deallocateCluster(guest, true);
      return;
    }
    if (wholeCluster && unmap && this.backing === null) {
      await this.deallocateCluster(guest, false);
      return;
    }
    await this.writeChunk(guest, new Uint8Array(length));
  }

  // ---- refcounts and allocation ----

  private reftableEntry(index: number): number {
    const hi = this.reftableView.getUint32(index * 8);
    const lo = this.reftableView.getUint32(index * 8 + 4);
    const field = `refcount table entry ${index}`;
    if (lo & REFTABLE_RESERVED_LO) throw this.corrupt(field, "reserved bits are set");
    if (hi >= 0x20_0000) throw this.corrupt(field, "offset is beyond 2^53");
    const offset = hi * TWO_32 + lo;
    if (offset !== 0) this.checkMetadataPointer(offset, field);
    return offset;
  }

  private setReftableEntry(index: number, offset: number): void {
    this.reftableView.setUint32(index * 8, Math.floor(offset / TWO_32));
    this.reftableView.setUint32(index * 8 + 4, offset >>> 0);
    this.reftableDirtyFrom = Math.min(this.reftableDirtyFrom, index);
    this.reftableDirtyTo = Math.max(this.reftableDirtyTo, index);
  }

  private get reftableEntries(): number {
    return this.reftable.length / 8;
  }

  private async refcount(cluster: number): Promise<number> {
    const index = Math.floor(cluster / this.refcountsPerBlock);
    if (index >= this.reftableEntries) return 0;
    const offset = this.reftableEntry(index);
    if (offset === 0) return 0;
    const block = await this.loadTable(offset, "refcount block");
    return getRefcountEntry(block.bytes, block.view, cluster % this.refcountsPerBlock, this.refcountBits);
  }

  private async setRefcount(cluster: number, value: number): Promise<void> {
    const index = Math.floor(cluster / this.refcountsPerBlock);
    if (index >= this.reftableEntries) await this.growReftable(index);
    let offset = this.reftableEntry(index);
    if (offset === 0) offset = await this.allocateRefcountBlock(index);
    const block = await this.loadTable(offset, "refcount block");
    setRefcountEntry(block.bytes, block.view, cluster % this.refcountsPerBlock, this.refcountBits, value);
    this.markDirty(block);
  }

  /** New refcount blocks go at the end, so creating one never needs a free-cluster search. */
  private async allocateRefcountBlock(index: number): Promise<number> {
    const offset = this.appendClusters(1);
    this.insertTable(offset, "refcount block", new Uint8Array(this.clusterSize), true);
    this.setReftableEntry(index, offset);
    await this.setRefcount(offset / this.clusterSize, 1);
    return offset;
  }

  /** Moves the refcount table to a larger copy at the end of the file. */
  private async growReftable(neededIndex: number): Promise<void> {
    const needed = Math.ceil(((neededIndex + 1) * 8) / this.clusterSize);
    const clusters = Math.max(this.reftableClusters * 2, needed + 1);
    if (clusters * this.clusterSize > QCOW2_MAX_REFTABLE_BYTES) {
      throw new BlockIoError(`${this.name}: refcount table would exceed ${QCOW2_MAX_REFTABLE_BYTES} bytes`);
    }
    const oldFirst = this.reftableOffset / this.clusterSize;
    const oldClusters = this.reftableClusters;
    const offset = this.appendClusters(clusters);
    const table = new Uint8Array(clusters * this.clusterSize);
    table.set(this.reftable);
    this.reftable = table;
    this.reftableView = viewOf(table);
    this.reftableOffset = offset;
    this.reftableClusters = clusters;
    this.reftableMoved = true;
    this.reftableDirtyFrom = 0;
    this.reftableDirtyTo = this.reftableEntries - 1;
    for (let c = 0; c < clusters; c++) await this.setRefcount(offset / this.clusterSize + c, 1);
    // The old table stays referenced on disk until the header points at the new one.
    for (let c = 0; c < oldClusters; c++) this.release([oldFirst + c]);
  }

  private appendClusters(count: number): number {
    const offset = this.allocEnd;
    if (offset + count * this.clusterSize > MAX_HOST_OFFSET) {
      throw new BlockIoError(`${this.name}: image would grow past 2^53 bytes`);
    }
    this.allocEnd += count * this.clusterSize;
    return offset;
  }

  /** Finds a free cluster inside the file, or appends one; its refcount becomes 1. */
  private async allocateCluster(): Promise<number> {
    const cluster = (await this.findFreeCluster()) ?? this.appendClusters(1) / this.clusterSize;
    this.freeHint = cluster + 1;
    await this.setRefcount(cluster, 1);
    return cluster * this.clusterSize;
  }

  /** The first cluster at or after the hint with refcount 0, scanning a refcount block at a time. */
  private async findFreeCluster(): Promise<number | undefined> {
    const end = this.allocEnd / this.clusterSize;
    for (let cluster = this.freeHint; cluster < end; ) {
      const index = Math.floor(cluster / this.refcountsPerBlock);
      const blockEnd = Math.min(end, (index + 1) * this.refcountsPerBlock);
      // No refcount block means every cluster it would cover has refcount 0.
      const offset = index < this.reftableEntries ? this.reftableEntry(index) : 0;
      const block = offset !== 0 ? await this.loadTable(offset, "refcount block") : null;
      for (; cluster < blockEnd; cluster++) {
        if (this.isFixedMetadata(cluster) || this.pendingFrees.has(cluster)) continue;
        const slot = cluster % this.refcountsPerBlock;
        if (!block || getRefcountEntry(block.bytes, block.view, slot, this.refcountBits) === 0)
          return cluster;
      }
    }
    this.freeHint = end;
    return undefined;
  }

  // ---- metadata cache ----

  private async loadTable(offset: number, kind: MetadataKind): Promise<MetadataTable> {
    const cached = this.cache.get(offset);
    if (cached) {
      if (cached.kind !== kind) throw this.corrupt(kind, `0x${offset.toString(16)} is also a ${cached.kind}`);
      // Re-insert to keep the map in least-recently-used order.
      this.cache.delete(offset);
      this.cache.set(offset, cached);
      return cached;
    }
    const bytes = new Uint8Array(this.clusterSize);
    await readZeroFilled(this.file, offset, bytes);
    return this.insertTable(offset, kind, bytes, false);
  }

  private insertTable(offset: number, kind: MetadataKind, bytes: Uint8Array, fresh: boolean): MetadataTable {
    const table: MetadataTable = { offset, kind, bytes, view: viewOf(bytes), dirty: fresh, fresh };
    // Never evicted here: callers hold tables across awaits; see trimCache.
    this.cache.set(offset, table);
    return table;
  }

  /** Drops least recently used clean tables; writes back first when dirty ones fill the cache. */
  private async trimCache(): Promise<void> {
    if (this.cache.size <= this.cacheCapacity) return;
    this.evictClean();
    if (this.cache.size > this.cacheCapacity && !this.readOnly) {
      await this.writeBack(false);
      this.evictClean();
    }
  }

  private evictClean(): void {
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= this.cacheCapacity) break;
      if (!entry.dirty) this.cache.delete(key);
    }
  }

  private markDirty(table: MetadataTable): void {
    table.dirty = true;
  }

  /** Writes cached metadata back in crash-safe order (see the class comment). */
  private async writeBack(durable: boolean): Promise<void> {
    let synced = false;
    const sync = async () => {
      await this.file.sync();
      synced = true;
    };

    let wrote = this.dataDirty;
    for (const table of this.cache.values()) {
      if (table.dirty && (table.kind === "refcount block" || table.fresh)) {
        await this.writeTable(table);
        wrote = true;
      }
    }
    if (wrote) await sync();

    if (this.reftableDirtyTo >= 0) {
      const from = this.reftableDirtyFrom * 8;
      const to = (this.reftableDirtyTo + 1) * 8;
      await this.file.write(this.reftableOffset + from, this.reftable.subarray(from, to));
      this.reftableDirtyFrom = Number.POSITIVE_INFINITY;
      this.reftableDirtyTo = -1;
      await sync();
      if (this.reftableMoved) {
        const fields = new Uint8Array(12);
        const view = viewOf(fields);
        view.setUint32(0, Math.floor(this.reftableOffset / TWO_32));
        view.setUint32(4, this.reftableOffset >>> 0);
        view.setUint32(8, this.reftableClusters);
        await this.file.write(48, fields);
        this.reftableMoved = false;
        await sync();
      }
    }

    wrote = false;
    for (const table of this.cache.values()) {
      if (table.dirty) {
        await this.writeTable(table);
        wrote = true;
      }
    }
    if (this.l1DirtyTo >= 0) {
      const from = this.l1DirtyFrom * 8;
      const to = (this.l1DirtyTo + 1) * 8;
      await this.file.write(this.header.l1TableOffset + from, this.l1.subarray(from, to));
      this.l1DirtyFrom = Number.POSITIVE_INFINITY;
      this.l1DirtyTo = -1;
      wrote = true;
    }
    if (wrote) await sync();

    if (this.pendingFrees.size > 0) {
      for (const [cluster, count] of this.pendingFrees) {
        const current = await this.refcount(cluster);
        await this.setRefcount(cluster, Math.max(0, current - count));
        if (current <= count) this.freeHint = Math.min(this.freeHint, cluster);
      }
      this.pendingFrees.clear();
      for (const table of this.cache.values()) if (table.dirty) await this.writeTable(table);
      await sync();
    }

    this.dataDirty = false;
    if (durable && !synced) await this.file.sync();
  }

  private async writeTable(table: MetadataTable): Promise<void> {
    await this.file.write(table.offset, table.bytes);
    table.dirty = false;
    table.fresh = false;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Refuses images whose features this implementation cannot honour. */
function checkFeatures(
  header: Qcow2Header,
  extensions: Qcow2Extensions,
  file: string,
  readOnly: boolean,
): void {
  const handled = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION_TYPE;
  const unknown: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    const mask = 2 ** bit;
    if ((header.incompatibleFeatures & mask) !== 0 && (handled & mask) === 0) {
      unknown.push(featureName(extensions, "incompatible", bit));
    }
  }
  if (unknown.length > 0) {
    throw new ImageFormatError(file, "incompatible_features", `unsupported feature ${unknown.join(", ")}`);
  }
  const compressionBit = (header.incompatibleFeatures & INCOMPAT_COMPRESSION_TYPE) !== 0;
  if (compressionBit !== (header.compressionType !== COMPRESSION_ZLIB)) {
    throw new ImageFormatError(
      file,
      "compression_type",
      `type ${header.compressionType} disagrees with incompatible feature bit 3`,
    );
  }
  if (header.compressionType !== COMPRESSION_ZLIB) {
    throw new ImageFormatError(
      file,
      "compression_type",
      `type ${header.compressionType} (zstd) is not supported`,
    );
  }
  if (!readOnly && header.incompatibleFeatures & INCOMPAT_DIRTY) {
    throw new ImageFormatError(
      file,
      "incompatible_features",
      "dirty bit set (refcounts may be stale): repair with `qemu-img check -r all` or open read-only",
    );
  }
  if (!readOnly && header.incompatibleFeatures & INCOMPAT_CORRUPT) {
    throw new ImageFormatError(file, "incompatible_features", "image is marked corrupt: open it read-only");
  }
  if (!readOnly && header.nbSnapshots > 0) {
    throw new ImageFormatError(
      file,
      "nb_snapshots",
      "writing images with internal snapshots is not supported",
    );
  }
}
