import { SbiEid, SbiFid } from "@monovisor/paravirt-abi";
import { Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { ExitStats, formatExitTables } from "./exit-stats.js";

const INTERRUPT = 0x8000_0000;

/** Emits a known mix of exits on two vCPUs, as the engine would. */
function recorded(ringCapacity = 1024) {
  const tracer = new Tracer({ vcpus: 2, ringCapacity });
  const stats = new ExitStats(tracer);
  const trap = tracer.tracepoint("hart.trap");
  const sbi = tracer.tracepoint("sbi.call");
  const mmio = tracer.tracepoint("mmio.access");
  const wfi = tracer.tracepoint("hart.wfi");
  const uart = tracer.registry.intern("uart0");
  const plic = tracer.registry.intern("plic");
  for (let i = 0; i < 3; i++) trap.emit(0, 0, 13, 0x1000, 0, 0x2000, 0, 1);
  trap.emit(1, 0, (INTERRUPT | 5) >>> 0, 0x1000, 0, 0, 0, 0);
  sbi.emit(0, 100, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 5, 0, 0, 0, 0);
  sbi.emit(1, 300, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 5, 0, 0, 0, 0);
  // Legacy calls ignore a6: different fids are one reason.
  sbi.emit(0, 10, SbiEid.LEGACY_CONSOLE_PUTCHAR, 7, 0x41, 0, 0, 0, 0);
  sbi.emit(0, 10, SbiEid.LEGACY_CONSOLE_PUTCHAR, 9, 0x42, 0, 0, 0, 0);
  mmio.emit(0, 50, 0x1000_0000, 0, 1, 1, 0x41, 0, uart);
  mmio.emit(1, 70, 0x0c20_0004, 0, 4, 0, 1, 0, plic);
  wfi.emit(1, 1e6, 0x2000, 0);
  tracer.drain();
  return { tracer, stats };
}

describe("hv stat exit statistics", () => {
  it("breaks exits down by trap cause, SBI function, MMIO device and WFI, with time", () => {
    const { stats } = recorded();
    const [all] = stats.tables(false);
    expect(all.vcpu).toBeUndefined();
    expect(all.total).toBe(11);
    expect(all.rows).toEqual([
      { reason: "trap: load page fault", count: 3, timeNs: undefined },
      { reason: "sbi: LEGACY_CONSOLE_PUTCHAR.sbi_console_putchar", count: 2, timeNs: 20 },
      { reason: "sbi: TIME.sbi_set_timer", count: 2, timeNs: 400 },
      { reason: "mmio: plic", count: 1, timeNs: 70 },
      { reason: "mmio: uart0", count: 1, timeNs: 50 },
      { reason: "trap: supervisor timer interrupt", count: 1, timeNs: undefined },
      { reason: "wfi", count: 1, timeNs: 1e6 },
    ]);
  });

  it("splits by vCPU", () => {
    const { stats } = recorded();
    const tables = stats.tables(true);
    expect(tables.map((t) => [t.vcpu, t.total])).toEqual([
      [0, 7],
      [1, 4],
    ]);
    expect(tables[1].rows.map((r) => [r.reason, r.count])).toEqual([
      ["mmio: plic", 1],
      ["sbi: TIME.sbi_set_timer", 1],
      ["trap: supervisor timer interrupt", 1],
      ["wfi", 1],
    ]);
  });

  it("shows records lost to a full ring as an unattributed remainder", () => {
    const tracer = new Tracer({ vcpus: 1, ringCapacity: 4 });
    const stats = new ExitStats(tracer);
    const trap = tracer.tracepoint("hart.trap");
    for (let i = 0; i < 10; i++) trap.emit(0, 0, 13, 0, 0, 0, 0, 1);
    tracer.drain();
    const [all] = stats.tables(false);
    expect(all.total).toBe(10);
    expect(all.rows).toEqual([
      { reason: "trap: load page fault", count: 4, timeNs: undefined },
      { reason: "(records lost)", count: 6, timeNs: undefined },
    ]);
  });

  it("formats a table with counts, shares and times", () => {
    const { stats } = recorded();
    const text = formatExitTables(stats.tables(false), 1.5);
    expect(text).toContain("Exits of all vCPUs: 11 in 1.50 s");
    expect(text).toMatch(/trap: load page fault\s+3\s+27\.27%\s+-\s+-/);
    expect(text).toMatch(/sbi: TIME\.sbi_set_timer\s+2\s+18\.18%\s+400 ns\s+200 ns/);
    expect(text).toMatch(/wfi\s+1\s+9\.09%\s+1\.00 ms\s+1\.00 ms/);
  });
});
