import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { type FrameReceiver, formatMac, type NetBackend } from "../../net/net-backend.js";
import { VirtualSwitch } from "../../net/virtual-switch.js";
import { featureBit, VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_VRING } from "../constants.js";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import {
  VIRTIO_NET_CFG_MAC,
  VIRTIO_NET_CFG_STATUS,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_SIZE,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_S_LINK_UP,
  VIRTIO_NET_TX_QUEUE,
} from "./constants.js";
import { VirtioNet, type VirtioNetOptions } from "./virtio-net.js";

class TestBackend implements NetBackend {
  sent: Uint8Array[] = [];
  receiver: FrameReceiver | undefined;
  send(frame: Uint8Array): void {
    this.sent.push(frame.slice());
  }
  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
  }
  push(frame: Uint8Array): void {
    this.receiver?.(frame);
  }
}

function ethFrame(length: number, fill = 0xab): Uint8Array {
  const f = new Uint8Array(length).fill(fill);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 1, 2, 3, 0x08, 0x00]);
  return f;
}

function setup(options: Partial<VirtioNetOptions> = {}) {
  const memory = new GuestMemory({ ramSize: 1 << 20 });
  const irq = new TestIrqLine();
  const backend = new TestBackend();
  const net = new VirtioNet({ backend, ...options });
  const transport = new VirtioMmioTransport({ memory, irq, device: net });
  const driver = new VirtioTestDriver(transport, memory);
  return { net, backend, transport, irq, driver };
}

describe("virtio-net", () => {
  it("offers MAC and STATUS only and shows them in the config space", () => {
    const mac = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
    const { driver } = setup({ mac });
    const offered = driver.deviceFeatures();
    expect(offered & featureBit(VIRTIO_NET_F_MAC)).not.toBe(0n);
    expect(offered & featureBit(VIRTIO_NET_F_STATUS)).not.toBe(0n);
    expect(offered & featureBit(VIRTIO_NET_F_MRG_RXBUF)).toBe(0n);
    expect(offered & 3n).toBe(0n); // no checksum offload
    const read = Array.from({ length: 6 }, (_, i) => driver.config(VIRTIO_NET_CFG_MAC + i, 1));
    expect(read).toEqual([...mac]);
    expect(driver.config(VIRTIO_NET_CFG_STATUS, 2)).toBe(VIRTIO_NET_S_LINK_UP);
  });

  it("sends transmitted frames to the backend without the virtio header", async () => {
    const { driver, backend, net } = setup();
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    const frame = ethFrame(60);
    const header = new Uint8Array(VIRTIO_NET_HDR_SIZE);
    // Header and frame split across descriptors anywhere.
    const done = await driver.request(VIRTIO_NET_TX_QUEUE, [
      { out: header.subarray(0, 5) },
      { out: Uint8Array.of(...header.subarray(5), ...frame.subarray(0, 20)) },
      { out: frame.subarray(20) },
    ]);
    expect(done.len).toBe(0);
    expect(backend.sent).toEqual([frame]);
    expect(net.stats().tx).toEqual({ frames: 1, bytes: 60, dropped: 0 });
    // A runt is completed and dropped.
    await driver.request(VIRTIO_NET_TX_QUEUE, [{ out: new Uint8Array(VIRTIO_NET_HDR_SIZE + 4) }]);
    expect(backend.sent).toHaveLength(1);
    expect(net.stats().tx.dropped).toBe(1);
  });

  it("writes received frames behind a header into posted buffers, and backlogs until buffers come", async () => {
    const { driver, backend, transport, net, irq } = setup();
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    const first = ethFrame(100, 1);
    backend.push(first); // no buffers yet: waits
    await transport.idle();
    expect(driver.takeUsed(VIRTIO_NET_RX_QUEUE)).toEqual([]);

    driver.post(VIRTIO_NET_RX_QUEUE, [{ in: VIRTIO_NET_HDR_SIZE + 1514 }]);
    driver.post(VIRTIO_NET_RX_QUEUE, [{ in: 8 }, { in: VIRTIO_NET_HDR_SIZE + 1514 - 8 }]);
    driver.kick(VIRTIO_NET_RX_QUEUE);
    await transport.idle();
    const second = ethFrame(1514, 2);
    backend.push(second);
    await transport.idle();
    const used = driver.takeUsed(VIRTIO_NET_RX_QUEUE);
    expect(used.map((u) => u.len)).toEqual([VIRTIO_NET_HDR_SIZE + 100, VIRTIO_NET_HDR_SIZE + 1514]);
    const hdr = used[0].written.subarray(0, VIRTIO_NET_HDR_SIZE);
    expect([...hdr]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]); // num_buffers = 1
    expect(used[0].written.subarray(VIRTIO_NET_HDR_SIZE, VIRTIO_NET_HDR_SIZE + 100)).toEqual(first);
    expect(used[1].written.subarray(VIRTIO_NET_HDR_SIZE)).toEqual(second);
    expect(irq.level).toBe(true);
    expect(driver.ackInterrupts() & VIRTIO_MMIO_INT_VRING).not.toBe(0);
    expect(net.stats().rx).toEqual({ frames: 2, bytes: 1614, dropped: 0 });
  });

  it("drops frames too big for the posted buffer, keeping the buffer for the next frame", async () => {
    const { driver, backend, transport, net } = setup();
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    driver.post(VIRTIO_NET_RX_QUEUE, [{ in: VIRTIO_NET_HDR_SIZE + 64 }]);
    driver.kick(VIRTIO_NET_RX_QUEUE);
    await transport.idle();
    backend.push(ethFrame(65));
    backend.push(ethFrame(64, 7));
    await transport.idle();
    const used = driver.takeUsed(VIRTIO_NET_RX_QUEUE);
    expect(used.map((u) => u.len)).toEqual([VIRTIO_NET_HDR_SIZE + 64]);
    expect(used[0].written.subarray(VIRTIO_NET_HDR_SIZE)).toEqual(ethFrame(64, 7));
    expect(net.stats().rx.dropped).toBe(1);
  });

  it("drops frames beyond the backlog and before the driver is ready", async () => {
    const { driver, backend, transport, net } = setup({ rxBacklog: 2 });
    backend.push(ethFrame(60)); // not initialised yet
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    for (let i = 0; i < 4; i++) backend.push(ethFrame(60, i));
    await transport.idle();
    expect(net.stats().rx.dropped).toBe(3);
  });

  it("reports link changes in status with a config interrupt, and drops frames while down", async () => {
    const { driver, backend, transport, net, irq } = setup();
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    net.setLink(false);
    expect(driver.config(VIRTIO_NET_CFG_STATUS, 2) & VIRTIO_NET_S_LINK_UP).toBe(0);
    expect(irq.level).toBe(true);
    expect(driver.ackInterrupts() & VIRTIO_MMIO_INT_CONFIG).not.toBe(0);
    await driver.request(VIRTIO_NET_TX_QUEUE, [
      { out: new Uint8Array(VIRTIO_NET_HDR_SIZE) },
      { out: ethFrame(60) },
    ]);
    backend.push(ethFrame(60));
    await transport.idle();
    expect(backend.sent).toHaveLength(0);
    expect(net.stats().tx.dropped + net.stats().rx.dropped).toBe(2);
    net.setLink(true);
    expect(driver.config(VIRTIO_NET_CFG_STATUS, 2)).toBe(VIRTIO_NET_S_LINK_UP);
    expect(net.saveState()).toEqual({ type: "virtio-net", version: 1, linkUp: true });
    net.restoreState({ type: "virtio-net", version: 1, linkUp: false });
    expect(net.linkUp).toBe(false);
    expect(() => net.restoreState({ type: "virtio-net", version: 1 })).toThrow(/linkUp/);
  });

  it("uses the 10-byte header on the legacy interface", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const backend = new TestBackend();
    const net = new VirtioNet({ backend });
    const transport = new VirtioMmioTransport({ memory, irq: new TestIrqLine(), device: net, legacy: true });
    const driver = new VirtioTestDriver(transport, memory);
    driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
    const frame = ethFrame(60);
    await driver.request(VIRTIO_NET_TX_QUEUE, [{ out: Uint8Array.of(...new Uint8Array(10), ...frame) }]);
    expect(backend.sent).toEqual([frame]);
  });

  it("connects two devices through a switch", async () => {
    const sw = new VirtualSwitch();
    const make = (seed: string) => {
      const memory = new GuestMemory({ ramSize: 1 << 20 });
      const net = new VirtioNet({ backend: sw.attach(seed), macSeed: seed });
      const transport = new VirtioMmioTransport({ memory, irq: new TestIrqLine(), device: net });
      const driver = new VirtioTestDriver(transport, memory);
      driver.init({ queues: [VIRTIO_NET_RX_QUEUE, VIRTIO_NET_TX_QUEUE] });
      return { net, transport, driver };
    };
    const a = make("a");
    const b = make("b");
    b.driver.post(VIRTIO_NET_RX_QUEUE, [{ in: VIRTIO_NET_HDR_SIZE + 1514 }]);
    b.driver.kick(VIRTIO_NET_RX_QUEUE);
    await b.transport.idle();
    const frame = ethFrame(60);
    frame.set(b.net.mac, 0);
    frame.set(a.net.mac, 6);
    await a.driver.request(VIRTIO_NET_TX_QUEUE, [
      { out: new Uint8Array(VIRTIO_NET_HDR_SIZE) },
      { out: frame },
    ]);
    await b.transport.idle();
    const [got] = b.driver.takeUsed(VIRTIO_NET_RX_QUEUE);
    expect(got.written.subarray(VIRTIO_NET_HDR_SIZE, VIRTIO_NET_HDR_SIZE + 60)).toEqual(frame);
    expect(sw.macTable()).toEqual([{ mac: formatMac(a.net.mac), port: "a" }]);
  });
});
