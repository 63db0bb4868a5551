/**
 * Entry of a vCPU worker thread of a {@link VcpuPool}: runs the harts of the VMs placed on it,
 * each over its VM's shared memory, shared by the pool's policy. SBI calls, the MMU, timers and
 * interrupts taken are served here; device registers are exits to each VM's main thread. The
 * pool settings arrive in `workerData`, VMs as `attach` mail.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { TraceRing, Tracer } from "@monovisor/perf";
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
  H_IRQ,
  H_SSIP,
  H_START,
  H_START_A1_HI,
  H_START_A1_LO,
  H_START_PC_HI,
  H_START_PC_LO,
  kickWorker,
  P_GANG_COUNT,
  P_GANG_IDS,
  VcpuControl,
  W_MAIL,
  W_PULL,
  W_RUNNABLE,
  W_WAKE,
  workerWordIndex,
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
import type { VcpuVmInit, VcpuWorkerInit, VcpuWorkerMessage, VcpuWorkerRequest } from "./protocol.js";
import { FAST_DONE, FAST_POSTED, FAST_VALUE, FAST_WORDS } from "./protocol.js";
import { GangSlotPolicy } from "./slot-policy.js";

/** Bits of `H_IRQ` that map to `mip` levels (SSIP is posted separately, STIP is the hart's own). */
const IRQ_BITS = [MipBit.MSIP, MipBit.MTIP, MipBit.SEIP, MipBit.MEIP] as const;
/** Time slices a hart stays on a worker it moved to before it may move again. */
const SETTLE_SLICES = 20;
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

  read(offset: number, size: AccessSize): number {
    if (offset === this.fastOffset && size === 1) {
      // A register the main thread publishes (the UART's LSR): no round trip while it is
      // current, that is while no control write to the device (from any hart) is still queued.
      const f = this.fast;
      const k = this.fastWord * FAST_WORDS;
      if (Atomics.load(f, k + FAST_POSTED) === Atomics.load(f, k + FAST_DONE)) {
        const v = Atomics.load(f, k + FAST_VALUE);
        if (v >= 0) return v;
      }
    }
    return this.exits.call(EXIT_MMIO_READ, this.index | (size << 16), offset, 0) >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    // Data writes (the UART's THR) leave the fast register as it is; control writes (FIFO
    // reset, modes) may not, until the main thread has done them.
    if (offset !== 0 && this.fastWord >= 0)
      Atomics.add(this.fast, this.fastWord * FAST_WORDS + FAST_POSTED, 1);
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

/** One VM's harts on this worker, and everything they reach. */
interface VmContext {
  readonly id: number;
  readonly control: VcpuControl;
  /** By scheduler vCPU index; undefined once the hart moved to another worker. */
  readonly harts: (Hart | undefined)[];
  readonly sbi: SbiServer | undefined;
  readonly clock: WallClock;
  readonly applyEvents: (hartId: number) => void;
  readonly isExiting: () => boolean;
  /** Takes hart `id` from another worker (its state as saved there); returns it. */
  readonly adopt: (id: number, state: HartState) => Hart;
  /** Gives hart `id` up (to another worker): its state, with what was posted to it. */
  readonly release: (id: number) => HartState;
  /** Workers hart `id` may run on (undefined: any). */
  readonly affinity: readonly (readonly number[] | undefined)[];
  /** Set while one of its harts runs (its SBI calls may wait on remote fences). */
  current: number;
  /** Per vCPU index: runnable as the scheduler knows it, and the steal time published. */
  readonly known: boolean[];
  readonly published: number[];
  /** When the vCPU came to this worker from another (-Infinity: it started here). */
  readonly arrived: number[];
  /** The VM's tracer as lent to this worker, if it is traced. */
  readonly tracer: Tracer | undefined;
  /** Where PC samples go, and the most instructions between two; 0 when not sampling. */
  readonly samples: TraceRing | undefined;
  readonly sampleEvery: number;
}

function attachVm(init: VcpuVmInit, send: (m: VcpuWorkerMessage) => void): VmContext {
  const memory = GuestMemory.fromMemory(init.memory, {
    ramBase: init.ramBase,
    ramSize: init.ramSize,
    hartCount: init.hartCount,
  });
  const control = new VcpuControl(init.control, init.pool, init.hartCount);
  const cw = control.words;
  const exits = new ExitProducer(init.ring, init.replySlots, init.replySlot, cw, G_DOORBELL);
  const fast = new Int32Array(init.fast);
  const clock = new WallClock(init.frequencyHz, init.clockOriginMs);
  const bus = new MmioBus();
  init.regions.forEach((r, index) => {
    bus.map(r.base, r.size, new RemoteMmio(r.name, index, exits, fast, r.fastOffset, r.fastWord));
  });

  const local = init.localHarts;
  const isLocal = new Uint8Array(init.hartCount);
  for (const id of local) isLocal[id] = 1;
  const stub = (id: number) => new RemoteHartStub(id, memory, clock) as unknown as Hart;
  // The SBI server's hart table: the same array throughout, so harts moving in and out show.
  const table: Hart[] = [];
  for (let id = 0; id < init.hartCount; id++) table.push(stub(id));
  const harts: (Hart | undefined)[] = [];
  const tracer = init.trace === undefined ? undefined : Tracer.forThread(init.trace);

  let exiting = false;
  const stopAll = () => {
    exiting = true;
    for (const h of harts) if (h !== undefined) h.stopRequested = true;
  };
  /** A hart of this worker from its saved state. */
  const makeHart = (id: number, state: HartState): Hart => {
    const h = new Hart({ memory, bus, clock, hartId: id });
    h.restoreState(state);
    h.onTrap = (hart, cause, interrupt) => {
      const message = fatalTrapMessage(hart, cause, interrupt, init.mTrapsFatal);
      if (message === undefined) return;
      send({ type: "crash", vm: init.vmId, message });
      stopAll();
    };
    if (tracer !== undefined) h.attachTracer(tracer);
    if (exiting) h.stopRequested = true;
    table[id] = h;
    return h;
  };
  local.forEach((id, i) => {
    harts.push(makeHart(id, init.hartStates[i]));
  });

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
                    if (ctx.current >= 0) applyFences(ctx.current);
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
  // The saved mip may hold levels the controllers have changed since: drive every line again.
  for (const id of local) applied[id] = ~Atomics.load(cw, control.hartWord(id, H_IRQ));
  if (tracer !== undefined) sbi?.attachTracer(tracer);

  const adopt = (id: number, state: HartState): Hart => {
    tracer?.setVcpuOwned(id, true);
    const h = makeHart(id, state);
    sbi?.serveHart(h);
    isLocal[id] = 1;
    // The saved mip may hold levels the controllers have changed since: drive every line again.
    applied[id] = ~Atomics.load(cw, control.hartWord(id, H_IRQ));
    return h;
  };
  const release = (id: number): HartState => {
    applyEvents(id);
    const state = table[id].saveState();
    table[id] = stub(id);
    isLocal[id] = 0;
    tracer?.setVcpuOwned(id, false);
    return state;
  };

  const ctx: VmContext = {
    id: init.vmId,
    control,
    harts,
    sbi,
    clock,
    applyEvents,
    isExiting: () => exiting,
    adopt,
    release,
    affinity: init.affinity,
    current: -1,
    known: [],
    published: harts.map(() => 0),
    arrived: harts.map(() => Number.NEGATIVE_INFINITY),
    tracer,
    samples: init.samples === undefined ? undefined : TraceRing.attach(init.samples.ring),
    sampleEvery: init.samples?.everyInstructions ?? 0,
  };
  for (const h of harts) ctx.known.push(runnable(ctx, h as Hart));
  return ctx;
}

/** Whether a hart of `ctx` may run now. */
function runnable(ctx: VmContext, h: Hart): boolean {
  return (
    !ctx.isExiting() &&
    !h.waiting &&
    !h.stopRequested &&
    (ctx.sbi === undefined || ctx.sbi.isRunnable(h.hartId))
  );
}

function main(init: VcpuWorkerInit): void {
  const port = parentPort;
  if (port === null) throw new Error("vcpu-worker runs as a worker thread");
  const send = (m: VcpuWorkerMessage) => port.postMessage(m);
  const pool = new Int32Array(init.pool);
  const me = init.workerIndex;
  const wake = workerWordIndex(me, W_WAKE);
  const mail = workerWordIndex(me, W_MAIL);
  const pull = workerWordIndex(me, W_PULL);
  const workerCount = init.workers;
  // One time line for every worker of the pool (each thread's performance.now() starts elsewhere),
  // so gang slots begin at the same moment everywhere.
  const epoch = init.epochMs - performance.timeOrigin;
  const nowNs = () => (performance.now() - epoch) * 1e6;
  const timeslice = init.timesliceNs;
  const balancing = init.policy === "credit" && init.balance && workerCount > 1;
  /** Gang policy: whose slot it is, by the clock every worker shares; -1 for none. */
  const slotOf = (now: number): number => {
    const count = Atomics.load(pool, P_GANG_COUNT);
    if (count === 0) return -1;
    return Atomics.load(pool, P_GANG_IDS + (Math.floor(now / timeslice) % count));
  };
  // This worker's share of the hypervisor scheduler: every VM with harts here; vCPU i of a VM is
  // the i-th hart it gave this worker (records carry the hart ID and this worker's index).
  const sched = new Scheduler({
    workers: 1,
    sliceNs: timeslice,
    rateLimitNs: timeslice / 4,
    traceWorkerIds: [me],
    policy: init.policy === "gang" ? new GangSlotPolicy(slotOf, timeslice) : "credit",
  });
  const vms: VmContext[] = [];
  /** Load balancing: when this worker last asked another for a vCPU, and how long it waits to ask again. */
  let askedAt = Number.NEGATIVE_INFINITY;
  let askEvery = timeslice;
  /** When this worker last ran out of work (NaN while it has some). */
  let idleSince = Number.NaN;

  /** Takes what the main thread posted: VMs to run, harts moved here from other workers. */
  const takeMail = () => {
    while (Atomics.load(pool, mail) > 0) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) break;
      Atomics.sub(pool, mail, 1);
      const request = m.message as VcpuWorkerRequest;
      if (request.type === "adopt") {
        adopt(request.vm, request.hart, request.state, request.from);
        continue;
      }
      const vm = request.vm;
      try {
        const ctx = attachVm(vm, send);
        sched.addVm(
          {
            id: ctx.id,
            vcpus: ctx.harts.length,
            weight: vm.weight,
            cap: vm.cap,
            gang: vm.gang,
            blocked: ctx.known.flatMap((known, i) => (known ? [] : [i])),
            traceIds: vm.localHarts,
          },
          nowNs(),
        );
        if (ctx.tracer !== undefined) sched.attachTracer(ctx.tracer, ctx.id);
        if (vm.migratedFrom !== undefined) {
          const now = nowNs();
          ctx.arrived.fill(now);
          for (let i = 0; i < ctx.harts.length; i++) sched.arrived(ctx.id, i, vm.migratedFrom, now);
          tookOne();
        }
        vms.push(ctx);
      } catch (error) {
        send({ type: "error", vm: vm.vmId, message: describe(error) });
      }
    }
  };

  /** A hart another worker gave up, for a VM already here. */
  const adopt = (vmId: number, id: number, state: HartState, from: number) => {
    const ctx = vms.find((c) => c.id === vmId);
    if (ctx === undefined) {
      // The VM was let go meanwhile (its run ended): hand the state back.
      send({ type: "returned", vm: vmId, hart: id, state });
      return;
    }
    const h = ctx.adopt(id, state);
    const r = runnable(ctx, h);
    const index = sched.addVcpu(
      ctx.id,
      { traceId: id, affinity: ctx.affinity[id], blocked: !r, fromPcpu: from },
      nowNs(),
    );
    ctx.harts[index] = h;
    ctx.known[index] = r;
    ctx.published[index] = 0;
    ctx.arrived[index] = nowNs();
    tookOne();
  };

  const tookOne = () => {
    askEvery = timeslice;
    askedAt = Number.NEGATIVE_INFINITY;
  };

  /**
   * An idle worker asked for a vCPU: give it the one waiting longest that may run there.
   * `runnableHere` counts the vCPUs here that can run; moving the only one gains nothing.
   */
  const giveAway = (to: number, runnableHere: number, now: number) => {
    if (runnableHere < 2) return;
    const running = sched.current(0);
    let best: { ctx: VmContext; index: number; since: number } | undefined;
    for (const ctx of vms) {
      if (ctx.isExiting()) continue;
      ctx.known.forEach((known, index) => {
        const h = ctx.harts[index];
        if (!known || h === undefined) return;
        const v = sched.vcpu(ctx.id, index);
        // Worth a move: it has waited a while, and did not just arrive (no ping-pong).
        if (
          v === running ||
          now - v.waitSince < timeslice / 2 ||
          now - ctx.arrived[index] < SETTLE_SLICES * timeslice
        )
          return;
        const allowed = ctx.affinity[h.hartId];
        if (allowed !== undefined && !allowed.includes(to)) return;
        if (best === undefined || v.waitSince < best.since) best = { ctx, index, since: v.waitSince };
      });
    }
    if (best === undefined) return;
    const { ctx, index } = best;
    const h = ctx.harts[index] as Hart;
    const id = h.hartId;
    sched.removeVcpu(ctx.id, index, now);
    ctx.harts[index] = undefined;
    ctx.known[index] = false;
    const state = ctx.release(id);
    // From here posts to the hart wake the new owner, which applies them once it has the hart.
    ctx.control.setOwner(id, to);
    send({ type: "migrate", vm: ctx.id, hart: id, state, to });
  };

  let lastCount = 0;
  const wakeIdleWorker = () => {
    for (let w = 0; w < workerCount; w++) {
      if (w !== me && Atomics.load(pool, workerWordIndex(w, W_RUNNABLE)) === 0) {
        kickWorker(pool, w);
        return;
      }
    }
  };

  /**
   * Idle here: ask the busiest worker with vCPUs waiting for one of them, once this worker has
   * idled a whole time slice (a hart that only paused in `wfi` is not worth a move). Returns
   * when to look again (ms), or Infinity.
   */
  const askForWork = (now: number): number => {
    let busiest = -1;
    let most = 1;
    for (let w = 0; w < workerCount; w++) {
      if (w === me) continue;
      const n = Atomics.load(pool, workerWordIndex(w, W_RUNNABLE));
      if (n > most) {
        most = n;
        busiest = w;
      }
    }
    if (busiest < 0) return Number.POSITIVE_INFINITY;
    const due = Math.max(idleSince + timeslice, askedAt + askEvery);
    if (now < due) return (due - now) / 1e6;
    askedAt = now;
    // Ask less often while asking brings nothing (affinity may keep every vCPU there).
    askEvery = Math.min(askEvery * 2, 100 * timeslice);
    if (Atomics.compareExchange(pool, workerWordIndex(busiest, W_PULL), 0, me + 1) === 0) {
      kickWorker(pool, busiest);
    }
    return askEvery / 1e6;
  };

  /** Hands a stopped VM's harts back and forgets them (their vCPUs stay blocked). */
  const detach = (ctx: VmContext) => {
    const now = nowNs();
    const harts: Hart[] = [];
    ctx.harts.forEach((h, i) => {
      if (h === undefined) return;
      // What was posted to the hart (IPIs, interrupt levels, a start) goes into its state.
      ctx.applyEvents(h.hartId);
      sched.block(ctx.id, i, now, "hsm-stop");
      harts.push(h);
    });
    const stats = sched.stats().vms.find((v) => v.id === ctx.id);
    send({
      type: "done",
      vm: ctx.id,
      harts: harts.map((h) => h.hartId),
      states: harts.map((h) => h.saveState()),
      sched: stats,
    });
    vms.splice(vms.indexOf(ctx), 1);
  };

  /** Tells the scheduler which harts became runnable or stopped being so; returns how many can run. */
  const sync = (now: number): number => {
    let count = 0;
    for (const ctx of vms) {
      // Enable/disable done on the VM's thread since the last look.
      ctx.tracer?.sync();
      ctx.sbi?.updateTimers(ctx.clock.now());
      for (let i = 0; i < ctx.harts.length; i++) {
        const h = ctx.harts[i];
        if (h === undefined) continue;
        ctx.applyEvents(h.hartId);
        if (h.waiting) h.updateSstc();
        const r = runnable(ctx, h);
        if (r) count++;
        if (r === ctx.known[i]) continue;
        ctx.known[i] = r;
        if (r) sched.wake(ctx.id, i, now, "irq");
        else sched.block(ctx.id, i, now, h.waiting ? "wfi" : "hsm-stop");
      }
    }
    Atomics.store(pool, workerWordIndex(me, W_RUNNABLE), count);
    return count;
  };

  /** True when a vCPU other than `ctx`'s `index`-th could use this worker now. */
  const othersRunnable = (ctx: VmContext, index: number): boolean => {
    for (const c of vms) {
      for (let i = 0; i < c.known.length; i++) if (c.known[i] && (c !== ctx || i !== index)) return true;
    }
    return false;
  };

  for (;;) {
    const seen = Atomics.load(pool, wake);
    takeMail();
    for (const ctx of [...vms]) if (ctx.control.stopRequested) detach(ctx);
    let now = nowNs();
    const count = sync(now);
    // More runnable here than before: an idle worker may take one (it asks when it wakes).
    if (balancing && count >= 2 && count > lastCount) wakeIdleWorker();
    lastCount = count;
    const asker = Atomics.load(pool, pull);
    if (asker !== 0) {
      Atomics.store(pool, pull, 0);
      giveAway(asker - 1, count, now);
    }
    const pick = sched.pick(0, now);
    const ctx = pick.vm < 0 ? undefined : vms.find((c) => c.id === pick.vm);
    const h = ctx?.harts[pick.vcpu];
    if (ctx !== undefined && h !== undefined) {
      idleSince = Number.NaN;
      const i = pick.vcpu;
      const id = h.hartId;
      const control = ctx.control;
      // Time it waited runnable while others had this thread: the guest sees it as steal.
      const steal = sched.vcpu(ctx.id, i).stealNs;
      if (ctx.sbi !== undefined && steal > ctx.published[i]) {
        ctx.sbi.addSteal(id, steal - ctx.published[i]);
        ctx.published[i] = steal;
        ctx.sbi.publishSteal(id);
      }
      control.setInGuest(id, true);
      // After marking the hart in guest: a fence posted from here on waits for this pass.
      ctx.applyEvents(id);
      const until = now + pick.runNs;
      ctx.current = id;
      // A spinning hart (`pause`) gives the thread up while other vCPUs here could run.
      h.pauseYields = init.policy === "credit" && init.pauseYield && othersRunnable(ctx, i);
      const samples = ctx.samples;
      const slice =
        samples === undefined ? init.sliceInstructions : Math.min(init.sliceInstructions, ctx.sampleEvery);
      // Slices until the time is up, the hart stops being runnable or spins, or something is
      // posted to this worker (a hart here may have woken and deserve the thread).
      while (runnable(ctx, h)) {
        const retired = h.run(slice);
        // A sample per slice, at the pc where it ended (as on the main thread).
        if (samples !== undefined && retired > 0)
          samples.write(0, id, 0, 0, h.pcLo, h.pcHi, h.priv, 0, 0, 0, 0);
        now = nowNs();
        if (h.yieldRequested) {
          h.yieldRequested = false;
          if (sched.yieldHint(ctx.id, i, now)) break;
        }
        if (now >= until || Atomics.load(pool, wake) !== seen) break;
        ctx.applyEvents(id);
      }
      h.pauseYields = false;
      ctx.current = -1;
      control.setInGuest(id, false);
      continue;
    }
    // Nothing here can run: sleep until a deadline or until something is posted to us.
    let timeout = MAX_SLEEP_MS;
    for (const c of vms) {
      if (c.isExiting()) continue;
      const ticks = c.clock.now();
      for (const hart of c.harts) {
        if (hart === undefined) continue;
        let d = hart.sstcDeadline();
        if (c.sbi !== undefined) d = Math.min(d, c.sbi.timerDeadline(hart.hartId));
        // A deadline already passed has raised its interrupt; if that did not wake the hart, it never will.
        if (d > ticks && d < Number.MAX_SAFE_INTEGER) {
          timeout = Math.min(timeout, ((d - ticks) * 1000) / c.clock.frequencyHz);
        }
      }
    }
    if (Number.isFinite(pick.runNs)) timeout = Math.min(timeout, pick.runNs / 1e6);
    if (Number.isNaN(idleSince)) idleSince = now;
    if (balancing) timeout = Math.min(timeout, askForWork(now));
    if (timeout > 0) Atomics.wait(pool, wake, seen, timeout);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

try {
  main(workerData as VcpuWorkerInit);
} catch (error) {
  parentPort?.postMessage({ type: "error", vm: -1, message: describe(error) } satisfies VcpuWorkerMessage);
}
