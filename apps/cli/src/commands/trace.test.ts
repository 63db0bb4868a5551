import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hv, spinGuest } from "./hv.testing.js";

const { dir, kernel, remove } = spinGuest("hv-trace-");
afterAll(remove);
const GUEST = ["--bios", "none", "--mem", "16M", "--cpus", "2", "--kernel", kernel];

describe("hv trace", () => {
  it("records a run and reports it, with a Perfetto track per vCPU", () => {
    const file = join(dir, "run.mvtrace");
    const record = hv(["trace", "record", "-o", file, "-e", "mmio.*", "-e", "class:irq", ...GUEST]);
    expect(record.status, record.stderr).toBe(0);
    expect(record.stdout).toBe("AA");
    expect(record.stderr).toMatch(/hv trace record: \d+ events written to/);

    const json = join(dir, "run.json");
    const report = hv(["trace", "report", file, "--perfetto", json]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/VM guest: \d+ events on 2 vCPUs/);
    // Both harts write the UART; the first to reach the syscon ends the run.
    expect(report.stdout).toMatch(/mmio\.access\s+[34]\s+[12]\s+[12]\s+0\n/);
    expect(report.stdout).toContain("Span durations:");
    const trace = JSON.parse(readFileSync(json, "utf8")) as {
      traceEvents: { name: string; ph: string; tid: number; args?: { name?: string } }[];
    };
    const tracks = trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name");
    expect(tracks.map((e) => e.args?.name)).toEqual(expect.arrayContaining(["vCPU 0", "vCPU 1"]));
    for (const tid of [0, 1]) {
      expect(trace.traceEvents.some((e) => e.tid === tid && e.name === "mmio.access")).toBe(true);
    }
  }, 60_000);

  it("rejects unknown events and unreadable recordings", () => {
    const bad = hv(["trace", "record", "-o", join(dir, "x"), "-e", "no.such", ...GUEST]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^hv trace: -e: /);
    const missing = hv(["trace", "report", join(dir, "missing.mvtrace")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/missing\.mvtrace/);
  }, 60_000);
});

describe("hv top", () => {
  it("samples the guest and prints the profile at exit with --once", () => {
    const top = hv(["top", "--once", "--period", "1000", ...GUEST]);
    expect(top.status, top.stderr).toBe(0);
    const summary =
      /hv top, at exit after [\d.]+ s: (\d+) samples; kernel 0\.00%, user 0\.00%, machine 100\.00%/.exec(
        top.stderr,
      );
    expect(summary, top.stderr).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThan(1000);
    // No symbols: the loop's two instructions are the top rows, both in M-mode.
    expect(top.stderr).toMatch(/%\s+\[m\]\s+0x800000(1c|20)/);
  }, 60_000);
});

describe("tracing and profiling on vCPU threads", () => {
  it("hv trace record --threads records the workers' events and scheduler decisions", () => {
    const file = join(dir, "threads.mvtrace");
    const record = hv(["trace", "record", "-o", file, "-e", "mmio.*,sched.*", "--threads", "2", ...GUEST]);
    expect(record.status, record.stderr).toBe(0);
    expect(record.stdout).toBe("AA");
    const report = hv(["trace", "report", file]);
    expect(report.status, report.stderr).toBe(0);
    // Both harts reach the UART from their threads; each thread switched to its hart.
    expect(report.stdout).toMatch(/mmio\.access\s+[34]\s+[12]\s+[12]\s+0\n/);
    expect(report.stdout).toMatch(/sched\.switch\s+\d+\s+[1-9]\d*\s+[1-9]\d*\s+0\n/);
  }, 60_000);

  it("hv stat --threads adds per-vCPU scheduling with steal time", () => {
    // Two harts on one thread: each waits while the other runs.
    const stat = hv(["stat", "--threads", "1", ...GUEST]);
    expect(stat.status, stat.stderr).toBe(0);
    expect(stat.stderr).toMatch(/Exits of all vCPUs: \d+/);
    expect(stat.stderr).toContain("mmio: uart0");
    expect(stat.stderr).toMatch(/Scheduling on 1 vCPU thread over [\d.]+ s/);
    const rows = [
      ...stat.stderr.matchAll(/^\s+([01])\s+(\d+)\s+\d+\s+\d+\s+\d+\s+(\S+ \S+|-)\s+([\d.]+)%$/gm),
    ];
    expect(rows.map((r) => r[1])).toEqual(["0", "1"]);
    for (const row of rows) expect(Number(row[2])).toBeGreaterThan(0);
    expect(rows.some((r) => Number(r[4]) > 0)).toBe(true);
  }, 60_000);

  it("hv top --threads samples harts on their threads", () => {
    const top = hv(["top", "--once", "--period", "1000", "--threads", "2", ...GUEST]);
    expect(top.status, top.stderr).toBe(0);
    const summary = /: (\d+) samples; kernel 0\.00%, user 0\.00%, machine 100\.00%/.exec(top.stderr);
    expect(summary, top.stderr).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThan(1000);
    expect(top.stderr).toMatch(/%\s+\[m\]\s+0x800000(1c|20)/);
  }, 60_000);
});
