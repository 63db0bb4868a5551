import { ManualClock, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { formatSchedTable, SchedStats } from "./sched-stats.js";

describe("hv stat scheduling table", () => {
  it("counts switches, wakes, blocks and migrations per vCPU and sums steal time", () => {
    const tracer = new Tracer({ vcpus: 2, clock: new ManualClock() });
    const stats = new SchedStats(tracer);
    const sw = tracer.tracepoint("sched.switch");
    const steal = tracer.tracepoint("sched.steal");
    for (let i = 0; i < 3; i++) sw.emit(0, 0, -1, -1, 0);
    sw.emit(1, 0, 1, 0, 0);
    tracer.tracepoint("sched.wake").emit(1, 0, -1);
    tracer.tracepoint("sched.block").emit(1, 0);
    tracer.tracepoint("sched.migrate").emit(0, 0, 1);
    steal.emit(1, 2e6, 0);
    steal.emit(1, 1e6, 0);
    tracer.drain();
    expect(stats.rows()).toEqual([
      { vcpu: 0, switches: 3, wakes: 0, blocks: 0, migrations: 1, stealNs: 0 },
      { vcpu: 1, switches: 1, wakes: 1, blocks: 1, migrations: 0, stealNs: 3e6 },
    ]);
    const text = formatSchedTable(stats.rows(), 1, 0.5);
    expect(text).toContain("Scheduling on 1 vCPU thread over 0.50 s");
    expect(text).toMatch(/^\s+1\s+1\s+1\s+1\s+0\s+3\.00 ms\s+0\.60%$/m);
  });
});
