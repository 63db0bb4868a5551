/** A VM as the scheduler sees it. */
export interface VmSpec {
  /** Unique id; also the `prevVm` value in `sched.switch`. */
  readonly id: number;
  readonly name?: string;
  readonly vcpus: number;
  /** Proportional share; 256 is the default (as in Xen). */
  readonly weight?: number;
  /** Ceiling in percent of one worker (200 = two full workers); 0 means none. */
  readonly cap?: number;
  /** Under the gang policy, run this VM's vCPUs together. Defaults to true for SMP VMs. */
  readonly gang?: boolean;
  /** Hard affinity per vCPU: the workers it may run on; missing or undefined means all. */
  readonly affinity?: readonly (readonly number[] | undefined)[];
  /** vCPUs that start blocked (e.g. secondary harts before SBI HSM start). */
  readonly blocked?: readonly number[];
  /**
   * vCPU numbers `sched.*` records carry, by index (default: the index). A vCPU thread that
   * schedules some of a VM's harts passes their hart IDs, as the VM's tracer numbers them.
   */
  readonly traceIds?: readonly number[];
}

/** What a worker runs next, and for how long at most before it asks again. */
export interface PickResult {
  /** VM id, or -1 when the worker should idle. */
  readonly vm: number;
  /** vCPU index in its VM, or -1 when idle. */
  readonly vcpu: number;
  /** Nanoseconds until the next `pick` on this worker; Infinity when only an event can help. */
  readonly runNs: number;
}

export type SwitchReason = "preempt" | "block" | "yield" | "exit";
export type BlockReason = "wfi" | "hsm-stop" | "hsm-suspend" | "pause" | "io";
export type WakeReason = "irq" | "timer" | "ipi" | "hsm-start" | "resume" | "kick";

/** Decisions as plain data, for tests and tools (the tracepoints carry the same facts). */
export type SchedEvent =
  | {
      readonly kind: "switch";
      readonly t: number;
      readonly worker: number;
      readonly vm: number;
      readonly vcpu: number;
      readonly prevVm: number;
      readonly prevVcpu: number;
      /** Whether the switched-out vCPU could still have run. */
      readonly prevRunnable: boolean;
      readonly reason: SwitchReason;
    }
  | { readonly kind: "idle"; readonly t: number; readonly worker: number }
  | {
      readonly kind: "block";
      readonly t: number;
      readonly vm: number;
      readonly vcpu: number;
      readonly reason: BlockReason;
    }
  | {
      readonly kind: "wake";
      readonly t: number;
      readonly vm: number;
      readonly vcpu: number;
      readonly reason: WakeReason;
      readonly waker: number;
    }
  | {
      readonly kind: "migrate";
      readonly t: number;
      readonly vm: number;
      readonly vcpu: number;
      readonly from: number;
      readonly to: number;
    }
  | {
      readonly kind: "steal";
      readonly t: number;
      readonly vm: number;
      readonly vcpu: number;
      readonly worker: number;
      readonly durNs: number;
    };

export interface VcpuStats {
  readonly vm: number;
  readonly vcpu: number;
  /** Its number in trace records (`VmSpec.traceIds`; the hart ID on vCPU threads). */
  readonly traceId: number;
  readonly cpuNs: number;
  /** Runnable but not running (including time parked by a cap). */
  readonly stealNs: number;
  readonly switches: number;
  readonly migrations: number;
  readonly credit: number;
}

export interface VmStats {
  readonly id: number;
  readonly name: string;
  readonly cpuNs: number;
  readonly stealNs: number;
  readonly vcpus: readonly VcpuStats[];
}

export interface SchedStats {
  readonly policy: string;
  readonly switches: number;
  readonly migrations: number;
  readonly vms: readonly VmStats[];
}
