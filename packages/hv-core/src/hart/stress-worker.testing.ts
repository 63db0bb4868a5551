/**
 * Worker-thread side of the cross-thread atomics test (shared-threads.test.ts): wraps the VM's
 * shared memory, builds hart `hartId` over it, reports ready, waits for the start signal so that
 * every worker runs at once, then runs the hart until it executes `wfi`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { MmioBus } from "../memory/bus.js";
import { GuestMemory, type GuestMemoryLayout } from "../memory/guest-memory.js";
import { WallClock } from "../time/clock.js";
import { Hart, warmUpInterpreter } from "./hart.js";

export interface StressWorkerData {
  memory: WebAssembly.Memory;
  layout: GuestMemoryLayout;
  hartId: number;
  entry: number;
  /** `mtvec`: where a trap goes (the test puts a `wfi` there, so a trap ends the run). */
  trapVector: number;
  /** Initial a0, a1, ... */
  args: number[];
  /** Int32 word 0 becomes non-zero when the workers may start. */
  start: SharedArrayBuffer;
  /** The main thread's {@link WallClock.originMs}. */
  clockOriginMs: number;
  /** Give up after running this long (ms), so a guest deadlocked by a broken atomic still reports. */
  timeLimitMs: number;
}

export type StressWorkerMessage =
  | {
      kind: "ready";
      /** This thread's clock reading just before it reported ready. */
      ticks: number;
    }
  | {
      kind: "done";
      retired: number;
      /** False when the time limit ended the run before the hart reached `wfi`. */
      finished: boolean;
      /** `mcause` at the end: 0 unless the program trapped. */
      mcause: number;
    };

const data = workerData as StressWorkerData;
const port = parentPort;
if (port === null) throw new Error("stress worker: not started as a worker thread");

const memory = GuestMemory.fromMemory(data.memory, data.layout);
const clock = new WallClock(10_000_000, data.clockOriginMs);
const hart = new Hart({ memory, bus: new MmioBus(), clock, hartId: data.hartId });
hart.reset(data.entry);
hart.csrLoArr[0x305] = data.trapVector | 0;
for (const [i, value] of data.args.entries()) hart.setX(10 + i, value);
// Warm up now rather than in the first run, so the harts' loops start together.
warmUpInterpreter();

const post = (message: StressWorkerMessage) => port.postMessage(message);
post({ kind: "ready", ticks: clock.now() });
Atomics.wait(new Int32Array(data.start), 0, 0);

let retired = 0;
const deadline = performance.now() + data.timeLimitMs;
while (!hart.waiting && performance.now() < deadline) retired += hart.run(100_000);
post({ kind: "done", retired, finished: hart.waiting, mcause: hart.csrLoArr[0x342] });
