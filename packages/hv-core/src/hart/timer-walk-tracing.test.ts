import { SbiEid, SbiFid } from "@monovisor/paravirt-abi";
import { decodeRecord, type TraceEvent, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { sbiMachine } from "../sbi/test-machine.js";
import { MENVCFG_HI_STCE } from "./constants.js";
import * as A from "./test-asm.testing.js";
import { makeHart, RAM_BASE, write64 } from "./test-asm.testing.js";

const T0 = 5;
const T1 = 6;
const CSR_STIMECMP = 0x14d;
const CSR_MENVCFG = 0x30a;
const CSR_SATP = 0x180;

function events(tracer: Tracer, name: string): TraceEvent[] {
  const batch = tracer.drain();
  const table = tracer.registry.table();
  return Array.from({ length: batch.length }, (_, i) => decodeRecord(table, batch, i)).filter(
    (event) => event.name === name,
  );
}

describe("Sstc timer tracepoints", () => {
  it("emits timer.program for a stimecmp write and timer.fire once when STIP rises", () => {
    const fx = makeHart({ program: [...A.li(T0, 0x1_0000_0100n), A.csrw(CSR_STIMECMP, T0), A.jal(0, 0)] });
    const tracer = new Tracer({ vcpus: 1 });
    fx.hart.attachTracer(tracer);
    tracer.enable("timer.*");
    fx.hart.csrWrite(CSR_MENVCFG, 0, MENVCFG_HI_STCE);
    fx.clock.ticks = 50;
    fx.hart.run(A.count(A.li(T0, 0x1_0000_0100n)) + 1);
    fx.clock.ticks = 0x1_0000_0200;
    fx.hart.updateSstc();
    fx.hart.updateSstc(); // still high: no second event
    expect(events(tracer, "timer.program").map((e) => [e.vcpu, e.fields])).toEqual([
      [0, { deadline: 0x1_0000_0100n, now: 50n, mode: "S" }],
    ]);
  });

  it("emits timer.fire for the Sstc comparator with deadline and time", () => {
    const fx = makeHart({ program: [A.jal(0, 0)] });
    const tracer = new Tracer({ vcpus: 1 });
    fx.hart.attachTracer(tracer);
    tracer.enable("timer.fire");
    fx.hart.csrWrite(CSR_MENVCFG, 0, MENVCFG_HI_STCE);
    fx.hart.csrWrite(CSR_STIMECMP, 1000, 0);
    fx.clock.ticks = 1500;
    fx.hart.updateSstc();
    fx.hart.updateSstc();
    expect(events(tracer, "timer.fire").map((e) => e.fields)).toEqual([
      { deadline: 1000n, now: 1500n, mode: "S" },
    ]);
  });
});

describe("SBI set_timer tracepoints", () => {
  it("emits timer.program for set_timer and timer.fire when the deadline passes", () => {
    const m = sbiMachine(1);
    const tracer = new Tracer({ vcpus: 1 });
    m.sbi.attachTracer(tracer);
    tracer.enable("timer.*");
    m.clock.ticks = 10;
    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 0x1_0000_1000n);
    m.clock.ticks = 0x1_0000_2000;
    m.sbi.updateTimers();
    m.sbi.updateTimers(); // the deadline is spent
    const all = events(tracer, "timer.program");
    expect(all.map((e) => e.fields)).toEqual([{ deadline: 0x1_0000_1000n, now: 10n, mode: "S" }]);
  });

  it("emits timer.fire with the spent deadline", () => {
    const m = sbiMachine(1);
    const tracer = new Tracer({ vcpus: 1 });
    m.sbi.attachTracer(tracer);
    tracer.enable("timer.fire");
    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 500);
    m.clock.ticks = 700;
    m.sbi.updateTimers();
    m.sbi.updateTimers();
    expect(events(tracer, "timer.fire").map((e) => [e.vcpu, e.fields])).toEqual([
      [0, { deadline: 500n, now: 700n, mode: "S" }],
    ]);
  });
});

describe("mmu.walk", () => {
  const PT = RAM_BASE + 0x10_0000;
  const DATA = RAM_BASE + 0x20_0000;
  const V = 1;
  const RWXAD = 2 | 4 | 8 | 64 | 128;
  const pte = (pa: number, flags: number) => (BigInt(Math.floor(pa / 4096)) << 10n) | BigInt(flags);

  /** Sv39: RAM_BASE's gigabyte identity mapped, 0x4000_0000 → DATA through three levels. */
  function walked(prog: A.Prog) {
    const fx = makeHart({ ram: 4 << 20, program: prog });
    for (const t of [PT, PT + 0x1000, PT + 0x2000]) fx.mem.zero(t, 0x1000);
    write64(fx.mem, PT + 8 * 2, pte(RAM_BASE, V | RWXAD));
    write64(fx.mem, PT + 8 * 1, pte(PT + 0x1000, V));
    write64(fx.mem, PT + 0x1000, pte(PT + 0x2000, V));
    write64(fx.mem, PT + 0x2000, pte(DATA, V | 2 | 64));
    const tracer = new Tracer({ vcpus: 1 });
    fx.hart.attachTracer(tracer);
    tracer.enable("mmu.walk");
    fx.hart.csrWrite(CSR_SATP, (PT >>> 12) | 0, 8 << 28);
    fx.hart.setPriv(1);
    return { fx, tracer };
  }

  it("emits the VA, access, levels read and PA of a walk under Sv39", () => {
    const prog = [...A.li(T0, 0x4000_0010n), A.ld(T1, T0, 0), A.jal(0, 0)];
    const { fx, tracer } = walked(prog);
    write64(fx.mem, DATA + 0x10, 0x77n);
    fx.hart.run(A.count(prog));
    expect(fx.hart.getXBig(T1)).toBe(0x77n);
    const walks = events(tracer, "mmu.walk").map((e) => e.fields);
    expect(walks).toContainEqual({
      vaddr: BigInt(RAM_BASE),
      access: "fetch",
      levels: 1,
      result: "ok",
      paddr: BigInt(RAM_BASE),
    });
    expect(walks).toContainEqual({
      vaddr: 0x4000_0010n,
      access: "load",
      levels: 3,
      result: "ok",
      paddr: BigInt(DATA + 0x10),
    });
  });

  it("reports a page fault with the levels read before it", () => {
    const prog = [...A.li(T0, 0x4000_1000n), A.sd(T1, T0, 0), A.jal(0, 0)];
    const { fx, tracer } = walked(prog);
    fx.hart.run(A.count(prog));
    expect(events(tracer, "mmu.walk").map((e) => e.fields)).toContainEqual({
      vaddr: 0x4000_1000n,
      access: "store",
      levels: 3,
      result: "page-fault",
      paddr: 0n,
    });
  });
});
