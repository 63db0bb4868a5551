import { existsSync, readFileSync } from "node:fs";
import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import {
  BootLayoutError,
  LinuxImageError,
  type LinuxImageHeader,
  loadLinuxBoot,
  parseLinuxImage,
  planLinuxBoot,
} from "./linux-image.js";

const MiB = 1024 * 1024;
const RAM = 0x8000_0000;

function fakeImage(
  fileSize: number,
  fields: { textOffset?: bigint; imageSize?: bigint; flags?: bigint } = {},
) {
  const b = new Uint8Array(fileSize);
  const v = new DataView(b.buffer);
  v.setBigUint64(0x08, fields.textOffset ?? 0x20_0000n, true);
  v.setBigUint64(0x10, fields.imageSize ?? BigInt(fileSize + 0x1000), true);
  v.setBigUint64(0x18, fields.flags ?? 0n, true);
  v.setUint32(0x20, 2, true);
  b.set(new TextEncoder().encode("RISCV"), 0x30);
  b.set([0x52, 0x53, 0x43, 0x05], 0x38);
  return b;
}

describe("parseLinuxImage", () => {
  it("reads text_offset, image_size, flags and version", () => {
    const h = parseLinuxImage(fakeImage(0x2000));
    expect(h).toEqual({ textOffset: 0x20_0000, imageSize: 0x3000, flags: 0, version: 2, fileSize: 0x2000 });
  });

  it("falls back to the file size when image_size is 0", () => {
    expect(parseLinuxImage(fakeImage(0x2000, { imageSize: 0n })).imageSize).toBe(0x2000);
  });

  it("names what is wrong with a bad header", () => {
    expect(() => parseLinuxImage(new Uint8Array(32))).toThrow(LinuxImageError);
    expect(() => parseLinuxImage(new Uint8Array(32))).toThrow(/shorter than the 64-byte header/);
    const noMagic = fakeImage(0x100);
    noMagic[0x30] = 0x41;
    expect(() => parseLinuxImage(noMagic)).toThrow(/no "RISCV" magic/);
    const noMagic2 = fakeImage(0x100);
    noMagic2[0x3b] = 0x06;
    expect(() => parseLinuxImage(noMagic2)).toThrow(/RSC/);
    expect(() => parseLinuxImage(fakeImage(0x100, { flags: 1n }))).toThrow(/big-endian/);
    expect(() => parseLinuxImage(fakeImage(0x100, { textOffset: 0x123n }))).toThrow(/not page aligned/);
    expect(() => parseLinuxImage(fakeImage(0x2000, { imageSize: 0x1000n }))).toThrow(/smaller than/);
    expect(() => parseLinuxImage(fakeImage(0x100, { imageSize: 1n << 40n }))).toThrow(/implausibly large/);
  });
});

describe("planLinuxBoot", () => {
  const kernel: LinuxImageHeader = {
    textOffset: 0x20_0000,
    imageSize: 6 * MiB,
    flags: 0,
    version: 2,
    fileSize: 5 * MiB,
  };

  it("puts the kernel at RAM + 2 MiB, the DTB 2 MiB aligned at the top, the initrd below it", () => {
    const layout = planLinuxBoot({
      ramBase: RAM,
      ramSize: 256 * MiB,
      kernel,
      initrdSize: 1_151_981,
      dtbSize: 0x2000,
    });
    expect(layout.kernel).toEqual({ address: RAM + 2 * MiB, size: 6 * MiB });
    expect(layout.dtb).toEqual({ address: RAM + 254 * MiB, size: 0x2000 });
    expect(layout.initrd?.address).toBe(Math.floor((RAM + 254 * MiB - 1_151_981) / 4096) * 4096);
    const initrd = layout.initrd!;
    expect(initrd.address + initrd.size).toBeLessThanOrEqual(layout.dtb.address);
    expect(initrd.address % 4096).toBe(0);
  });

  it("rounds a text_offset that is not 2 MiB aligned up", () => {
    const layout = planLinuxBoot({
      ramBase: RAM,
      ramSize: 64 * MiB,
      kernel: { ...kernel, textOffset: 0x1000 },
      dtbSize: 0x1000,
    });
    expect(layout.kernel.address).toBe(RAM + 2 * MiB);
    expect(layout.initrd).toBeUndefined();
  });

  it("keeps initrd and DTB below 3 GiB by default and below an explicit limit", () => {
    const big = planLinuxBoot({
      ramBase: RAM,
      ramSize: 3 * 1024 * MiB,
      kernel,
      initrdSize: MiB,
      dtbSize: 0x1000,
    });
    expect(big.dtb.address + big.dtb.size).toBeLessThanOrEqual(3 * 1024 * MiB);
    const limited = planLinuxBoot({
      ramBase: RAM,
      ramSize: 512 * MiB,
      kernel,
      dtbSize: 0x1000,
      limit: RAM + 64 * MiB,
    });
    expect(limited.dtb.address).toBe(RAM + 62 * MiB);
  });

  it("reports RAM too small for kernel, DTB or initrd", () => {
    expect(() => planLinuxBoot({ ramBase: RAM, ramSize: 4 * MiB, kernel, dtbSize: 0x1000 })).toThrow(
      /the kernel needs .* RAM ends/,
    );
    expect(() => planLinuxBoot({ ramBase: RAM, ramSize: 8 * MiB, kernel, dtbSize: 0x1000 })).toThrow(
      BootLayoutError,
    );
    expect(() => planLinuxBoot({ ramBase: RAM, ramSize: 8 * MiB, kernel, dtbSize: 0x1000 })).toThrow(/DTB/);
    expect(() =>
      planLinuxBoot({ ramBase: RAM, ramSize: 16 * MiB, kernel, initrdSize: 8 * MiB, dtbSize: 0x1000 }),
    ).toThrow(/initrd does not fit/);
  });
});

describe("loadLinuxBoot", () => {
  it("writes each image at its address and zeroes the kernel bss", () => {
    const mem = new GuestMemory({ ramSize: 16 * MiB });
    const image = fakeImage(0x2000);
    image[0x40] = 0xab;
    const header = parseLinuxImage(image);
    const layout = planLinuxBoot({
      ramBase: RAM,
      ramSize: 16 * MiB,
      kernel: header,
      initrdSize: 3,
      dtbSize: 4,
    });
    mem.writeBytes(layout.kernel.address + 0x2000, new Uint8Array(16).fill(0xff));
    loadLinuxBoot(mem, layout, {
      kernel: image,
      initrd: new Uint8Array([7, 8, 9]),
      dtb: new Uint8Array([0xd0, 0x0d, 0xfe, 0xed]),
    });
    expect(mem.readBytes(layout.kernel.address + 0x40, 1)[0]).toBe(0xab);
    expect(mem.readBytes(layout.kernel.address + 0x2000, 0x1000).every((b) => b === 0)).toBe(true);
    expect([...mem.readBytes(layout.initrd!.address, 3)]).toEqual([7, 8, 9]);
    expect([...mem.readBytes(layout.dtb.address, 4)]).toEqual([0xd0, 0x0d, 0xfe, 0xed]);
  });

  it("refuses images larger than their slots", () => {
    const mem = new GuestMemory({ ramSize: 16 * MiB });
    const header = parseLinuxImage(fakeImage(0x2000));
    const layout = planLinuxBoot({ ramBase: RAM, ramSize: 16 * MiB, kernel: header, dtbSize: 4 });
    expect(() => loadLinuxBoot(mem, layout, { kernel: fakeImage(0x2000), dtb: new Uint8Array(8) })).toThrow(
      /DTB of 8 bytes exceeds/,
    );
  });
});

const KERNEL = "/work/shared/guests/linux-6.1-virt/Image";
describe.skipIf(!existsSync(KERNEL))("the Linux 6.1 guest kernel", () => {
  it("has a valid header and fits a 256 MiB guest with its initrd", () => {
    const bytes = new Uint8Array(readFileSync(KERNEL));
    const h = parseLinuxImage(bytes);
    expect(h.textOffset).toBe(0x20_0000);
    expect(h.imageSize).toBeGreaterThanOrEqual(bytes.length);
    expect(h.version >>> 16).toBe(0);
    expect(h.version & 0xffff).toBeGreaterThanOrEqual(2);
    const layout = planLinuxBoot({
      ramBase: RAM,
      ramSize: 256 * MiB,
      kernel: h,
      initrdSize: 1_151_981,
      dtbSize: 0x2000,
    });
    const mem = new GuestMemory({ ramSize: 256 * MiB });
    loadLinuxBoot(mem, layout, {
      kernel: bytes,
      initrd: new Uint8Array(1_151_981),
      dtb: new Uint8Array(0x2000),
    });
    expect([...mem.readBytes(layout.kernel.address + 0x30, 5)]).toEqual([
      ...new TextEncoder().encode("RISCV"),
    ]);
  });
});
