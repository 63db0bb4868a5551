import { decodeRecord, ManualClock, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { Scheduler } from "./scheduler.js";
import { type Segment, type SimResult, simulate } from "./simulate.js";

const MS = 1_000_000;

function cpu(result: SimResult, vm: number): number {
  return result.vms.find((v) => v.id === vm)?.cpuNs ?? 0;
}

/** Worker-by-worker: segments never overlap on one worker, and one vCPU never runs twice at once. */
function checkExclusive(segments: readonly Segment[]): void {
  const byWorker = new Map<number, Segment[]>();
  const byVcpu = new Map<string, Segment[]>();
  for (const s of segments) {
    byWorker.set(s.worker, [...(byWorker.get(s.worker) ?? []), s]);
    const k = `${s.vm}:${s.vcpu}`;
    byVcpu.set(k, [...(byVcpu.get(k) ?? []), s]);
  }
  for (const list of [...byWorker.values(), ...byVcpu.values()]) {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end - 1e-6);
  }
}

describe("credit policy", () => {
  it("shares one worker 2:1 by weight", () => {
    const r = simulate({
      workers: 1,
      durationNs: 1000 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 1, weight: 512 },
        { id: 2, vcpus: 1, weight: 256 },
      ],
      record: true,
    });
    const ratio = cpu(r, 1) / cpu(r, 2);
    expect(Math.abs(ratio - 2) / 2).toBeLessThan(0.05);
    expect(cpu(r, 1) + cpu(r, 2)).toBeCloseTo(1000 * MS, -1);
    checkExclusive(r.segments);
  });

  it("shares by weight across workers too", () => {
    const r = simulate({
      workers: 2,
      durationNs: 1000 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 2, weight: 768 },
        { id: 2, vcpus: 2, weight: 256 },
      ],
      record: true,
    });
    // Two queues each hold one vCPU of each VM: 3:1 on both.
    expect(Math.abs(cpu(r, 1) / cpu(r, 2) - 3) / 3).toBeLessThan(0.05);
    checkExclusive(r.segments);
  });

  it("holds a capped VM at its cap and gives the rest away", () => {
    const r = simulate({
      workers: 1,
      durationNs: 1000 * MS,
      sliceNs: 1 * MS,
      capPeriodNs: 10 * MS,
      vms: [
        { id: 1, vcpus: 1, weight: 1024, cap: 50 },
        { id: 2, vcpus: 1 },
      ],
    });
    expect(cpu(r, 1)).toBeLessThanOrEqual(0.5 * 1000 * MS + 1);
    expect(cpu(r, 1)).toBeGreaterThan(0.49 * 1000 * MS);
    expect(cpu(r, 2)).toBeGreaterThan(0.49 * 1000 * MS);
  });

  it("idles rather than exceed a cap when alone", () => {
    const r = simulate({
      workers: 2,
      durationNs: 200 * MS,
      sliceNs: 1 * MS,
      capPeriodNs: 10 * MS,
      vms: [{ id: 1, vcpus: 2, cap: 50 }],
    });
    expect(cpu(r, 1)).toBeLessThanOrEqual(0.5 * 200 * MS + 1);
    expect(cpu(r, 1)).toBeGreaterThan(0.49 * 200 * MS);
  });

  it("never runs a vCPU outside its affinity", () => {
    const affinity = [[0], [1, 2], [2]];
    const r = simulate({
      workers: 3,
      durationNs: 300 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 3, affinity, workload: { kind: "blocking", runNs: 2 * MS, blockNs: 3 * MS } },
        { id: 2, vcpus: 3, affinity: [[0, 1], undefined, [1]] },
        { id: 3, vcpus: 2, workload: { kind: "blocking", runNs: 1 * MS, blockNs: 1 * MS } },
      ],
      record: true,
    });
    const allowed: Record<number, (readonly number[] | undefined)[]> = {
      1: affinity,
      2: [[0, 1], undefined, [1]],
      3: [],
    };
    for (const s of r.segments) {
      const set = allowed[s.vm][s.vcpu];
      if (set !== undefined) expect(set).toContain(s.worker);
    }
    expect(r.migrations).toBeGreaterThan(0);
    checkExclusive(r.segments);
  });

  it("charges blocked vCPUs nothing and hands their time to others", () => {
    const r = simulate({
      workers: 1,
      durationNs: 500 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 1, workload: { kind: "blocking", runNs: 1 * MS, blockNs: 9 * MS } },
        { id: 2, vcpus: 1 },
      ],
    });
    // The sleeper gets what it asks for (about 10 %), the spinner the rest, nothing idles.
    expect(cpu(r, 1)).toBeGreaterThan(0.095 * 500 * MS);
    expect(cpu(r, 1)).toBeLessThan(0.105 * 500 * MS);
    expect(cpu(r, 1) + cpu(r, 2)).toBeCloseTo(500 * MS, -1);
    expect(r.idleNs[0]).toBeLessThan(1);
    // Its wake-ups find it with credit to spare: sleeping burnt none.
    expect(r.stats.vms[0].vcpus[0].credit).toBeGreaterThan(r.stats.vms[1].vcpus[0].credit);
  });

  it("accounts steal time as runnable-but-not-running time", () => {
    const r = simulate({
      workers: 2,
      durationNs: 300 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 2, weight: 512 },
        { id: 2, vcpus: 2, workload: { kind: "blocking", runNs: 2 * MS, blockNs: 1.5 * MS } },
        { id: 3, vcpus: 1, cap: 30 },
      ],
    });
    for (const vm of r.vms) {
      for (const v of vm.vcpus) {
        expect(v.stealNs).toBeCloseTo(v.runnableNs - v.cpuNs, 0);
        expect(v.stealNs).toBeGreaterThan(0);
      }
    }
  });

  it("migrates only to a worker that would otherwise idle", () => {
    const r = simulate({
      workers: 3,
      durationNs: 300 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 3, workload: { kind: "blocking", runNs: 1.5 * MS, blockNs: 2 * MS } },
        { id: 2, vcpus: 1 },
        { id: 3, vcpus: 3, workload: { kind: "blocking", runNs: 0.7 * MS, blockNs: 1.3 * MS } },
      ],
      record: true,
    });
    const migrations = r.events.filter((e) => e.kind === "migrate");
    expect(migrations.length).toBeGreaterThan(10);
    for (const m of migrations) {
      const sw = r.events.find(
        (e) => e.kind === "switch" && e.t === m.t && e.vm === m.vm && e.vcpu === m.vcpu,
      );
      expect(sw?.kind).toBe("switch");
      if (sw?.kind !== "switch") continue;
      expect(sw.worker).toBe(m.to);
      // The destination had nothing runnable of its own: idle, or its vCPU just blocked.
      expect(sw.prevVm === -1 || !sw.prevRunnable).toBe(true);
    }
    checkExclusive(r.segments);
  });

  it("lets a spinning vCPU yield, and hands the worker to a lock holder", () => {
    const sched = new Scheduler({ workers: 1, sliceNs: 10 * MS, rateLimitNs: 1 * MS });
    sched.addVm({ id: 1, vcpus: 3 });
    expect(sched.pick(0, 0)).toMatchObject({ vm: 1, vcpu: 0 });
    // A yield skips the rate limit and lets the next waiting vCPU in.
    expect(sched.yieldHint(1, 0, 100)).toBe(true);
    expect(sched.pick(0, 100)).toMatchObject({ vm: 1, vcpu: 1 });
    // vCPU 1 spins on a lock vCPU 0 holds: 0 runs next although 2 waited longer.
    expect(sched.directedYield(1, 1, 0, 200)).toBe(true);
    expect(sched.pick(0, 200)).toMatchObject({ vm: 1, vcpu: 0 });
    // The holder runs already: nothing to hand over.
    sched.pick(0, 5 * MS);
    expect(sched.directedYield(1, 0, 0, 5 * MS)).toBe(false);
  });

  it("does not yield when nobody waits", () => {
    const sched = new Scheduler({ workers: 2 });
    sched.addVm({ id: 1, vcpus: 1 });
    sched.pick(0, 0);
    expect(sched.yieldHint(1, 0, 10)).toBe(false);
  });

  it("is deterministic", () => {
    const run = () =>
      simulate({
        workers: 2,
        durationNs: 100 * MS,
        sliceNs: 1 * MS,
        vms: [
          { id: 1, vcpus: 2, workload: { kind: "blocking", runNs: 0.3 * MS, blockNs: 0.7 * MS } },
          { id: 2, vcpus: 1, weight: 128 },
          { id: 3, vcpus: 2, cap: 60 },
        ],
      }).stats;
    expect(run()).toEqual(run());
  });
});

describe("gang policy", () => {
  /** At every instant, count running vCPUs per VM. */
  function coscheduled(segments: readonly Segment[], vm: number, size: number): void {
    const times = [...new Set(segments.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b);
    for (let i = 0; i + 1 < times.length; i++) {
      const mid = (times[i] + times[i + 1]) / 2;
      const live = segments.filter((s) => s.vm === vm && s.start <= mid && mid < s.end);
      expect([0, size]).toContain(live.length);
      expect(new Set(live.map((s) => s.worker)).size).toBe(live.length);
      expect(new Set(live.map((s) => s.vcpu)).size).toBe(live.length);
    }
  }

  it("runs a 2-vCPU VM's vCPUs together or not at all", () => {
    const r = simulate({
      policy: "gang",
      workers: 2,
      durationNs: 200 * MS,
      sliceNs: 1 * MS,
      vms: [
        { id: 1, vcpus: 2 },
        { id: 2, vcpus: 1 },
      ],
      record: true,
    });
    coscheduled(r.segments, 1, 2);
    expect(cpu(r, 1)).toBeGreaterThan(0);
    expect(cpu(r, 2)).toBeGreaterThan(0);
    // Equal weight per vCPU: the gang's two vCPUs each get what the single one gets.
    const g = r.vms[0].vcpus[0].cpuNs;
    expect(Math.abs(g - cpu(r, 2)) / cpu(r, 2)).toBeLessThan(0.05);
    checkExclusive(r.segments);
  });

  it("co-schedules against competing gangs, sleepers and affinity", () => {
    const r = simulate({
      policy: "gang",
      workers: 3,
      durationNs: 200 * MS,
      sliceNs: 1 * MS,
      vms: [
        {
          id: 1,
          vcpus: 2,
          affinity: [
            [0, 1],
            [1, 2],
          ],
        },
        { id: 2, vcpus: 3, weight: 512 },
        { id: 3, vcpus: 1, workload: { kind: "blocking", runNs: 0.4 * MS, blockNs: 0.9 * MS } },
        { id: 4, vcpus: 2, gang: false },
      ],
      record: true,
    });
    coscheduled(r.segments, 1, 2);
    coscheduled(r.segments, 2, 3);
    for (const s of r.segments) {
      if (s.vm === 1 && s.vcpu === 0) expect([0, 1]).toContain(s.worker);
      if (s.vm === 1 && s.vcpu === 1) expect([1, 2]).toContain(s.worker);
    }
    for (const id of [1, 2, 3, 4]) expect(cpu(r, id)).toBeGreaterThan(0);
    checkExclusive(r.segments);
    for (const vm of r.vms)
      for (const v of vm.vcpus) expect(v.stealNs).toBeCloseTo(v.runnableNs - v.cpuNs, 0);
  });

  it("parks a capped gang as a whole", () => {
    const r = simulate({
      policy: "gang",
      workers: 2,
      durationNs: 200 * MS,
      sliceNs: 1 * MS,
      capPeriodNs: 10 * MS,
      vms: [
        { id: 1, vcpus: 2, cap: 50, weight: 1024 },
        { id: 2, vcpus: 1 },
      ],
      record: true,
    });
    coscheduled(r.segments, 1, 2);
    expect(cpu(r, 1)).toBeLessThanOrEqual(0.5 * 200 * MS + 1);
    expect(cpu(r, 1)).toBeGreaterThan(0.45 * 200 * MS);
  });

  it("refuses a gang wider than the pool", () => {
    const sched = new Scheduler({ workers: 2, policy: "gang" });
    expect(() => sched.addVm({ id: 1, vcpus: 3 })).toThrow(RangeError);
  });
});

describe("tracing", () => {
  it("emits sched.* with the right payloads into each VM's tracer", () => {
    const clock = new ManualClock();
    const t1 = new Tracer({ vm: { id: 1, name: "a" }, vcpus: 2, clock });
    const t2 = new Tracer({ vm: { id: 2, name: "b" }, vcpus: 1, clock });
    t1.enable("sched.*");
    t2.enable("sched.*");
    const sched = new Scheduler({ workers: 1, sliceNs: 1 * MS, rateLimitNs: 0.5 * MS });
    sched.addVm({ id: 1, vcpus: 2 });
    sched.addVm({ id: 2, vcpus: 1, blocked: [0] });
    sched.attachTracer(t1, 1);
    sched.attachTracer(t2, 2);

    sched.pick(0, 0); // 1.0 in, from idle
    sched.pick(0, 1 * MS); // 1.1 in, 1.0 preempted; 1.1 waited 1 ms
    sched.block(1, 1, 1.5 * MS, "wfi");
    sched.pick(0, 1.5 * MS); // 1.0 in after a block; waited 0.5 ms
    sched.wake(2, 0, 2 * MS, "ipi", 0);
    sched.pick(0, 2.5 * MS); // 2.0 in, 1.0 preempted

    const r1 = t1.drain();
    const e1 = Array.from({ length: r1.length }, (_, i) => decodeRecord(t1.registry.table(), r1, i));
    const switches1 = e1.filter((e) => e.name === "sched.switch");
    expect(
      switches1.map((e) => [
        e.ts,
        e.vcpu,
        e.fields.pcpu,
        e.fields.prevVm,
        e.fields.prevVcpu,
        e.fields.reason,
      ]),
    ).toEqual([
      [0, 0, 0, -1, -1, "preempt"],
      [1 * MS, 1, 0, 1, 0, "preempt"],
      [1.5 * MS, 0, 0, 1, 1, "block"],
    ]);
    const steals1 = e1.filter((e) => e.name === "sched.steal");
    expect(steals1.map((e) => [e.vcpu, e.durNs, e.fields.pcpu])).toEqual([
      [1, 1 * MS, 0],
      [0, 0.5 * MS, 0],
    ]);
    expect(e1.filter((e) => e.name === "sched.block").map((e) => [e.vcpu, e.fields.reason])).toEqual([
      [1, "wfi"],
    ]);

    const r2 = t2.drain();
    const e2 = Array.from({ length: r2.length }, (_, i) => decodeRecord(t2.registry.table(), r2, i));
    expect(e2.map((e) => e.name)).toEqual(["sched.wake", "sched.steal", "sched.switch"]);
    expect(e2[0].fields).toMatchObject({ reason: "ipi", waker: 0 });
    expect(e2[1].durNs).toBe(0.5 * MS);
    expect(e2[2].fields).toMatchObject({ pcpu: 0, prevVm: 1, prevVcpu: 0, reason: "preempt" });

    const stats = sched.stats();
    const traced = t1.tracepoint("sched.switch").total + t2.tracepoint("sched.switch").total;
    expect(traced).toBe(stats.switches);
  });

  it("counts match the scheduler's own numbers over a simulation", () => {
    const tracer = new Tracer({ vcpus: 3, clock: new ManualClock() });
    tracer.enable("sched.*", "count");
    const r = simulate({
      workers: 2,
      durationNs: 100 * MS,
      sliceNs: 1 * MS,
      tracer,
      vms: [{ id: 1, vcpus: 3, workload: { kind: "blocking", runNs: 0.8 * MS, blockNs: 0.5 * MS } }],
      record: true,
    });
    expect(tracer.tracepoint("sched.switch").total).toBe(r.switches);
    expect(tracer.tracepoint("sched.migrate").total).toBe(r.migrations);
    expect(tracer.tracepoint("sched.block").total).toBe(r.events.filter((e) => e.kind === "block").length);
    expect(tracer.tracepoint("sched.wake").total).toBe(r.events.filter((e) => e.kind === "wake").length);
    const steal = tracer.tracepoint("sched.steal");
    expect(steal.total).toBe(r.events.filter((e) => e.kind === "steal").length);
    const stealNs = r.vms[0].vcpus.reduce((s, v) => s + v.stealNs, 0);
    expect(steal.latency?.count ?? 0).toBe(steal.total);
    expect(stealNs).toBeGreaterThan(0);
  });

  it("numbers vCPUs and pCPUs in records as the caller says (a worker's share of a pool)", () => {
    const tracer = new Tracer({ vcpus: 4, clock: new ManualClock() });
    tracer.enable("sched.*");
    // Worker 3 of a pool runs harts 1 and 3 of a VM: local vCPUs 0 and 1.
    const sched = new Scheduler({ workers: 1, sliceNs: MS, traceWorkerIds: [3] });
    sched.addVm({ id: 9, vcpus: 2, traceIds: [1, 3] }, 0);
    sched.attachTracer(tracer, 9);
    expect(sched.pick(0, 0).vcpu).toBe(0);
    expect(sched.pick(0, 2 * MS).vcpu).toBe(1);
    sched.block(9, 1, 2.5 * MS, "wfi");
    const batch = tracer.drain();
    const events = Array.from({ length: batch.length }, (_, i) =>
      decodeRecord(tracer.registry.table(), batch, i),
    );
    expect(events.map((e) => [e.name, e.vcpu])).toEqual([
      ["sched.switch", 1],
      ["sched.steal", 3],
      ["sched.switch", 3],
      ["sched.block", 3],
    ]);
    expect(events[1].fields.pcpu).toBe(3);
    expect(events[2].fields).toMatchObject({ pcpu: 3, prevVm: 9, prevVcpu: 1 });
    // The scheduler's own numbering stays local.
    expect(sched.stats().vms[0].vcpus.map((v) => v.vcpu)).toEqual([0, 1]);
  });
});
