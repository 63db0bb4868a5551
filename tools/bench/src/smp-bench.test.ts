import { describe, expect, it } from "vitest";
import {
  balanceScript,
  coresBusy,
  formatSmpReport,
  parseSmpSeconds,
  SMP_VARIANTS,
  type SmpResult,
  smpCmdline,
  smpConsoleProblem,
  smpScript,
  smpSpeedup,
  ZEROS_16M_MD5,
} from "./smp-bench.js";

const SUM = `${ZEROS_16M_MD5}  /tmp/z`;
const GOOD = ["smp-cpus 2", SUM, SUM, "smp-seconds 3.1", "monovisor-guest: exit=0"];

/** {@link GOOD} with line `i` replaced, or dropped when `line` is undefined. */
function changed(i: number, line?: string): string[] {
  return GOOD.flatMap((l, j) => (j !== i ? [l] : line === undefined ? [] : [line]));
}

function guestConsole(lines: readonly string[]): string {
  // The guest's tty turns \n into \r\n.
  return `${["monovisor-guest: up 2.5s, 2 cpu(s), 250912 kB", ...lines].join("\r\n")}\r\n`;
}

describe("smp benchmark", () => {
  it("starts one md5sum per CPU at once, between two reads of the guest's uptime", () => {
    const script = smpScript(2);
    expect(script).toContain("dd if=/dev/zero of=/tmp/z bs=1M count=16");
    expect(script).toContain("md5sum /tmp/z & md5sum /tmp/z & wait");
    expect(script.match(/\/proc\/uptime/g)).toHaveLength(2);
    expect(script.indexOf("t0=")).toBeLessThan(script.indexOf("md5sum"));
    expect(script).toContain("smp-seconds");
    const cmdline = smpCmdline(2);
    expect(cmdline).toMatch(/^console=ttyS0 quiet run=/);
    expect(Buffer.from(cmdline.split("run=")[1], "base64").toString()).toBe(script);
  });

  it("reads the guest's smp-seconds line", () => {
    expect(parseSmpSeconds(guestConsole(["smp-seconds 4.37"]))).toBe(4.37);
    expect(parseSmpSeconds("smp-seconds 12\n")).toBe(12);
    expect(parseSmpSeconds("smp-seconds \n")).toBeUndefined();
    expect(parseSmpSeconds("no timing here")).toBeUndefined();
  });

  it("accepts a run only with the right CPU count, one correct md5 per CPU and a clean exit", () => {
    expect(smpConsoleProblem(guestConsole(GOOD), 2)).toBeUndefined();
    expect(smpConsoleProblem(guestConsole(changed(0, "smp-cpus 1")), 2)).toMatch(/saw 1 CPUs/);
    expect(smpConsoleProblem(guestConsole(changed(2)), 2)).toMatch(/1 md5sum lines, not 2/);
    const wrong = changed(2, "d41d8cd98f00b204e9800998ecf8427e  /tmp/z");
    expect(smpConsoleProblem(guestConsole(wrong), 2)).toMatch(/wrong md5 d41d8cd9/);
    expect(smpConsoleProblem(guestConsole(changed(3)), 2)).toMatch(/no smp-seconds/);
    expect(smpConsoleProblem(guestConsole(changed(4, "monovisor-guest: exit=1")), 2)).toMatch(/exit 0/);
    expect(smpConsoleProblem("", 2)).toMatch(/no smp-cpus/);
  });

  it("counts busy host cores as CPU seconds over wall seconds", () => {
    expect(coresBusy(3.9, 2)).toBeCloseTo(1.95);
    expect(coresBusy(1, 0)).toBeUndefined();
  });

  it("takes the speedup as threads: 1 seconds over threads: 2 seconds", () => {
    expect(smpSpeedup(10, 5)).toBe(2);
    expect(smpSpeedup(8, 5)).toBeCloseTo(1.6);
    expect(smpSpeedup(undefined, 5)).toBeUndefined();
    expect(smpSpeedup(10, 0)).toBeUndefined();
  });

  it("pins two md5sums to CPUs 0 and 2 for the load-balancing rows", () => {
    const script = balanceScript();
    expect(script).toContain("taskset 1 md5sum /tmp/z & taskset 4 md5sum /tmp/z & wait");
    expect(script.match(/md5sum/g)).toHaveLength(2);
    expect(script).toContain("smp-seconds");
  });

  it("runs monovisor with one worker, a worker per hart, and on the main thread", () => {
    expect(SMP_VARIANTS.map((v) => v.threads)).toEqual([1, 2, 0]);
  });

  it("prints seconds per variant, the ratio to qemu, and the speedup on the threads: 2 row", () => {
    const [one, two, main] = SMP_VARIANTS;
    const result: SmpResult = {
      cpus: 2,
      hostCores: 2,
      monovisor: [
        { ...one, seconds: 8, coresBusy: { process: 1.02, host: 1.1 }, failed: false },
        { ...two, seconds: 4, coresBusy: { process: 1.96, host: 1.99 }, failed: false },
        { ...main, seconds: undefined, coresBusy: undefined, failed: true },
      ],
      qemu: { seconds: 0.2, failed: false },
      balance: { on: 3.5, off: 7 },
      speedup: 2,
      notes: ["n1"],
      failed: true,
    };
    const text = formatSmpReport(result);
    expect(text).toMatch(
      /threads: 1 \(both harts on one worker\)\s+8\.00\s+1\.02 \/ 1\.10\s+0\.20\s+0\.025 \(40\.0x slower\)\n/,
    );
    expect(text).toMatch(
      /threads: 2 \(a worker per hart\)\s+4\.00\s+1\.96 \/ 1\.99\s+0\.20\s+0\.050 \(20\.0x slower\)\s+2\.00x\n/,
    );
    expect(text).toMatch(/threads: 0 \(harts on the main thread\) \(FAILED\)\s+-\s+-\s+0\.20\s+-/);
    expect(text).toContain("qemu -smp 2 s");
    expect(text).toMatch(/on \(default\)\s+3\.50\s+2\.00x\n/);
    expect(text).toMatch(/off \(placement kept\)\s+7\.00/);
    expect(text).toContain("* n1");
  });
});
