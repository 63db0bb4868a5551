import { describe, expect, it } from "vitest";
import { corePercent, formatIdleReport, IDLE_VARIANTS, procCpuSeconds } from "./idle-bench.js";

describe("idle benchmark", () => {
  it("turns CPU seconds over wall seconds into percent of one core", () => {
    expect(corePercent(0.05, 5)).toBeCloseTo(1);
    expect(corePercent(1, 0)).toBe(0);
  });

  it("reads utime + stime from /proc/<pid>/stat, even with spaces in the command name", () => {
    const stat = "4242 (qemu system) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1 2 3";
    expect(procCpuSeconds(stat)).toBe(3);
  });

  it("measures a 1-hart guest and a 2-hart guest on 2 threads, each next to a matching qemu -smp", () => {
    expect(IDLE_VARIANTS.map((v) => [v.hartCount, v.threads])).toEqual([
      [1, 0],
      [2, 2],
    ]);
    for (const v of IDLE_VARIANTS) expect(v.title).toContain(`qemu -smp ${v.hartCount}`);
  });

  it("prints a row per guest with both sides as percent of a core", () => {
    const [one, two] = IDLE_VARIANTS;
    const text = formatIdleReport({
      rows: [
        { ...one, monovisor: 1.25, qemu: 3 },
        { ...two, monovisor: undefined, qemu: 0.4 },
      ],
      windowSeconds: 5,
      notes: ["n"],
    });
    expect(text).toContain("host CPU over 5 s, % of one core");
    expect(text).toMatch(/1 hart, threads: 0 \(qemu -smp 1\)\s+1\.3 %\s+3\.0 %/);
    expect(text).toMatch(/2 harts, threads: 2 \(qemu -smp 2\)\s+-\s+0\.4 %/);
    expect(text).toContain("* n");
  });
});
