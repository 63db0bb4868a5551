import { HOST_VCPU, IrqLatency, ManualClock, readRecording, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import {
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_CLAIM,
  PLIC_CONTEXT_STRIDE,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_PRIORITY_BASE,
  Plic,
  plicContext,
} from "./plic.js";
import { fakeHarts } from "./test-doubles.js";

function setup() {
  const clock = new ManualClock();
  const tracer = new Tracer({ vcpus: 2, clock });
  tracer.enable("class:irq");
  const plic = new Plic({ hartCount: 2, sourceCount: 40 }, fakeHarts(2));
  plic.attachTracer(tracer);
  const ctx = plicContext(1, "S"); // context 3, hart 1
  plic.write(PLIC_PRIORITY_BASE + 4 * 10, 4, 1);
  plic.write(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * ctx, 4, 1 << 10);
  const claimReg = PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CONTEXT_CLAIM;
  tracer.startRecording();
  return { clock, tracer, plic, ctx, claimReg };
}

describe("PLIC tracepoints", () => {
  it("emits irq.raise on level changes, irq.claim and irq.complete on the claiming hart", () => {
    const { clock, tracer, plic, ctx, claimReg } = setup();
    const line = plic.irqLine(10);
    clock.advance(100);
    line.setLevel(true);
    line.setLevel(true); // no change: not traced
    clock.advance(250);
    expect(plic.read(claimReg, 4)).toBe(10);
    expect(plic.read(claimReg, 4)).toBe(0); // nothing to claim: not traced
    clock.advance(50);
    line.setLevel(false);
    clock.advance(5);
    plic.write(claimReg, 4, 10);
    const events = [...readRecording(tracer.stopRecording()).events()];
    expect(events.map((e) => [e.name, e.vcpu, e.fields])).toEqual([
      ["irq.raise", HOST_VCPU, { controller: "plic", source: 10, level: 1 }],
      ["irq.claim", 1, { context: ctx, source: 10 }],
      ["irq.raise", HOST_VCPU, { controller: "plic", source: 10, level: 0 }],
      ["irq.complete", 1, { context: ctx, source: 10 }],
    ]);
    const [uart] = new IrqLatency().addAll(events).sources();
    expect(uart).toMatchObject({ controller: "plic", source: 10, claims: 1, completes: 1 });
    expect(uart.latency.summary()).toMatchObject({ count: 1, p50: 250 });
  });

  it("measures a source still high at completion from the completion", () => {
    const { clock, tracer, plic, claimReg } = setup();
    plic.irqLine(10).setLevel(true);
    clock.advance(10);
    plic.read(claimReg, 4);
    clock.advance(10);
    plic.write(claimReg, 4, 10); // still high: pending again
    clock.advance(30);
    expect(plic.read(claimReg, 4)).toBe(10);
    const latency = new IrqLatency().addAll(readRecording(tracer.stopRecording()).events());
    expect(latency.sources()[0].latency.summary()).toMatchObject({ count: 2, min: 10, max: 30 });
  });

  it("emits nothing when detached or disabled", () => {
    const { tracer, plic, claimReg } = setup();
    tracer.disable("class:irq");
    plic.irqLine(10).setLevel(true);
    plic.read(claimReg, 4);
    plic.detachTracer();
    plic.write(claimReg, 4, 10);
    expect(readRecording(tracer.stopRecording()).records.length).toBe(0);
  });
});
