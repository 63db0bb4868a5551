import { sbiCallLabel } from "@monovisor/paravirt-abi";
import {
  type ChromeTraceEvent,
  decodeRecord,
  IrqLatency,
  readRecording,
  Tracer,
  toChromeTrace,
} from "@monovisor/perf";
import { describe, expect, it } from "vitest";
import { bootGuest, guestFile } from "./guests.js";

const LINUX = "linux-6.1-virt";
const BOOT_TIMEOUT_MS = 90_000;
const HARTS = 2;
const S_TIMER_INTERRUPT = (0x8000_0000 | 5) >>> 0;
/** The virt board's PLIC source of uart0. */
const UART_IRQ = 10;

/** Boots Linux to poweroff on `threads` vCPU threads (0: the main thread), recording all of it. */
async function recordBoot(tracer: Tracer, threads: number) {
  const stopDrain = tracer.startAutoDrain(10);
  tracer.startRecording();
  let recording: Uint8Array;
  let run: Awaited<ReturnType<typeof bootGuest>>;
  try {
    run = await bootGuest(
      {
        kernel: guestFile(`${LINUX}/Image`),
        initrd: guestFile(`${LINUX}/initramfs.cpio.gz`),
        cmdline: "console=ttyS0 quiet poweroff=1",
        hartCount: HARTS,
        threads,
        memoryBytes: 256 * 1024 * 1024,
        tracer,
      },
      BOOT_TIMEOUT_MS,
    );
  } finally {
    stopDrain();
    recording = tracer.stopRecording();
  }
  return { run, recording };
}

describe("tracing a Linux boot (2 harts, poweroff=1)", () => {
  it("counts SBI calls, MMIO by device and traps, and exports a Chrome trace with a track per vCPU", async () => {
    const tracer = new Tracer({ vm: { id: 7, name: "linux" }, vcpus: HARTS, ringCapacity: 1 << 15 });
    tracer.enable("hart.trap,sbi.call,mmio.access,hart.wfi,class:irq", "trace");
    tracer.enable("tlb.flush,timer.*,mmu.walk", "count");
    const byReason = new Map<string, number>();
    const bump = (key: string) => byReason.set(key, (byReason.get(key) ?? 0) + 1);
    tracer.subscribe({ tracepoints: "sbi.call,mmio.access,hart.trap" }, (batch, table) => {
      for (let i = 0; i < batch.length; i++) {
        const event = decodeRecord(table, batch, i);
        if (event.name === "sbi.call")
          bump(`sbi ${sbiCallLabel(Number(event.fields.eid), Number(event.fields.fid))}`);
        else if (event.name === "mmio.access") bump(`mmio ${event.fields.device}`);
        else bump(`trap ${event.fields.cause}`);
      }
    });
    const { run, recording } = await recordBoot(tracer, 0);
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });

    const stats = tracer.stats();
    const total = (name: string) => stats.tracepoints.find((t) => t.name === name)?.total ?? 0;
    expect(stats.rings.every((ring) => ring.lost === 0)).toBe(true);
    expect(total("sbi.call")).toBeGreaterThan(0);
    expect(total("tlb.flush")).toBeGreaterThan(0);
    // Sstc: Linux writes stimecmp and the comparator fires; paging shows up as walks.
    expect(total("timer.program")).toBeGreaterThan(0);
    expect(total("timer.fire")).toBeGreaterThan(0);
    expect(total("mmu.walk")).toBeGreaterThan(0);
    // Every event was seen by the subscriber: counts and records agree.
    const recorded = [...byReason.values()].reduce((a, b) => a + b, 0);
    expect(recorded).toBe(total("sbi.call") + total("mmio.access") + total("hart.trap"));

    expect(byReason.get("sbi HSM.sbi_hart_start")).toBe(1);
    expect(byReason.get("sbi SRST.sbi_system_reset")).toBe(1);
    expect(byReason.get("sbi IPI.sbi_send_ipi")).toBeGreaterThan(0);
    // The harts have Sstc, so Linux programs stimecmp itself: the timer shows up as S-mode timer
    // interrupts rather than TIME.set_timer calls.
    expect(byReason.get(`trap ${S_TIMER_INTERRUPT}`)).toBeGreaterThan(0);
    expect(byReason.get("mmio uart0")).toBeGreaterThan(0);
    expect(byReason.get("mmio plic")).toBeGreaterThan(0);
    // Both vCPUs did work of their own.
    const perVcpu = stats.tracepoints.find((t) => t.name === "hart.trap")?.perVcpu ?? [];
    expect(perVcpu.length).toBe(HARTS);
    for (const count of perVcpu) expect(count).toBeGreaterThan(0);

    const chrome = JSON.parse(JSON.stringify(toChromeTrace(readRecording(recording)))) as {
      traceEvents: ChromeTraceEvent[];
    };
    const tracks = chrome.traceEvents
      .filter((e) => e.ph === "M" && e.name === "thread_name" && e.pid === 7)
      .map((e) => [e.tid, e.args?.name]);
    expect(tracks).toEqual(
      expect.arrayContaining([
        [0, "vCPU 0"],
        [1, "vCPU 1"],
      ]),
    );
    for (let vcpu = 0; vcpu < HARTS; vcpu++) {
      const onTrack = chrome.traceEvents.filter((e) => e.tid === vcpu && e.ph !== "M");
      expect(
        onTrack.some((e) => e.name === "hart.trap"),
        `vCPU ${vcpu}`,
      ).toBe(true);
      expect(onTrack.every((e) => Number.isFinite(e.ts))).toBe(true);
    }
    // The console's interrupts, raised by the UART and claimed by Linux through the PLIC.
    const uart = new IrqLatency()
      .addAll(readRecording(recording).events())
      .sources()
      .find((s) => s.controller === "plic" && s.source === UART_IRQ);
    expect(uart?.latency.count).toBeGreaterThan(0);
    expect(uart?.completes).toBeGreaterThan(0);
    const p = uart?.latency.summary();
    expect(p && p.p50 <= p.p99 && p.p99 <= p.max).toBe(true);

    console.info(`linux 2-hart boot traced: ${run.seconds.toFixed(1)} s, ${recorded} exits`);
  });

  it("traces the same boot with both harts on one vCPU thread: sched events, steal time, device names", async () => {
    const tracer = new Tracer({
      vm: { id: 8, name: "linux-threads" },
      vcpus: HARTS,
      ringCapacity: 1 << 15,
      shared: true,
    });
    tracer.enable("hart.trap,sbi.call,mmio.access,sched.*,class:irq", "trace");
    tracer.enable("timer.*", "count");
    const started = tracer.now();
    const { run, recording } = await recordBoot(tracer, 1);
    expect(run.exit, run.console.slice(-2000)).toEqual({ kind: "poweroff" });
    const ended = tracer.now();
    const stats = tracer.stats();
    expect(stats.rings.every((ring) => ring.lost === 0)).toBe(true);
    const events = [...readRecording(recording).events()];
    const count = (name: string, vcpu: number, where: (e: (typeof events)[number]) => boolean = () => true) =>
      events.filter((e) => e.name === name && e.vcpu === vcpu && where(e)).length;
    // One clock: the workers' stamps fall inside the run, and the recording is in time order.
    expect(events.every((e) => e.ts >= started && e.ts <= ended)).toBe(true);
    expect(events.every((e, i) => i === 0 || e.ts >= events[i - 1].ts)).toBe(true);
    for (let vcpu = 0; vcpu < HARTS; vcpu++) {
      expect(count("hart.trap", vcpu), `vCPU ${vcpu} traps`).toBeGreaterThan(0);
      expect(count("sched.switch", vcpu, (e) => e.fields.pcpu === 0)).toBeGreaterThan(0);
      expect(count("sched.block", vcpu, (e) => e.fields.reason === "wfi")).toBeGreaterThan(0);
      expect(count("sched.wake", vcpu)).toBeGreaterThan(0);
      // Both harts share the one thread, so each waited for the other now and then.
      expect(count("sched.steal", vcpu), `vCPU ${vcpu} steal`).toBeGreaterThan(0);
      // Names the workers interned resolve here.
      expect(count("mmio.access", vcpu, (e) => e.fields.device === "plic")).toBeGreaterThan(0);
    }
    expect(count("mmio.access", 0, (e) => e.fields.device === "uart0")).toBeGreaterThan(0);
    expect(count("sbi.call", 0, (e) => e.fields.eid === 0x48534d)).toBe(1); // HSM hart_start
    // The PLIC serves claims on this thread; they carry the claiming hart's vCPU.
    expect(count("irq.claim", 0) + count("irq.claim", 1)).toBeGreaterThan(0);
    const steal = stats.tracepoints.find((t) => t.name === "sched.steal");
    expect(steal?.latency?.sum).toBeGreaterThan(0);
    expect(stats.tracepoints.find((t) => t.name === "timer.program")?.total).toBeGreaterThan(0);
    console.info(
      `linux 2 harts on 1 thread traced: ${run.seconds.toFixed(1)} s, ${events.length} records, ` +
        `steal ${((steal?.latency?.sum ?? 0) / 1e6).toFixed(0)} ms`,
    );
  });
});
