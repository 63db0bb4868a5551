/**
 * Cost of a tracepoint check in a tight loop: no check, disabled (the hot-path pattern),
 * the shared-flag variant, and enabled in count and trace modes.
 *   node --import tsx packages/perf/bench/disabled-tracepoint.ts [iterations]
 */
import { Tracer } from "../src/index.js";

const iterations = Number(process.argv[2] ?? 50_000_000);
const tracer = new Tracer({ vcpus: 1, ringCapacity: 65536 });
const trap = tracer.tracepoint("hart.trap");
const flags = tracer.registry.flags;
const trapId = trap.id;

function baseline(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = (Math.imul(acc, 31) + i) | 0;
  return acc;
}

function guarded(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = (Math.imul(acc, 31) + i) | 0;
    if (trap.enabled) trap.emit(0, 1, acc & 15, i, 0, 0, 0, 1);
  }
  return acc;
}

function guardedByFlag(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = (Math.imul(acc, 31) + i) | 0;
    if (flags[trapId] !== 0) trap.emit(0, 1, acc & 15, i, 0, 0, 0, 1);
  }
  return acc;
}

/** Best of several runs: the machine may be busy, the minimum is the code's own cost. */
function guardedAt(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = (Math.imul(acc, 31) + i) | 0;
    if (trap.enabled) trap.emitAt(i, 0, 1, acc & 15, i, 0, 0, 0, 1);
  }
  return acc;
}

function measure(label: string, run: (n: number) => number, n: number): void {
  for (let round = 0; round < 5; round++) run(Math.min(n, 1_000_000)); // reach the optimizing tier
  let best = Number.POSITIVE_INFINITY;
  let result = 0;
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    result = run(n);
    best = Math.min(best, ((performance.now() - started) * 1e6) / n);
  }
  console.log(`${label.padEnd(34)} ${best.toFixed(3).padStart(8)} ns/iter  (${result & 1})`);
}

console.log(`${iterations} iterations`);
measure("no check", baseline, iterations);
measure("disabled: if (tp.enabled)", guarded, iterations);
measure("disabled: if (flags[id])", guardedByFlag, iterations);
tracer.enable("hart.trap", "count");
measure("enabled, count mode", guarded, iterations / 10);
tracer.enable("hart.trap", "trace");
measure("enabled, trace mode, host clock", guarded, iterations / 10);
measure("enabled, trace mode, emitAt", guardedAt, iterations / 10);
tracer.disable("hart.trap");
measure("disabled again", guarded, iterations);
