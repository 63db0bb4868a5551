import { SbiEid, SbiError, SbiFid } from "@monovisor/paravirt-abi";
import { decodeRecord, ManualClock, type TraceEvent, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import type { MmioDevice } from "../memory/mmio.js";
import { sbiMachine } from "../sbi/test-machine.js";
import type { Hart } from "./hart.js";
import * as A from "./test-asm.testing.js";
import { M_TRAP, makeHart, RAM_BASE } from "./test-asm.testing.js";

const T0 = 5;
const T1 = 6;
const MCAUSE = 0x342;
const MEPC = 0x341;
const MIE = 0x304;
const MSTATUS = 0x300;
const IRQ_M_TIMER = 7;
const DEVICE_BASE = 0x1000_0000;

/** M-mode handler: exceptions resume after the faulting instruction, interrupts are masked. */
const HANDLER: A.Prog = [
  A.csrr(T0, MCAUSE),
  A.blt(T0, 0, 20),
  A.csrr(T0, MEPC),
  A.addi(T0, T0, 4),
  A.csrw(MEPC, T0),
  A.mret(),
  A.csrw(MIE, 0),
  A.mret(),
];

/** Remembers accesses; reads return the offset plus 0x100. */
class ScratchDevice implements MmioDevice {
  readonly name = "scratch0";
  readonly writes: [number, number, number][] = [];
  read(offset: number): number {
    return offset + 0x100;
  }
  write(offset: number, size: number, value: number): void {
    this.writes.push([offset, size, value]);
  }
}

function events(tracer: Tracer, name?: string): TraceEvent[] {
  const batch = tracer.drain();
  const table = tracer.registry.table();
  const all = Array.from({ length: batch.length }, (_, i) => decodeRecord(table, batch, i));
  return name === undefined ? all : all.filter((event) => event.name === name);
}

function tracedHart(program: A.Prog, clock = new ManualClock()) {
  const fx = makeHart({ program });
  A.poke(fx, M_TRAP, HANDLER);
  const device = new ScratchDevice();
  fx.bus.map(DEVICE_BASE, 0x1000, device);
  const tracer = new Tracer({ vcpus: 1, clock });
  fx.hart.attachTracer(tracer);
  return { ...fx, device, tracer };
}

describe("hart tracepoints", () => {
  // ebreak, ecall from M, an illegal word, then a timer interrupt once MTIE and MIE are set.
  const trapProgram: A.Prog = [
    A.ebreak(),
    A.ecall(),
    0xffff_ffff,
    A.addi(T1, 0, 0x80),
    A.csrrs(0, MIE, T1),
    A.csrrsi(0, MSTATUS, 8),
    A.nop(),
    A.jal(0, 0),
  ];

  it("emits hart.trap with cause, epc, tval and privilege for every trap, as onTrap sees them", () => {
    const { hart, tracer } = tracedHart(trapProgram);
    tracer.enable("hart.trap");
    const seen: [number, boolean][] = [];
    hart.onTrap = (_h: Hart, cause: number, interrupt: boolean) => seen.push([cause, interrupt]);
    hart.setPending(IRQ_M_TIMER, true);
    hart.run(40);

    const traps = events(tracer, "hart.trap");
    expect(seen).toEqual([
      [3, false],
      [11, false],
      [2, false],
      [IRQ_M_TIMER, true],
    ]);
    expect(traps.map((e) => e.fields)).toEqual([
      { durNs: 0, cause: 3, epc: BigInt(RAM_BASE), tval: 0n, from: "M" },
      { durNs: 0, cause: 11, epc: BigInt(RAM_BASE + 4), tval: 0n, from: "M" },
      { durNs: 0, cause: 2, epc: BigInt(RAM_BASE + 8), tval: 0xffff_ffffn, from: "M" },
      expect.objectContaining({ cause: (0x8000_0000 | IRQ_M_TIMER) >>> 0, from: "M" }),
    ]);
    expect(traps.every((e) => e.vcpu === 0)).toBe(true);
  });

  it("counts traps in count mode, equal to the number of onTrap calls", () => {
    const { hart, tracer } = tracedHart(trapProgram);
    tracer.enable("hart.trap", "count");
    let calls = 0;
    hart.onTrap = () => calls++;
    hart.setPending(IRQ_M_TIMER, true);
    hart.run(40);
    const stats = tracer.stats().tracepoints.find((t) => t.name === "hart.trap");
    expect(calls).toBe(4);
    expect(stats?.perVcpu).toEqual([calls]);
    expect(events(tracer)).toEqual([]); // count mode writes no records
  });

  it("emits nothing while the tracepoints are off or after detaching", () => {
    const { hart, tracer } = tracedHart(trapProgram);
    hart.run(40);
    expect(tracer.stats().tracepoints.every((t) => t.total === 0)).toBe(true);
    tracer.enable("*");
    hart.detachTracer();
    hart.reset(RAM_BASE);
    hart.csrLoArr[0x305] = M_TRAP | 0;
    hart.run(40);
    expect(tracer.stats().tracepoints.every((t) => t.total === 0)).toBe(true);
  });

  it("emits one mmio.access per device access with address, size, direction, value and device", () => {
    const { hart, tracer, device } = tracedHart([
      A.lui(T0, DEVICE_BASE >>> 12),
      A.addi(T1, 0, 0x41),
      A.sw(T1, T0, 4),
      A.lbu(T1, T0, 0x10),
      A.sd(T1, T0, 8),
      A.jal(0, 0),
    ]);
    tracer.enable("mmio.access");
    hart.run(8);
    expect(device.writes).toEqual([
      [4, 4, 0x41],
      [8, 4, 0x110],
      [12, 4, 0],
    ]);
    const mmio = events(tracer, "mmio.access");
    expect(mmio.map(({ fields: { durNs: _, ...rest } }) => rest)).toEqual([
      { addr: BigInt(DEVICE_BASE + 4), size: 4, write: true, value: 0x41n, device: "scratch0" },
      { addr: BigInt(DEVICE_BASE + 0x10), size: 1, write: false, value: 0x10n, device: "scratch0" },
      { addr: BigInt(DEVICE_BASE + 8), size: 8, write: true, value: 0x110n, device: "scratch0" },
    ]);
    expect(tracer.stats().tracepoints.find((t) => t.name === "mmio.access")?.total).toBe(3);
  });

  it("emits a hart.wfi span from the wfi to the run that follows the wake-up", () => {
    const clock = new ManualClock(1000);
    const { hart, tracer } = tracedHart([A.wfi(), A.addi(T1, 0, 1), A.jal(0, 0)], clock);
    tracer.enable("hart.wfi");
    hart.mie = 1 << IRQ_M_TIMER; // wakes the hart; mstatus.MIE stays 0, so no trap
    hart.run(10);
    expect(hart.waiting).toBe(true);
    clock.advance(2500);
    hart.setPending(IRQ_M_TIMER, true);
    hart.run(10);
    expect(hart.getX(T1)).toBe(1);
    const wfi = events(tracer, "hart.wfi");
    expect(wfi.map((e) => e.fields)).toEqual([{ durNs: 2500, pc: BigInt(RAM_BASE) }]);
  });

  it("emits tlb.flush for sfence.vma with the requested scope and operands, and for satp writes", () => {
    const { hart, tracer } = tracedHart([
      A.sfence_vma(),
      A.addi(T0, 0, 0x123),
      A.addi(T1, 0, 7),
      A.sfence_vma(T0, T1),
      A.csrw(0x180, 0),
      A.jal(0, 0),
    ]);
    tracer.enable("tlb.flush");
    hart.run(6);
    expect(events(tracer, "tlb.flush").map((e) => e.fields)).toEqual([
      { scope: "all", reason: "sfence.vma", asid: 0, vaddr: 0n },
      { scope: "asid-page", reason: "sfence.vma", asid: 7, vaddr: 0x123n },
      { scope: "all", reason: "satp", asid: 0, vaddr: 0n },
    ]);
  });
});

describe("SBI tracepoints", () => {
  it("emits one sbi.call per ecall with eid, fid, a0, error and value", () => {
    const m = sbiMachine(1);
    const tracer = new Tracer({ vcpus: 1 });
    m.sbi.attachTracer(tracer);
    m.harts[0].attachTracer(tracer);
    tracer.enable("sbi.call");
    tracer.enable("hart.trap", "count");

    m.call(0, SbiEid.TIME, SbiFid.TIME.SET_TIMER, 0x1_2345_6789n);
    m.call(0, SbiEid.BASE, SbiFid.BASE.GET_SPEC_VERSION);
    m.call(0, SbiEid.DBCN, SbiFid.DBCN.CONSOLE_WRITE_BYTE, 0x68);
    m.call(0, 0x0bad_0000, 0);

    const calls = events(tracer, "sbi.call");
    expect(calls.map(({ fields: { durNs: _, ...rest } }) => rest)).toEqual([
      { eid: SbiEid.TIME, fid: SbiFid.TIME.SET_TIMER, arg0: 0x1_2345_6789n, error: 0, value: 0n },
      { eid: SbiEid.BASE, fid: SbiFid.BASE.GET_SPEC_VERSION, arg0: 0n, error: 0, value: 0x0200_0000n },
      { eid: SbiEid.DBCN, fid: SbiFid.DBCN.CONSOLE_WRITE_BYTE, arg0: 0x68n, error: 0, value: 0n },
      { eid: 0x0bad_0000, fid: 0, arg0: 0n, error: SbiError.ERR_NOT_SUPPORTED, value: 0n },
    ]);
    expect(calls.every((e) => e.vcpu === 0 && e.durNs >= 0)).toBe(true);
    const stats = tracer.stats().tracepoints;
    expect(stats.find((t) => t.name === "sbi.call")?.total).toBe(m.sbi.counters.total);
    // Calls served by the hypervisor are not guest traps.
    expect(stats.find((t) => t.name === "hart.trap")?.total).toBe(0);
    expect(m.text()).toBe("h");
  });

  it("reports legacy calls' single return value", () => {
    const m = sbiMachine(1, { legacyV01: true });
    const tracer = new Tracer({ vcpus: 1 });
    m.sbi.attachTracer(tracer);
    tracer.enable("sbi.call");
    m.call(0, SbiEid.LEGACY_CONSOLE_GETCHAR, 0);
    m.input.push(0x7a);
    m.call(0, SbiEid.LEGACY_CONSOLE_GETCHAR, 0);
    expect(events(tracer, "sbi.call").map((e) => [e.fields.error, e.fields.value])).toEqual([
      [-1, 0xffff_ffff_ffff_ffffn],
      [0, 0x7an],
    ]);
  });

  it("records remote fences as tlb.flush on each target hart", () => {
    const m = sbiMachine(2);
    const tracer = new Tracer({ vcpus: 2 });
    for (const hart of m.harts) hart.attachTracer(tracer);
    tracer.enable("tlb.flush");
    m.call(0, SbiEid.RFENCE, SbiFid.RFENCE.REMOTE_SFENCE_VMA, 0b11, 0, 0, 0);
    const flushes = events(tracer, "tlb.flush");
    expect(flushes.map((e) => [e.vcpu, e.fields.reason])).toEqual([
      [0, "remote"],
      [1, "remote"],
    ]);
  });
});
