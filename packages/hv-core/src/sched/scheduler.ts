import type { StandardTracepointSpecOf, Tracer, TypedTracepoint } from "@monovisor/perf";
import { CreditPolicy } from "./credit.js";
import { GangPolicy } from "./gang.js";
import type { SchedPolicy } from "./policy.js";
import { affinityMask, VcpuState, VmState } from "./state.js";
import type {
  BlockReason,
  PickResult,
  SchedEvent,
  SchedStats,
  SwitchReason,
  VmSpec,
  WakeReason,
} from "./types.js";

type Tp<N extends "sched.switch" | "sched.block" | "sched.wake" | "sched.migrate" | "sched.steal"> =
  TypedTracepoint<StandardTracepointSpecOf<N>>;

/** The sched tracepoints of one tracer, looked up once, plus enum indices. */
interface SchedTracepoints {
  readonly switch: Tp<"sched.switch">;
  readonly block: Tp<"sched.block">;
  readonly wake: Tp<"sched.wake">;
  readonly migrate: Tp<"sched.migrate">;
  readonly steal: Tp<"sched.steal">;
  readonly switchReason: Record<SwitchReason, number>;
  readonly blockReason: Record<BlockReason, number>;
  readonly wakeReason: Record<WakeReason, number>;
}

export interface SchedulerOptions {
  /** Host workers (pCPUs). */
  readonly workers: number;
  /** "credit" (default), "gang", or a custom policy. */
  readonly policy?: "credit" | "gang" | SchedPolicy;
  /** Longest run before a competing vCPU gets the worker. */
  readonly sliceNs?: number;
  /** Shortest run before a wake-up may preempt (Xen's ratelimit). */
  readonly rateLimitNs?: number;
  /** Period over which caps are enforced. */
  readonly capPeriodNs?: number;
  /** Called when a worker should call `pick` now (its choice changed). */
  readonly onKick?: (worker: number) => void;
  /** Every decision as data; costs an allocation per event, so leave unset in production. */
  readonly onEvent?: (event: SchedEvent) => void;
  /**
   * pCPU numbers `sched.*` records carry, by worker (default: the worker index); a vCPU thread
   * running one worker's share passes its index in the pool.
   */
  readonly traceWorkerIds?: readonly number[];
}

/** The surface policies use. */
export interface SchedulerCore {
  readonly workers: number;
  readonly sliceNs: number;
  readonly rateLimitNs: number;
  readonly vms: readonly VmState[];
  /** vCPU on `worker` (possibly just blocked), or null when idle. */
  current(worker: number): VcpuState | null;
  /** True when the worker runs nothing and no kick is pending for it. */
  isIdle(worker: number): boolean;
  kick(worker: number): void;
  /** Charge every running vCPU up to `now`. */
  chargeAll(now: number): void;
  /** Longest run for `vcpu` before its VM's cap budget is spent, sharing it with `sharing` vCPUs. */
  capLimit(vcpu: VcpuState, now: number, sharing: number): number;
  /** Next cap period boundary, or Infinity when no VM is parked. */
  nextRefillAt(): number;
}

/**
 * The hypervisor scheduler: places runnable vCPUs of all VMs on a fixed pool of workers.
 * Every decision passes through here, so accounting, steal time and tracing live in one place;
 * the policy only chooses. Time is whatever clock the caller passes (ns), real or virtual.
 */
export class Scheduler implements SchedulerCore {
  readonly workers: number;
  readonly sliceNs: number;
  readonly rateLimitNs: number;
  readonly capPeriodNs: number;
  readonly policy: SchedPolicy;
  readonly vms: VmState[] = [];
  private readonly byId = new Map<number, VmState>();
  private readonly running: (VcpuState | null)[];
  private readonly kicked: Uint8Array;
  private readonly onKick: ((worker: number) => void) | undefined;
  private readonly onEvent: ((event: SchedEvent) => void) | undefined;
  private readonly pcpus: readonly number[];
  private periodEnd: number;
  private anyParked = false;
  private switches = 0;
  private migrations = 0;
  /** Tracepoints per attached tracer; VmState.traceSlot indexes it. */
  private readonly traces: SchedTracepoints[] = [];
  private defaultTrace: SchedTracepoints | undefined;

  constructor(options: SchedulerOptions) {
    if (!(Number.isInteger(options.workers) && options.workers > 0))
      throw new RangeError("workers must be >= 1");
    this.workers = options.workers;
    this.sliceNs = options.sliceNs ?? 10_000_000;
    this.rateLimitNs = Math.min(options.rateLimitNs ?? 1_000_000, this.sliceNs);
    this.capPeriodNs = options.capPeriodNs ?? 10 * this.sliceNs;
    this.periodEnd = this.capPeriodNs;
    this.running = new Array(this.workers).fill(null);
    this.kicked = new Uint8Array(this.workers);
    this.onKick = options.onKick;
    this.onEvent = options.onEvent;
    this.pcpus = Array.from({ length: this.workers }, (_, w) => options.traceWorkerIds?.[w] ?? w);
    const policy = options.policy ?? "credit";
    this.policy = policy === "credit" ? new CreditPolicy() : policy === "gang" ? new GangPolicy() : policy;
    this.policy.attach(this);
  }

  addVm(spec: VmSpec, now = 0): void {
    if (this.byId.has(spec.id)) throw new RangeError(`vm ${spec.id} already added`);
    const vm = new VmState(spec, this.workers);
    for (const v of vm.vcpus) {
      v.waitSince = now;
      v.chargedAt = now;
    }
    if (this.defaultTrace !== undefined) vm.traceSlot = this.traces.indexOf(this.defaultTrace);
    this.vms.push(vm);
    this.byId.set(vm.id, vm);
    this.policy.addVm(vm);
    for (const v of vm.vcpus) if (v.runnable) this.policy.onWake(v, now);
  }

  /**
   * Adds a vCPU to VM `vm` (one that migrated here from another scheduler: a vCPU thread taking
   * a hart from another). Returns its index in the VM. With `fromPcpu`, counts and traces the
   * move (`sched.migrate`, from that pCPU to the vCPU's worker here).
   */
  addVcpu(
    vm: number,
    options: {
      readonly traceId?: number;
      readonly affinity?: readonly number[];
      readonly blocked?: boolean;
      readonly fromPcpu?: number;
    },
    now: number,
  ): number {
    const state = this.vm(vm);
    if (this.policy.addVcpu === undefined) {
      throw new Error(`the ${this.policy.name} policy cannot take vCPUs after their VM was added`);
    }
    const v = new VcpuState(state, state.vcpus.length, affinityMask(options.affinity, this.workers), false);
    v.traceId = options.traceId ?? v.index;
    v.waitSince = now;
    v.chargedAt = now;
    state.vcpus.push(v);
    this.policy.addVcpu(v);
    if (options.fromPcpu !== undefined) this.arrived(vm, v.index, options.fromPcpu, now);
    if (options.blocked !== true) this.wake(vm, v.index, now, "resume");
    return v.index;
  }

  /**
   * Counts and traces (`sched.migrate`) the arrival of a vCPU from pCPU `fromPcpu`, which
   * another scheduler ran it on (a vCPU thread taking a hart from another).
   */
  arrived(vm: number, vcpu: number, fromPcpu: number, now: number): void {
    const v = this.vcpu(vm, vcpu);
    v.migrations++;
    this.migrations++;
    const trace = this.trace(v);
    if (trace?.migrate.enabled) trace.migrate.emitAt(now, v.traceId, fromPcpu, this.pcpus[v.home]);
  }

  /**
   * Takes a vCPU out for good (it migrates to another scheduler): its CPU and steal time so far
   * are settled and it is never chosen again. Its worker, if running it, should `pick` again.
   */
  removeVcpu(vm: number, vcpu: number, now: number): void {
    const v = this.vcpu(vm, vcpu);
    if (v.gone) return;
    this.refill(now);
    if (v.worker >= 0) {
      this.charge(v, now);
      this.kick(v.worker);
    } else if (v.runnable) {
      this.endWait(v, now, v.lastWorker < 0 ? v.home : v.lastWorker);
    }
    v.runnable = false;
    v.gone = true;
    this.policy.onBlock(v, now);
  }

  /**
   * Emit `sched.*` into `tracer` for one VM (`vm` given) or for every VM without its own.
   * vCPU numbers in records are the VM's `traceIds` (by default indices within the VM), as the
   * VM's tracer expects.
   */
  attachTracer(tracer: Tracer, vm?: number): void {
    const sw = tracer.tracepoint("sched.switch");
    const bl = tracer.tracepoint("sched.block");
    const wk = tracer.tracepoint("sched.wake");
    const labels = <K extends string>(tp: { enumValue(f: string, l: string): number }, f: string, ls: K[]) =>
      Object.fromEntries(ls.map((l) => [l, tp.enumValue(f, l)])) as Record<K, number>;
    const trace: SchedTracepoints = {
      switch: sw,
      block: bl,
      wake: wk,
      migrate: tracer.tracepoint("sched.migrate"),
      steal: tracer.tracepoint("sched.steal"),
      switchReason: labels(sw, "reason", ["preempt", "block", "yield", "exit"]),
      blockReason: labels(bl, "reason", ["wfi", "hsm-stop", "hsm-suspend", "pause", "io"]),
      wakeReason: labels(wk, "reason", ["irq", "timer", "ipi", "hsm-start", "resume", "kick"]),
    };
    this.traces.push(trace);
    const slot = this.traces.length - 1;
    if (vm === undefined) {
      const previous = this.defaultTrace === undefined ? -1 : this.traces.indexOf(this.defaultTrace);
      this.defaultTrace = trace;
      for (const state of this.vms) if (state.traceSlot === previous) state.traceSlot = slot;
    } else {
      this.vm(vm).traceSlot = slot;
    }
  }

  detachTracer(): void {
    for (const vm of this.vms) vm.traceSlot = -1;
    this.traces.length = 0;
    this.defaultTrace = undefined;
  }

  /** The one decision point: what `worker` runs from `now`. */
  pick(worker: number, now: number): PickResult {
    this.checkWorker(worker);
    this.kicked[worker] = 0;
    this.refill(now);
    const prev = this.running[worker];
    if (prev !== null) this.charge(prev, now);
    const choice = this.policy.choose(worker, now);
    const next = choice.vcpu;
    if (next !== prev) this.switchTo(worker, prev, next, now);
    else if (next !== null) next.yielded = false;
    if (next === null) return { vm: -1, vcpu: -1, runNs: Math.max(0, choice.runNs) };
    return { vm: next.vm.id, vcpu: next.index, runNs: Math.max(0, choice.runNs) };
  }

  /** The vCPU stopped being runnable (WFI, HSM stop, ...). Its worker should `pick` again. */
  block(vm: number, vcpu: number, now: number, reason: BlockReason = "wfi"): void {
    const v = this.vcpu(vm, vcpu);
    if (!v.runnable) return;
    this.refill(now);
    if (v.worker >= 0) {
      this.charge(v, now);
      this.kick(v.worker);
    } else {
      this.endWait(v, now, v.lastWorker < 0 ? v.home : v.lastWorker);
    }
    v.runnable = false;
    v.yielded = false;
    const trace = this.trace(v);
    if (trace?.block.enabled) trace.block.emitAt(now, v.traceId, trace.blockReason[reason]);
    this.onEvent?.({ kind: "block", t: now, vm: v.vm.id, vcpu: v.index, reason });
    this.policy.onBlock(v, now);
  }

  /** The vCPU became runnable; `waker` is the vCPU index that caused it, -1 for the host. */
  wake(vm: number, vcpu: number, now: number, reason: WakeReason = "irq", waker = -1): void {
    const v = this.vcpu(vm, vcpu);
    if (v.runnable || v.gone) return;
    this.refill(now);
    v.runnable = true;
    v.waitSince = now;
    v.chargedAt = now;
    const trace = this.trace(v);
    if (trace?.wake.enabled) trace.wake.emitAt(now, v.traceId, trace.wakeReason[reason], waker);
    this.onEvent?.({ kind: "wake", t: now, vm: v.vm.id, vcpu: v.index, reason, waker });
    this.policy.onWake(v, now);
  }

  /** Spin hint (pause loop, SBI yield): the running vCPU would rather give its worker away. */
  yieldHint(vm: number, vcpu: number, now: number): boolean {
    const v = this.vcpu(vm, vcpu);
    if (!v.runnable || v.worker < 0) return false;
    this.refill(now);
    this.charge(v, now);
    const worth = this.policy.onYield(v, now);
    if (worth) {
      v.yielded = true;
      this.kick(v.worker);
    }
    return worth;
  }

  /** The vCPU spins on a lock `target` (same VM) holds: run the holder in its place if it waits. */
  directedYield(vm: number, vcpu: number, target: number, now: number): boolean {
    const v = this.vcpu(vm, vcpu);
    const t = this.vcpu(vm, target);
    if (v === t || !v.runnable || v.worker < 0) return false;
    this.refill(now);
    this.charge(v, now);
    const helped = this.policy.onDirectedYield(v, t, now);
    if (helped) {
      v.yielded = true;
      this.kick(v.worker);
    }
    return helped;
  }

  /**
   * Charge running vCPUs up to `now` and start a cap period when one is due. Workers whose
   * vCPU must stop (cap spent) are kicked; the list is returned as well.
   */
  tick(now: number): number[] {
    this.refill(now);
    this.chargeAll(now);
    const out: number[] = [];
    for (let w = 0; w < this.workers; w++) if (this.kicked[w] === 1) out.push(w);
    return out;
  }

  setAffinity(vm: number, vcpu: number, workers: readonly number[] | undefined, now: number): void {
    const v = this.vcpu(vm, vcpu);
    v.allowed = affinityMask(workers, this.workers);
    if (v.allowed[v.home] === 0) v.home = v.allowed.indexOf(1);
    if (v.worker >= 0 && v.allowed[v.worker] === 0) this.kick(v.worker);
    else if (v.waiting) this.policy.onWake(v, now);
  }

  stats(): SchedStats {
    return {
      policy: this.policy.name,
      switches: this.switches,
      migrations: this.migrations,
      vms: this.vms.map((vm) => {
        const vcpus = vm.vcpus.map((v) => ({
          vm: vm.id,
          vcpu: v.index,
          traceId: v.traceId,
          cpuNs: v.cpuNs,
          stealNs: v.stealNs,
          switches: v.switches,
          migrations: v.migrations,
          credit: v.credit,
        }));
        return {
          id: vm.id,
          name: vm.name,
          cpuNs: vcpus.reduce((s, v) => s + v.cpuNs, 0),
          stealNs: vcpus.reduce((s, v) => s + v.stealNs, 0),
          vcpus,
        };
      }),
    };
  }

  /** Close open steal intervals at `now` (end of a run) so `stats()` is complete. */
  settle(now: number): void {
    this.chargeAll(now);
    for (const vm of this.vms) {
      for (const v of vm.vcpus) {
        if (v.runnable && v.worker < 0) {
          this.endWait(v, now, v.lastWorker < 0 ? v.home : v.lastWorker);
          v.waitSince = now;
        }
      }
    }
  }

  // --- SchedulerCore ---

  current(worker: number): VcpuState | null {
    return this.running[worker];
  }

  isIdle(worker: number): boolean {
    const cur = this.running[worker];
    return (cur === null || !cur.runnable) && this.kicked[worker] === 0;
  }

  kick(worker: number): void {
    if (this.kicked[worker] === 1) return;
    this.kicked[worker] = 1;
    this.onKick?.(worker);
  }

  chargeAll(now: number): void {
    for (let w = 0; w < this.workers; w++) {
      const cur = this.running[w];
      if (cur !== null) this.charge(cur, now);
    }
  }

  capLimit(vcpu: VcpuState, now: number, sharing: number): number {
    const vm = vcpu.vm;
    if (vm.cap === 0) return Number.POSITIVE_INFINITY;
    // Siblings on other workers may not be charged yet; the budget must be current.
    for (const sibling of vm.vcpus) if (sibling.worker >= 0) this.charge(sibling, now);
    const left = Math.max(0, (vm.cap / 100) * this.capPeriodNs - vm.capUsed);
    // Stop at the period end too, so each period's use is charged to that period.
    return Math.min(left / Math.max(1, sharing), this.periodEnd - now);
  }

  nextRefillAt(): number {
    return this.anyParked ? this.periodEnd : Number.POSITIVE_INFINITY;
  }

  // --- internals ---

  vm(id: number): VmState {
    const vm = this.byId.get(id);
    if (vm === undefined) throw new RangeError(`no vm ${id}`);
    return vm;
  }

  vcpu(vm: number, index: number): VcpuState {
    const v = this.vm(vm).vcpus[index];
    if (v === undefined) throw new RangeError(`vm ${vm} has no vcpu ${index}`);
    return v;
  }

  private checkWorker(worker: number): void {
    if (!(Number.isInteger(worker) && worker >= 0 && worker < this.workers)) {
      throw new RangeError(`no worker ${worker}`);
    }
  }

  private trace(v: VcpuState): SchedTracepoints | undefined {
    return v.vm.traceSlot < 0 ? undefined : this.traces[v.vm.traceSlot];
  }

  private charge(v: VcpuState, now: number): void {
    const dt = now - v.chargedAt;
    v.chargedAt = now;
    if (dt <= 0 || !v.runnable) return;
    v.cpuNs += dt;
    v.credit -= dt * v.vm.burn;
    const vm = v.vm;
    if (vm.cap > 0) {
      vm.capUsed += dt;
      if (!vm.parked && vm.capUsed >= (vm.cap / 100) * this.capPeriodNs - 1e-6) {
        vm.parked = true;
        this.anyParked = true;
        for (const sibling of vm.vcpus) if (sibling.worker >= 0) this.kick(sibling.worker);
      }
    }
  }

  private refill(now: number): void {
    if (now < this.periodEnd) return;
    this.chargeAll(now);
    this.periodEnd = (Math.floor(now / this.capPeriodNs) + 1) * this.capPeriodNs;
    const wasParked = this.anyParked;
    this.anyParked = false;
    for (const vm of this.vms) {
      vm.capUsed = 0;
      vm.parked = false;
    }
    if (wasParked) this.policy.onRefill(now);
  }

  private endWait(v: VcpuState, now: number, worker: number): void {
    const dur = now - v.waitSince;
    if (dur <= 0) return;
    v.stealNs += dur;
    const trace = this.trace(v);
    if (trace?.steal.enabled) trace.steal.emitAt(now, v.traceId, dur, this.pcpus[worker]);
    this.onEvent?.({ kind: "steal", t: now, vm: v.vm.id, vcpu: v.index, worker, durNs: dur });
  }

  private switchTo(worker: number, prev: VcpuState | null, next: VcpuState | null, now: number): void {
    let reason: SwitchReason = "preempt";
    if (prev !== null) {
      reason = !prev.runnable ? "block" : prev.yielded ? "yield" : "preempt";
      prev.worker = -1;
      prev.yielded = false;
      if (prev.runnable) prev.waitSince = now;
      this.running[worker] = null;
    }
    if (next === null) {
      this.onEvent?.({ kind: "idle", t: now, worker });
      return;
    }
    if (next.worker >= 0) {
      // Moved by the policy from another worker: take it off there first.
      const other = next.worker;
      this.charge(next, now);
      this.running[other] = null;
      next.worker = -1;
      next.waitSince = now;
      this.kick(other);
    }
    this.endWait(next, now, worker);
    const trace = this.trace(next);
    if (next.lastWorker >= 0 && next.lastWorker !== worker) {
      next.migrations++;
      this.migrations++;
      if (trace?.migrate.enabled)
        trace.migrate.emitAt(now, next.traceId, this.pcpus[next.lastWorker], this.pcpus[worker]);
      this.onEvent?.({
        kind: "migrate",
        t: now,
        vm: next.vm.id,
        vcpu: next.index,
        from: next.lastWorker,
        to: worker,
      });
    }
    next.worker = worker;
    next.lastWorker = worker;
    next.startedAt = now;
    next.chargedAt = now;
    next.switches++;
    this.switches++;
    this.running[worker] = next;
    const prevVm = prev === null ? -1 : prev.vm.id;
    const prevVcpu = prev === null ? -1 : prev.index;
    if (trace?.switch.enabled) {
      const prevId = prev === null ? -1 : prev.traceId;
      trace.switch.emitAt(now, next.traceId, this.pcpus[worker], prevVm, prevId, trace.switchReason[reason]);
    }
    this.onEvent?.({
      kind: "switch",
      t: now,
      worker,
      vm: next.vm.id,
      vcpu: next.index,
      prevVm,
      prevVcpu,
      prevRunnable: prev?.runnable === true,
      reason,
    });
  }
}
