import type { Choice, SchedPolicy } from "../sched/policy.js";
import type { SchedulerCore } from "../sched/scheduler.js";
import type { VcpuState, VmState } from "../sched/state.js";

/** The id in a pool's slot table of the slot that belongs to the VMs not gang-scheduled. */
export const OPEN_SLOT = 0;

/**
 * One worker's share of a gang-scheduled pool. Time is cut into slots of `sliceNs` on the clock
 * every worker shares, and `slotOf(now)` says whose slot it is (the same answer on every
 * worker): a gang VM's id, {@link OPEN_SLOT}, or -1 for none. In a gang VM's slot a worker runs
 * that VM's vCPU, so all its vCPUs run together; other gang VMs never run outside their own
 * slots. A worker with nothing of the slot's VM to run (none placed here, or it waits in `wfi`),
 * and every worker in the open slot, runs the VMs that are not gang-scheduled, longest waiting
 * first. The scheduler core does the accounting, so steal time and tracing work as under credit.
 */
export class GangSlotPolicy implements SchedPolicy {
  readonly name: string = "gang";
  private core!: SchedulerCore;
  private readonly vms = new Map<number, VmState>();
  private readonly fillers: VcpuState[] = [];

  constructor(
    private readonly slotOf: (now: number) => number,
    private readonly sliceNs: number,
  ) {}

  attach(core: SchedulerCore): void {
    this.core = core;
  }

  addVm(vm: VmState): void {
    this.vms.set(vm.id, vm);
    if (!vm.gang) this.fillers.push(...vm.vcpus);
  }

  addVcpu(v: VcpuState): void {
    if (!v.vm.gang) this.fillers.push(v);
  }

  choose(worker: number, now: number): Choice {
    const runNs = (Math.floor(now / this.sliceNs) + 1) * this.sliceNs - now;
    const slot = this.slotOf(now);
    const owner = slot === OPEN_SLOT ? undefined : this.vms.get(slot);
    if (owner?.gang === true) {
      for (const v of owner.vcpus) {
        if (v.runnable && !owner.parked && v.allowed[worker] === 1 && (v.worker < 0 || v.worker === worker))
          return { vcpu: v, runNs };
      }
    }
    const cur = this.core.current(worker);
    let best: VcpuState | null = null;
    for (const v of this.fillers) {
      if (v.allowed[worker] === 0 || !(v.waiting || (v === cur && v.runnable && !v.vm.parked))) continue;
      // The one running counts as the newest waiter, so fillers take turns slot by slot.
      if (best === null || waitedSince(v, cur) < waitedSince(best, cur)) best = v;
    }
    if (best !== null) return { vcpu: best, runNs };
    // Idle: until the next slot if a gang vCPU here waits for its own, else until a wake.
    for (const vm of this.vms.values()) {
      for (const v of vm.vcpus) if (v.runnable && v.allowed[worker] === 1) return { vcpu: null, runNs };
    }
    return { vcpu: null, runNs: Number.POSITIVE_INFINITY };
  }

  onWake(v: VcpuState): void {
    // The vCPU's worker looks again at its next slot boundary or sooner: a wake posts to it.
    if (v.worker < 0) for (let w = 0; w < this.core.workers; w++) if (this.core.isIdle(w)) this.core.kick(w);
  }

  onBlock(): void {}

  onRefill(): void {}

  /** Siblings of a gang run at the same time anyway; a filler keeps its slot. */
  onYield(): boolean {
    return false;
  }

  onDirectedYield(): boolean {
    return false;
  }
}

function waitedSince(v: VcpuState, cur: VcpuState | null): number {
  return v === cur ? Number.POSITIVE_INFINITY : v.waitSince;
}
