import type { Tracer } from "@monovisor/perf";
import type { SchedPolicy } from "./policy.js";
import { Scheduler } from "./scheduler.js";
import type { SchedEvent, SchedStats, VmSpec } from "./types.js";

/** What a synthetic vCPU does: compute forever, or compute `runNs` of CPU then sleep `blockNs`. */
export type Workload =
  | { readonly kind: "busy" }
  | { readonly kind: "blocking"; readonly runNs: number; readonly blockNs: number };

export interface SimVm extends VmSpec {
  /** One workload for all vCPUs, or one per vCPU; busy by default. */
  readonly workload?: Workload | readonly Workload[];
}

export interface SimulateOptions {
  readonly workers: number;
  readonly vms: readonly SimVm[];
  readonly durationNs: number;
  readonly sliceNs?: number;
  readonly rateLimitNs?: number;
  readonly capPeriodNs?: number;
  readonly policy?: "credit" | "gang" | SchedPolicy;
  readonly tracer?: Tracer;
  /** Keep run segments and scheduler events (for checking invariants). */
  readonly record?: boolean;
}

/** A vCPU ran on a worker over [start, end). */
export interface Segment {
  readonly worker: number;
  readonly vm: number;
  readonly vcpu: number;
  readonly start: number;
  readonly end: number;
}

export interface SimVcpuResult {
  readonly vm: number;
  readonly vcpu: number;
  readonly cpuNs: number;
  readonly stealNs: number;
  /** Time the workload wanted to run, measured by the harness, not the scheduler. */
  readonly runnableNs: number;
  readonly switches: number;
  readonly migrations: number;
}

export interface SimResult {
  readonly durationNs: number;
  readonly vms: readonly {
    readonly id: number;
    readonly cpuNs: number;
    readonly vcpus: readonly SimVcpuResult[];
  }[];
  readonly idleNs: readonly number[];
  readonly switches: number;
  readonly migrations: number;
  readonly stats: SchedStats;
  readonly scheduler: Scheduler;
  readonly segments: readonly Segment[];
  readonly events: readonly SchedEvent[];
}

interface SimVcpu {
  readonly vm: number;
  readonly index: number;
  readonly load: Workload;
  runnable: boolean;
  /** CPU left in the current burst (blocking workloads). */
  burstLeft: number;
  wakeAt: number;
  runnableSince: number;
  runnableNs: number;
}

/** Ignore time differences below this (cap budgets divide, so times are not always integers). */
const EPS = 1e-6;

/**
 * Drives a `Scheduler` with synthetic vCPUs on a simulated clock: a discrete-event loop that
 * calls `pick` on a worker when its run limit expires, its vCPU blocks, or the scheduler kicks
 * it. Deterministic: the same options give the same result.
 */
export function simulate(options: SimulateOptions): SimResult {
  const segments: Segment[] = [];
  const events: SchedEvent[] = [];
  const pending = new Set<number>();
  const sched = new Scheduler({
    workers: options.workers,
    policy: options.policy,
    sliceNs: options.sliceNs,
    rateLimitNs: options.rateLimitNs,
    capPeriodNs: options.capPeriodNs,
    onKick: (w) => pending.add(w),
    onEvent: options.record === true ? (e) => events.push(e) : undefined,
  });
  if (options.tracer !== undefined) sched.attachTracer(options.tracer);
  const sims = new Map<string, SimVcpu>();
  const key = (vm: number, vcpu: number) => `${vm}:${vcpu}`;
  const blockedAtStart = new Set<string>();
  for (const spec of options.vms) {
    for (const i of spec.blocked ?? []) blockedAtStart.add(key(spec.id, i));
    for (let i = 0; i < spec.vcpus; i++) {
      const w = spec.workload;
      const load: Workload =
        w === undefined ? { kind: "busy" } : "kind" in w ? w : (w[i] ?? { kind: "busy" });
      const runnable = !blockedAtStart.has(key(spec.id, i));
      sims.set(key(spec.id, i), {
        vm: spec.id,
        index: i,
        load,
        runnable,
        burstLeft: load.kind === "blocking" ? load.runNs : Number.POSITIVE_INFINITY,
        wakeAt: Number.POSITIVE_INFINITY,
        runnableSince: 0,
        runnableNs: 0,
      });
    }
  }
  for (const spec of options.vms) sched.addVm(spec, 0);

  const workers = options.workers;
  const cur: (SimVcpu | null)[] = new Array(workers).fill(null);
  const segStart = new Float64Array(workers);
  const deadline = new Float64Array(workers).fill(Number.POSITIVE_INFINITY);
  const idleNs = new Float64Array(workers);
  const end = options.durationNs;
  const record = options.record === true;
  let t = 0;
  for (let w = 0; w < workers; w++) pending.add(w);

  const closeSegment = (w: number) => {
    const v = cur[w];
    if (v !== null && record && t > segStart[w]) {
      segments.push({ worker: w, vm: v.vm, vcpu: v.index, start: segStart[w], end: t });
    }
  };
  const repick = (w: number) => {
    closeSegment(w);
    const res = sched.pick(w, t);
    cur[w] = res.vm < 0 ? null : (sims.get(key(res.vm, res.vcpu)) ?? null);
    segStart[w] = t;
    deadline[w] = t + res.runNs;
  };

  for (;;) {
    // Settle every decision at this instant before time moves.
    for (let guard = 0; pending.size > 0; guard++) {
      if (guard > 100 * workers + 1000) throw new Error(`simulate: scheduler keeps kicking at t=${t}`);
      const w = Math.min(...pending);
      pending.delete(w);
      repick(w);
    }
    let next = end;
    for (let w = 0; w < workers; w++) {
      next = Math.min(next, deadline[w]);
      const v = cur[w];
      if (v !== null) next = Math.min(next, t + v.burstLeft);
    }
    for (const v of sims.values()) next = Math.min(next, v.wakeAt);
    const dt = next - t;
    for (let w = 0; w < workers; w++) {
      const v = cur[w];
      if (v === null) idleNs[w] += dt;
      else v.burstLeft -= dt;
    }
    t = next;
    if (t >= end - EPS) break;
    for (const v of sims.values()) {
      if (v.wakeAt <= t + EPS) {
        v.wakeAt = Number.POSITIVE_INFINITY;
        v.runnable = true;
        v.runnableSince = t;
        sched.wake(v.vm, v.index, t, "timer");
      }
    }
    for (let w = 0; w < workers; w++) {
      const v = cur[w];
      if (v !== null && v.load.kind === "blocking" && v.burstLeft <= EPS) {
        v.runnable = false;
        v.runnableNs += t - v.runnableSince;
        v.burstLeft = v.load.runNs;
        v.wakeAt = t + v.load.blockNs;
        sched.block(v.vm, v.index, t, "wfi");
        pending.add(w);
      }
      if (deadline[w] <= t + EPS) pending.add(w);
    }
  }
  t = end;
  for (let w = 0; w < workers; w++) closeSegment(w);
  sched.settle(end);
  for (const v of sims.values()) if (v.runnable) v.runnableNs += end - v.runnableSince;

  const stats = sched.stats();
  return {
    durationNs: end,
    vms: stats.vms.map((vm) => ({
      id: vm.id,
      cpuNs: vm.cpuNs,
      vcpus: vm.vcpus.map((s) => ({
        vm: s.vm,
        vcpu: s.vcpu,
        cpuNs: s.cpuNs,
        stealNs: s.stealNs,
        runnableNs: sims.get(key(s.vm, s.vcpu))?.runnableNs ?? 0,
        switches: s.switches,
        migrations: s.migrations,
      })),
    })),
    idleNs: Array.from(idleNs),
    switches: stats.switches,
    migrations: stats.migrations,
    stats,
    scheduler: sched,
    segments,
    events,
  };
}
