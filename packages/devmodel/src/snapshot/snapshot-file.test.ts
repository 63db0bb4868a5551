import { describe, expect, it } from "vitest";
import { readSnapshot, SNAPSHOT_FORMAT_VERSION, SnapshotError, writeSnapshot } from "./snapshot-file.js";

function sampleRam(): Uint8Array {
  const ram = new Uint8Array(64 * 4096);
  ram.set([1, 2, 3], 5 * 4096 + 100);
  ram[63 * 4096 + 4095] = 0xff;
  for (let i = 0; i < 4096; i++) ram[10 * 4096 + i] = i & 0xff;
  return ram;
}
const state = { machine: { memoryBytes: 64 * 4096 }, devices: { uart: { type: "ns16550a", version: 1 } } };

function errorOf(bytes: Uint8Array): SnapshotError {
  try {
    readSnapshot(bytes);
  } catch (e) {
    if (e instanceof SnapshotError) return e;
    throw e;
  }
  throw new Error("readSnapshot accepted the file");
}

describe("snapshot file", () => {
  for (const compress of [false, true]) {
    it(`round-trips state and RAM${compress ? " (deflated)" : ""}, storing only non-zero pages`, () => {
      const ram = sampleRam();
      const bytes = writeSnapshot({ state, ram, compress });
      if (!compress) expect(bytes.length).toBeLessThan(4 * 4096 + 1000);
      const reader = readSnapshot(bytes);
      expect(reader.version).toBe(SNAPSHOT_FORMAT_VERSION);
      expect(reader.state).toEqual(state);
      const into = new Uint8Array(reader.ramBytes).fill(0xaa);
      reader.loadRam(into);
      expect(Buffer.from(into).equals(Buffer.from(ram))).toBe(true);
    });
  }

  it("a corrupted byte anywhere fails the checksum", () => {
    const bytes = writeSnapshot({ state, ram: sampleRam() });
    for (const at of [45, bytes.length - 40, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x10;
      expect(errorOf(bad).kind).toBe("checksum");
    }
  });

  it("a truncated file is reported as truncated", () => {
    const bytes = writeSnapshot({ state, ram: sampleRam() });
    expect(errorOf(bytes.subarray(0, bytes.length - 1)).kind).toBe("truncated");
    expect(errorOf(bytes.subarray(0, 20)).kind).toBe("truncated");
    expect(errorOf(bytes.subarray(0, 1000)).message).toMatch(/header describes/);
  });

  it("rejects another format version and foreign files", () => {
    const bytes = writeSnapshot({ state, ram: sampleRam() });
    const v2 = bytes.slice();
    v2[8] = 2;
    const e = errorOf(v2);
    expect(e.kind).toBe("version");
    expect(e.message).toMatch(/version 2 is not supported/);
    expect(errorOf(new TextEncoder().encode("#!/bin/sh\necho hi\n")).kind).toBe("magic");
  });
});
