import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BlockBackend,
  BlockRangeError,
  BlockReadOnlyError,
  ImageFormatError,
} from "../block-backend.js";
import { openImage, openQcow2, probeImageFormat } from "../open-image.js";
import {
  prng,
  qemuCheck,
  qemuCompare,
  qemuContents,
  qemuImg,
  qemuIo,
  randomBytes,
  requireQemuUtils,
  scratchDir,
} from "../qemu-tools.testing.js";
import { Qcow2BlockBackend } from "./qcow2.js";

const MiB = 1 << 20;
let dir: ReturnType<typeof scratchDir>;
let counter = 0;

beforeAll(() => {
  requireQemuUtils();
  dir = scratchDir();
});
afterAll(() => dir?.dispose());

function fresh(name: string): string {
  return dir.file(`${counter++}-${name}`);
}

function createQcow2(options: string[], size = "4M", extra: string[] = []): string {
  const path = fresh("disk.qcow2");
  qemuImg([
    "create",
    "-q",
    "-f",
    "qcow2",
    ...(options.length ? ["-o", options.join(",")] : []),
    ...extra,
    path,
    size,
  ]);
  return path;
}

async function readAll(disk: BlockBackend): Promise<Uint8Array> {
  const out = new Uint8Array(disk.size);
  // In uneven pieces so requests straddle clusters.
  for (let at = 0; at < disk.size; ) {
    const n = Math.min(disk.size - at, 512 * (1 + ((at / 512) % 97)));
    await disk.read(at, out.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Compares large buffers without a multi-megabyte diff; names the first differing offset. */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const at = actual.findIndex((b, i) => b !== expected[i]);
  expect(at === -1 ? "identical" : `first difference at 0x${at.toString(16)}`).toBe("identical");
}

function expectClean(path: string): void {
  const check = qemuCheck(path);
  expect(check.stdout + check.stderr).toContain("No errors were found");
  expect(check.status).toBe(0);
}

function expectSame(path: string, model: Uint8Array): void {
  const raw = fresh("model.raw");
  writeFileSync(raw, model);
  const result = qemuCompare(path, raw);
  expect(result.stdout + result.stderr).toContain("Images are identical");
  expect(result.status).toBe(0);
}

/** Sector-aligned writes of random lengths, some crossing cluster boundaries. */
async function randomWrites(
  disk: BlockBackend,
  model: Uint8Array,
  count: number,
  seed: number,
  maxSectors = 40,
) {
  const next = prng(seed);
  const sectors = disk.size / 512;
  for (let i = 0; i < count; i++) {
    const length = 1 + (next() % maxSectors);
    const start = next() % (sectors - length);
    const data = randomBytes(length * 512, next());
    await disk.write(start * 512, data);
    model.set(data, start * 512);
  }
}

const QEMU_IO_WRITES = [
  "write -P 0x11 0 512",
  "write -P 0x22 4k 8k",
  "write -P 0x33 60k 8k",
  "write -P 0x44 1M 64k",
  "write -P 0x55 3584k 512k",
];

function qemuIoModel(size: number): Uint8Array {
  const raw = fresh("expected.raw");
  qemuImg(["create", "-q", "-f", "raw", raw, String(size)]);
  qemuIo(raw, "raw", QEMU_IO_WRITES);
  return new Uint8Array(readFileSync(raw));
}

describe("qcow2 images made by qemu-img", () => {
  for (const [label, options] of [
    ["v2 (compat=0.10)", ["compat=0.10"]],
    ["v3 (compat=1.1)", ["compat=1.1"]],
    ["v3, 4 KiB clusters", ["compat=1.1", "cluster_size=4096"]],
    ["v3, 512 B clusters, 1-bit refcounts", ["compat=1.1", "cluster_size=512", "refcount_bits=1"]],
  ] as const) {
    it(`reads what qemu-io wrote: ${label}`, async () => {
      const path = createQcow2([...options]);
      qemuIo(path, "qcow2", QEMU_IO_WRITES);
      expect(await probeImageFormat(path)).toBe("qcow2");
      const disk = await openImage(path, { readOnly: true });
      expect(disk).toBeInstanceOf(Qcow2BlockBackend);
      expect(disk.size).toBe(4 * MiB);
      expectBytes(await readAll(disk), qemuIoModel(4 * MiB));
      await disk.close();
    });
  }

  it("reports the header in info", async () => {
    const path = createQcow2(["compat=0.10", "cluster_size=4096"], "3M");
    const disk = await openQcow2(path, { readOnly: true });
    expect(disk.info).toMatchObject({
      version: 2,
      clusterSize: 4096,
      refcountBits: 16,
      virtualSize: 3 * MiB,
    });
    await disk.close();
  });
});

describe("writing qcow2 images", () => {
  for (const [label, options] of [
    ["v2", ["compat=0.10"]],
    ["v3", ["compat=1.1"]],
    ["v3, lazy refcounts", ["compat=1.1", "lazy_refcounts=on"]],
    ["v3, 4 KiB clusters, 8-bit refcounts", ["compat=1.1", "cluster_size=4096", "refcount_bits=8"]],
    ["v3, 4 KiB clusters, 2-bit refcounts", ["compat=1.1", "cluster_size=4096", "refcount_bits=2"]],
    ["v3, 4 KiB clusters, 32-bit refcounts", ["compat=1.1", "cluster_size=4096", "refcount_bits=32"]],
  ] as const) {
    it(`keeps qemu-img check clean and matches a raw model: ${label}`, async () => {
      const path = createQcow2([...options]);
      qemuIo(path, "qcow2", QEMU_IO_WRITES);
      const model = qemuIoModel(4 * MiB);
      const disk = await openImage(path, { format: "qcow2" });
      await randomWrites(disk, model, 60, 7);
      await disk.flush();
      await randomWrites(disk, model, 20, 8);
      expectBytes(await readAll(disk), model);
      await disk.close();
      expectClean(path);
      expectSame(path, model);
    });
  }

  it("grows refcount blocks and moves the refcount table (512 B clusters, 64-bit refcounts)", async () => {
    const path = createQcow2(["compat=1.1", "cluster_size=512", "refcount_bits=64"]);
    const before = readFileSync(path);
    const reftableBefore = before.readBigUInt64BE(48);
    // A tiny metadata cache forces write-backs in the middle of the work.
    const disk = await openQcow2(path, { metadataCacheBytes: 0 });
    const model = new Uint8Array(disk.size);
    const data = randomBytes(disk.size, 99);
    for (let at = 0; at < disk.size; at += 64 * 1024) {
      await disk.write(at, data.subarray(at, at + 64 * 1024));
    }
    model.set(data);
    await disk.close();
    expect(readFileSync(path).readBigUInt64BE(48)).not.toBe(reftableBefore);
    expectClean(path);
    expectSame(path, model);
  });

  it("reuses clusters freed by discard", async () => {
    const path = createQcow2(["compat=1.1", "cluster_size=4096"]);
    const disk = await openQcow2(path);
    const model = new Uint8Array(disk.size);
    await randomWrites(disk, model, 40, 3);
    await disk.discard(0, disk.size);
    model.fill(0);
    await disk.flush();
    const grown = statSync(path).size;
    // The same clusters again (the same seed): all fit in the space discard released.
    await randomWrites(disk, model, 40, 3);
    await disk.close();
    expect(statSync(path).size).toBe(grown);
    expectClean(path);
    expectSame(path, model);
  });

  it("writes from many concurrent requests stay consistent", async () => {
    const path = createQcow2(["compat=1.1", "cluster_size=4096"]);
    const disk = await openQcow2(path);
    const model = new Uint8Array(disk.size);
    const next = prng(42);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      // Non-overlapping sectors, many sharing a cluster: allocation must not race.
      const sector = i * 3 + (next() % 3);
      const data = randomBytes(512, i + 1);
      model.set(data, sector * 512);
      writes.push(disk.write(sector * 512, data));
    }
    await Promise.all(writes);
    await disk.close();
    expectClean(path);
    expectSame(path, model);
  });

  it("rejects misaligned, out-of-range and read-only requests with typed errors", async () => {
    const path = createQcow2(["compat=1.1"], "1M");
    const ro = await openQcow2(path, { readOnly: true });
    await expect(ro.write(0, new Uint8Array(512))).rejects.toBeInstanceOf(BlockReadOnlyError);
    await expect(ro.read(100, new Uint8Array(512))).rejects.toBeInstanceOf(BlockRangeError);
    await expect(ro.read(MiB, new Uint8Array(512))).rejects.toBeInstanceOf(BlockRangeError);
    await expect(ro.read(0, new Uint8Array(100))).rejects.toBeInstanceOf(BlockRangeError);
    await ro.close();
    await expect(ro.read(0, new Uint8Array(512))).rejects.toThrow(/closed/);
  });
});

describe("compressed clusters", () => {
  function compressedImage(clusterSize: number): { path: string; model: Uint8Array } {
    const raw = fresh("source.raw");
    const model = new Uint8Array(2 * MiB);
    // Mixed content: compressible runs, text-like repeats and incompressible noise.
    for (let i = 0; i < model.length; i += 4096) {
      const kind = (i / 4096) % 4;
      if (kind === 0) model.fill((i / 4096) & 0xff, i, i + 4096);
      if (kind === 1) model.set(new TextEncoder().encode(`sector ${i} `.repeat(400)).subarray(0, 4096), i);
      if (kind === 2) model.set(randomBytes(4096, i + 1), i);
    }
    writeFileSync(raw, model);
    const path = fresh("compressed.qcow2");
    qemuImg(["convert", "-q", "-c", "-O", "qcow2", "-o", `cluster_size=${clusterSize}`, raw, path]);
    return { path, model };
  }

  for (const clusterSize of [4096, 65536]) {
    it(`reads and overwrites qemu-img convert -c output (${clusterSize} B clusters)`, async () => {
      const { path, model } = compressedImage(clusterSize);
      const disk = await openImage(path);
      expectBytes(await readAll(disk), model);
      await randomWrites(disk, model, 30, clusterSize);
      expectBytes(await readAll(disk), model);
      await disk.close();
      expectClean(path);
      expectSame(path, model);
    });
  }
});

describe("zero clusters, discard and write-zeroes", () => {
  it("reads zero clusters written by qemu-io write -z", async () => {
    const path = createQcow2(["compat=1.1"]);
    qemuIo(path, "qcow2", ["write -P 0x66 0 1M", "write -z 64k 128k", "write -z 300k 4k"]);
    const model = new Uint8Array(4 * MiB);
    model.fill(0x66, 0, MiB);
    model.fill(0, 64 * 1024, 192 * 1024);
    model.fill(0, 300 * 1024, 304 * 1024);
    const disk = await openImage(path, { readOnly: true });
    expectBytes(await readAll(disk), model);
    await disk.close();
  });

  for (const version of ["0.10", "1.1"]) {
    it(`write-zeroes and discard keep the image clean (compat=${version})`, async () => {
      const path = createQcow2([`compat=${version}`, "cluster_size=4096"]);
      const disk = await openQcow2(path);
      const model = new Uint8Array(disk.size);
      await randomWrites(disk, model, 50, 11);
      await disk.writeZeroes(8192, 64 * 1024);
      await disk.writeZeroes(100 * 1024, 64 * 1024, { unmap: true });
      await disk.writeZeroes(512, 1024, { unmap: true }); // partial cluster: written as zeros
      model.fill(0, 8192, 8192 + 64 * 1024);
      model.fill(0, 100 * 1024, 164 * 1024);
      model.fill(0, 512, 1536);
      await disk.discard(MiB, MiB);
      model.fill(0, MiB, 2 * MiB); // no backing file: discarded clusters read as zeros
      await disk.write(MiB + 4096, new Uint8Array(512).fill(7)); // after the discard, reuse
      model.fill(7, MiB + 4096, MiB + 4096 + 512);
      expectBytes(await readAll(disk), model);
      await disk.close();
      expectClean(path);
      expectSame(path, model);
    });
  }
});

describe("backing files", () => {
  function chain(topCompat: string): { base: string; mid: string; top: string } {
    const base = fresh("base.raw");
    writeFileSync(base, randomBytes(4 * MiB, 5));
    const mid = fresh("mid.qcow2");
    // Relative backing names resolve against the image's own directory.
    qemuImg(["create", "-q", "-f", "qcow2", "-b", base.split("/").pop()!, "-F", "raw", mid], {
      cwd: dir.path,
    });
    qemuIo(mid, "qcow2", ["write -P 0xaa 64k 64k", "write -P 0xbb 1M 4k", "write -z 2M 64k"]);
    const top = fresh("top.qcow2");
    qemuImg([
      "create",
      "-q",
      "-f",
      "qcow2",
      "-o",
      `compat=${topCompat}`,
      "-b",
      mid,
      "-F",
      "qcow2",
      top,
      "6M",
    ]);
    qemuIo(top, "qcow2", ["write -P 0xcc 1M 512", "write -P 0xdd 3M 64k"]);
    return { base, mid, top };
  }

  for (const compat of ["0.10", "1.1"]) {
    it(`reads a two-deep chain and copies on write (top compat=${compat})`, async () => {
      const { top } = chain(compat);
      const model = qemuContents(top, dir.path);
      const disk = await openImage(top);
      expect(disk.size).toBe(6 * MiB);
      expectBytes(await readAll(disk), model);
      await randomWrites(disk, model, 40, 21);
      await disk.writeZeroes(2 * MiB + 64 * 1024, 64 * 1024); // over backing data
      model.fill(0, 2 * MiB + 64 * 1024, 2 * MiB + 128 * 1024);
      expectBytes(await readAll(disk), model);
      await disk.close();
      expectClean(top);
      expectSame(top, model);
    });
  }

  it("discard on v3 over a backing file reads zeros and agrees with qemu-img", async () => {
    const { top } = chain("1.1");
    const disk = await openImage(top);
    await disk.discard(0, 4 * MiB);
    const ours = await readAll(disk);
    await disk.close();
    expectClean(top);
    expect(ours.subarray(0, 4 * MiB).every((b) => b === 0)).toBe(true);
    expectBytes(qemuContents(top, dir.path), ours);
  });

  it("reports a missing backing file naming the image and field", async () => {
    const base = fresh("gone.raw");
    writeFileSync(base, new Uint8Array(MiB));
    const top = fresh("orphan.qcow2");
    qemuImg(["create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", top]);
    rmSync(base);
    const error = await openImage(top).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(String(error)).toContain(top);
    expect((error as ImageFormatError).field).toBe("backing file");
    expect(String(error)).toMatch(/does not exist/);
  });

  it("refuses loops in the backing chain", async () => {
    const a = createQcow2([], "1M");
    const b = createQcow2([], "1M", ["-b", a, "-F", "qcow2"]);
    qemuImg(["rebase", "-u", "-f", "qcow2", "-b", b, "-F", "qcow2", a]);
    await expect(openImage(b)).rejects.toThrow(/loop/);
    const self = createQcow2([], "1M");
    qemuImg(["rebase", "-u", "-f", "qcow2", "-b", self, "-F", "qcow2", self]);
    const error = await openImage(self).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(String(error)).toMatch(/loop/);
  });
});

describe("bad headers", () => {
  function patched(patch: (bytes: Buffer) => void, options: string[] = ["compat=1.1"]): string {
    const path = createQcow2(options, "1M");
    qemuIo(path, "qcow2", ["write -P 0x12 0 128k"]);
    const bytes = readFileSync(path);
    patch(bytes);
    writeFileSync(path, bytes);
    return path;
  }

  async function openError(path: string, readOnly = false): Promise<ImageFormatError> {
    const error = await openQcow2(path, { readOnly }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageFormatError);
    return error as ImageFormatError;
  }

  it("names unknown incompatible features, using the image's feature name table", async () => {
    const unknown = await openError(patched((b) => b.writeUInt32BE(1 << 9, 76)));
    expect(unknown.field).toBe("incompatible_features");
    expect(unknown.message).toMatch(/bit 9/);
    const extended = await openError(patched((b) => b.writeUInt32BE(1 << 4, 76)));
    expect(extended.message).toMatch(/bit 4 \(extended L2/);
  });

  it("opens a dirty or corrupt image only read-only", async () => {
    for (const bit of [1, 2]) {
      const path = patched((b) => b.writeUInt32BE(bit, 76));
      expect((await openError(path)).message).toMatch(/read-only/);
      const ro = await openQcow2(path, { readOnly: true });
      const sector = new Uint8Array(512);
      await ro.read(0, sector);
      expect(sector[0]).toBe(0x12);
      await ro.close();
    }
  });

  it("rejects bad fixed fields with the field's name", async () => {
    const cases: [string, (b: Buffer) => void][] = [
      ["magic", (b) => b.writeUInt32BE(0x12345678, 0)],
      ["version", (b) => b.writeUInt32BE(4, 4)],
      ["cluster_bits", (b) => b.writeUInt32BE(22, 20)],
      ["cluster_bits", (b) => b.writeUInt32BE(8, 20)],
      ["crypt_method", (b) => b.writeUInt32BE(1, 32)],
      ["size", (b) => b.writeBigUInt64BE(1n << 62n, 24)],
      ["l1_size", (b) => b.writeUInt32BE(0, 36)],
      ["l1_table_offset", (b) => b.writeBigUInt64BE(1n << 40n, 40)],
      ["l1_table_offset", (b) => b.writeBigUInt64BE(0x10200n, 40)],
      ["refcount_table_offset", (b) => b.writeBigUInt64BE(0n, 48)],
      ["refcount_table_clusters", (b) => b.writeUInt32BE(0x100000, 56)],
      ["refcount_order", (b) => b.writeUInt32BE(7, 96)],
      ["header_length", (b) => b.writeUInt32BE(50, 100)],
      [
        "backing_file_size",
        (b) => {
          b.writeBigUInt64BE(200n, 8);
          b.writeUInt32BE(5000, 16);
        },
      ],
    ];
    for (const [field, patch] of cases) {
      expect((await openError(patched(patch), true)).field).toBe(field);
    }
  });

  it("rejects truncated files", async () => {
    const path = createQcow2(["compat=1.1"], "1M");
    const bytes = readFileSync(path);
    for (const length of [0, 4, 71, 100]) {
      writeFileSync(path, bytes.subarray(0, length));
      if (length < 4) {
        expect(await probeImageFormat(path)).toBe("raw");
        continue;
      }
      await openError(path, true);
    }
    writeFileSync(path, bytes.subarray(0, 0x20000)); // header intact, tables cut off
    await openError(path, true);
  });

  it("fails only the request whose L2 entry is bad", async () => {
    const path = patched((b) => {
      const l1 = Number(b.readBigUInt64BE(40));
      const l2 = Number(b.readBigUInt64BE(l1) & 0x00ff_ffff_ffff_fe00n);
      b.writeBigUInt64BE((1n << 63n) | (1n << 40n), l2 + 8); // cluster 1 points far past the end
      b.writeBigUInt64BE((1n << 63n) | 0x10200n, l2 + 16); // cluster 2 misaligned
    });
    const disk = await openQcow2(path);
    const sector = new Uint8Array(512);
    await disk.read(0, sector);
    expect(sector[0]).toBe(0x12);
    await expect(disk.read(65536, sector)).rejects.toThrow(/past the end of the file/);
    await expect(disk.read(131072, sector)).rejects.toThrow(/not cluster-aligned/);
    await expect(disk.write(65536, sector)).rejects.toBeInstanceOf(ImageFormatError);
    await disk.read(3 * 65536, sector);
    await disk.close();
  });
});
