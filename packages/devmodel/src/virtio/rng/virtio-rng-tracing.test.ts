import { GuestMemory } from "@monovisor/hv-core";
import { decodeRecord, HOST_VCPU, ManualClock, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { VirtioMmioTransport } from "../mmio-transport.js";
import { TestIrqLine, VirtioTestDriver } from "../testing/virtio-test-driver.testing.js";
import { VirtioRng } from "./virtio-rng.js";

describe("virtio.request", () => {
  it("emits one span per completed chain with device, queue, head, bytes and latency", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const clock = new ManualClock(100);
    // Each buffer takes 40 ns of trace time to fill; the span covers both.
    const rng = new VirtioRng({
      entropy: (b) => {
        clock.advance(40);
        b.fill(1);
      },
    });
    const transport = new VirtioMmioTransport({ name: "rng0", memory, irq: new TestIrqLine(), device: rng });
    const tracer = new Tracer({ vcpus: 1, clock });
    transport.attachTracer(tracer);
    tracer.enable("virtio.request");
    const driver = new VirtioTestDriver(transport, memory);
    driver.init();
    const used = await driver.request(0, [{ in: 100 }, { in: 28 }]);
    expect(used.len).toBe(128);

    const batch = tracer.drain();
    const table = tracer.registry.table();
    const reqs = Array.from({ length: batch.length }, (_, i) => decodeRecord(table, batch, i));
    expect(reqs).toHaveLength(1);
    const [req] = reqs;
    expect(req.vcpu).toBe(HOST_VCPU);
    expect(req.fields).toEqual({
      durNs: 80,
      device: "rng0",
      queue: 0,
      head: used.id,
      op: 0,
      bytes: 128,
      status: 0,
    });
    const stats = tracer.stats().tracepoints.find((t) => t.name === "virtio.request");
    expect(stats?.total).toBe(1);
  });

  it("emits nothing when the tracepoint is off", async () => {
    const memory = new GuestMemory({ ramSize: 1 << 20 });
    const transport = new VirtioMmioTransport({ memory, irq: new TestIrqLine(), device: new VirtioRng() });
    const tracer = new Tracer({ vcpus: 1 });
    transport.attachTracer(tracer);
    const driver = new VirtioTestDriver(transport, memory);
    driver.init();
    await driver.request(0, [{ in: 16 }]);
    expect(tracer.stats().tracepoints.every((t) => t.total === 0)).toBe(true);
  });
});
