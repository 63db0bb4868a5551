import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hv, spinGuest } from "./hv.testing.js";
import { guestConfig, parseEpoch } from "./run.js";
import { UsageError } from "./sizes.js";

const { dir, kernel, remove } = spinGuest("hv-run-");
afterAll(remove);

describe("hv run --threads", () => {
  const base = { kernel, bios: "none", mem: "16M" };

  it("passes a thread count of at most one per hart, and none by default", () => {
    expect(guestConfig(base, "usage").threads).toBeUndefined();
    expect(guestConfig({ ...base, cpus: "4", threads: "2" }, "usage").threads).toBe(2);
    expect(guestConfig({ ...base, cpus: "2", threads: "8" }, "usage").threads).toBe(2);
    expect(guestConfig({ ...base, threads: "0" }, "usage").threads).toBeUndefined();
  });

  it("refuses counts that are not 0..8, and deterministic mode with threads", () => {
    for (const bad of ["two", "-1", "1.5", "9"]) {
      expect(() => guestConfig({ ...base, threads: bad }, "usage")).toThrow(
        /--threads: .* is not a thread count/,
      );
    }
    expect(() => guestConfig({ ...base, threads: "2", deterministic: true }, "usage")).toThrow(
      /deterministic mode runs every hart on one thread/,
    );
  });
});

describe("hv run --deterministic", () => {
  const base = { kernel, bios: "none", mem: "16M" };

  it("passes deterministic mode and the epoch to the machine", () => {
    expect(guestConfig(base, "usage").deterministic).toBeUndefined();
    const config = guestConfig({ ...base, deterministic: true, epoch: "2001-02-03T04:05:06Z" }, "usage");
    expect(config.deterministic).toBe(true);
    expect(config.epoch?.toISOString()).toBe("2001-02-03T04:05:06.000Z");
    expect(() => guestConfig({ ...base, epoch: "2001-02-03" }, "usage")).toThrow(/needs --deterministic/);
  });

  it("reads the epoch as ISO 8601 or Unix seconds", () => {
    expect(parseEpoch("0").getTime()).toBe(0);
    expect(parseEpoch("981173106").toISOString()).toBe("2001-02-03T04:05:06.000Z");
    expect(() => parseEpoch("yesterday")).toThrow(UsageError);
  });

  it("runs the harts in a fixed order: hart 0 always reaches the syscon first", () => {
    const file = join(dir, "run.mvtrace");
    const guest = ["--deterministic", "--bios", "none", "--mem", "16M", "--cpus", "2", "--kernel", kernel];
    const run = hv(["run", ...guest]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("AA");
    const record = hv(["trace", "record", "-o", file, "-e", "mmio.*", ...guest]);
    expect(record.status, record.stderr).toBe(0);
    const report = hv(["trace", "report", file]);
    expect(report.status, report.stderr).toBe(0);
    // Both harts write the UART; only hart 0 (first in every round) writes the syscon.
    expect(report.stdout).toMatch(/mmio\.access\s+3\s+2\s+1\s+0\n/);
  }, 60_000);
});
