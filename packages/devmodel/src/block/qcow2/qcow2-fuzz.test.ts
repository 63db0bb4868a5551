import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockError, ImageFormatError } from "../block-backend.js";
import { MemoryImageFile } from "../image-file.js";
import { nodeInflateRaw } from "../open-image.js";
import { prng, qemuImg, qemuIo, randomBytes, requireQemuUtils, scratchDir } from "../qemu-tools.testing.js";
import { Qcow2BlockBackend } from "./qcow2.js";

/** Small images made by the real tools: plain (with zero clusters) and compressed. */
const seeds: { label: string; bytes: Buffer }[] = [];
let dir: ReturnType<typeof scratchDir>;

beforeAll(() => {
  requireQemuUtils();
  dir = scratchDir();
  for (const cluster of [512, 65536]) {
    const plain = dir.file(`plain-${cluster}.qcow2`);
    qemuImg(["create", "-q", "-f", "qcow2", "-o", `compat=1.1,cluster_size=${cluster}`, plain, "256K"]);
    qemuIo(plain, "qcow2", ["write -P 0x5a 0 40k", "write -z 8k 8k", "write -P 0x6b 100k 3k"]);
    seeds.push({ label: `plain, ${cluster} B clusters`, bytes: readFileSync(plain) });

    const raw = dir.file(`source-${cluster}.raw`);
    const source = new Uint8Array(256 * 1024);
    source.fill(0x77, 0, 64 * 1024);
    source.set(randomBytes(32 * 1024, cluster), 64 * 1024);
    writeFileSync(raw, source);
    const compressed = dir.file(`compressed-${cluster}.qcow2`);
    qemuImg(["convert", "-q", "-c", "-O", "qcow2", "-o", `cluster_size=${cluster}`, raw, compressed]);
    seeds.push({ label: `compressed, ${cluster} B clusters`, bytes: readFileSync(compressed) });
  }
});
afterAll(() => dir?.dispose());

/** Regions worth corrupting: the header cluster's start, the L1 and refcount tables, one L2 table, one refcount block. */
function metadataRegions(bytes: Buffer): [number, number][] {
  const clusterSize = 2 ** bytes.readUInt32BE(20);
  const l1 = Number(bytes.readBigUInt64BE(40));
  const reftable = Number(bytes.readBigUInt64BE(48));
  const l2 = Number(bytes.readBigUInt64BE(l1) & 0x00ff_ffff_ffff_fe00n);
  const refblock = Number(bytes.readBigUInt64BE(reftable));
  const regions: [number, number][] = [
    [0, 512],
    [l1, 64],
    [reftable, 64],
  ];
  if (l2) regions.push([l2, Math.min(clusterSize, 1024)]);
  if (refblock) regions.push([refblock, Math.min(clusterSize, 256)]);
  return regions;
}

function mutate(bytes: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const regions = metadataRegions(bytes);
  const flips = 1 + (next() % 3);
  for (let i = 0; i < flips; i++) {
    const [start, length] = regions[next() % regions.length];
    const at = start + (next() % length);
    if (at >= copy.length) continue;
    // Mostly single-bit flips (plausible corruption), sometimes a whole random byte.
    copy[at] ^= next() % 4 === 0 ? next() & 0xff : 1 << (next() % 8);
  }
  return copy;
}

/** Runs one operation; any rejection must be a typed block error. */
async function attempt(op: () => Promise<unknown>, errors: unknown[]): Promise<void> {
  try {
    await op();
  } catch (error) {
    errors.push(error);
  }
}

describe("qcow2 corruption fuzz", () => {
  it("turns random metadata corruption into typed errors, never a hang or a stray write", async () => {
    const next = prng(0xc0ffee);
    const errors: unknown[] = [];
    let opened = 0;
    for (let round = 0; round < 400; round++) {
      const seed = seeds[round % seeds.length];
      const file = new MemoryImageFile(`fuzz-${round}.qcow2`, new Uint8Array(mutate(seed.bytes, next)));
      let disk: Qcow2BlockBackend;
      try {
        disk = await Qcow2BlockBackend.open(file, {
          inflateRaw: nodeInflateRaw,
          openBacking: async (name) => {
            throw new ImageFormatError(file.name, "backing file", `"${name}" is not available`);
          },
        });
      } catch (error) {
        errors.push(error);
        continue;
      }
      opened++;
      const buffer = new Uint8Array(4096);
      for (let at = 0; at + buffer.length <= disk.size && at < 512 * 1024; at += buffer.length) {
        await attempt(() => disk.read(at, buffer), errors);
      }
      const sectors = Math.floor(disk.size / 512);
      if (sectors > 8) {
        for (let i = 0; i < 4; i++) {
          const sector = next() % (sectors - 8);
          await attempt(() => disk.write(sector * 512, randomBytes(512 * (1 + (next() % 8)), i)), errors);
        }
        await attempt(() => disk.writeZeroes(0, Math.min(disk.size, 64 * 1024), { unmap: true }), errors);
        await attempt(() => disk.discard(0, Math.min(disk.size, 64 * 1024)), errors);
      }
      await attempt(() => disk.flush(), errors);
      await attempt(() => disk.close(), errors);
      // Growth is bounded by what the requests above can allocate.
      expect(file.bytes().length).toBeLessThan(seed.bytes.length + 4 * 1024 * 1024);
    }
    const untyped = errors.filter((e) => !(e instanceof BlockError));
    expect(untyped.map(String)).toEqual([]);
    // The fuzz exercises both paths: some images open, some are refused.
    expect(opened).toBeGreaterThan(50);
    expect(errors.length).toBeGreaterThan(50);
  });
});
