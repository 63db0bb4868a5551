import type { SchedulerCore } from "./scheduler.js";
import type { VcpuState, VmState } from "./state.js";

/** A policy's answer for one worker: the vCPU to run (or null to idle) and for how long. */
export interface Choice {
  readonly vcpu: VcpuState | null;
  readonly runNs: number;
}

/**
 * A scheduling policy. The core owns accounting, switching and tracing; a policy only chooses,
 * and asks the core to `kick` workers whose choice it has changed.
 */
export interface SchedPolicy {
  readonly name: string;
  attach(core: SchedulerCore): void;
  addVm(vm: VmState): void;
  /** A vCPU joined a VM already added (it migrated here); without this, the core refuses that. */
  addVcpu?(vcpu: VcpuState): void;
  choose(worker: number, now: number): Choice;
  onWake(vcpu: VcpuState, now: number): void;
  onBlock(vcpu: VcpuState, now: number): void;
  /** A cap period began: parked VMs may run again. */
  onRefill(now: number): void;
  /** The vCPU spins; returns whether a reschedule is worth it. */
  onYield(vcpu: VcpuState, now: number): boolean;
  /** The vCPU spins waiting for `target`; returns whether the target was helped. */
  onDirectedYield(vcpu: VcpuState, target: VcpuState, now: number): boolean;
}
