import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { guestConfig, parseEpoch } from "./run.js";
import { UsageError } from "./sizes.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const MAIN = join(ROOT, "apps/cli/src/main.ts");

/** M-mode, every hart: 'A' to the UART, count down 2^20, syscon poweroff (as in trace.test.ts). */
const PROGRAM = new Uint32Array([
  0x001002b7, 0x00005337, 0x55530313, 0x100003b7, 0x04100e13, 0x01c38023, 0x00100eb7, 0xfffe8e93, 0xfe0e9ee3,
  0x0062a023, 0x0000006f,
]);

const dir = mkdtempSync(join(tmpdir(), "hv-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kernel = join(dir, "spin.bin");
writeFileSync(kernel, new Uint8Array(PROGRAM.buffer));

function hv(args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    input: "",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

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
