import { GuestMemory } from "@monovisor/hv-core";
import { describe, expect, it } from "vitest";
import { BufferCharBackend } from "../../backends/char-backend.js";
import { featureBit, VIRTIO_MMIO_CONFIG } from "../constants.js";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import {
  VIRTIO_CONSOLE_CFG_COLS,
  VIRTIO_CONSOLE_CFG_EMERG_WR,
  VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
  VIRTIO_CONSOLE_CFG_ROWS,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_ADD,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_F_MULTIPORT,
  VIRTIO_CONSOLE_F_SIZE,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
} from "./constants.js";
import { VirtioConsole, type VirtioConsoleOptions } from "./virtio-console.js";

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(options: VirtioConsoleOptions) {
  const memory = new GuestMemory({ ramSize: 1 << 20 });
  const irq = new TestIrqLine();
  const console = new VirtioConsole(options);
  const transport = new VirtioMmioTransport({ memory, irq, device: console });
  return { console, transport, irq, driver: new VirtioTestDriver(transport, memory) };
}

function control(id: number, event: number, value: number): Uint8Array {
  const m = new Uint8Array(8);
  const v = new DataView(m.buffer);
  v.setUint32(0, id, true);
  v.setUint16(4, event, true);
  v.setUint16(6, value, true);
  return m;
}

function parseControl(b: Uint8Array, len: number) {
  const v = new DataView(b.buffer, b.byteOffset);
  return {
    id: v.getUint32(0, true),
    event: v.getUint16(4, true),
    value: v.getUint16(6, true),
    extra: decode(b.subarray(8, len)),
  };
}

describe("virtio-console", () => {
  it("sends guest output to the backend and host input into posted buffers", async () => {
    const out = new BufferCharBackend();
    const { driver, console, transport } = setup({
      ports: [{ backend: out }],
      size: { cols: 132, rows: 43 },
    });
    expect(driver.deviceFeatures() & featureBit(VIRTIO_CONSOLE_F_SIZE)).not.toBe(0n);
    expect(driver.deviceFeatures() & featureBit(VIRTIO_CONSOLE_F_MULTIPORT)).toBe(0n);
    expect(driver.config(VIRTIO_CONSOLE_CFG_COLS, 2)).toBe(132);
    expect(driver.config(VIRTIO_CONSOLE_CFG_ROWS, 2)).toBe(43);
    // Input typed before the driver is up waits.
    expect(console.pushInput(text("early "))).toBe(6);
    driver.init({ queues: [0, 1] });
    await driver.request(1, [{ out: text("hello, ") }, { out: text("world\n") }]);
    expect(out.text()).toBe("hello, world\n");

    driver.post(0, [{ in: 4 }]);
    driver.post(0, [{ in: 64 }]);
    driver.post(0, [{ in: 64 }]);
    driver.kick(0);
    await transport.idle();
    console.pushInput(text("ls\n"));
    await transport.idle();
    const got = driver.takeUsed(0);
    expect(got.map((u) => decode(u.written.subarray(0, u.len))).join("")).toBe("early ls\n");
    expect(console.pendingInput()).toBe(0);
  });

  it("keeps input until the guest posts buffers, bounded by its capacity", async () => {
    const { driver, console, transport } = setup({
      ports: [{ backend: new BufferCharBackend() }],
      inputCapacity: 8,
    });
    driver.init({ queues: [0, 1] });
    expect(console.pushInput(text("0123456789"))).toBe(8);
    await transport.idle();
    expect(console.pendingInput()).toBe(8);
    const used = await driver.request(0, [{ in: 5 }]);
    expect(decode(used.written)).toBe("01234");
    expect(console.pendingInput()).toBe(3);
  });

  it("writes emergency characters through config space", () => {
    const out = new BufferCharBackend();
    const { transport } = setup({ ports: [{ backend: out }] });
    for (const c of text("ok")) transport.write(VIRTIO_MMIO_CONFIG + VIRTIO_CONSOLE_CFG_EMERG_WR, 4, c);
    expect(out.text()).toBe("ok");
  });

  it("announces ports on the control queue with MULTIPORT and routes per-port data", async () => {
    const hvc = new BufferCharBackend();
    const agent = new BufferCharBackend();
    const { driver, console, transport } = setup({
      ports: [{ backend: hvc }, { backend: agent, name: "org.monovisor.agent" }],
    });
    expect(driver.config(VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 4)).toBe(2);
    driver.init({ queues: [0, 1, 2, 3, 4, 5] });
    for (let i = 0; i < 8; i++) driver.post(2, [{ in: 64 }]);
    driver.kick(2);
    const events = async () => {
      await transport.idle();
      return driver.takeUsed(2).map((u) => parseControl(u.written, u.len));
    };
    await driver.request(3, [{ out: control(0, VIRTIO_CONSOLE_DEVICE_READY, 1) }]);
    expect(await events()).toEqual([
      { id: 0, event: VIRTIO_CONSOLE_DEVICE_ADD, value: 0, extra: "" },
      { id: 1, event: VIRTIO_CONSOLE_DEVICE_ADD, value: 0, extra: "" },
    ]);
    await driver.request(3, [{ out: control(0, VIRTIO_CONSOLE_PORT_READY, 1) }]);
    await driver.request(3, [{ out: control(1, VIRTIO_CONSOLE_PORT_READY, 1) }]);
    expect(await events()).toEqual([
      { id: 0, event: VIRTIO_CONSOLE_CONSOLE_PORT, value: 1, extra: "" },
      { id: 0, event: VIRTIO_CONSOLE_PORT_OPEN, value: 1, extra: "" },
      { id: 1, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, extra: "org.monovisor.agent" },
      { id: 1, event: VIRTIO_CONSOLE_PORT_OPEN, value: 1, extra: "" },
    ]);

    // Port 1 input waits for the guest to open it.
    driver.post(4, [{ in: 16 }]);
    driver.kick(4);
    console.pushInput(text("ping"), 1);
    await transport.idle();
    expect(console.isGuestOpen(1)).toBe(false);
    expect(driver.takeUsed(4)).toEqual([]);
    await driver.request(3, [{ out: control(1, VIRTIO_CONSOLE_PORT_OPEN, 1) }]);
    const [rx] = driver.takeUsed(4);
    expect(decode(rx.written.subarray(0, rx.len))).toBe("ping");

    await driver.request(5, [{ out: text("pong") }]);
    await driver.request(1, [{ out: text("console") }]);
    expect(agent.text()).toBe("pong");
    expect(hvc.text()).toBe("console");
  });

  it("saves and restores pending input and port state", async () => {
    const { driver, console, transport } = setup({ ports: [{ backend: new BufferCharBackend() }] });
    driver.init({ queues: [0, 1] });
    console.pushInput(text("abc"));
    await transport.idle();
    const saved = JSON.parse(JSON.stringify(transport.saveState()));
    const other = setup({ ports: [{ backend: new BufferCharBackend() }] });
    other.transport.restoreState(saved);
    expect(other.console.pendingInput()).toBe(3);
    expect(() =>
      other.transport.restoreState({ ...saved, device: { ...saved.device, ports: [] } }),
    ).toThrow();
  });
});
