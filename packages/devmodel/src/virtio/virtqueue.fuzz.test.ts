/**
 * Fuzzes virtqueue parsing: random descriptor tables, indirect tables, ring indices, addresses
 * and lengths, against virtio-blk and virtio-rng, modern and legacy, with and without
 * INDIRECT_DESC / EVENT_IDX. Whatever the guest writes, the transport must not throw, must
 * settle, and must not write outside the area the guest handed to the device.
 *
 * Layout of the 256 KiB of RAM: the first half is a canary the fuzzed guest never names; the
 * second half (up to the end of RAM) holds the rings and every buffer. An in-arena address with
 * any length therefore stays in the arena or runs past the end of RAM (a device error), so a
 * changed canary byte or a changed hart-state byte is a real escape.
 */
import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { MemoryBlockBackend } from "../block/memory-backend.js";
import { VirtioBlk } from "./blk/virtio-blk.js";
import {
  featureBit,
  VIRTIO_F_RING_EVENT_IDX,
  VIRTIO_F_RING_INDIRECT_DESC,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from "./constants.js";
import type { VirtioDevice } from "./device.js";
import { VirtioMmioTransport } from "./mmio-transport.js";
import { VirtioRng } from "./rng/virtio-rng.js";
import { TestIrqLine, VirtioTestDriver } from "./testing/virtio-test-driver.testing.js";

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 256 * 1024;
const RAM_END = RAM_BASE + RAM_SIZE;
const ARENA = RAM_BASE + RAM_SIZE / 2;
const ITERATIONS = 3000;

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Fuzzer {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** Mostly arena addresses, sometimes addresses no RAM check may let through. */
  address(): number {
    if (this.chance(0.8)) return ARENA + this.int(RAM_SIZE / 2);
    return this.pick([
      0,
      0x1000,
      RAM_BASE - 8,
      RAM_BASE - 0x10_0000,
      RAM_END,
      RAM_END - 1,
      RAM_END + 0x1000,
      2 ** 32 + ARENA,
      2 ** 40,
      2 ** 53 - 1,
      2 ** 64 - 1,
      0xffff_ffff,
    ]);
  }
  length(): number {
    if (this.chance(0.7)) return this.int(1200);
    return this.pick([0, 1, 15, 16, 512, 4096, 0x3fff_ffff, 0x4000_0000, 0x8000_0000, 0xffff_ffff]);
  }
}

function writeDescriptor(
  memory: GuestMemory,
  at: number,
  addr: number,
  len: number,
  flags: number,
  next: number,
): void {
  if (!memory.containsRam(at, 16)) return;
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.floor(addr))), true);
  v.setUint32(8, len >>> 0, true);
  v.setUint16(12, flags & 0xffff, true);
  v.setUint16(14, next & 0xffff, true);
  memory.writeBytes(at, b);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function setU16(memory: GuestMemory, addr: number, value: number): void {
  memory.writeBytes(addr, Uint8Array.of(value & 0xff, (value >> 8) & 0xff));
}

/** Header-ish bytes so some blk requests get past the header into real I/O. */
function plausibleBlkHeader(f: Fuzzer): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, f.pick([0, 1, 4, 8, 11, 13, 99]), true);
  v.setBigUint64(8, BigInt(f.chance(0.9) ? f.int(140) : f.int(2 ** 31)), true);
  return h;
}

async function fuzzOnce(f: Fuzzer, memory: GuestMemory, canary: Uint8Array, hartState: Uint8Array) {
  const blk = f.chance(0.6);
  const device: VirtioDevice = blk
    ? new VirtioBlk({ backend: new MemoryBlockBackend(64 * 1024), queueSize: 64 })
    : new VirtioRng({ entropy: (into) => into.fill(0xee) });
  const transport = new VirtioMmioTransport({
    memory,
    irq: new TestIrqLine(),
    device,
    legacy: f.chance(0.3),
  });
  const driver = new VirtioTestDriver(transport, memory, { start: ARENA, end: RAM_END });
  const size = f.pick([1, 2, 4, 8, 16, 32, 64]);
  const want =
    (f.chance(0.7) ? featureBit(VIRTIO_F_RING_INDIRECT_DESC) : 0n) |
    (f.chance(0.5) ? featureBit(VIRTIO_F_RING_EVENT_IDX) : 0n);
  driver.init({
    want:
      want |
      (blk
        ? 0xffff_ffffn & ~featureBit(VIRTIO_F_RING_INDIRECT_DESC) & ~featureBit(VIRTIO_F_RING_EVENT_IDX)
        : 0n),
    size,
  });
  const q = driver.queues.get(0);
  if (q === undefined) throw new Error("no queue");

  // Some well-formed chains first, so fuzzed state sits on top of real progress.
  const good = f.int(4);
  const perChain = blk ? 3 : 1;
  for (let i = 0; i < good && (i + 1) * perChain <= size; i++) {
    driver.post(0, blk ? [{ out: plausibleBlkHeader(f) }, { in: 512 }, { in: 1 }] : [{ in: 16 }]);
  }

  // How much of the queue to scramble: light touches reach deep into request handling.
  const intensity = f.pick([0.02, 0.1, 0.3, 0.6]);
  // Random descriptors, with a few indirect tables somewhere in the arena.
  for (let i = 0; i < size; i++) {
    if (!f.chance(intensity)) continue;
    let flags = f.int(8);
    if (f.chance(0.05)) flags |= f.int(0x10000);
    let addr = f.address();
    let len = f.length();
    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0 && f.chance(0.7)) {
      const count = 1 + f.int(8);
      addr = driver.alloc(16 * count, 16);
      len = f.chance(0.9) ? 16 * count : f.length();
      for (let j = 0; j < count; j++) {
        const jf = f.chance(0.8)
          ? f.int(4) | (j < count - 1 && f.chance(0.6) ? VIRTQ_DESC_F_NEXT : 0)
          : f.int(8);
        writeDescriptor(
          memory,
          addr + 16 * j,
          f.address(),
          f.length(),
          jf,
          f.chance(0.8) ? j + 1 : f.int(count + 2),
        );
      }
    } else if (blk && f.chance(0.3)) {
      addr = driver.alloc(16, 8);
      memory.writeBytes(addr, plausibleBlkHeader(f));
      len = 16;
      flags &= ~VIRTQ_DESC_F_WRITE;
    }
    writeDescriptor(memory, q.desc + 16 * i, addr, len, flags, f.chance(0.8) ? f.int(size) : f.int(0x10000));
  }

  // Random available ring entries and index.
  const posted = q.availIdx;
  for (let i = 0; i < size; i++) {
    if (f.chance(intensity))
      setU16(memory, q.avail + 4 + 2 * i, f.chance(0.9) ? f.int(size) : f.int(0x10000));
  }
  if (f.chance(intensity)) {
    setU16(memory, q.avail + 2, f.chance(0.8) ? posted + f.int(size + 1) : f.int(0x10000));
  }
  if (f.chance(intensity)) setU16(memory, q.avail, f.int(0x10000));
  if (f.chance(intensity)) setU16(memory, q.avail + 4 + 2 * size, f.int(0x10000));

  const kicks = 1 + f.int(3);
  for (let k = 0; k < kicks; k++) {
    transport.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, f.chance(0.9) ? 0 : f.int(0x10000));
    if (f.chance(intensity / 2)) setU16(memory, q.avail + 2, f.int(0x10000));
  }
  await transport.idle();

  const offset = memory.ramOffset;
  expect(sameBytes(memory.u8.subarray(offset, offset + RAM_SIZE / 2), canary)).toBe(true);
  expect(sameBytes(memory.u8.subarray(0, offset), hartState)).toBe(true);
  // (The used ring itself is not checked: fuzzed writable buffers may overlap it.)
  const usedIdx = transport.saveState().queues[0].usedIdx;
  return { needsReset: transport.needsReset, completed: usedIdx };
}

describe("virtqueue fuzz", () => {
  it(`survives ${ITERATIONS} random rings without escaping guest RAM`, async () => {
    const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: RAM_SIZE });
    const seed = prng(0x5eed_2024);
    const canary = Uint8Array.from({ length: RAM_SIZE / 2 }, () => Math.floor(seed() * 256));
    memory.writeBytes(RAM_BASE, canary);
    const hartState = Uint8Array.from({ length: memory.ramOffset }, (_, i) => (i * 7 + 3) & 0xff);
    memory.u8.set(hartState, 0);

    const f = new Fuzzer(prng(0xc0ffee));
    let broken = 0;
    let completed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      memory.zero(ARENA, RAM_SIZE / 2);
      const r = await fuzzOnce(f, memory, canary, hartState);
      if (r.needsReset) broken++;
      if (r.completed > 0) completed++;
    }
    // Both outcomes must be common, or the fuzzer is not reaching the interesting paths.
    expect(broken).toBeGreaterThan(ITERATIONS / 10);
    expect(completed).toBeGreaterThan(ITERATIONS / 10);
  }, 20_000);
});
