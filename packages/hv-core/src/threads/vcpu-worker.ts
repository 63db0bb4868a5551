/**
 * Entry of a vCPU worker thread (see {@link VcpuThreads}): runs some of a VM's harts over the
 * VM's shared memory. SBI calls, the MMU, timers and interrupts taken are served here; device
 * registers are exits to the main thread. Everything it needs arrives in `workerData`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TLB_FLUSH_REMOTE } from "../hart/constants.js";
import { fatalTrapMessage } from "../hart/fatal-trap.js";
import { Hart } from "../hart/hart.js";
import type { HartState } from "../hart/hart-state.js";
import { MipBit } from "../irq/mip.js";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import { SbiServer } from "../sbi/sbi-server.js";
import { Scheduler } from "../sched/scheduler.js";
import { WallClock } from "../time/clock.js";
import {
  FLUSH_DECODE,
  FLUSH_TLB,
  G_DOORBELL,
  H_FLUSH_DONE,
  H_FLUSH_SEQ,
  H_INSTRET_HI,
  H_INSTRET_LO,
  H_IRQ,
  H_SSIP,
  H_START,
  H_START_A1_HI,
  H_START_A1_LO,
  H_START_PC_HI,
  H_START_PC_LO,
  VcpuControl,
  W_WAKE,
} from "./control.js";
import {
  EXIT_CONSOLE_READ,
  EXIT_CONSOLE_WRITE,
  EXIT_DATA_BYTES,
  EXIT_MMIO_READ,
  EXIT_MMIO_WRITE,
  EXIT_SYSTEM_RESET,
  ExitProducer,
} from "./exit-ring.js";
import type { VcpuWorkerInit, VcpuWorkerMessage } from "./protocol.js";

const TWO32 = 4294967296;
/** Bits of `H_IRQ` that map to `mip` levels (SSIP is posted separately, STIP is the hart's own). */
const IRQ_BITS = [MipBit.MSIP, MipBit.MTIP, MipBit.SEIP, MipBit.MEIP] as const;
/** Longest sleep without any deadline; a stop request wakes the worker anyway. */
const MAX_SLEEP_MS = 1000;

/** A device register window served by the main thread. */
class RemoteMmio implements MmioDevice {
  constructor(
    readonly name: string,
    private readonly index: number,
    private readonly exits: ExitProducer,
    private readonly fast: Int32Array,
    private readonly fastOffset: number,
    private readonly fastWord: number,
  ) {}

  /** A posted write may have changed the fast register; the next read asks the main thread. */
  private stale = false;

  read(offset: number, size: AccessSize): number {
    if (offset === this.fastOffset && size === 1 && !this.stale) {
      // A register the main thread publishes (the UART's LSR): no round trip while it is valid.
      const v = Atomics.load(this.fast, this.fastWord);
      if (v >= 0) return v;
    }
    this.stale = false;
    return this.exits.call(EXIT_MMIO_READ, this.index | (size << 16), offset, 0) >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    // Data writes (the UART's THR) leave the fast register as it is; control writes (FIFO
    // reset, modes) may not.
    if (offset !== 0) this.stale = this.fastOffset >= 0;
    this.exits.post(EXIT_MMIO_WRITE, this.index | (size << 16), offset, value | 0);
  }
}

/**
 * Stands in for a hart another thread runs, in the SBI server's hart table: the server only
 * reaches such harts through `remote`, so nothing here may touch the shared register file.
 */
class RemoteHartStub {
  ecallHandler: unknown;
  stopRequested = false;
  constructor(
    readonly hartId: number,
    readonly mem: GuestMemory,
    readonly clock: WallClock,
  ) {}
  invalidateCode(): void {}
}

function main(init: VcpuWorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error("vcpu-worker runs as a worker thread");
  const send = (m: VcpuWorkerMessage) => port.postMessage(m);
  const memory = GuestMemory.fromMemory(init.memory, {
    ramBase: init.ramBase,
    ramSize: init.ramSize,
    hartCount: init.hartCount,
  });
  const control = new VcpuControl(init.control, init.hartCount, init.workerCount);
  const cw = control.words;
  const exits = new ExitProducer(init.ring, cw, G_DOORBELL);
  const fast = new Int32Array(init.fast);
  const clock = new WallClock(init.frequencyHz, init.clockOriginMs);
  const bus = new MmioBus();
  init.regions.forEach((r, index) => {
    bus.map(r.base, r.size, new RemoteMmio(r.name, index, exits, fast, r.fastOffset, r.fastWord));
  });

  const local = init.localHarts;
  const isLocal = new Uint8Array(init.hartCount);
  for (const id of local) isLocal[id] = 1;
  const table: Hart[] = [];
  for (let id = 0; id < init.hartCount; id++) {
    table.push(
      isLocal[id] === 1
        ? new Hart({ memory, bus, clock, hartId: id })
        : (new RemoteHartStub(id, memory, clock) as unknown as Hart),
    );
  }
  const harts = local.map((id) => table[id]);
  init.hartStates.forEach((s: HartState, i) => {
    harts[i].restoreState(s);
  });

  let exiting = false;
  const stopAll = () => {
    exiting = true;
    for (const h of harts) h.stopRequested = true;
  };
  for (const h of harts) {
    h.onTrap = (hart, cause, interrupt) => {
      const message = fatalTrapMessage(hart, cause, interrupt, init.mTrapsFatal);
      if (message === undefined) return;
      send({ type: "crash", message });
      stopAll();
    };
  }

  /** Applies fences posted to one of this thread's harts. */
  const applyFences = (id: number) => {
    const bits = control.takeFences(id);
    if (bits !== 0) {
      const h = table[id];
      if ((bits & FLUSH_TLB) !== 0) h.flushTlb(TLB_FLUSH_REMOTE);
      if ((bits & FLUSH_DECODE) !== 0) h.flushDecodeCache();
    }
    if (cw[control.hartWord(id, H_FLUSH_DONE)] !== Atomics.load(cw, control.hartWord(id, H_FLUSH_SEQ))) {
      control.fencesApplied(id);
    }
  };
  /** The hart running now (whose SBI call may wait on a remote fence). */
  let current = -1;

  const sbi =
    init.sbi === undefined
      ? undefined
      : new SbiServer(
          {
            harts: table,
            consoleWrite: (bytes) => {
              for (const b of bytes) exits.post(EXIT_CONSOLE_WRITE, b, 0, 0);
            },
            consoleRead: (into) => {
              const want = Math.min(into.length, EXIT_DATA_BYTES);
              if (want === 0) return 0;
              const n = exits.call(EXIT_CONSOLE_READ, want, 0, 0);
              into.set(exits.data.subarray(0, n));
              return n;
            },
            systemReset: (type, reason) => {
              exits.post(EXIT_SYSTEM_RESET, type, reason, 0);
              stopAll();
            },
          },
          {
            sstc: init.sbi.sstc,
            sharedState: init.sbi.sharedState,
            resetState: false,
            remote: {
              isLocal: (id) => isLocal[id] === 1,
              post: (id, op) => {
                if (op === 0) control.postIpi(id);
                else
                  control.postFence(id, op === 1 ? FLUSH_DECODE : FLUSH_TLB, () => {
                    if (current >= 0) applyFences(current);
                  });
              },
              start: (id, pcLo, pcHi, a1Lo, a1Hi) => control.postStart(id, pcLo, pcHi, a1Lo, a1Hi),
            },
          },
        );

  const applied = new Int32Array(init.hartCount);
  /** Takes what other threads posted to hart `id`. */
  const applyEvents = (id: number) => {
    const h = table[id];
    if (Atomics.load(cw, control.hartWord(id, H_START)) !== 0) {
      Atomics.store(cw, control.hartWord(id, H_START), 0);
      sbi?.completeStart(
        id,
        cw[control.hartWord(id, H_START_PC_LO)],
        cw[control.hartWord(id, H_START_PC_HI)],
        cw[control.hartWord(id, H_START_A1_LO)],
        cw[control.hartWord(id, H_START_A1_HI)],
      );
      // The reset cleared the hart's pending levels: drive them again.
      applied[id] = 0;
    }
    applyFences(id);
    const ssip = control.hartWord(id, H_SSIP);
    if (Atomics.load(cw, ssip) !== 0 && Atomics.exchange(cw, ssip, 0) !== 0) {
      h.setPending(MipBit.SSIP, true);
    }
    const levels = Atomics.load(cw, control.hartWord(id, H_IRQ));
    const changed = levels ^ applied[id];
    if (changed !== 0) {
      for (const bit of IRQ_BITS) {
        if (((changed >>> bit) & 1) !== 0) h.setPending(bit, ((levels >>> bit) & 1) !== 0);
      }
      applied[id] = levels;
    }
  };
  // Levels from before the hart's reset inside `restoreState` are driven again.
  for (const id of local) applied[id] = 0;

  const wake = control.workerWord(init.workerIndex, W_WAKE);
  const slice = init.sliceInstructions;
  const nowNs = () => performance.now() * 1e6;
  // This worker's share of the hypervisor scheduler: its harts as one VM's vCPUs, in `local` order.
  const runnable = (h: Hart) =>
    !exiting && !h.waiting && !h.stopRequested && (sbi === undefined || sbi.isRunnable(h.hartId));
  const sched = new Scheduler({ workers: 1, sliceNs: init.timesliceNs, rateLimitNs: init.timesliceNs / 4 });
  sched.addVm(
    {
      id: 0,
      vcpus: harts.length,
      blocked: harts.flatMap((h, i) => (runnable(h) ? [] : [i])),
    },
    nowNs(),
  );
  const known = harts.map(runnable);
  const published = new Float64Array(harts.length);
  /** Tells the scheduler which harts became runnable or stopped being so. */
  const sync = (now: number) => {
    for (let i = 0; i < harts.length; i++) {
      const h = harts[i];
      applyEvents(h.hartId);
      if (h.waiting) h.updateSstc();
      const r = runnable(h);
      if (r === known[i]) continue;
      known[i] = r;
      if (r) sched.wake(0, i, now, "irq");
      else sched.block(0, i, now, h.waiting ? "wfi" : "hsm-stop");
    }
  };

  while (!control.stopRequested) {
    const seen = Atomics.load(cw, wake);
    let now = nowNs();
    sbi?.updateTimers(clock.now());
    sync(now);
    const pick = sched.pick(0, now);
    if (pick.vcpu >= 0) {
      const i = pick.vcpu;
      const h = harts[i];
      const id = h.hartId;
      // Time it waited runnable while other harts had this thread: the guest sees it as steal.
      const steal = sched.vcpu(0, i).stealNs;
      if (sbi !== undefined && steal > published[i]) {
        sbi.addSteal(id, steal - published[i]);
        published[i] = steal;
        sbi.publishSteal(id);
      }
      control.setInGuest(id, true);
      // After marking the hart in guest: a fence posted from here on waits for this pass.
      applyEvents(id);
      const until = now + pick.runNs;
      current = id;
      // Slices until the scheduler's time is up, the hart stops being runnable, or something is
      // posted to this worker (a hart here may have woken and deserve the thread).
      while (runnable(h)) {
        h.run(slice);
        now = nowNs();
        if (now >= until || Atomics.load(cw, wake) !== seen) break;
        applyEvents(id);
      }
      current = -1;
      control.setInGuest(id, false);
      const n = h.instret;
      cw[control.hartWord(id, H_INSTRET_LO)] = n | 0;
      cw[control.hartWord(id, H_INSTRET_HI)] = Math.floor(n / TWO32) | 0;
      continue;
    }
    // Nothing here can run: sleep until a deadline or until something is posted to us.
    let timeout = MAX_SLEEP_MS;
    if (!exiting) {
      const ticks = clock.now();
      for (const h of harts) {
        let d = h.sstcDeadline();
        if (sbi !== undefined) d = Math.min(d, sbi.timerDeadline(h.hartId));
        // A deadline already passed has raised its interrupt; if that did not wake the hart, it never will.
        if (d > ticks && d < Number.MAX_SAFE_INTEGER) {
          timeout = Math.min(timeout, ((d - ticks) * 1000) / clock.frequencyHz);
        }
      }
      if (Number.isFinite(pick.runNs)) timeout = Math.min(timeout, pick.runNs / 1e6);
    }
    if (timeout > 0) Atomics.wait(cw, wake, seen, timeout);
  }
  send({ type: "done", states: harts.map((h) => h.saveState()), sched: sched.stats() });
}

try {
  main(workerData as VcpuWorkerInit);
} catch (error) {
  parentPort?.postMessage({
    type: "error",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  } satisfies VcpuWorkerMessage);
}
