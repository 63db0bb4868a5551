import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockIoError, BlockRangeError, BlockReadOnlyError } from "./block-backend.js";
import { MemoryBlockBackend } from "./memory-backend.js";
import { openImage, openRaw, probeImageFormat } from "./open-image.js";
import { randomBytes, scratchDir } from "./qemu-tools.testing.js";
import { RawBlockBackend } from "./raw.js";

let dir: ReturnType<typeof scratchDir>;
beforeAll(() => {
  dir = scratchDir();
});
afterAll(() => dir.dispose());

describe("raw images", () => {
  it("reads, writes, zeroes and flushes through the file", async () => {
    const path = dir.file("disk.raw");
    const initial = randomBytes(64 * 1024, 1);
    writeFileSync(path, initial);
    expect(await probeImageFormat(path)).toBe("raw");
    const disk = await openImage(path, { serial: "disk-0" });
    expect(disk).toBeInstanceOf(RawBlockBackend);
    expect(disk.size).toBe(64 * 1024);
    expect(disk.serial).toBe("disk-0");
    const sector = new Uint8Array(512);
    await disk.read(512, sector);
    expect(sector).toEqual(initial.subarray(512, 1024));
    await disk.write(4096, new Uint8Array(1024).fill(0xab));
    await disk.writeZeroes(8192, 4096, { unmap: true });
    await disk.discard(0, 512); // a no-op that succeeds
    await disk.flush();
    await disk.close();
    const after = readFileSync(path);
    expect(after.subarray(4096, 5120).every((b) => b === 0xab)).toBe(true);
    expect(after.subarray(8192, 12288).every((b) => b === 0)).toBe(true);
    expect(after.subarray(0, 512)).toEqual(Buffer.from(initial.subarray(0, 512)));
    await expect(disk.read(0, sector)).rejects.toBeInstanceOf(BlockIoError);
  });

  it("rounds an uneven file up to a sector, the tail reading as zeros", async () => {
    const path = dir.file("uneven.raw");
    writeFileSync(path, new Uint8Array(1000).fill(1));
    const disk = await openRaw(path, { readOnly: true });
    expect(disk.size).toBe(1024);
    const tail = new Uint8Array(512);
    await disk.read(512, tail);
    expect(tail.subarray(0, 488).every((b) => b === 1)).toBe(true);
    expect(tail.subarray(488).every((b) => b === 0)).toBe(true);
    await disk.close();
  });

  it("rejects bad requests and writes to a read-only image", async () => {
    const path = dir.file("ro.raw");
    writeFileSync(path, new Uint8Array(4096));
    const disk = await openRaw(path, { readOnly: true });
    await expect(disk.write(0, new Uint8Array(512))).rejects.toBeInstanceOf(BlockReadOnlyError);
    await expect(disk.writeZeroes(0, 512)).rejects.toBeInstanceOf(BlockReadOnlyError);
    await expect(disk.discard(0, 512)).rejects.toBeInstanceOf(BlockReadOnlyError);
    await expect(disk.read(1, new Uint8Array(512))).rejects.toBeInstanceOf(BlockRangeError);
    await expect(disk.read(4096, new Uint8Array(512))).rejects.toBeInstanceOf(BlockRangeError);
    await expect(disk.read(-512, new Uint8Array(512))).rejects.toBeInstanceOf(BlockRangeError);
    await disk.close();
  });

  it("reports a missing file as an I/O error", async () => {
    await expect(openRaw(dir.file("missing.raw"))).rejects.toBeInstanceOf(BlockIoError);
  });
});

describe("memory disks", () => {
  it("behaves like a disk", async () => {
    const disk = new MemoryBlockBackend(8192, { serial: "mem" });
    await disk.write(512, new Uint8Array(512).fill(9));
    const out = new Uint8Array(1024);
    await disk.read(0, out);
    expect(out[0]).toBe(0);
    expect(out[512]).toBe(9);
    await disk.writeZeroes(512, 512);
    await disk.read(512, out.subarray(0, 512));
    expect(out[0]).toBe(0);
    await expect(disk.read(8192, out.subarray(0, 512))).rejects.toBeInstanceOf(BlockRangeError);
    await disk.close();
    await expect(disk.flush()).rejects.toBeInstanceOf(BlockIoError);
  });

  it("rejects writes when read-only and sizes that are not whole sectors", async () => {
    const disk = new MemoryBlockBackend(new Uint8Array(1024), { readOnly: true });
    await expect(disk.write(0, new Uint8Array(512))).rejects.toBeInstanceOf(BlockReadOnlyError);
    expect(() => new MemoryBlockBackend(1000)).toThrow(BlockRangeError);
  });
});
