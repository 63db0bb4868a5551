import { decodeRecord, Tracer } from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { CSR_MIE, CSR_MSTATUS, CSR_MTVEC } from "../hart/csr-numbers.js";
import { Hart } from "../hart/hart.js";
import {
  add,
  addi,
  amoadd_d,
  andi,
  beq,
  bne,
  csrrs,
  csrw,
  ecall,
  jal,
  li,
  lw,
  type Prog,
  program,
  RAM_BASE,
  slli,
  sw,
  wfi,
} from "../hart/test-asm.testing.js";
import { MipBit } from "../irq/mip.js";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import { createSbiSharedState, SbiServer } from "../sbi/sbi-server.js";
import { enterSupervisor } from "../sbi/supervisor-entry.js";
import { WallClock } from "../time/clock.js";
import { QUIET_HOST } from "./host.testing.js";
import { VcpuPool } from "./vcpu-pool.js";
import { VcpuThreads, type VcpuThreadsOptions } from "./vcpu-threads.js";

const DEVICE = 0x1000_0000;
const COUNTER = RAM_BASE + 0x1_0000;
const HANDLER = RAM_BASE + 0x800;
const STA_BASE = RAM_BASE + 0x2_0000;
const ITERATIONS = 200_000;
// Device registers: 0 hart id (posted), 4 reads 100, 8 id + 100, 12 loop done, 16 interrupt taken.
const T0 = 5;
const T1 = 6;
const T2 = 7;
const T3 = 28;
const T4 = 29;
const A0 = 10;

/** Every hart: count to ITERATIONS with amoadd.d, talk to the device, then wait for an MSIP. */
function guest(): { main: Prog; handler: Prog } {
  const main: Prog = [
    li(T0, DEVICE),
    li(T1, COUNTER),
    li(T2, ITERATIONS),
    li(T3, 1),
    // loop: 3 instructions
    amoadd_d(0, T3, T1),
    addi(T2, T2, -1),
    bne(T2, 0, -8),
    sw(A0, T0, 0),
    lw(T4, T0, 4),
    add(T4, T4, A0),
    sw(T4, T0, 8),
    li(T3, HANDLER),
    csrw(CSR_MTVEC, T3),
    li(T3, 1 << MipBit.MSIP),
    csrrs(0, CSR_MIE, T3),
    li(T3, 8), // mstatus.MIE
    csrrs(0, CSR_MSTATUS, T3),
    sw(A0, T0, 12),
    wfi(),
    jal(0, -4),
  ];
  const handler: Prog = [sw(A0, T0, 16), wfi(), jal(0, -4)];
  return { main, handler };
}

class RecordingDevice implements MmioDevice {
  readonly name = "recorder";
  readonly writes: [number, number][] = [];
  onWrite: (offset: number, value: number) => void = () => {};
  read(offset: number, _size: AccessSize): number {
    return offset === 4 ? 100 : 0;
  }
  write(offset: number, _size: AccessSize, value: number): void {
    this.writes.push([offset, value]);
    this.onWrite(offset, value);
  }
}

/** Two S-mode harts sharing one worker: each registers an STA record, then counts down. */
function stealGuest(): Prog {
  const A1 = 11;
  const A2 = 12;
  const A6 = 16;
  const A7 = 17;
  return [
    // a0 = hart id on entry; record at STA_BASE + 64 * id
    li(T0, STA_BASE),
    slli(T1, A0, 6),
    add(T0, T0, T1),
    addi(T3, A0, 0), // keep the hart id
    addi(A0, T0, 0),
    li(A1, 0),
    li(A2, 0),
    li(A6, 0),
    li(A7, 0x535441),
    ecall(),
    sw(A0, T0, 32), // the call's error code, next to the record
    li(T2, 3_000_000),
    addi(T2, T2, -1),
    bne(T2, 0, -4),
    li(T0, DEVICE),
    sw(T3, T0, 12),
    wfi(),
    jal(0, -4),
  ];
}

/**
 * Harts entering S-mode at RAM_BASE (a0 = hart ID), all STARTED, and the SBI state the workers
 * share: a server made here writes it into the shared buffer.
 */
function supervisorHarts(memory: GuestMemory, clock: WallClock) {
  const bus = new MmioBus();
  const harts = Array.from(
    { length: memory.hartCount },
    (_, id) => new Hart({ memory, bus, clock, hartId: id }),
  );
  const sharedState = createSbiSharedState(memory.hartCount);
  const server = new SbiServer(
    { harts, consoleWrite: () => {}, consoleRead: () => 0, systemReset: () => {} },
    { sstc: true, sharedState },
  );
  server.restoreState({ ...server.saveState(), hsm: harts.map(() => 0) });
  for (const h of harts) enterSupervisor(h, RAM_BASE, h.hartId, 0, { sstc: true });
  return { harts, sharedState };
}

/** Runs {@link stealGuest} on two harts sharing one worker, to the end. */
async function stealRun(extra: Pick<VcpuThreadsOptions, "tracer" | "sampler">) {
  const hartCount = 2;
  const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: 1 << 20, hartCount, shared: true });
  memory.writeBytes(RAM_BASE, program(stealGuest()));
  const clock = new WallClock(10_000_000);
  const { harts, sharedState } = supervisorHarts(memory, clock);
  const pool = new VcpuPool({ workers: 1, timesliceNs: 200_000 });
  const control = VcpuThreads.createControl(hartCount, pool);
  const device = new RecordingDevice();
  const threads = new VcpuThreads({
    memory,
    harts,
    pool,
    closePool: true,
    control,
    regions: [{ base: DEVICE, size: 0x1000, device }],
    clock,
    mTrapsFatal: true,
    sbi: { sstc: true, sharedState },
    ...QUIET_HOST,
    ...extra,
  });
  let done = 0;
  device.onWrite = (offset) => {
    if (offset === 12 && ++done === hartCount) threads.stop();
  };
  const timer = setTimeout(() => threads.stop(), 20_000);
  await threads.run();
  clearTimeout(timer);
  return { memory, threads, harts, done };
}

describe("VcpuThreads", () => {
  it("runs harts on worker threads: atomics, exits in order, interrupts that wake wfi", async () => {
    const hartCount = 2;
    const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: 1 << 20, hartCount, shared: true });
    const { main, handler } = guest();
    memory.writeBytes(RAM_BASE, program(main));
    memory.writeBytes(HANDLER, program(handler));
    const clock = new WallClock(10_000_000);
    const bus = new MmioBus();
    const harts = Array.from({ length: hartCount }, (_, id) => {
      const h = new Hart({ memory, bus, clock, hartId: id });
      h.reset(RAM_BASE);
      h.setX(A0, id);
      return h;
    });
    const pool = new VcpuPool({ workers: 2 });
    const control = VcpuThreads.createControl(hartCount, pool);
    const targets = VcpuThreads.targets(control);
    const device = new RecordingDevice();
    const taken = new Set<number>();
    const threads = new VcpuThreads({
      memory,
      harts,
      pool,
      closePool: true,
      control,
      regions: [{ base: DEVICE, size: 0x1000, device }],
      clock,
      mTrapsFatal: false,
      ...QUIET_HOST,
    });
    device.onWrite = (offset, value) => {
      // A hart waits in wfi now: its machine software interrupt must wake it on its thread.
      if (offset === 12) targets[value].setPending(MipBit.MSIP, true);
      if (offset === 16) {
        taken.add(value);
        if (taken.size === hartCount) threads.stop();
      }
    };
    const timer = setTimeout(() => threads.stop(), 20_000);
    await threads.run();
    clearTimeout(timer);

    expect([...taken].sort()).toEqual([0, 1]);
    // Without atomic AMOs across threads, increments are lost.
    const counter = memory.i32[(memory.hostOffset(COUNTER, 8) >>> 2) + 0];
    expect(counter).toBe(hartCount * ITERATIONS);
    for (let id = 0; id < hartCount; id++) {
      const mine = device.writes.filter(([o, v]) => (o === 0 && v === id) || (o === 8 && v === 100 + id));
      // The posted write, then the value read back in between, in program order.
      expect(mine).toEqual([
        [0, id],
        [8, 100 + id],
      ]);
      // The final states came back: past the loop, in the handler's wfi loop.
      expect(harts[id].instret).toBeGreaterThan(3 * ITERATIONS);
      expect(harts[id].pc).toBeGreaterThanOrEqual(HANDLER);
    }
  }, 30_000);

  it("shares a worker between harts with the scheduler and shows the wait to the guest as steal time", async () => {
    const hartCount = 2;
    const { memory, threads, done } = await stealRun({});
    expect(done).toBe(hartCount);
    const stats = threads.schedStats[0];
    if (stats === undefined) throw new Error("no scheduler accounting from the worker");
    for (let id = 0; id < hartCount; id++) {
      const record = memory.hostOffset(STA_BASE + 64 * id, 64);
      const view = new DataView(memory.buffer as SharedArrayBuffer, record, 64);
      expect(view.getInt32(32, true), "set_shmem error").toBe(0);
      const sequence = view.getUint32(0, true);
      const steal = Number(view.getBigUint64(8, true));
      // Both counted down on one thread, so each waited while the other ran.
      expect(sequence % 2).toBe(0);
      expect(sequence).toBeGreaterThanOrEqual(4);
      expect(steal).toBeGreaterThan(0);
      expect(steal).toBeLessThanOrEqual(stats.vcpus[id].stealNs + 1);
      expect(stats.vcpus[id].cpuNs).toBeGreaterThan(0);
    }
    expect(stats.vcpus[0].switches + stats.vcpus[1].switches).toBeGreaterThan(2);
  }, 30_000);

  it("traces the workers into the VM's tracer and samples their harts' pcs", async () => {
    const tracer = new Tracer({ vcpus: 2, shared: true, ringCapacity: 1 << 14 });
    tracer.enable("sched.*,mmio.access");
    tracer.enable("sbi.call", "count");
    const samples: [number, number, number][] = [];
    const started = tracer.now();
    const { threads, harts } = await stealRun({
      tracer,
      sampler: {
        everyInstructions: 5000,
        onSample: (hart, pcLo, _pcHi, priv) => samples.push([hart, pcLo, priv]),
      },
    });
    const batch = tracer.drain();
    const table = tracer.registry.table();
    const events = Array.from({ length: batch.length }, (_, i) => decodeRecord(table, batch, i));
    const of = (name: string, vcpu: number) => events.filter((e) => e.name === name && e.vcpu === vcpu);
    for (const vcpu of [0, 1]) {
      // Both harts shared worker 0, so each waited while the other ran.
      expect(of("sched.steal", vcpu).length).toBeGreaterThan(0);
      expect(of("sched.steal", vcpu).every((e) => e.fields.pcpu === 0)).toBe(true);
      expect(of("sched.switch", vcpu).length).toBeGreaterThan(1);
      expect(of("mmio.access", vcpu).map((e) => e.fields.device)).toContain("recorder");
    }
    // One clock for every thread: stamps fall inside the run as this thread saw it.
    const ended = tracer.now();
    expect(events.every((e) => e.ts >= started && e.ts <= ended)).toBe(true);
    const stealNs = of("sched.steal", 0).reduce((sum, e) => sum + e.durNs, 0);
    expect(stealNs).toBeLessThanOrEqual((threads.schedStats[0]?.vcpus[0].stealNs ?? 0) + 1);
    const stats = tracer.stats().tracepoints;
    expect(stats.find((t) => t.name === "sched.switch")?.total).toBe(
      events.filter((e) => e.name === "sched.switch").length,
    );
    // Count mode reached the worker too: each hart's STA registration, with its latency.
    const sbi = stats.find((t) => t.name === "sbi.call");
    expect(sbi?.perVcpu).toEqual([1, 1]);
    expect(sbi?.latency?.count).toBe(2);
    expect(events.some((e) => e.name === "sbi.call")).toBe(false);
    for (const id of [0, 1]) {
      const mine = samples.filter(([hart]) => hart === id);
      expect(mine.length).toBeGreaterThan(harts[id].instret / 5000 / 2);
      expect(mine.every(([, pc, priv]) => pc >>> 0 >= RAM_BASE && priv === 1)).toBe(true);
    }
  }, 30_000);

  it("wants a shared tracer", () => {
    const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: 1 << 16, hartCount: 1, shared: true });
    const pool = new VcpuPool({ workers: 1 });
    expect(
      () =>
        new VcpuThreads({
          memory,
          harts: [new Hart({ memory, bus: new MmioBus(), clock: new WallClock(10_000_000) })],
          pool,
          control: VcpuThreads.createControl(1, pool),
          regions: [],
          clock: { frequencyHz: 10_000_000, originMs: 0 },
          mTrapsFatal: true,
          ...QUIET_HOST,
          onCrash: () => {},
          tracer: new Tracer({ vcpus: 1 }),
        }),
    ).toThrow(/shared: true/);
  });

  it("moves a waiting hart to a worker that went idle, and the guest does not notice", async () => {
    // Four S-mode harts on two workers: 0 and 2 share worker 0, 1 and 3 worker 1. The odd harts
    // stop in wfi at once, so worker 1 idles while worker 0 has two harts to run: it asks for one.
    // After counting, each even hart makes an SBI call, which the worker it ended on must serve.
    const hartCount = 4;
    const iterations = 2_000_000;
    const A1 = 11;
    const A6 = 16;
    const A7 = 17;
    const memory = new GuestMemory({ ramBase: RAM_BASE, ramSize: 1 << 20, hartCount, shared: true });
    memory.writeBytes(
      RAM_BASE,
      program([
        andi(T0, A0, 1),
        beq(T0, 0, 12),
        wfi(),
        jal(0, -4),
        addi(T4, A0, 0), // keep the hart id
        li(T1, COUNTER),
        li(T2, iterations),
        li(T3, 1),
        amoadd_d(0, T3, T1),
        addi(T2, T2, -1),
        bne(T2, 0, -8),
        li(A7, 0x10), // BASE
        li(A6, 0), // get_spec_version
        ecall(),
        li(T0, DEVICE),
        sw(A1, T0, 16),
        sw(T4, T0, 12),
        wfi(),
        jal(0, -4),
      ]),
    );
    const clock = new WallClock(10_000_000);
    const { harts, sharedState } = supervisorHarts(memory, clock);
    const pool = new VcpuPool({ workers: 2 });
    const control = VcpuThreads.createControl(hartCount, pool);
    const device = new RecordingDevice();
    const tracer = new Tracer({ vcpus: hartCount, shared: true });
    tracer.enable("sched.migrate");
    const threads = new VcpuThreads({
      memory,
      harts,
      pool,
      closePool: true,
      control,
      regions: [{ base: DEVICE, size: 0x1000, device }],
      clock,
      mTrapsFatal: true,
      sbi: { sstc: true, sharedState },
      tracer,
      ...QUIET_HOST,
    });
    const done = new Set<number>();
    device.onWrite = (offset, value) => {
      if (offset === 12) done.add(value);
      if (done.size === 2) threads.stop();
    };
    const timer = setTimeout(() => threads.stop(), 20_000);
    await threads.run();
    clearTimeout(timer);
    expect([...done].sort()).toEqual([0, 2]);
    // Every increment of both counting harts landed, whichever worker ran them.
    expect(memory.i32[memory.hostOffset(COUNTER, 8) >>> 2]).toBe(2 * iterations);
    // Both SBI calls were answered (spec version 2.0 or later), wherever the hart was.
    const versions = device.writes.filter(([offset]) => offset === 16).map(([, v]) => v);
    expect(versions).toHaveLength(2);
    for (const v of versions) expect(v).toBeGreaterThanOrEqual(2 << 24);
    const batch = tracer.drain();
    const moves = Array.from({ length: batch.length }, (_, i) =>
      decodeRecord(tracer.registry.table(), batch, i),
    );
    expect(moves.length).toBeGreaterThan(0);
    expect(moves[0].fields).toMatchObject({ fromPcpu: 0, toPcpu: 1 });
    expect([0, 2]).toContain(moves[0].vcpu);
    // The states came back from wherever the harts ended: all four sit in wfi.
    for (const id of [0, 2]) expect(harts[id].instret).toBeGreaterThan(3 * iterations);
    for (const h of harts) expect(h.waiting).toBe(true);
    const migrations = threads.schedStats.reduce(
      (sum, s) => sum + (s?.vcpus.reduce((n, v) => n + v.migrations, 0) ?? 0),
      0,
    );
    expect(migrations).toBe(moves.length);
  }, 30_000);
});
