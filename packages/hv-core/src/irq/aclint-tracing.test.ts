import { decodeRecord, type TraceEvent, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { Aclint, CLINT_MTIMECMP_BASE } from "./aclint.js";
import { MipBit } from "./mip.js";
import { FakeClock, fakeHarts } from "./test-doubles.js";

function events(tracer: Tracer): TraceEvent[] {
  const batch = tracer.drain();
  const table = tracer.registry.table();
  return Array.from({ length: batch.length }, (_, i) => decodeRecord(table, batch, i));
}

describe("ACLINT tracepoints", () => {
  it("emits timer.program per mtimecmp half written and timer.fire when MTIP rises", () => {
    const clock = new FakeClock();
    const harts = fakeHarts(2);
    const aclint = new Aclint({ hartCount: 2 }, clock, harts);
    const tracer = new Tracer({ vcpus: 2 });
    aclint.attachTracer(tracer);
    tracer.enable("timer.*");
    clock.ticks = 5;
    aclint.write(CLINT_MTIMECMP_BASE + 8, 4, 0x2000);
    aclint.write(CLINT_MTIMECMP_BASE + 12, 4, 1);
    clock.ticks = 0x1_0000_2001;
    aclint.update();
    aclint.update(); // already high: no second fire
    expect(harts[1]!.pending(MipBit.MTIP)).toBe(true);
    expect(events(tracer).map((e) => [e.name, e.vcpu, e.fields])).toEqual([
      ["timer.program", 1, { deadline: 0xffff_ffff_0000_2000n, now: 5n, mode: "M" }],
      ["timer.program", 1, { deadline: 0x1_0000_2000n, now: 5n, mode: "M" }],
      ["timer.fire", 1, { deadline: 0x1_0000_2000n, now: 0x1_0000_2001n, mode: "M" }],
    ]);
  });

  it("emits nothing after detaching", () => {
    const clock = new FakeClock();
    const aclint = new Aclint({ hartCount: 1 }, clock, fakeHarts(1));
    const tracer = new Tracer({ vcpus: 1 });
    aclint.attachTracer(tracer);
    tracer.enable("timer.*");
    aclint.detachTracer();
    aclint.write(CLINT_MTIMECMP_BASE, 4, 0);
    aclint.write(CLINT_MTIMECMP_BASE + 4, 4, 0);
    expect(tracer.stats().tracepoints.every((t) => t.total === 0)).toBe(true);
  });
});
