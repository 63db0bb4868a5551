import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { VIRTIO_ID_RNG, VIRTIO_MMIO_DEVICE_ID } from "../constants.js";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import { VirtioRng } from "./virtio-rng.js";

function setup(rng = new VirtioRng(), shared = false) {
  const memory = new GuestMemory({ ramSize: 1 << 20, shared });
  const transport = new VirtioMmioTransport({ memory, irq: new TestIrqLine(), device: rng });
  return { transport, driver: new VirtioTestDriver(transport, memory) };
}

describe("virtio-rng", () => {
  it("fills every writable buffer of a chain from the host generator", async () => {
    const { driver } = setup();
    expect(driver.r32(VIRTIO_MMIO_DEVICE_ID)).toBe(VIRTIO_ID_RNG);
    driver.init();
    const used = await driver.request(0, [{ in: 100 }, { in: 28 }]);
    expect(used.len).toBe(128);
    // 128 random bytes are not all zero (probability 2^-1024).
    expect(used.written.some((b) => b !== 0)).toBe(true);
  });

  it("works over shared guest memory, which getRandomValues refuses", async () => {
    const { driver } = setup(new VirtioRng(), true);
    driver.init();
    const used = await driver.request(0, [{ in: 64 }]);
    expect(used.len).toBe(64);
    expect(used.written.some((b) => b !== 0)).toBe(true);
  });

  it("caps what one request gets and reports it in the used length", async () => {
    const { driver } = setup(new VirtioRng({ entropy: (b) => b.fill(7), maxBytesPerRequest: 10 }));
    driver.init();
    const used = await driver.request(0, [{ in: 6 }, { in: 6 }]);
    expect(used.len).toBe(10);
    expect([...used.written]).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0]);
  });

  it("ignores readable buffers and completes chains without writable ones", async () => {
    const { driver, transport } = setup();
    driver.init();
    const used = await driver.request(0, [{ out: new Uint8Array(8) }]);
    expect(used.len).toBe(0);
    expect(transport.needsReset).toBe(false);
  });

  it("saves and restores an empty state", () => {
    const { transport } = setup();
    const s = transport.saveState();
    expect(s.device).toEqual({ type: "virtio-rng", version: 1 });
    transport.restoreState(JSON.parse(JSON.stringify(s)));
  });
});
