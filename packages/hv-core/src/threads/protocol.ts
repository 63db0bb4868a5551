import type { HartState } from "../hart/hart-state.js";
import type { SchedStats } from "../sched/types.js";

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

/** Everything a vCPU worker starts from (structured-cloned; buffers are shared). */
export interface VcpuWorkerInit {
  readonly workerIndex: number;
  readonly workerCount: number;
  readonly memory: WebAssembly.Memory;
  readonly ramBase: number;
  readonly ramSize: number;
  readonly hartCount: number;
  /** Harts this worker runs, and their states at start (same order). */
  readonly localHarts: readonly number[];
  readonly hartStates: readonly HartState[];
  readonly control: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly fast: SharedArrayBuffer;
  readonly regions: readonly VcpuWorkerRegion[];
  readonly frequencyHz: number;
  readonly clockOriginMs: number;
  /** Instructions between looks at posted events. */
  readonly sliceInstructions: number;
  /** The scheduler's time slice for harts sharing this worker, in ns. */
  readonly timesliceNs: number;
  /** No M-mode firmware: an exception reaching M-mode ends the run as a crash. */
  readonly mTrapsFatal: boolean;
  /** The hypervisor serves SBI (undefined: firmware in the guest does). */
  readonly sbi?: { readonly sstc: boolean; readonly sharedState: SharedArrayBuffer };
}

/** What a vCPU worker tells the main thread. */
export type VcpuWorkerMessage =
  | { readonly type: "crash"; readonly message: string }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "done"; readonly states: readonly HartState[]; readonly sched: SchedStats };
