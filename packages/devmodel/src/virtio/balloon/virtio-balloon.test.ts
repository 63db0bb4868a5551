import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { featureBit, VIRTIO_MMIO_CONFIG, VIRTIO_MMIO_INT_CONFIG } from "../constants.js";
import { type VirtioMmioState, VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import {
  VIRTIO_BALLOON_CFG_ACTUAL,
  VIRTIO_BALLOON_CFG_NUM_PAGES,
  VIRTIO_BALLOON_F_STATS_VQ,
  VIRTIO_BALLOON_STATS_QUEUE,
} from "./constants.js";
import { VirtioBalloon } from "./virtio-balloon.js";

const RAM_PFN = 0x8000_0000 / 4096;

function pfns(list: readonly number[]): Uint8Array {
  const b = new Uint8Array(4 * list.length);
  const v = new DataView(b.buffer);
  list.forEach((p, i) => {
    v.setUint32(4 * i, p, true);
  });
  return b;
}

function stats(entries: readonly [number, bigint][]): Uint8Array {
  const b = new Uint8Array(10 * entries.length);
  const v = new DataView(b.buffer);
  entries.forEach(([tag, value], i) => {
    v.setUint16(10 * i, tag, true);
    v.setBigUint64(10 * i + 2, value, true);
  });
  return b;
}

function setup(balloon = new VirtioBalloon(), memory = new GuestMemory({ ramSize: 1 << 20 })) {
  const irq = new TestIrqLine();
  const transport = new VirtioMmioTransport({ memory, irq, device: balloon });
  return { balloon, transport, irq, memory, driver: new VirtioTestDriver(transport, memory) };
}

describe("virtio-balloon", () => {
  it("asks for a target through config and tracks inflated and deflated pages", async () => {
    const { balloon, driver, irq } = setup();
    driver.init({ queues: [0, 1, 2] });
    balloon.setTargetPages(3);
    expect(irq.level).toBe(true);
    expect(driver.ackInterrupts()).toBe(VIRTIO_MMIO_INT_CONFIG);
    expect(driver.config(VIRTIO_BALLOON_CFG_NUM_PAGES, 4)).toBe(3);

    // A PFN outside RAM is ignored.
    await driver.request(0, [{ out: pfns([RAM_PFN + 200, RAM_PFN + 201, RAM_PFN + 202, 0x10]) }]);
    driver.transport.write(VIRTIO_MMIO_CONFIG + VIRTIO_BALLOON_CFG_ACTUAL, 4, 3);
    expect(balloon.inflatedPages).toBe(3);
    expect(balloon.isInflated(RAM_PFN + 201)).toBe(true);
    expect(balloon.actualPages).toBe(3);
    // The driver may not write num_pages.
    driver.transport.write(VIRTIO_MMIO_CONFIG + VIRTIO_BALLOON_CFG_NUM_PAGES, 4, 99);
    expect(balloon.targetPages).toBe(3);

    await driver.request(1, [{ out: pfns([RAM_PFN + 201]) }]);
    expect(balloon.inflatedPages).toBe(2);
    expect(balloon.isInflated(RAM_PFN + 201)).toBe(false);
  });

  it("holds the stats buffer and returns it when the host asks for fresh numbers", async () => {
    const seen: ReadonlyMap<number, bigint>[] = [];
    const { balloon, driver, transport } = setup(new VirtioBalloon({ onStats: (s) => seen.push(s) }));
    expect(driver.deviceFeatures() & featureBit(VIRTIO_BALLOON_F_STATS_VQ)).not.toBe(0n);
    driver.init({ queues: [0, 1, 2] });
    expect(balloon.requestStats()).toBe(false);
    driver.post(VIRTIO_BALLOON_STATS_QUEUE, [
      {
        out: stats([
          [4, 1000n],
          [5, 4096n],
        ]),
      },
    ]);
    driver.kick(VIRTIO_BALLOON_STATS_QUEUE);
    await transport.idle();
    expect(balloon.latestStats.get(5)).toBe(4096n);
    expect(driver.takeUsed(VIRTIO_BALLOON_STATS_QUEUE)).toEqual([]);

    expect(balloon.requestStats()).toBe(true);
    await transport.idle();
    expect(driver.takeUsed(VIRTIO_BALLOON_STATS_QUEUE)).toHaveLength(1);
    driver.post(VIRTIO_BALLOON_STATS_QUEUE, [{ out: stats([[4, 900n]]) }]);
    driver.kick(VIRTIO_BALLOON_STATS_QUEUE);
    await transport.idle();
    expect(seen.map((s) => s.get(4))).toEqual([1000n, 900n]);
  });

  it("saves inflated pages and re-takes the held stats buffer after restore", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const { balloon, driver, transport } = setup(new VirtioBalloon(), memory);
    driver.init({ queues: [0, 1, 2] });
    balloon.setTargetPages(2);
    await driver.request(0, [{ out: pfns([RAM_PFN + 10, RAM_PFN + 11]) }]);
    driver.post(VIRTIO_BALLOON_STATS_QUEUE, [{ out: stats([[6, 77n]]) }]);
    driver.kick(VIRTIO_BALLOON_STATS_QUEUE);
    await transport.idle();
    const saved = JSON.parse(JSON.stringify(transport.saveState())) as VirtioMmioState;

    const restored = setup(new VirtioBalloon(), memory);
    restored.transport.restoreState(saved);
    await restored.transport.idle();
    expect(restored.balloon.inflatedPages).toBe(2);
    expect(restored.balloon.targetPages).toBe(2);
    expect(restored.balloon.latestStats.get(6)).toBe(77n);
    // The stats buffer the old device held is held again, so a request returns it.
    expect(restored.balloon.requestStats()).toBe(true);
    await restored.transport.idle();
    driver.transport = restored.transport;
    expect(driver.takeUsed(VIRTIO_BALLOON_STATS_QUEUE)).toHaveLength(1);
  });
});
