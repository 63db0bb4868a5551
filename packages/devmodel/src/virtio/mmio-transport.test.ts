import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import type { BlockBackend } from "../block/block-backend.js";
import { MemoryBlockBackend } from "../block/memory-backend.js";
import { DeviceStateError } from "../state/device-state.js";
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from "./blk/constants.js";
import { VirtioBlk } from "./blk/virtio-blk.js";
import {
  featureBit,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_F_RING_EVENT_IDX,
  VIRTIO_F_RING_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  VIRTIO_ID_RNG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_MONOVISOR_VENDOR,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_PFN,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_SHM_LEN_LOW,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
} from "./constants.js";
import { type VirtioMmioState, VirtioMmioTransport } from "./mmio-transport.js";
import { VirtioRng } from "./rng/virtio-rng.js";
import { TestIrqLine, VirtioTestDriver } from "./testing/virtio-test-driver.testing.js";

const counting = (into: Uint8Array) => {
  for (let i = 0; i < into.length; i++) into[i] = i & 0xff;
};

function rngSetup(legacy = false) {
  const memory = new GuestMemory({ ramSize: 1 << 20 });
  const irq = new TestIrqLine();
  const transport = new VirtioMmioTransport({
    memory,
    irq,
    device: new VirtioRng({ entropy: counting }),
    legacy,
  });
  return { memory, irq, transport, driver: new VirtioTestDriver(transport, memory) };
}

function blkHeader(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  new DataView(h.buffer).setUint32(0, type, true);
  new DataView(h.buffer).setBigUint64(8, BigInt(sector), true);
  return h;
}

describe("virtio-mmio transport", () => {
  it("identifies itself (modern and legacy)", () => {
    for (const legacy of [false, true]) {
      const { driver, transport } = rngSetup(legacy);
      expect(driver.r32(VIRTIO_MMIO_MAGIC_VALUE)).toBe(VIRTIO_MMIO_MAGIC);
      expect(driver.r32(VIRTIO_MMIO_VERSION)).toBe(legacy ? 1 : 2);
      expect(driver.r32(VIRTIO_MMIO_DEVICE_ID)).toBe(VIRTIO_ID_RNG);
      expect(driver.r32(VIRTIO_MMIO_VENDOR_ID)).toBe(VIRTIO_MMIO_MONOVISOR_VENDOR);
      // Registers take 32-bit accesses only.
      expect(transport.read(VIRTIO_MMIO_MAGIC_VALUE, 2)).toBe(0);
      expect(driver.r32(VIRTIO_MMIO_SHM_LEN_LOW)).toBe(legacy ? 0 : 0xffff_ffff);
      const f = driver.deviceFeatures();
      expect((f & featureBit(VIRTIO_F_VERSION_1)) !== 0n).toBe(!legacy);
      expect(f & featureBit(VIRTIO_F_RING_INDIRECT_DESC)).not.toBe(0n);
      expect(f & featureBit(VIRTIO_F_RING_EVENT_IDX)).not.toBe(0n);
    }
  });

  it("refuses FEATURES_OK without VERSION_1 or with features never offered", () => {
    const { driver } = rngSetup();
    const negotiate = (lo: number, hi: number) => {
      driver.w32(VIRTIO_MMIO_STATUS, 0);
      driver.w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
      driver.w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
      driver.w32(VIRTIO_MMIO_DRIVER_FEATURES, lo);
      driver.w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
      driver.w32(VIRTIO_MMIO_DRIVER_FEATURES, hi);
      driver.w32(
        VIRTIO_MMIO_STATUS,
        VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
      );
      return (driver.status() & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
    };
    expect(negotiate(0, 0)).toBe(false);
    expect(negotiate(1 << 5, 1)).toBe(false);
    expect(negotiate(1 << VIRTIO_F_RING_EVENT_IDX, 1)).toBe(true);
    // Features are frozen after FEATURES_OK.
    driver.w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    driver.w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    expect(driver.transport.negotiatedFeatures).toBe(
      featureBit(VIRTIO_F_RING_EVENT_IDX) | featureBit(VIRTIO_F_VERSION_1),
    );
    driver.w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
    expect(driver.r32(VIRTIO_MMIO_DEVICE_FEATURES)).toBe(0);
  });

  it("reports missing queues with QueueNumMax 0 and ignores their registers", () => {
    const { driver } = rngSetup();
    driver.w32(VIRTIO_MMIO_QUEUE_SEL, 5);
    expect(driver.r32(VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0);
    driver.w32(VIRTIO_MMIO_QUEUE_NUM, 8);
    driver.w32(VIRTIO_MMIO_QUEUE_READY, 1);
    expect(driver.r32(VIRTIO_MMIO_QUEUE_READY)).toBe(0);
    driver.kick(5);
    expect(driver.status()).toBe(0);
  });

  for (const legacy of [false, true]) {
    it(`posts the doorbell and completes asynchronously (${legacy ? "legacy" : "modern"})`, async () => {
      const { driver, irq, transport } = rngSetup(legacy);
      driver.init();
      if (legacy) {
        driver.w32(VIRTIO_MMIO_QUEUE_SEL, 0);
        expect(driver.r32(VIRTIO_MMIO_QUEUE_PFN)).toBe((driver.queues.get(0)?.desc ?? 0) / 4096);
      }
      driver.post(0, [{ in: 8 }]);
      driver.kick(0);
      // Nothing happened on the vCPU's stack.
      expect(driver.takeUsed(0)).toEqual([]);
      expect(irq.level).toBe(false);
      await transport.idle();
      const [used] = driver.takeUsed(0);
      expect(used.len).toBe(8);
      expect([...used.written]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(irq.level).toBe(true);
      expect(driver.r32(VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(VIRTIO_MMIO_INT_VRING);
      driver.ackInterrupts();
      expect(irq.level).toBe(false);
    });
  }

  it("suppresses interrupts with NO_INTERRUPT when EVENT_IDX is off", async () => {
    const { driver, irq, transport } = rngSetup();
    driver.init({ want: 0n });
    driver.setAvailFlags(0, VIRTQ_AVAIL_F_NO_INTERRUPT);
    driver.post(0, [{ in: 4 }]);
    driver.kick(0);
    await transport.idle();
    expect(driver.takeUsed(0)).toHaveLength(1);
    expect(irq.edges).toBe(0);
    driver.setAvailFlags(0, 0);
    driver.post(0, [{ in: 4 }]);
    driver.kick(0);
    await transport.idle();
    expect(irq.edges).toBe(1);
  });

  it("follows used_event and publishes avail_event with EVENT_IDX", async () => {
    const { driver, irq, transport } = rngSetup();
    driver.init({ want: featureBit(VIRTIO_F_RING_EVENT_IDX) });
    const one = async () => {
      driver.post(0, [{ in: 4 }]);
      driver.kick(0);
      await transport.idle();
      driver.takeUsed(0);
      const had = irq.level;
      driver.ackInterrupts();
      return had;
    };
    driver.setUsedEvent(0, 0);
    expect(await one()).toBe(true); // used idx 0 -> 1 passes used_event 0
    expect(driver.availEvent(0)).toBe(1);
    driver.setUsedEvent(0, 3);
    expect(await one()).toBe(false); // 2
    expect(await one()).toBe(false); // 3
    expect(await one()).toBe(true); // 4 passes 3
    expect(driver.availEvent(0)).toBe(4);
    // Several completions in one batch interrupt once.
    driver.setUsedEvent(0, 4);
    for (let i = 0; i < 3; i++) driver.post(0, [{ in: 4 }]);
    driver.kick(0);
    const before = irq.edges;
    await transport.idle();
    expect(driver.takeUsed(0)).toHaveLength(3);
    expect(irq.edges - before).toBe(1);
  });

  it("rejects indirect descriptors unless negotiated", async () => {
    const { driver, transport } = rngSetup();
    driver.init({ want: 0n });
    driver.post(0, [{ in: 4 }], { indirect: true });
    driver.kick(0);
    await transport.idle();
    expect(transport.needsReset).toBe(true);
    expect(transport.lastError).toMatch(/indirect/);
  });

  it("stops with NEEDS_RESET and a config interrupt when a ring lies outside RAM", () => {
    const { driver, irq, transport } = rngSetup();
    driver.w32(
      VIRTIO_MMIO_STATUS,
      VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK,
    );
    driver.w32(VIRTIO_MMIO_QUEUE_SEL, 0);
    driver.w32(VIRTIO_MMIO_QUEUE_NUM, 8);
    driver.w32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
    driver.w32(VIRTIO_MMIO_QUEUE_READY, 1);
    expect(transport.needsReset).toBe(true);
    expect(driver.status() & VIRTIO_CONFIG_S_NEEDS_RESET).not.toBe(0);
    expect(driver.r32(VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(VIRTIO_MMIO_INT_CONFIG);
    expect(irq.level).toBe(true);
    // The driver cannot clear NEEDS_RESET except by resetting.
    driver.w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(transport.needsReset).toBe(true);
    driver.w32(VIRTIO_MMIO_STATUS, 0);
    expect(driver.status()).toBe(0);
    expect(irq.level).toBe(false);
  });

  it("resets at once with a request in flight, and the late completion never reaches the rings", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const disk = new MemoryBlockBackend(4096);
    const parked: (() => void)[] = [];
    const slow: BlockBackend = {
      size: disk.size,
      readOnly: false,
      read: (o, b) =>
        new Promise((resolve) => {
          parked.push(() => resolve(disk.read(o, b)));
        }),
      write: (o, d) => disk.write(o, d),
      flush: () => disk.flush(),
      discard: (o, l) => disk.discard(o, l),
      writeZeroes: (o, l) => disk.writeZeroes(o, l),
      close: () => disk.close(),
    };
    const transport = new VirtioMmioTransport({
      memory,
      irq: new TestIrqLine(),
      device: new VirtioBlk({ backend: slow }),
    });
    const driver = new VirtioTestDriver(transport, memory);
    driver.init();
    driver.post(0, [{ out: blkHeader(VIRTIO_BLK_T_IN, 0) }, { in: 512 }, { in: 1 }]);
    driver.kick(0);
    await Promise.resolve();
    const oldUsed = driver.queues.get(0)?.used ?? 0;
    driver.w32(VIRTIO_MMIO_STATUS, 0);
    expect(driver.status()).toBe(0);
    // The driver sets the device up again on new rings while the old read is still out.
    driver.init();
    const next = driver.post(0, [{ out: blkHeader(VIRTIO_BLK_T_IN, 1) }, { in: 512 }, { in: 1 }]);
    driver.kick(0);
    await Promise.resolve();
    for (const release of parked.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
    for (const release of parked.splice(0)) release();
    await transport.idle();
    expect(driver.u16(oldUsed + 2)).toBe(0);
    const done = driver.takeUsed(0);
    expect(done.map((u) => u.id)).toEqual([next]);
    expect(done[0].written[512]).toBe(VIRTIO_BLK_S_OK);
  });

  it("bumps ConfigGeneration and raises a config interrupt on config changes", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const { VirtioBalloon } = await import("./balloon/virtio-balloon.js");
    const balloon = new VirtioBalloon();
    const irq = new TestIrqLine();
    const transport = new VirtioMmioTransport({ memory, irq, device: balloon });
    const driver = new VirtioTestDriver(transport, memory);
    driver.init({ queues: [0, 1, 2] });
    const gen = driver.r32(VIRTIO_MMIO_CONFIG_GENERATION);
    balloon.setTargetPages(10);
    expect(driver.r32(VIRTIO_MMIO_CONFIG_GENERATION)).toBe(gen + 1);
    expect(driver.ackInterrupts()).toBe(VIRTIO_MMIO_INT_CONFIG);
  });

  it("saves and restores through JSON, and continues on the same rings", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const backend = new MemoryBlockBackend(8192);
    const irq = new TestIrqLine();
    const transport = new VirtioMmioTransport({ memory, irq, device: new VirtioBlk({ backend }) });
    const driver = new VirtioTestDriver(transport, memory);
    driver.init();
    const data = Uint8Array.from({ length: 512 }, (_, i) => i ^ 0x5a);
    await driver.request(0, [{ out: blkHeader(VIRTIO_BLK_T_OUT, 2) }, { out: data }, { in: 1 }]);
    await transport.idle();
    const saved = JSON.parse(JSON.stringify(transport.saveState())) as VirtioMmioState;

    const irq2 = new TestIrqLine();
    const restored = new VirtioMmioTransport({ memory, irq: irq2, device: new VirtioBlk({ backend }) });
    restored.restoreState(saved);
    expect(irq2.level).toBe(true); // the un-acked interrupt survives
    expect(restored.saveState()).toEqual(saved);
    driver.transport = restored;
    const r = await driver.request(0, [{ out: blkHeader(VIRTIO_BLK_T_IN, 2) }, { in: 512 }, { in: 1 }]);
    expect(r.written.subarray(0, 512)).toEqual(data);
    expect(r.written[512]).toBe(VIRTIO_BLK_S_OK);
  });

  it("refuses a foreign or malformed state without changing anything", () => {
    const { transport, driver } = rngSetup();
    driver.init();
    const before = transport.saveState();
    const bad = [
      { ...before, type: "uart" },
      { ...before, version: 99 },
      { ...before, legacy: true },
      { ...before, deviceId: 2 },
      { ...before, queues: [] },
      { ...before, queues: [{ ...before.queues[0], size: 3 }] },
      { ...before, device: { type: "virtio-blk", version: 1 } },
      { ...before, driverFeatures: "-1" },
    ];
    for (const state of bad) {
      expect(() => transport.restoreState(state as VirtioMmioState)).toThrow(DeviceStateError);
      expect(transport.saveState()).toEqual(before);
    }
  });

  it("never throws on any register access", () => {
    const { transport } = rngSetup();
    for (let offset = 0; offset < 0x1000; offset += 1) {
      for (const size of [1, 2, 4] as const) {
        transport.write(offset, size, 0xffff_ffff);
        transport.read(offset, size);
      }
    }
    expect(transport.read(VIRTIO_MMIO_QUEUE_DESC_LOW, 4)).toBe(0);
  });
});
