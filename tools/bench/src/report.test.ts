import { describe, expect, it } from "vitest";
import { formatReport, jsonReport, resultRatio } from "./report.js";
import type { BenchResult } from "./result.js";

const cpu: BenchResult = {
  id: "cpu",
  title: "cpu: bench-cpu.elf",
  monovisor: { seconds: 25, instructions: 2_000_000_000, mips: 80 },
  qemu: { seconds: 0.8, instructions: 2_000_000_000, mips: 2500 },
  notes: ["same note"],
  failed: false,
};
const linux: BenchResult = {
  id: "linux-poweroff",
  title: "linux: boot",
  monovisor: undefined,
  qemu: { seconds: 1.1 },
  notes: ["linux: guest files missing", "same note"],
  failed: false,
};

describe("report", () => {
  it("computes the ratio only when both sides ran", () => {
    expect(resultRatio(cpu)).toBeCloseTo(0.032, 9);
    expect(resultRatio(linux)).toBeUndefined();
  });

  it("prints one row per benchmark and each note once", () => {
    const text = formatReport([cpu, linux], 3);
    expect(text).toContain("best of 3 runs per side");
    expect(text).toMatch(
      /cpu: bench-cpu\.elf\s+2,000,000,000\s+25\.00\s+80\.0\s+0\.800\s+2500\s+0\.032 \(31\.3x slower\)/,
    );
    expect(text).toMatch(/linux: boot\s+-\s+-\s+-\s+1\.100\s+-\s+-\n/);
    expect(text.match(/\* same note/g)).toHaveLength(1);
    expect(text).toContain("* linux: guest files missing");
  });

  it("marks failed benchmarks", () => {
    expect(formatReport([{ ...cpu, failed: true }], 1)).toContain("cpu: bench-cpu.elf (FAILED)");
  });

  it("writes JSON with explicit nulls for sides that did not run", () => {
    const parsed = JSON.parse(jsonReport([cpu, linux], 1));
    expect(parsed.repeat).toBe(1);
    expect(parsed.results[0].speedVsQemu).toBeCloseTo(0.032, 9);
    expect(parsed.results[1]).toMatchObject({ id: "linux-poweroff", monovisor: null, speedVsQemu: null });
  });
});
