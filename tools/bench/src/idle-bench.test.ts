import { describe, expect, it } from "vitest";
import { corePercent, formatIdleReport, procCpuSeconds } from "./idle-bench.js";

describe("idle benchmark", () => {
  it("turns CPU seconds over wall seconds into percent of one core", () => {
    expect(corePercent(0.05, 5)).toBeCloseTo(1);
    expect(corePercent(1, 0)).toBe(0);
  });

  it("reads utime + stime from /proc/<pid>/stat, even with spaces in the command name", () => {
    const stat = "4242 (qemu system) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1 2 3";
    expect(procCpuSeconds(stat)).toBe(3);
  });

  it("prints both sides as percent of a core", () => {
    const text = formatIdleReport({ monovisor: 1.25, qemu: 3, windowSeconds: 5, notes: ["n"] });
    expect(text).toMatch(/host CPU over 5 s, % of one core\s+1\.3 %\s+3\.0 %/);
    expect(text).toContain("* n");
  });
});
