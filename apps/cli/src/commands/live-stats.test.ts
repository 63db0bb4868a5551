import { describe, expect, it } from "vitest";
import type { ExitTable } from "./exit-stats.js";
import { CLEAR_SCREEN, formatLiveFrame, LiveView, liveTable } from "./live-stats.js";

const table = (vcpu: number | undefined, rows: [string, number][]): ExitTable => ({
  vcpu,
  total: rows.reduce((sum, [, count]) => sum + count, 0),
  rows: rows.map(([reason, count]) => ({ reason, count, timeNs: undefined })),
});

const first = table(undefined, [
  ["trap: supervisor timer interrupt", 10],
  ["mmio: uart0", 4],
]);
const second = table(undefined, [
  ["trap: supervisor timer interrupt", 12],
  ["mmio: uart0", 10],
  ["wfi", 3],
]);

describe("hv stat --live", () => {
  it("counts the first frame's interval from the start", () => {
    expect(liveTable(first, undefined)).toEqual({
      vcpu: undefined,
      interval: 14,
      total: 14,
      rows: [
        { reason: "trap: supervisor timer interrupt", interval: 10, total: 10 },
        { reason: "mmio: uart0", interval: 4, total: 4 },
      ],
    });
  });

  it("takes the difference per reason, new reasons included, busiest in the interval first", () => {
    expect(liveTable(second, first)).toEqual({
      vcpu: undefined,
      interval: 11,
      total: 25,
      rows: [
        { reason: "mmio: uart0", interval: 6, total: 10 },
        { reason: "wfi", interval: 3, total: 3 },
        { reason: "trap: supervisor timer interrupt", interval: 2, total: 12 },
      ],
    });
  });

  it("formats interval count, share, rate and total under a header with the elapsed time", () => {
    const text = formatLiveFrame([second], [first], 2.04, 0.5);
    const lines = text.split("\n");
    expect(lines[0]).toBe("--- hv stat --live: 2.0 s elapsed ---");
    expect(text).toContain(" Exits of all vCPUs: 11 in the last 0.50 s, 25 in total");
    expect(text).toMatch(/exit reason\s+interval\s+share\s+per s\s+total\n/);
    expect(text).toMatch(/mmio: uart0\s+6\s+54\.55%\s+12\s+10\n/);
    expect(text).toMatch(/trap: supervisor timer interrupt\s+2\s+18\.18%\s+4\s+12\n/);
  });

  it("pairs per-vCPU tables by position", () => {
    const before = [table(0, [["wfi", 1]]), table(1, [["wfi", 5]])];
    const after = [table(0, [["wfi", 2]]), table(1, [["wfi", 9]])];
    const text = formatLiveFrame(after, before, 3, 1);
    expect(text).toContain(" Exits of vCPU 0: 1 in the last 1.00 s, 2 in total");
    expect(text).toContain(" Exits of vCPU 1: 4 in the last 1.00 s, 9 in total");
  });

  it("shows an idle interval as zeros", () => {
    expect(formatLiveFrame([first], [first], 2, 1)).toMatch(/mmio: uart0\s+0\s+0\.00%\s+0\s+4\n/);
  });

  it("redraws in place on a terminal and appends frames otherwise", () => {
    const out: string[] = [];
    const piped = new LiveView((t) => out.push(t), { tty: false, rawTerminal: false });
    piped.draw([first], 1);
    piped.draw([second], 2);
    expect(out[0].startsWith("--- hv stat --live: 1.0 s elapsed ---\n")).toBe(true);
    expect(out[1].startsWith("--- hv stat --live: 2.0 s elapsed ---\n")).toBe(true);
    expect(out[1]).toContain("11 in the last 1.00 s, 25 in total");
    expect(out.join("")).not.toContain("\x1b");

    const screen: string[] = [];
    const tty = new LiveView((t) => screen.push(t), { tty: true, rawTerminal: true });
    tty.draw([first], 1);
    expect(screen[0].startsWith(`${CLEAR_SCREEN}--- hv stat`)).toBe(true);
    expect(screen[0]).toContain("\r\n");
    expect(screen[0].replaceAll("\r\n", "")).not.toContain("\n");
  });
});
