/**
 * The qcow2 on-disk format (versions 2 and 3), as QEMU's `docs/interop/qcow2.txt` describes it:
 * constants and the header. All integers are big-endian.
 */
import { ImageFormatError } from "../block-backend.js";

/** "QFI\xfb" */
export const QCOW2_MAGIC = 0x514649fb;

export const QCOW2_V2_HEADER_LENGTH = 72;
export const QCOW2_V3_HEADER_LENGTH = 104;
export const QCOW2_MIN_CLUSTER_BITS = 9;
export const QCOW2_MAX_CLUSTER_BITS = 21;
/** The spec's limit on the backing file name. */
export const QCOW2_MAX_BACKING_NAME = 1023;
/** QEMU's limits: larger tables mean a corrupt header, not a real image. */
export const QCOW2_MAX_L1_BYTES = 32 << 20;
export const QCOW2_MAX_REFTABLE_BYTES = 8 << 20;
/** Host offsets must stay exact in a JavaScript number. */
export const MAX_HOST_OFFSET = 2 ** 53;

// Incompatible feature bits.
/** Refcounts may be stale (lazy refcounts, not closed cleanly). */
export const INCOMPAT_DIRTY = 1 << 0;
/** Metadata is known to be corrupt; only reading is safe. */
export const INCOMPAT_CORRUPT = 1 << 1;
/** Guest data lives in a separate file. */
export const INCOMPAT_EXTERNAL_DATA = 1 << 2;
/** `compression_type` field is meaningful (nonzero). */
export const INCOMPAT_COMPRESSION_TYPE = 1 << 3;
/** L2 entries are 128 bits with subcluster bitmaps. */
export const INCOMPAT_EXTENDED_L2 = 1 << 4;
// Compatible feature bits.
export const COMPAT_LAZY_REFCOUNTS = 1 << 0;
// Autoclear feature bits.
export const AUTOCLEAR_BITMAPS = 1 << 0;
export const AUTOCLEAR_DATA_FILE_RAW = 1 << 1;

/** Names of feature bits this implementation knows, used when the image has no name table. */
export const KNOWN_INCOMPATIBLE_NAMES: Record<number, string> = {
  0: "dirty bit",
  1: "corrupt bit",
  2: "external data file",
  3: "compression type",
  4: "extended L2 entries",
};

// Header extension types.
export const EXT_END = 0x00000000;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_NAMES = 0x6803f857;
export const EXT_BITMAPS = 0x23852875;
export const EXT_FULL_DISK_ENCRYPTION = 0x0537be77;
export const EXT_EXTERNAL_DATA_FILE = 0x44415441;

// L1 and L2 entry bits (in the high 32-bit word).
/** Refcount of the cluster is exactly one: it may be written in place. */
export const OFLAG_COPIED_HI = 0x8000_0000;
/** The L2 entry is a compressed cluster descriptor. */
export const OFLAG_COMPRESSED_HI = 0x4000_0000;
// In the low word.
/** v3: the cluster reads as zeros (the host offset may still be set: preallocated). */
export const OFLAG_ZERO_LO = 0x1;
/** Bits 9..55 hold a host offset; 0..8 and 56..62 are reserved in L1 entries. */
export const L1_RESERVED_LO = 0x1ff;
export const L1_RESERVED_HI = 0x7f00_0000;
/** Standard L2 entries: bits 1..8 and 56..61 are reserved. */
export const L2_RESERVED_LO = 0x1fe;
export const L2_RESERVED_HI = 0x3f00_0000;
/** Refcount table entries: bits 0..8 are reserved. */
export const REFTABLE_RESERVED_LO = 0x1ff;

/** Compression types (`compression_type` header field). */
export const COMPRESSION_ZLIB = 0;

export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  /** Virtual disk size in bytes, as stored. */
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: number;
  compatibleFeatures: number;
  autoclearFeatures: number;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
}

export interface Qcow2Extensions {
  backingFormat?: string;
  /** Names of feature bits, keyed "incompatible:3", "compatible:0", "autoclear:1". */
  featureNames: Map<string, string>;
  hasBitmaps: boolean;
}

/** Reads a big-endian u64 that must fit a JavaScript number exactly. */
export function readU64(view: DataView, at: number, file: string, field: string): number {
  const hi = view.getUint32(at);
  const lo = view.getUint32(at + 4);
  if (hi >= 0x20_0000) throw new ImageFormatError(file, field, `value 0x${hex64(hi, lo)} is too large`);
  return hi * 2 ** 32 + lo;
}

export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 2 ** 32));
  view.setUint32(at + 4, value >>> 0);
}

function hex64(hi: number, lo: number): string {
  return hi.toString(16) + lo.toString(16).padStart(8, "0");
}

/** Feature-bit words are 64 bits; bits 32..63 are all unknown to us, so fold them into a flag. */
function readFeatures(view: DataView, at: number): { low: number; highBits: number[] } {
  const hi = view.getUint32(at);
  const highBits: number[] = [];
  for (let bit = 0; bit < 32; bit++) if (hi & (1 << bit)) highBits.push(bit + 32);
  return { low: view.getUint32(at + 4), highBits };
}

/**
 * Parses and validates the fixed header. `head` holds at least the first `min(fileLength,
 * cluster)` bytes the caller could read (at least 4 KiB when the file has them).
 */
export function parseQcow2Header(head: Uint8Array, fileLength: number, file: string): Qcow2Header {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const fail = (field: string, detail: string) => new ImageFormatError(file, field, detail);
  if (head.length < QCOW2_V2_HEADER_LENGTH) throw fail("header", `truncated (${head.length} bytes)`);
  if (view.getUint32(0) !== QCOW2_MAGIC) throw fail("magic", "not a qcow2 image");
  const version = view.getUint32(4);
  if (version !== 2 && version !== 3) throw fail("version", `unsupported version ${version}`);
  if (version === 3 && head.length < QCOW2_V3_HEADER_LENGTH) {
    throw fail("header", `truncated (${head.length} bytes)`);
  }

  const clusterBits = view.getUint32(20);
  if (clusterBits < QCOW2_MIN_CLUSTER_BITS || clusterBits > QCOW2_MAX_CLUSTER_BITS) {
    throw fail(
      "cluster_bits",
      `${clusterBits} is outside ${QCOW2_MIN_CLUSTER_BITS}..${QCOW2_MAX_CLUSTER_BITS}`,
    );
  }
  const clusterSize = 2 ** clusterBits;

  let incompatible = 0;
  let compatible = 0;
  let autoclear = 0;
  let refcountOrder = 4;
  let headerLength = QCOW2_V2_HEADER_LENGTH;
  let compressionType = COMPRESSION_ZLIB;
  if (version === 3) {
    const inc = readFeatures(view, 72);
    if (inc.highBits.length > 0) {
      throw fail("incompatible_features", `unknown incompatible feature bits ${inc.highBits.join(", ")}`);
    }
    incompatible = inc.low;
    compatible = readFeatures(view, 80).low;
    const auto = readFeatures(view, 88);
    // Unknown autoclear bits are harmless: a writer clears them. Keep the ones we can name.
    autoclear = auto.low;
    refcountOrder = view.getUint32(96);
    headerLength = view.getUint32(100);
    if (headerLength < QCOW2_V3_HEADER_LENGTH || headerLength % 8 !== 0 || headerLength > clusterSize) {
      throw fail("header_length", `${headerLength} is invalid`);
    }
    if (headerLength > head.length)
      throw fail("header_length", `${headerLength} is past the end of the file`);
    if (headerLength > 104) compressionType = view.getUint8(104);
  }
  if (refcountOrder > 6) throw fail("refcount_order", `${refcountOrder} is larger than 6 (64-bit refcounts)`);

  const header: Qcow2Header = {
    version,
    backingFileOffset: readU64(view, 8, file, "backing_file_offset"),
    backingFileSize: view.getUint32(16),
    clusterBits,
    size: readU64(view, 24, file, "size"),
    cryptMethod: view.getUint32(32),
    l1Size: view.getUint32(36),
    l1TableOffset: readU64(view, 40, file, "l1_table_offset"),
    refcountTableOffset: readU64(view, 48, file, "refcount_table_offset"),
    refcountTableClusters: view.getUint32(56),
    nbSnapshots: view.getUint32(60),
    snapshotsOffset: readU64(view, 64, file, "snapshots_offset"),
    incompatibleFeatures: incompatible,
    compatibleFeatures: compatible,
    autoclearFeatures: autoclear,
    refcountOrder,
    headerLength,
    compressionType,
  };

  if (header.cryptMethod !== 0)
    throw fail("crypt_method", `encrypted images (method ${header.cryptMethod}) are not supported`);

  // The virtual size must be addressable by the L1 table, and the L1 table must be sane.
  const l2Entries = clusterSize / 8;
  const bytesPerL1Entry = l2Entries * clusterSize;
  if (header.size > MAX_HOST_OFFSET / 2) throw fail("size", `${header.size} is absurdly large`);
  const neededL1 = Math.ceil(header.size / bytesPerL1Entry);
  if (header.l1Size * 8 > QCOW2_MAX_L1_BYTES) throw fail("l1_size", `${header.l1Size} entries is too large`);
  if (header.l1Size < neededL1) {
    throw fail(
      "l1_size",
      `${header.l1Size} entries cannot address ${header.size} bytes (${neededL1} needed)`,
    );
  }
  if (header.l1Size > 0) checkTable(header.l1TableOffset, header.l1Size * 8, "l1_table_offset");

  if (header.refcountTableClusters === 0) throw fail("refcount_table_clusters", "is zero");
  if (header.refcountTableClusters * clusterSize > QCOW2_MAX_REFTABLE_BYTES) {
    throw fail("refcount_table_clusters", `${header.refcountTableClusters} clusters is too large`);
  }
  checkTable(header.refcountTableOffset, header.refcountTableClusters * clusterSize, "refcount_table_offset");
  if (header.nbSnapshots > 0) checkTable(header.snapshotsOffset, 1, "snapshots_offset");

  if (header.backingFileOffset !== 0) {
    if (header.backingFileSize === 0 || header.backingFileSize > QCOW2_MAX_BACKING_NAME) {
      throw fail("backing_file_size", `${header.backingFileSize} is invalid`);
    }
    const end = header.backingFileOffset + header.backingFileSize;
    if (header.backingFileOffset < QCOW2_V2_HEADER_LENGTH || end > Math.min(clusterSize, head.length)) {
      throw fail("backing_file_offset", "the name lies outside the header cluster");
    }
  }
  return header;

  function checkTable(offset: number, length: number, field: string): void {
    if (offset === 0 || offset % clusterSize !== 0) {
      throw fail(field, `0x${offset.toString(16)} is not a nonzero multiple of the cluster size`);
    }
    if (offset + length > fileLength) {
      throw fail(
        field,
        `table at 0x${offset.toString(16)} (+${length}) is past the end of the file (${fileLength})`,
      );
    }
  }
}

/** Reads the header extensions that follow the fixed header, up to the end of the first cluster. */
export function parseQcow2Extensions(head: Uint8Array, header: Qcow2Header, file: string): Qcow2Extensions {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const extensions: Qcow2Extensions = { featureNames: new Map(), hasBitmaps: false };
  const limit = Math.min(head.length, 2 ** header.clusterBits);
  const ascii = new TextDecoder("utf-8", { fatal: false });
  let at = header.headerLength;
  // The backing file name may sit right after the header with no extensions at all.
  const stopAt = header.backingFileOffset !== 0 ? Math.min(limit, header.backingFileOffset) : limit;
  while (at + 8 <= stopAt) {
    const type = view.getUint32(at);
    const length = view.getUint32(at + 4);
    if (type === EXT_END) break;
    const data = at + 8;
    if (length > stopAt - data) {
      throw new ImageFormatError(
        file,
        "header extension",
        `0x${type.toString(16)} at ${at} overruns the header`,
      );
    }
    if (type === EXT_BACKING_FORMAT) {
      extensions.backingFormat = ascii.decode(head.subarray(data, data + length)).replace(/\0+$/, "");
    } else if (type === EXT_FEATURE_NAMES) {
      const kinds = ["incompatible", "compatible", "autoclear"];
      for (let e = data; e + 48 <= data + length; e += 48) {
        const kind = kinds[view.getUint8(e)];
        if (kind === undefined) continue;
        const name = ascii.decode(head.subarray(e + 2, e + 48)).replace(/\0.*$/s, "");
        extensions.featureNames.set(`${kind}:${view.getUint8(e + 1)}`, name);
      }
    } else if (type === EXT_BITMAPS) {
      extensions.hasBitmaps = true;
    }
    // Other extensions (encryption, external data file) belong to features refused elsewhere.
    at = data + Math.ceil(length / 8) * 8;
  }
  return extensions;
}

/** Reads the backing file name stored in the header cluster. */
export function readBackingName(head: Uint8Array, header: Qcow2Header): string | undefined {
  if (header.backingFileOffset === 0) return undefined;
  const bytes = head.subarray(header.backingFileOffset, header.backingFileOffset + header.backingFileSize);
  return new TextDecoder().decode(bytes);
}

/** Describes a feature bit, preferring the image's own name table. */
export function featureName(extensions: Qcow2Extensions, kind: string, bit: number): string {
  const named = extensions.featureNames.get(`${kind}:${bit}`);
  if (named) return `bit ${bit} (${named})`;
  if (kind === "incompatible" && KNOWN_INCOMPATIBLE_NAMES[bit])
    return `bit ${bit} (${KNOWN_INCOMPATIBLE_NAMES[bit]})`;
  return `bit ${bit}`;
}
