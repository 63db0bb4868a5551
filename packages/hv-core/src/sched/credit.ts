import type { Choice, SchedPolicy } from "./policy.js";
import type { SchedulerCore } from "./scheduler.js";
import { CREDIT_INIT, type VcpuState, type VmState } from "./state.js";

const IDLE_FOREVER: Choice = { vcpu: null, runNs: Number.POSITIVE_INFINITY };

/**
 * Credit-based proportional share in the spirit of Xen's credit2: each worker is a runqueue;
 * running burns credit at a rate inversely proportional to the VM's weight; a worker runs its
 * highest-credit vCPU and, when that one is out of credit, refills its whole queue. A worker
 * takes a vCPU from another queue only when it would otherwise idle, so vCPUs keep their caches.
 */
export class CreditPolicy implements SchedPolicy {
  readonly name: string = "credit";
  private core!: SchedulerCore;
  private all: VcpuState[] = [];
  /** Per worker: a vCPU a directed yield handed this worker to, or null. */
  private directed: (VcpuState | null)[] = [];
  private nextHome = 0;

  attach(core: SchedulerCore): void {
    this.core = core;
    this.directed = new Array(core.workers).fill(null);
  }

  addVm(vm: VmState): void {
    for (const v of vm.vcpus) this.addVcpu(v);
  }

  /** Spreads new vCPUs over their allowed workers, round robin. */
  addVcpu(v: VcpuState): void {
    const workers = this.core.workers;
    let home = this.nextHome % workers;
    for (let i = 0; i < workers && v.allowed[home] === 0; i++) home = (home + 1) % workers;
    v.home = home;
    this.nextHome = home + 1;
    this.all.push(v);
  }

  choose(worker: number, now: number): Choice {
    const core = this.core;
    const cur = core.current(worker);
    const curOk = cur?.runnable && !cur.vm.parked && cur.allowed[worker] === 1;
    if (curOk && !cur.yielded && now - cur.startedAt < core.rateLimitNs) {
      // Rate limit: a vCPU keeps the worker for a minimum run, whoever woke meanwhile.
      return this.run(cur, worker, now, core.rateLimitNs - (now - cur.startedAt));
    }
    const handed = this.directed[worker];
    this.directed[worker] = null;
    if (handed?.waiting && handed.allowed[worker] === 1) {
      handed.home = worker;
      return this.run(handed, worker, now, core.sliceNs);
    }
    let best = this.bestLocal(worker, curOk ? cur : null);
    if (best !== null && best.credit <= 0) {
      this.reset(worker);
      best = this.bestLocal(worker, curOk ? cur : null);
    }
    if (best === null) {
      best = this.bestRemote(worker);
      if (best === null) {
        const at = core.nextRefillAt();
        return at === Number.POSITIVE_INFINITY ? IDLE_FOREVER : { vcpu: null, runNs: at - now };
      }
      best.home = worker;
    }
    return this.run(best, worker, now, core.sliceNs);
  }

  onWake(v: VcpuState, now: number): void {
    if (v.worker >= 0 || !v.waiting) return;
    const core = this.core;
    if (v.allowed[v.home] === 0) v.home = v.allowed.indexOf(1);
    if (core.isIdle(v.home)) {
      core.kick(v.home);
      return;
    }
    for (let w = 0; w < core.workers; w++) {
      if (v.allowed[w] === 1 && core.isIdle(w)) {
        core.kick(w);
        return;
      }
    }
    const cur = core.current(v.home);
    if (cur !== null && now - cur.startedAt >= core.rateLimitNs && v.credit > cur.credit) core.kick(v.home);
  }

  onBlock(): void {}

  onRefill(now: number): void {
    for (const v of this.all) if (v.waiting) this.onWake(v, now);
  }

  onYield(v: VcpuState): boolean {
    const w = v.worker;
    for (const other of this.all) if (other !== v && other.waiting && other.allowed[w] === 1) return true;
    return false;
  }

  onDirectedYield(v: VcpuState, target: VcpuState): boolean {
    if (!target.waiting || target.allowed[v.worker] === 0) return false;
    this.directed[v.worker] = target;
    return true;
  }

  private run(v: VcpuState, worker: number, now: number, limit: number): Choice {
    let sharing = 1;
    for (const sibling of v.vm.vcpus)
      if (sibling !== v && sibling.worker >= 0 && sibling.worker !== worker) sharing++;
    return { vcpu: v, runNs: Math.min(limit, this.core.capLimit(v, now, sharing)) };
  }

  /** Highest credit among this queue's waiting vCPUs and the current one; a yielder goes last. */
  private bestLocal(worker: number, cur: VcpuState | null): VcpuState | null {
    let best: VcpuState | null = null;
    for (const v of this.all) {
      if (v.home !== worker || v.allowed[worker] === 0) continue;
      if (v !== cur && !v.waiting) continue;
      if (best === null || better(v, best, cur)) best = v;
    }
    return best;
  }

  private bestRemote(worker: number): VcpuState | null {
    let best: VcpuState | null = null;
    for (const v of this.all) {
      if (v.home === worker || !v.waiting || v.allowed[worker] === 0) continue;
      if (best === null || better(v, best, null)) best = v;
    }
    return best;
  }

  private reset(worker: number): void {
    for (const v of this.all) if (v.home === worker) v.credit = Math.min(v.credit + CREDIT_INIT, CREDIT_INIT);
  }
}

/** Ordering: not yielding, then more credit, then longer wait (the running one counts as newest). */
function better(a: VcpuState, b: VcpuState, cur: VcpuState | null): boolean {
  const ay = a === cur && a.yielded;
  const by = b === cur && b.yielded;
  if (ay !== by) return by;
  if (a.credit !== b.credit) return a.credit > b.credit;
  const aw = a === cur ? Number.POSITIVE_INFINITY : a.waitSince;
  const bw = b === cur ? Number.POSITIVE_INFINITY : b.waitSince;
  return aw < bw;
}
