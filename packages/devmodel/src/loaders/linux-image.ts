import type { GuestMemory } from "@monovisor/hv-core";

/**
 * The RISC-V Linux `Image` header (Documentation/riscv/boot-image-header.rst), 64 bytes,
 * little-endian:
 *   0x00 code0, code1     0x08 text_offset   0x10 image_size   0x18 flags
 *   0x20 version          0x24 res1          0x28 res2
 *   0x30 magic "RISCV\0\0\0"   0x38 magic2 "RSC\x05"   0x3c res3 (PE header offset)
 */
const HEADER_SIZE = 64;
const OFF_TEXT_OFFSET = 0x08;
const OFF_IMAGE_SIZE = 0x10;
const OFF_FLAGS = 0x18;
const OFF_VERSION = 0x20;
const OFF_MAGIC = 0x30;
const OFF_MAGIC2 = 0x38;
const MAGIC = [0x52, 0x49, 0x53, 0x43, 0x56, 0, 0, 0]; // "RISCV\0\0\0"
const MAGIC2 = [0x52, 0x53, 0x43, 0x05]; // "RSC\x05"
/** flags bit 0: kernel endianness, 1 = big-endian. */
const FLAG_BIG_ENDIAN = 1;

const KiB = 1024;
const MiB = 1024 * KiB;
/** RV64 Linux maps itself with 2 MiB pages, so its physical start must be 2 MiB aligned. */
export const RV64_KERNEL_ALIGN = 2 * MiB;
const PAGE = 4 * KiB;

/** Raised when bytes are not a RISC-V Linux `Image`. */
export class LinuxImageError extends Error {
  constructor(message: string) {
    super(`invalid Linux Image: ${message}`);
    this.name = "LinuxImageError";
  }
}

/** Raised when kernel, initrd and device tree cannot be placed in the guest's RAM. */
export class BootLayoutError extends Error {
  constructor(message: string) {
    super(`cannot place boot images: ${message}`);
    this.name = "BootLayoutError";
  }
}

export interface LinuxImageHeader {
  /** Offset from the start of RAM the kernel expects to run at. */
  readonly textOffset: number;
  /** Bytes the kernel occupies once running, bss included (at least the file size). */
  readonly imageSize: number;
  readonly flags: number;
  /** Header version as major << 16 | minor. */
  readonly version: number;
  /** The size of the `Image` file itself. */
  readonly fileSize: number;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Parses and validates the header of a RISC-V Linux `Image`. */
export function parseLinuxImage(bytes: Uint8Array): LinuxImageHeader {
  if (bytes.length < HEADER_SIZE) {
    throw new LinuxImageError(`file is ${bytes.length} bytes, shorter than the 64-byte header`);
  }
  if (!MAGIC.every((b, i) => bytes[OFF_MAGIC + i] === b)) {
    throw new LinuxImageError('no "RISCV" magic at 0x30 (not a RISC-V kernel Image, or a compressed one)');
  }
  if (!MAGIC2.every((b, i) => bytes[OFF_MAGIC2 + i] === b)) {
    throw new LinuxImageError('no "RSC\\x05" magic at 0x38');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (offset: number, what: string): number => {
    const v = view.getBigUint64(offset, true);
    if (v > 0xffff_ffffn) throw new LinuxImageError(`${what} ${v} is implausibly large`);
    return Number(v);
  };
  const textOffset = u64(OFF_TEXT_OFFSET, "text_offset");
  const imageSizeField = u64(OFF_IMAGE_SIZE, "image_size");
  const flags = u64(OFF_FLAGS, "flags");
  const version = view.getUint32(OFF_VERSION, true);
  if ((flags & FLAG_BIG_ENDIAN) !== 0) throw new LinuxImageError("big-endian kernels are not supported");
  if (textOffset % PAGE !== 0)
    throw new LinuxImageError(`text_offset ${hex(textOffset)} is not page aligned`);
  // Header version 0.1 and earlier may leave image_size 0; the file size is the best bound then.
  const imageSize = imageSizeField === 0 ? bytes.length : imageSizeField;
  if (imageSize < bytes.length) {
    throw new LinuxImageError(`image_size ${imageSize} is smaller than the ${bytes.length}-byte file`);
  }
  return { textOffset, imageSize, flags, version, fileSize: bytes.length };
}

export interface LinuxBootRequest {
  readonly ramBase: number;
  readonly ramSize: number;
  readonly kernel: LinuxImageHeader;
  /** Size of the initial ramdisk, or 0/undefined for none. */
  readonly initrdSize?: number;
  /** Size of the device tree blob (it does not change when /chosen addresses are filled in). */
  readonly dtbSize: number;
  /**
   * Highest address (exclusive) for initrd and DTB. Defaults to QEMU's choice: the end of RAM,
   * capped at 3 GiB when RAM starts below it, so 32-bit firmware can reach them too.
   */
  readonly limit?: number;
}

export interface BootRange {
  readonly address: number;
  readonly size: number;
}

export interface LinuxBootLayout {
  /** Where the `Image` goes; also the entry point (a0 = hartid, a1 = DTB address). */
  readonly kernel: BootRange;
  readonly initrd?: BootRange;
  readonly dtb: BootRange;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number): number => Math.floor(n / a) * a;

/**
 * Places kernel, initrd and DTB in RAM:
 * - kernel at RAM base + text_offset, rounded up to 2 MiB (RV64 Linux needs 2 MiB alignment);
 * - DTB at the top, below the limit, 2 MiB aligned as QEMU does, so it stays clear of everything
 *   the kernel allocates early and fits the kernel's early 2 MiB fixmap window;
 * - initrd just below the DTB, page aligned, as far from the kernel's bss as possible.
 */
export function planLinuxBoot(request: LinuxBootRequest): LinuxBootLayout {
  const { ramBase, ramSize, kernel, dtbSize } = request;
  const initrdSize = request.initrdSize ?? 0;
  const ramEnd = ramBase + ramSize;
  const defaultLimit = ramBase < 3072 * MiB ? Math.min(ramEnd, 3072 * MiB) : ramEnd;
  const limit = Math.min(request.limit ?? defaultLimit, ramEnd);
  if (!(dtbSize > 0) || !Number.isInteger(dtbSize)) throw new BootLayoutError(`bad DTB size ${dtbSize}`);
  if (!(initrdSize >= 0) || !Number.isInteger(initrdSize)) {
    throw new BootLayoutError(`bad initrd size ${initrdSize}`);
  }

  const kernelAddress = alignUp(ramBase + kernel.textOffset, RV64_KERNEL_ALIGN);
  const kernelEnd = kernelAddress + kernel.imageSize;
  if (kernelEnd > ramEnd) {
    throw new BootLayoutError(
      `the kernel needs [${hex(kernelAddress)}, ${hex(kernelEnd)}) but RAM ends at ${hex(ramEnd)}`,
    );
  }

  const dtbAddress = alignDown(limit - dtbSize, RV64_KERNEL_ALIGN);
  if (dtbAddress < kernelEnd) {
    throw new BootLayoutError(
      `no room for a ${dtbSize}-byte DTB on a 2 MiB boundary between the kernel end ${hex(kernelEnd)} ` +
        `and ${hex(limit)}; RAM of ${ramSize / MiB} MiB is too small`,
    );
  }
  const dtb = { address: dtbAddress, size: dtbSize };
  if (initrdSize === 0) return { kernel: { address: kernelAddress, size: kernel.imageSize }, dtb };

  const initrdAddress = alignDown(dtbAddress - initrdSize, PAGE);
  if (initrdAddress < kernelEnd) {
    throw new BootLayoutError(
      `a ${initrdSize}-byte initrd does not fit between the kernel end ${hex(kernelEnd)} and the DTB ` +
        `at ${hex(dtbAddress)}; RAM of ${ramSize / MiB} MiB is too small`,
    );
  }
  return {
    kernel: { address: kernelAddress, size: kernel.imageSize },
    initrd: { address: initrdAddress, size: initrdSize },
    dtb,
  };
}

export interface LinuxBootImages {
  readonly kernel: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly dtb: Uint8Array;
}

/**
 * Copies kernel, initrd and DTB to the addresses of `layout` (from {@link planLinuxBoot}) and
 * zeroes the kernel's bss. Checks sizes against the layout before writing anything.
 */
export function loadLinuxBoot(memory: GuestMemory, layout: LinuxBootLayout, images: LinuxBootImages): void {
  if (images.kernel.length > layout.kernel.size) {
    throw new BootLayoutError(
      `kernel of ${images.kernel.length} bytes exceeds its ${layout.kernel.size}-byte slot`,
    );
  }
  if (images.dtb.length > layout.dtb.size) {
    throw new BootLayoutError(`DTB of ${images.dtb.length} bytes exceeds its ${layout.dtb.size}-byte slot`);
  }
  const initrdSize = images.initrd?.length ?? 0;
  if (initrdSize > (layout.initrd?.size ?? 0)) {
    throw new BootLayoutError(
      `initrd of ${initrdSize} bytes exceeds its ${layout.initrd?.size ?? 0}-byte slot`,
    );
  }
  for (const range of [layout.kernel, layout.dtb, layout.initrd]) {
    if (range !== undefined && !memory.containsRam(range.address, range.size)) {
      throw new BootLayoutError(`[${hex(range.address)}, ${hex(range.address + range.size)}) is outside RAM`);
    }
  }
  memory.writeBytes(layout.kernel.address, images.kernel);
  memory.zero(layout.kernel.address + images.kernel.length, layout.kernel.size - images.kernel.length);
  if (images.initrd !== undefined && layout.initrd !== undefined) {
    memory.writeBytes(layout.initrd.address, images.initrd);
  }
  memory.writeBytes(layout.dtb.address, images.dtb);
}
