import { describe, expect, it } from "vitest";
import { fairness, formatSchedReport } from "./sched-bench.js";

describe("sched bench", () => {
  it("measures a CPU share against the weights' ratio", () => {
    const f = fairness([512, 256], [1_900_000, 1_000_000]);
    expect(f.ratio).toBeCloseTo(1.9);
    expect(f.errorPercent).toBeCloseTo(5);
    expect(fairness([256, 256], [100, 0]).ratio).toBe(Number.POSITIVE_INFINITY);
  });

  it("prints the fairness and the gang tables with their notes", () => {
    const text = formatSchedReport({
      fairness: fairness([512, 256], [2_000_000, 1_000_000]),
      gang: { credit: 90_000, creditPause: 135_000, gang: 126_000 },
      notes: ["sched: a note"],
    });
    expect(text).toMatch(/512:256\s+2\.00:1\s+0\.0 %/);
    expect(text).toMatch(/lock handovers per second\s+90,000\s+135,000 \(1\.50x\)\s+126,000 \(1\.40x\)/);
    expect(text).toContain("* sched: a note");
  });

  it("prints only the notes when nothing could run", () => {
    const text = formatSchedReport({ fairness: undefined, gang: undefined, notes: ["sched: missing"] });
    expect(text).not.toContain("weights");
    expect(text).toContain("* sched: missing");
  });
});
