import type { TracerThreadPort } from "@monovisor/perf";
import type { HartState } from "../hart/hart-state.js";
import type { VmStats } from "../sched/types.js";

/**
 * The fast words, per published register: its value (-1: ask the main thread), control writes
 * to its device posted by the workers, and those the main thread has done. The value is current
 * while the two counts agree.
 */
export const FAST_WORDS = 3;
export const FAST_VALUE = 0;
export const FAST_POSTED = 1;
export const FAST_DONE = 2;

/** A device window of the VM as a worker maps it (index = position in the list). */
export interface VcpuWorkerRegion {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** Offset of the one-byte register read from the fast words, or -1. */
  readonly fastOffset: number;
  /** Index of that register's word in the fast words (-1 in the word: ask the main thread). */
  readonly fastWord: number;
}

/** What a pool worker starts from (structured-cloned; the pool block is shared). */
export interface VcpuWorkerInit {
  readonly workerIndex: number;
  /** Workers in the pool. */
  readonly workers: number;
  readonly pool: SharedArrayBuffer;
  /** `credit`: the hv-core Scheduler shares the worker; `gang`: VMs take clock-aligned slots. */
  readonly policy: "credit" | "gang";
  /** The scheduler's time slice, in ns. */
  readonly timesliceNs: number;
  /** Host time (`performance.timeOrigin + performance.now()`) the pool's scheduling clock starts at. */
  readonly epochMs: number;
  /** Instructions between looks at posted events. */
  readonly sliceInstructions: number;
  /** Under `credit`, `pause` hands the worker to another runnable vCPU. */
  readonly pauseYield: boolean;
  /** Under `credit`, idle workers take waiting vCPUs from busy ones. */
  readonly balance: boolean;
}

/** One VM's harts for one worker (structured-cloned; buffers are shared). */
export interface VcpuVmInit {
  readonly vmId: number;
  /** Under the pool's gang policy: the VM has slots of its own (else it shares the open slot). */
  readonly gang: boolean;
  readonly weight?: number;
  readonly cap?: number;
  readonly pool: SharedArrayBuffer;
  readonly memory: WebAssembly.Memory;
  readonly ramBase: number;
  readonly ramSize: number;
  readonly hartCount: number;
  /** Harts this worker runs, and their states at start (same order). */
  readonly localHarts: readonly number[];
  readonly hartStates: readonly HartState[];
  /** Hard affinity per hart (all harts of the VM): the workers it may move to; missing = any. */
  readonly affinity: readonly (readonly number[] | undefined)[];
  /** Set when the harts come from another worker (load balancing), which ran them last. */
  readonly migratedFrom?: number;
  readonly control: SharedArrayBuffer;
  /** The VM's exit ring (shared by its workers), its reply slots, and this worker's slot. */
  readonly ring: SharedArrayBuffer;
  readonly replySlots: number;
  readonly replySlot: number;
  readonly fast: SharedArrayBuffer;
  readonly regions: readonly VcpuWorkerRegion[];
  readonly frequencyHz: number;
  readonly clockOriginMs: number;
  /** No M-mode firmware: an exception reaching M-mode ends the run as a crash. */
  readonly mTrapsFatal: boolean;
  /** The hypervisor serves SBI (undefined: firmware in the guest does). */
  readonly sbi?: { readonly sstc: boolean; readonly sharedState: SharedArrayBuffer };
  /** The VM's tracer, lent to this worker: its harts, SBI and scheduler emit into it. */
  readonly trace?: TracerThreadPort;
  /**
   * Guest PC sampling: after every `everyInstructions` (or fewer) a hart runs, a record with
   * its hart ID, pc and privilege goes into this `TraceRing` (its own, read by the main thread).
   */
  readonly samples?: { readonly ring: SharedArrayBuffer; readonly everyInstructions: number };
}

/**
 * What the main thread posts to a worker (then bumps its mail word and wakes it): a VM's harts
 * to run, or one more hart of a VM it runs already, moved from another worker.
 */
export type VcpuWorkerRequest =
  | { readonly type: "attach"; readonly vm: VcpuVmInit }
  | {
      readonly type: "adopt";
      readonly vm: number;
      readonly hart: number;
      readonly state: HartState;
      readonly from: number;
    };

/** What a vCPU worker tells the main thread; `vm` -1: the worker itself failed. */
export type VcpuWorkerMessage =
  | { readonly type: "crash"; readonly vm: number; readonly message: string }
  | { readonly type: "error"; readonly vm: number; readonly message: string }
  | {
      readonly type: "done";
      readonly vm: number;
      /** The harts the worker ran at the end, and their states. */
      readonly harts: readonly number[];
      readonly states: readonly HartState[];
      readonly sched: VmStats | undefined;
    }
  /** The worker gave a hart to idle worker `to` (load balancing); forward it there. */
  | {
      readonly type: "migrate";
      readonly vm: number;
      readonly hart: number;
      readonly state: HartState;
      readonly to: number;
    }
  /** An `adopt` came after the worker had let the VM go: the hart's state comes back. */
  | { readonly type: "returned"; readonly vm: number; readonly hart: number; readonly state: HartState };
