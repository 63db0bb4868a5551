import type { Choice, SchedPolicy } from "./policy.js";
import type { SchedulerCore } from "./scheduler.js";
import { CREDIT_INIT, type VcpuState, type VmState } from "./state.js";

interface Unit {
  readonly vcpus: readonly VcpuState[];
  credit: number;
}

/**
 * Gang (co-)scheduling: time is cut into rounds of one slice; at each round the runnable units
 * (an SMP VM marked `gang`, or a single vCPU) are placed in credit order, a gang taking distinct
 * workers for all its vCPUs at once or none. A spinning vCPU never waits on a preempted sibling,
 * which is the point. Workers left over, or reserved for a blocked gang vCPU, run single vCPUs
 * as fillers until the round ends. Credits burn and refill as in the credit policy.
 */
export class GangPolicy implements SchedPolicy {
  readonly name: string = "gang";
  private core!: SchedulerCore;
  private readonly vms: VmState[] = [];
  /** Per worker: the vCPU the round placed there (may be blocked), or null. */
  private reserved: (VcpuState | null)[] = [];
  /** Per worker: the single vCPU filling in while the reservation is blocked or absent. */
  private filler: (VcpuState | null)[] = [];
  /** Per worker: when its placed unit must stop (round end or cap budget). */
  private unitEnd = new Float64Array(0);
  private roundEnd = Number.NEGATIVE_INFINITY;

  attach(core: SchedulerCore): void {
    this.core = core;
    this.reserved = new Array(core.workers).fill(null);
    this.filler = new Array(core.workers).fill(null);
    this.unitEnd = new Float64Array(core.workers);
  }

  addVm(vm: VmState): void {
    if (isGang(vm) && vm.vcpus.length > this.core.workers) {
      throw new RangeError(`vm ${vm.id}: a gang of ${vm.vcpus.length} vCPUs needs as many workers`);
    }
    this.vms.push(vm);
  }

  choose(worker: number, now: number): Choice {
    if (now >= this.roundEnd) this.replan(worker, now);
    let r = this.reserved[worker];
    if (r !== null && (r.vm.parked || this.unitEnd[worker] <= now)) {
      this.dropUnit(r, worker);
      r = null;
    }
    if (r?.runnable) {
      this.setFiller(worker, null);
      return { vcpu: r, runNs: this.unitEnd[worker] - now };
    }
    const fill = this.bestFiller(worker);
    this.setFiller(worker, fill);
    if (fill === null)
      return { vcpu: null, runNs: this.anyRunnable() ? this.roundEnd - now : Number.POSITIVE_INFINITY };
    return { vcpu: fill, runNs: Math.min(this.roundEnd - now, this.core.capLimit(fill, now, 1)) };
  }

  onWake(v: VcpuState, now: number): void {
    const core = this.core;
    if (v.planned >= 0) {
      if (core.current(v.planned) !== v) core.kick(v.planned);
      return;
    }
    if (now >= this.roundEnd || v.vm.parked) return;
    if (!isGang(v.vm)) {
      for (let w = 0; w < core.workers; w++) {
        if (v.allowed[w] === 1 && this.reserved[w] === null && this.filler[w] === null && core.isIdle(w)) {
          core.kick(w);
          return;
        }
      }
      return;
    }
    // A gang none of whose vCPUs was runnable at the round start: place it now if it fits.
    const free = new Uint8Array(core.workers);
    for (let w = 0; w < core.workers; w++) {
      free[w] = this.reserved[w] === null && this.filler[w] === null && core.isIdle(w) ? 1 : 0;
    }
    if (this.place(v.vm.vcpus, free, now)) for (const s of v.vm.vcpus) core.kick(s.planned);
  }

  onBlock(): void {}

  onRefill(): void {}

  // Co-scheduled siblings are running, so spinning on them resolves without help.
  onYield(): boolean {
    return false;
  }

  onDirectedYield(): boolean {
    return false;
  }

  private replan(caller: number, now: number): void {
    const core = this.core;
    core.chargeAll(now);
    for (let w = 0; w < core.workers; w++) {
      const r = this.reserved[w];
      if (r !== null) r.planned = -1;
      this.reserved[w] = null;
      this.setFiller(w, null);
    }
    this.roundEnd = now + core.sliceNs;
    const units = this.units();
    if (units.length > 0 && units.every((u) => u.credit <= 0)) {
      for (const vm of this.vms)
        for (const v of vm.vcpus) v.credit = Math.min(v.credit + CREDIT_INIT, CREDIT_INIT);
      for (const u of units) u.credit = meanCredit(u.vcpus);
    }
    // Stable sort: ties keep VM order, so runs are deterministic.
    units.sort((a, b) => b.credit - a.credit);
    const free = new Uint8Array(core.workers).fill(1);
    for (const u of units) this.place(u.vcpus, free, now);
    for (let w = 0; w < core.workers; w++) if (w !== caller) core.kick(w);
  }

  private units(): Unit[] {
    const units: Unit[] = [];
    for (const vm of this.vms) {
      if (vm.parked) continue;
      if (isGang(vm)) {
        if (vm.vcpus.some((v) => v.runnable)) units.push({ vcpus: vm.vcpus, credit: meanCredit(vm.vcpus) });
      } else {
        for (const v of vm.vcpus) if (v.runnable) units.push({ vcpus: [v], credit: v.credit });
      }
    }
    return units;
  }

  /** Put every vCPU of a unit on a distinct free worker it may use, or none of them. */
  private place(vcpus: readonly VcpuState[], free: Uint8Array, now: number): boolean {
    const chosen = new Array<number>(vcpus.length).fill(-1);
    const tryFrom = (i: number): boolean => {
      if (i === vcpus.length) return true;
      const v = vcpus[i];
      // Last worker first, so a unit that keeps running does not move.
      const order = v.lastWorker >= 0 ? [v.lastWorker] : [];
      for (let w = 0; w < free.length; w++) if (w !== v.lastWorker) order.push(w);
      for (const w of order) {
        if (free[w] === 0 || v.allowed[w] === 0) continue;
        free[w] = 0;
        chosen[i] = w;
        if (tryFrom(i + 1)) return true;
        free[w] = 1;
      }
      chosen[i] = -1;
      return false;
    };
    if (!tryFrom(0)) return false;
    const running = vcpus.filter((v) => v.runnable).length;
    for (let i = 0; i < vcpus.length; i++) {
      const v = vcpus[i];
      const w = chosen[i];
      this.reserved[w] = v;
      v.planned = w;
      this.unitEnd[w] = Math.min(this.roundEnd, now + this.core.capLimit(v, now, running));
    }
    return true;
  }

  /** Take a unit off the plan (its cap ran out): every member stops now. */
  private dropUnit(v: VcpuState, caller: number): void {
    const members = isGang(v.vm) ? v.vm.vcpus : [v];
    for (const m of members) {
      const w = m.planned;
      if (w < 0) continue;
      this.reserved[w] = null;
      m.planned = -1;
      if (w !== caller) this.core.kick(w);
    }
  }

  private bestFiller(worker: number): VcpuState | null {
    const cur = this.core.current(worker);
    let best: VcpuState | null = null;
    for (const vm of this.vms) {
      if (isGang(vm) || vm.parked) continue;
      for (const v of vm.vcpus) {
        if (!v.runnable || v.allowed[worker] === 0 || v.planned >= 0) continue;
        if (v.worker >= 0 && v !== cur) continue;
        if (best === null || v.credit > best.credit) best = v;
      }
    }
    return best;
  }

  private setFiller(worker: number, v: VcpuState | null): void {
    const old = this.filler[worker];
    if (old !== null && old !== v && old.planned === worker) old.planned = -1;
    this.filler[worker] = v;
    if (v !== null) v.planned = worker;
  }

  private anyRunnable(): boolean {
    return this.vms.some((vm) => vm.vcpus.some((v) => v.runnable));
  }
}

function isGang(vm: VmState): boolean {
  return vm.gang && vm.vcpus.length > 1;
}

function meanCredit(vcpus: readonly VcpuState[]): number {
  let sum = 0;
  for (const v of vcpus) sum += v.credit;
  return sum / vcpus.length;
}
