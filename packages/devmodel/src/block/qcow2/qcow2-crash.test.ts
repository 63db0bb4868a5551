import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImageFile, MemoryImageFile } from "../image-file.js";
import { nodeInflateRaw } from "../open-image.js";
import {
  prng,
  qemuCheck,
  qemuImg,
  randomBytes,
  requireQemuUtils,
  scratchDir,
} from "../qemu-tools.testing.js";
import { Qcow2BlockBackend } from "./qcow2.js";

let dir: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireQemuUtils();
  dir = scratchDir();
});
afterAll(() => dir?.dispose());

interface Epoch {
  /** The file as of a sync: certainly on disk. */
  synced: Uint8Array;
  /** Writes issued since: any subset of them may have reached the disk. */
  writes: { position: number; data: Uint8Array }[];
}

/** Records what a host crash could leave behind at every point between two syncs. */
class CrashRecordingFile implements ImageFile {
  readonly epochs: Epoch[] = [];
  readonly readOnly = false;

  constructor(private readonly inner: MemoryImageFile) {
    this.epochs.push({ synced: inner.bytes().slice(), writes: [] });
  }

  get name(): string {
    return this.inner.name;
  }
  length(): Promise<number> {
    return this.inner.length();
  }
  read(position: number, buffer: Uint8Array): Promise<number> {
    return this.inner.read(position, buffer);
  }
  async write(position: number, data: Uint8Array): Promise<void> {
    this.epochs[this.epochs.length - 1].writes.push({ position, data: data.slice() });
    await this.inner.write(position, data);
  }
  async sync(): Promise<void> {
    this.epochs.push({ synced: this.inner.bytes().slice(), writes: [] });
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function crashImage(epoch: Epoch, keep: () => boolean): Uint8Array {
  const kept = epoch.writes.filter(() => keep());
  const end = Math.max(epoch.synced.length, ...kept.map((w) => w.position + w.data.length));
  const bytes = new Uint8Array(end);
  bytes.set(epoch.synced);
  for (const w of kept) bytes.set(w.data, w.position);
  return bytes;
}

describe("qcow2 crash consistency", () => {
  it("leaves qemu-img check free of errors (leaks allowed) wherever the host crashes", async () => {
    const raw = dir.file("source.raw");
    const source = new Uint8Array(1 << 20);
    source.fill(0x3c, 0, 256 * 1024);
    source.set(randomBytes(128 * 1024, 9), 512 * 1024);
    writeFileSync(raw, source);
    const seedImage = dir.file("seed.qcow2");
    qemuImg(["convert", "-q", "-c", "-O", "qcow2", "-o", "cluster_size=4096", raw, seedImage]);

    const file = new CrashRecordingFile(
      new MemoryImageFile("crash.qcow2", new Uint8Array(readFileSync(seedImage))),
    );
    const disk = await Qcow2BlockBackend.open(file, { inflateRaw: nodeInflateRaw, metadataCacheBytes: 0 });
    const next = prng(77);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 12; i++) {
        const sector = next() % (disk.size / 512 - 16);
        await disk.write(sector * 512, randomBytes(512 * (1 + (next() % 16)), next()));
      }
      await disk.discard((next() % 16) * 65536, 65536);
      await disk.writeZeroes((next() % 16) * 65536, 32768, { unmap: round % 2 === 0 });
      await disk.flush();
    }
    await disk.close();

    expect(file.epochs.length).toBeGreaterThan(8);
    const next2 = prng(5);
    const path = dir.file("crashed.qcow2");
    for (const [index, epoch] of file.epochs.entries()) {
      // Nothing, everything, and a random subset of the unsynced writes.
      for (const keep of [() => false, () => true, () => next2() % 2 === 0]) {
        writeFileSync(path, crashImage(epoch, keep));
        const check = qemuCheck(path);
        const report = `epoch ${index}: ${check.stdout}${check.stderr}`;
        expect(report).not.toMatch(/ERROR|\d+ errors were found|corrupt/);
        expect([0, 3], report).toContain(check.status);
      }
    }
  });
});
