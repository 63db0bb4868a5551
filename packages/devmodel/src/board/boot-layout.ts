import { BootLayoutError, type BootRange, RV64_KERNEL_ALIGN } from "../loaders/linux-image.js";

const PAGE = 4096;
const MiB = 1024 * 1024;

/** `struct fw_dynamic_info` (OpenSBI `include/sbi/fw_dynamic.h`), version 2: six `unsigned long`s. */
export const FW_DYNAMIC_INFO_MAGIC = 0x4942_534f;
export const FW_DYNAMIC_INFO_VERSION = 2;
export const FW_DYNAMIC_INFO_SIZE = 6 * 8;
/** `next_mode` values. */
export const FW_DYNAMIC_NEXT_MODE_S = 1;

export interface FwDynamicInfo {
  readonly nextAddress: number;
  readonly nextMode: number;
  readonly options: number;
  readonly bootHart: number;
}

/** Encodes a `struct fw_dynamic_info` (little-endian RV64). */
export function encodeFwDynamicInfo(info: FwDynamicInfo): Uint8Array {
  const bytes = new Uint8Array(FW_DYNAMIC_INFO_SIZE);
  const view = new DataView(bytes.buffer);
  const fields = [
    FW_DYNAMIC_INFO_MAGIC,
    FW_DYNAMIC_INFO_VERSION,
    info.nextAddress,
    info.nextMode,
    info.options,
    info.bootHart,
  ];
  for (const [i, v] of fields.entries()) view.setBigUint64(8 * i, BigInt(v), true);
  return bytes;
}

export interface FirmwareBootRequest {
  readonly ramBase: number;
  readonly ramSize: number;
  /** Bytes the firmware occupies from the start of RAM (its memory size, bss included). */
  readonly firmwareSize: number;
  readonly kernelSize?: number;
  readonly initrdSize?: number;
  readonly dtbSize: number;
}

export interface FirmwareBootLayout {
  readonly firmware: BootRange;
  /** The next stage, where `fw_jump` jumps (FW_JUMP_ADDR = RAM + 2 MiB in the generic build). */
  readonly kernel?: BootRange;
  readonly initrd?: BootRange;
  readonly dtb: BootRange;
  /** Where the `struct fw_dynamic_info` goes (passed in a2). */
  readonly fwDynamicInfo: BootRange;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number): number => Math.floor(n / a) * a;
const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Places firmware, kernel, initrd, DTB and `fw_dynamic_info` for the firmware flow as QEMU does:
 * firmware at the start of RAM, the kernel at the next 2 MiB boundary after it, the DTB 2 MiB
 * aligned at the top (below 3 GiB), the info page and the initrd just below the DTB. OpenSBI
 * grows the DTB in place, so nothing may sit right after it.
 */
export function planFirmwareBoot(request: FirmwareBootRequest): FirmwareBootLayout {
  const { ramBase, ramSize, firmwareSize, dtbSize } = request;
  const ramEnd = ramBase + ramSize;
  const limit = ramBase < 3072 * MiB ? Math.min(ramEnd, 3072 * MiB) : ramEnd;
  const firmware = { address: ramBase, size: firmwareSize };
  let used = ramBase + firmwareSize;
  let kernel: BootRange | undefined;
  if (request.kernelSize !== undefined) {
    const address = alignUp(used, RV64_KERNEL_ALIGN);
    kernel = { address, size: request.kernelSize };
    used = address + request.kernelSize;
  }
  const dtbAddress = alignDown(limit - dtbSize, RV64_KERNEL_ALIGN);
  const infoAddress = dtbAddress - PAGE;
  if (infoAddress < used) {
    throw new BootLayoutError(
      `firmware and kernel end at ${hex(used)}, leaving no room for the DTB; RAM of ${ramSize / MiB} MiB is too small`,
    );
  }
  const dtb = { address: dtbAddress, size: dtbSize };
  const fwDynamicInfo = { address: infoAddress, size: FW_DYNAMIC_INFO_SIZE };
  const initrdSize = request.initrdSize ?? 0;
  if (initrdSize === 0) return { firmware, kernel, dtb, fwDynamicInfo };
  const initrdAddress = alignDown(infoAddress - initrdSize, PAGE);
  if (initrdAddress < used) {
    throw new BootLayoutError(
      `a ${initrdSize}-byte initrd does not fit between ${hex(used)} and the DTB at ${hex(dtbAddress)}; ` +
        `RAM of ${ramSize / MiB} MiB is too small`,
    );
  }
  return { firmware, kernel, initrd: { address: initrdAddress, size: initrdSize }, dtb, fwDynamicInfo };
}
