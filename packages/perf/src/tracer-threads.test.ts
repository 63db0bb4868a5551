import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { readRecording } from "./export/recording.js";
import { HOST_VCPU } from "./ring/record-layout.js";
import { decodeRecord } from "./tracepoint/decode.js";
import { StringTable } from "./tracepoint/strings.js";
import { Tracer } from "./tracer.js";

function owner() {
  return new Tracer({ vm: { id: 3, name: "smp" }, vcpus: 2, shared: true, ringCapacity: 64 });
}

/** A thread's tracer as a worker would build it: from a structured clone of the port. */
function lend(tracer: Tracer, key: string | number, vcpus: readonly number[]) {
  return Tracer.forThread(structuredClone(tracer.threadPort(key, vcpus)));
}

describe("Tracer thread ports", () => {
  it("routes each thread's records to rings no other thread writes, with their vCPU numbers", () => {
    const tracer = owner();
    const a = lend(tracer, 0, [0]);
    const b = lend(tracer, 1, [1]);
    tracer.enable("irq.claim");
    a.sync();
    b.sync();
    a.tracepoint("irq.claim").emit(0, 1, 10);
    b.tracepoint("irq.claim").emit(1, 3, 11);
    // Not its vCPU: goes to the thread's own host ring, still marked vCPU 0.
    b.tracepoint("irq.claim").emit(0, 5, 12);
    // The owner lent its vCPU rings away, so its own events use its host ring.
    tracer.tracepoint("irq.claim").emit(1, 7, 13);
    const batch = tracer.drain();
    const seen = Array.from({ length: batch.length }, (_, i) => [batch.vcpu(i), batch.word(i, 1)]);
    expect(seen.sort((x, y) => x[1] - y[1])).toEqual([
      [0, 10],
      [1, 11],
      [0, 12],
      [1, 13],
    ]);
    const stats = tracer.stats();
    expect(stats.tracepoints.find((t) => t.name === "irq.claim")).toMatchObject({
      total: 4,
      perVcpu: [2, 2],
    });
    expect(stats.rings.filter((r) => r.thread !== undefined).map((r) => r.thread)).toEqual(["0", "1"]);
  });

  it("follows enable and disable on sync only, in both directions", () => {
    const tracer = owner();
    const view = lend(tracer, "w", [0, 1]);
    const trap = view.tracepoint("hart.trap");
    tracer.enable("hart.trap", "count");
    expect(trap.enabled).toBe(false);
    expect(view.sync()).toBe(true);
    expect(trap.mode).toBe("count");
    expect(view.sync()).toBe(false);
    view.disable("hart.trap");
    expect(tracer.tracepoint("hart.trap").enabled).toBe(true);
    tracer.sync();
    expect(tracer.tracepoint("hart.trap").mode).toBe("off");
    // A thread joining later starts from the current modes.
    tracer.enable("sched.*");
    expect(lend(tracer, "late", [0]).tracepoint("sched.steal").mode).toBe("trace");
  });

  it("merges the threads' counts and latency histograms into stats", () => {
    const tracer = owner();
    const view = lend(tracer, 0, [0, 1]);
    tracer.enable("sched.steal", "count");
    view.sync();
    view.tracepoint("sched.steal").emit(0, 1000, 0);
    view.tracepoint("sched.steal").emit(1, 3000, 0);
    tracer.tracepoint("sched.steal").emit(1, 2000, 0);
    const steal = tracer.stats().tracepoints.find((t) => t.name === "sched.steal");
    expect(steal).toMatchObject({ total: 3, perVcpu: [1, 2] });
    expect(steal?.latency).toMatchObject({ count: 3, min: 1000, max: 3000, sum: 6000 });
    tracer.resetStats();
    expect(tracer.stats().tracepoints.find((t) => t.name === "sched.steal")?.total).toBe(0);
  });

  it("resolves strings a thread interned, one id per string everywhere", () => {
    const tracer = owner();
    const view = lend(tracer, 0, [0]);
    const uart = view.registry.intern("uart");
    expect(tracer.registry.intern("uart")).toBe(uart);
    const blk = tracer.registry.intern("virtio-blk0");
    expect(view.registry.intern("virtio-blk0")).toBe(blk);
    expect(view.registry.string(blk)).toBe("virtio-blk0");
    tracer.enable("mmio.access");
    view.sync();
    view.tracepoint("mmio.access").emit(0, 50, 0x1000_0000, 0, 1, 0, 65, 0, uart);
    const batch = tracer.drain();
    expect(decodeRecord(tracer.registry.table(), batch, 0).fields.device).toBe("uart");
  });

  it("stamps records on one clock for all threads", () => {
    const tracer = owner();
    const view = lend(tracer, 0, [0]);
    expect(Math.abs(view.now() - tracer.now())).toBeLessThan(1e6);
  });

  it("puts thread records and losses in recordings", () => {
    const tracer = owner();
    const view = lend(tracer, 0, [0]);
    tracer.enable("irq.raise");
    view.sync();
    tracer.startRecording();
    for (let i = 0; i < 70; i++) view.tracepoint("irq.raise").emit(HOST_VCPU, 0, i, 1);
    view.tracepoint("irq.raise").emit(0, 0, 99, 1);
    const recording = readRecording(tracer.stopRecording());
    expect(recording.records.length).toBe(65);
    expect(recording.lost[2]).toBe(6);
  });

  it("hands a vCPU's ring from one thread to another without losing records", () => {
    const tracer = owner();
    const a = lend(tracer, 0, [0]);
    const b = lend(tracer, 1, []);
    tracer.enable("irq.claim");
    a.sync();
    b.sync();
    a.tracepoint("irq.claim").emit(0, 1, 1);
    a.setVcpuOwned(0, false);
    b.setVcpuOwned(0, true);
    b.tracepoint("irq.claim").emit(0, 1, 2);
    a.tracepoint("irq.claim").emit(0, 1, 3); // now goes to a's host ring
    const batch = tracer.drain();
    expect(Array.from({ length: batch.length }, (_, i) => batch.word(i, 1)).sort()).toEqual([1, 2, 3]);
    expect(tracer.stats().rings.every((r) => r.lost === 0)).toBe(true);
    expect(() => tracer.setVcpuOwned(0, true)).toThrow(/thread's tracer/);
  });

  it("reuses a thread's slot under the same key", () => {
    const tracer = owner();
    tracer.enable("irq.raise", "count");
    const first = lend(tracer, 0, [0]);
    first.sync();
    first.tracepoint("irq.raise").emit(0, 0, 1, 1);
    const again = lend(tracer, 0, [1]);
    again.tracepoint("irq.raise").emit(1, 0, 1, 1);
    expect(tracer.stats().rings).toHaveLength(4);
    expect(tracer.stats().tracepoints.find((t) => t.name === "irq.raise")?.perVcpu).toEqual([1, 1]);
  });

  it("explains what a port needs, and keeps thread tracers to producing", () => {
    expect(() => new Tracer({ vcpus: 1 }).threadPort(0, [0])).toThrow(/shared: true/);
    const manual = new Tracer({ vcpus: 1, shared: true, clock: new ManualClock() });
    expect(() => manual.threadPort(0, [0])).toThrow(/host clock/);
    expect(() => owner().threadPort(0, [2])).toThrow(/vCPU 2 out of range/);
    const view = lend(owner(), 0, [0]);
    expect(view.isThreadView).toBe(true);
    expect(() => view.drain()).toThrow(/only feeds/);
    expect(() => view.stats()).toThrow(/only feeds/);
    expect(() => view.startRecording()).toThrow(/only feeds/);
    expect(() => view.threadPort(1, [0])).toThrow(/only feeds/);
  });
});

describe("StringTable", () => {
  it("gives one id per string across threads", async () => {
    const table = StringTable.create(true);
    const buffer = table.buffer as SharedArrayBuffer;
    // A worker appends with the same layout the table uses, under the same lock.
    const worker = new Worker(
      `const { workerData, parentPort } = require("node:worker_threads");
       const h = new Int32Array(workerData, 0, 4);
       const offsets = new Int32Array(workerData, 16, 4097);
       const bytes = new Uint8Array(workerData, 16 + 4097 * 4);
       for (const text of ["alpha", "beta"]) {
         while (Atomics.compareExchange(h, 0, 0, 1) !== 0) {}
         const n = h[1], used = h[2], enc = new TextEncoder().encode(text);
         bytes.set(enc, used); offsets[n] = used; offsets[n + 1] = used + enc.length;
         h[2] = used + enc.length; Atomics.store(h, 1, n + 1); Atomics.store(h, 0, 0);
       }
       parentPort.postMessage("done");`,
      { eval: true, workerData: buffer },
    );
    await new Promise((resolve) => worker.once("message", resolve));
    await worker.terminate();
    expect(table.intern("beta")).toBe(1);
    expect(table.intern("gamma")).toBe(2);
    expect(StringTable.attach(buffer).all()).toEqual(["alpha", "beta", "gamma"]);
  });

  it("says when it is full", () => {
    const table = StringTable.create(true);
    const long = "x".repeat(60 * 1024);
    table.intern(long);
    table.intern(`${long}y`);
    expect(() => table.intern(`${long}z`)).toThrow(/string table is full/);
  });
});
