import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { readRecording } from "./export/recording.js";
import type { RecordBatch } from "./ring/record-batch.js";
import { HOST_VCPU } from "./ring/record-layout.js";
import { decodeRecord } from "./tracepoint/decode.js";
import { Tracer } from "./tracer.js";

function setup(options: { ringCapacity?: number; overflow?: "overwrite" | "stop" } = {}) {
  const clock = new ManualClock(1000);
  const tracer = new Tracer({ vm: { id: 7, name: "guest" }, vcpus: 2, clock, ...options });
  return { clock, tracer };
}

describe("Tracer", () => {
  it("delivers live events in batches on drain, filtered by tracepoint and vCPU", () => {
    const { clock, tracer } = setup();
    const raise = tracer.tracepoint("irq.raise");
    const claim = tracer.tracepoint("irq.claim");
    tracer.enable("class:irq");
    const batches: RecordBatch[] = [];
    const names: string[] = [];
    const subscription = tracer.subscribe({ tracepoints: "irq.claim", vcpus: [1] }, (batch, table) => {
      batches.push(batch);
      for (let i = 0; i < batch.length; i++) names.push(decodeRecord(table, batch, i).name);
    });
    raise.emit(1, 0, 10, 1);
    claim.emit(0, 1, 10);
    clock.advance(5);
    claim.emit(1, 3, 10);
    expect(batches).toHaveLength(0);
    const all = tracer.drain();
    expect(all.length).toBe(3);
    expect(batches).toHaveLength(1);
    expect(batches[0].length).toBe(1);
    expect(batches[0].timestamp(0)).toBe(1005);
    expect(names).toEqual(["irq.claim"]);
    subscription.unsubscribe();
    claim.emit(1, 3, 11);
    tracer.drain();
    expect(batches).toHaveLength(1);
  });

  it("merges rings in time order and routes unknown vCPUs to the host ring", () => {
    const { clock, tracer } = setup();
    const virtio = tracer.tracepoint("virtio.request");
    const claim = tracer.tracepoint("irq.claim");
    tracer.enable("virtio.request,irq.claim");
    const device = tracer.registry.intern("virtio-blk0");
    clock.set(30);
    claim.emit(1, 1, 1);
    clock.set(10);
    virtio.emit(HOST_VCPU, 2500, device, 0, 5, 1, 4096, 0);
    clock.set(20);
    claim.emit(0, 1, 1);
    const batch = tracer.drain();
    expect(Array.from({ length: 3 }, (_, i) => batch.timestamp(i))).toEqual([10, 20, 30]);
    const event = decodeRecord(tracer.registry.table(), batch, 0);
    expect(event).toMatchObject({ name: "virtio.request", vcpu: HOST_VCPU, durNs: 2500 });
    expect(event.fields).toMatchObject({ device: "virtio-blk0", queue: 0, head: 5, bytes: 4096 });
    expect(virtio.counts[2]).toBe(1); // the host slot
  });

  it("decodes every field type", () => {
    const { tracer } = setup();
    const mmio = tracer.tracepoint("mmio.access");
    const sbi = tracer.tracepoint("sbi.call");
    tracer.enable("mmio.access,sbi.call");
    mmio.emit(0, 12.5, 0x10000000, 0, 1, 1, 0xff, 0, tracer.registry.intern("uart0"));
    sbi.emit(1, 40, 0x10, 3, 0xffffffff, 0xffffffff, -2, 0, 0);
    const table = tracer.registry.table();
    const batch = tracer.drain();
    expect(decodeRecord(table, batch, 0).fields).toEqual({
      durNs: 12.5,
      addr: 0x10000000n,
      size: 1,
      write: true,
      value: 0xffn,
      device: "uart0",
    });
    expect(decodeRecord(table, batch, 1).fields).toMatchObject({
      eid: 0x10,
      fid: 3,
      arg0: 0xffffffffffffffffn,
      error: -2,
    });
  });

  it("snapshots stats as plain data", () => {
    const { tracer } = setup();
    const trap = tracer.tracepoint("hart.trap");
    tracer.enable("hart.trap", "count");
    for (let i = 1; i <= 100; i++) trap.emit(i % 2, i, 8, 0, 0, 0, 0, 0);
    trap.emit(HOST_VCPU, 1, 8, 0, 0, 0, 0, 0);
    tracer.counter("virtio.blk.bytes").add(4096);
    tracer.histogram("boot.ms").record(1200);
    const stats = tracer.stats();
    const trapStats = stats.tracepoints.find((tp) => tp.name === "hart.trap")!;
    expect(trapStats).toMatchObject({ mode: "count", total: 101, perVcpu: [50, 50], host: 1 });
    expect(trapStats.latency).toMatchObject({ count: 101, min: 1, max: 100 });
    expect(stats.counters).toEqual({ "virtio.blk.bytes": 4096 });
    expect(stats.histograms["boot.ms"].count).toBe(1);
    expect(stats.rings.map((ring) => ring.vcpu)).toEqual([0, 1, "host"]);
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    tracer.resetStats();
    expect(tracer.stats().tracepoints.find((tp) => tp.name === "hart.trap")?.total).toBe(0);
  });

  it("records only events between start and stop, with ring loss", () => {
    const { clock, tracer } = setup({ ringCapacity: 4 });
    const fire = tracer.tracepoint("timer.fire");
    tracer.enable("timer.fire");
    fire.emit(0, 1, 0, 1, 0, 1);
    tracer.startRecording();
    expect(tracer.recording).toBe(true);
    for (let i = 0; i < 10; i++) {
      clock.advance(1);
      fire.emit(1, i, 0, i, 0, 1);
    }
    const bytes = tracer.stopRecording();
    expect(tracer.recording).toBe(false);
    expect(() => tracer.stopRecording()).toThrow();
    const recording = readRecording(bytes);
    expect(recording.vm).toEqual({ id: 7, name: "guest" });
    expect(recording.records.length).toBe(4);
    expect(recording.lost).toEqual([0, 6, 0]);
    expect([...recording.events()].map((event) => event.fields.deadline)).toEqual([6n, 7n, 8n, 9n]);
  });

  it("refuses a second concurrent recording", () => {
    const { tracer } = setup();
    tracer.startRecording();
    expect(() => tracer.startRecording()).toThrow();
  });
});
