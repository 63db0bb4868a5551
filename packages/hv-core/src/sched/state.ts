import type { VmSpec } from "./types.js";

/** Default weight and the credit a vCPU gets at each reset (ns of CPU at default weight). */
export const DEFAULT_WEIGHT = 256;
export const CREDIT_INIT = 10_000_000;

export class VmState {
  readonly id: number;
  readonly name: string;
  readonly weight: number;
  readonly cap: number;
  readonly gang: boolean;
  readonly vcpus: VcpuState[] = [];
  /** Credit burnt per ns of CPU: inversely proportional to weight. */
  readonly burn: number;
  /** CPU ns used in the current cap period. */
  capUsed = 0;
  /** Out of cap budget until the next period. */
  parked = false;
  /** Tracer slot (index into the scheduler's per-VM tracepoint table). */
  traceSlot = -1;

  constructor(spec: VmSpec, workers: number) {
    if (!(Number.isInteger(spec.vcpus) && spec.vcpus > 0)) throw new RangeError(`vm ${spec.id}: bad vcpus`);
    const weight = spec.weight ?? DEFAULT_WEIGHT;
    if (!(weight > 0)) throw new RangeError(`vm ${spec.id}: weight must be positive`);
    const cap = spec.cap ?? 0;
    if (!(cap >= 0)) throw new RangeError(`vm ${spec.id}: cap must be >= 0`);
    this.id = spec.id;
    this.name = spec.name ?? `vm${spec.id}`;
    this.weight = weight;
    this.cap = cap;
    this.gang = spec.gang ?? spec.vcpus > 1;
    this.burn = DEFAULT_WEIGHT / weight;
    const blocked = new Set(spec.blocked ?? []);
    for (let i = 0; i < spec.vcpus; i++) {
      const allowed = spec.affinity?.[i];
      const vcpu = new VcpuState(this, i, affinityMask(allowed, workers), !blocked.has(i));
      vcpu.traceId = spec.traceIds?.[i] ?? i;
      this.vcpus.push(vcpu);
    }
  }
}

export class VcpuState {
  readonly vm: VmState;
  readonly index: number;
  /** Its number in trace records (see `VmSpec.traceIds`). */
  traceId: number;
  /** allowed[w] is 1 when the vCPU may run on worker w. */
  allowed: Uint8Array;
  runnable: boolean;
  /** Worker running it now, or -1. */
  worker = -1;
  /** Worker it last ran on, or -1 before its first run. */
  lastWorker = -1;
  /** Runqueue it belongs to (credit policy). */
  home = 0;
  credit = CREDIT_INIT;
  cpuNs = 0;
  stealNs = 0;
  switches = 0;
  migrations = 0;
  /** Start of the current wait while runnable and not running. */
  waitSince = 0;
  /** Time up to which its CPU use is charged. */
  chargedAt = 0;
  /** When it was last switched in. */
  startedAt = 0;
  /** A spin hint asked it to give way at the next decision. */
  yielded = false;
  /** Policy scratch: the worker it is planned on this round (gang policy), or -1. */
  planned = -1;
  /** Moved to another scheduler (another vCPU thread): never runnable here again. */
  gone = false;

  constructor(vm: VmState, index: number, allowed: Uint8Array, runnable: boolean) {
    this.vm = vm;
    this.index = index;
    this.traceId = index;
    this.allowed = allowed;
    this.runnable = runnable;
  }

  /** Runnable, not running anywhere, and its VM not parked by a cap. */
  get waiting(): boolean {
    return this.runnable && this.worker < 0 && !this.vm.parked;
  }
}

export function affinityMask(allowed: readonly number[] | undefined, workers: number): Uint8Array {
  const mask = new Uint8Array(workers);
  if (allowed === undefined) {
    mask.fill(1);
    return mask;
  }
  for (const w of allowed) {
    if (!(Number.isInteger(w) && w >= 0 && w < workers)) throw new RangeError(`affinity: no worker ${w}`);
    mask[w] = 1;
  }
  if (!mask.includes(1)) throw new RangeError("affinity: empty set");
  return mask;
}
