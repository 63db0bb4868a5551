import { describe, expect, it } from "vitest";
import { type CpuSide, tracedResult } from "./cpu-bench.js";
import { formatReport, jsonReport } from "./report.js";
import type { BenchResult } from "./result.js";

const side = (seconds: number, checksum = "abc"): CpuSide => ({
  side: { seconds, instructions: 2_000_000_000, mips: 2000 / seconds },
  checksum,
  failed: false,
});

const plain: BenchResult = {
  id: "cpu",
  title: "cpu: bench-cpu.elf",
  monovisor: { seconds: 20, instructions: 2_000_000_000, mips: 100 },
  qemu: { seconds: 0.8, instructions: 2_000_000_000, mips: 2500 },
  notes: [],
  failed: false,
};

describe("cpu benchmark, tracer attached", () => {
  it("gives the traced run's overhead over the plain run in percent", () => {
    const row = tracedResult(side(20), side(20.3), []);
    expect(row.id).toBe("cpu-traced");
    expect(row.title).toBe("cpu: bench-cpu.elf, tracer attached, tracepoints disabled");
    expect(row.qemu).toBeUndefined();
    expect(row.monovisor?.mips).toBeCloseTo(98.52, 2);
    expect(row.overhead?.baseline).toBe("cpu");
    expect(row.overhead?.percent).toBeCloseTo(1.5, 9);
    expect(row.failed).toBe(false);
  });

  it("has no overhead when either run is missing, and fails on another checksum", () => {
    const missing: CpuSide = { side: undefined, checksum: undefined, failed: true };
    expect(tracedResult(missing, side(20), []).overhead).toBeUndefined();
    expect(tracedResult(side(20), missing, []).failed).toBe(true);
    expect(tracedResult(side(20), side(20, "def"), []).failed).toBe(true);
  });

  it("prints MIPS and the signed overhead in its own column", () => {
    const text = formatReport([plain, tracedResult(side(20), side(19.9), [])], 1);
    expect(text).toMatch(/speed vs qemu\s+overhead\n/);
    expect(text).toMatch(
      /cpu: bench-cpu\.elf\s+2,000,000,000\s+20\.00\s+100\s+0\.800\s+2500\s+0\.040 \(25\.0x slower\)\n/,
    );
    expect(text).toMatch(
      /cpu: bench-cpu\.elf, tracer attached, tracepoints disabled\s+2,000,000,000\s+19\.90\s+101\s+-\s+-\s+-\s+-0\.50%\n/,
    );
    expect(text).toContain("the target is at most 2%");
    // Without a variant row the table keeps its usual columns.
    expect(formatReport([plain], 1)).not.toContain("overhead");
  });

  it("writes the overhead to JSON", () => {
    const parsed = JSON.parse(jsonReport([plain, tracedResult(side(20), side(20.2), [])], 1));
    expect(parsed.results[0].overhead).toBeNull();
    expect(parsed.results[1].overhead.baseline).toBe("cpu");
    expect(parsed.results[1].overhead.percent).toBeCloseTo(1, 9);
  });
});
