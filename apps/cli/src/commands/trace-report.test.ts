import { ManualClock, readRecording, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { formatTraceReport, irqSourceLabel } from "./trace-report.js";

describe("hv trace report", () => {
  it("counts events per vCPU and shows interrupt latency per source", () => {
    const clock = new ManualClock();
    const tracer = new Tracer({ vm: { id: 1, name: "t" }, vcpus: 2, clock });
    tracer.enable("*");
    tracer.startRecording();
    const raise = tracer.tracepoint("irq.raise");
    const claim = tracer.tracepoint("irq.claim");
    const sbi = tracer.tracepoint("sbi.call");
    for (const wait of [1000, 2000, 3000]) {
      clock.advance(10);
      raise.emit(0xffff, 0, 10, 1);
      clock.advance(wait);
      claim.emit(1, 3, 10);
      clock.advance(10);
      raise.emit(0xffff, 0, 10, 0);
    }
    sbi.emit(0, 500, 0x10, 0, 0, 0, 0, 0, 0);
    const text = formatTraceReport(readRecording(tracer.stopRecording()));
    expect(text).toContain("VM t: 10 events on 2 vCPUs");
    expect(text).toMatch(/irq\.raise\s+6\s+0\s+0\s+6\n/);
    expect(text).toMatch(/irq\.claim\s+3\s+0\s+3\s+0\n/);
    expect(text).toMatch(/sbi\.call\s+1\s+500 ns\s+500 ns\s+500 ns\s+500 ns\n/);
    expect(text).toMatch(/plic 10 \(uart0\)\s+3\s+2\.0 us\s+3\.0 us\s+3\.0 us\s+3\.0 us\n/);
  });

  it("names virt board interrupt sources", () => {
    expect(irqSourceLabel(10)).toBe("10 (uart0)");
    expect(irqSourceLabel(1)).toBe("1 (virtio-mmio0)");
    expect(irqSourceLabel(90)).toBe("90");
  });
});
