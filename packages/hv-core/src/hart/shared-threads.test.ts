import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../memory/guest-memory.js";
import { WallClock } from "../time/clock.js";
import type { StressWorkerData, StressWorkerMessage } from "./stress-worker.testing.js";
import * as A from "./test-asm.testing.js";
import { program, RAM_BASE, read64, write64 } from "./test-asm.testing.js";

const WORKERS = 2;
const ITERATIONS = 100_000;
const ENTRY = RAM_BASE;
const TRAP = RAM_BASE + 0x800;
const DATA = RAM_BASE + 0x1000;
// Counters in one cache line, so the harts contend as hard as they can.
const A_W = DATA; // amoadd.w
const B_D = DATA + 8; // amoadd.d
const C_D = DATA + 16; // lr.d/sc.d loop
const D_D = DATA + 24; // plain ld/addi/sd under the spinlock
const LOCK = DATA + 32;
/** B starts just below 2^32 so its additions carry into the high word. */
const B_START = 0xffff_ff00n;

// Registers.
const BASE = 10; // a0: DATA
const COUNT = 11; // a1: iterations
const ONE = 5;
const T1 = 6;
const T2 = 7;
const LEFT = 28;
const PB = 18;
const PC = 19;
const PD = 20;
const PL = 21;

/** `body` run COUNT times (every instruction here is 4 bytes). */
function counted(body: number[]): number[] {
  return [A.addi(LEFT, COUNT, 0), ...body, A.addi(LEFT, LEFT, -1), A.bne(LEFT, 0, -4 * (body.length + 1))];
}

/**
 * Each hart bumps A, B, C and D COUNT times each, one counter per loop so that the harts hammer
 * the same word at the same time, then executes `wfi`.
 */
function stressProgram(): number[] {
  return [
    A.addi(ONE, 0, 1),
    A.addi(PB, BASE, 8),
    A.addi(PC, BASE, 16),
    A.addi(PD, BASE, 24),
    A.addi(PL, BASE, 32),
    ...counted([A.amoadd_w(0, ONE, BASE)]),
    ...counted([A.amoadd_d(0, ONE, PB)]),
    ...counted([
      A.lr_d(T1, PC),
      A.addi(T1, T1, 1),
      A.sc_d(T2, T1, PC),
      A.bne(T2, 0, -12), // sc.d failed: from the lr.d again
    ]),
    ...counted([
      A.amoswap_w(T1, ONE, PL, 1), // lock, acquire
      A.bne(T1, 0, -4),
      A.ld(T1, PD, 0),
      A.addi(T1, T1, 1),
      A.sd(T1, PD, 0),
      0x0310000f, // fence rw,w
      A.sw(0, PL, 0), // unlock
    ]),
    A.wfi(),
  ];
}

function startWorker(data: StressWorkerData): Worker {
  // Workers start without vitest's transform: the .mjs entry has tsx load the TypeScript.
  return new Worker(new URL("./stress-worker.testing.mjs", import.meta.url), {
    workerData: data,
    execArgv: ["--conditions=source"],
  });
}

/** The worker's message of `kind`; rejects if the worker fails or exits before sending it. */
function message<K extends StressWorkerMessage["kind"]>(
  worker: Worker,
  kind: K,
): Promise<Extract<StressWorkerMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    worker.on("message", (m: StressWorkerMessage) => {
      if (m.kind === kind) resolve(m as Extract<StressWorkerMessage, { kind: K }>);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`stress worker exited (${code}) before "${kind}"`)));
  });
}

describe("harts on worker threads over one shared memory", () => {
  it(`${WORKERS} threads × ${ITERATIONS} iterations of amoadd.w, amoadd.d, lr.d/sc.d and a spinlock lose no update`, async () => {
    const mem = new GuestMemory({ ramSize: 1 << 20, hartCount: WORKERS, shared: true });
    const clock = new WallClock();
    mem.writeBytes(ENTRY, program(stressProgram()));
    mem.writeBytes(TRAP, program([A.wfi(), A.jal(0, -4)]));
    write64(mem, B_D, B_START);
    const start = new SharedArrayBuffer(4);
    const beforeTicks = clock.now();
    const workers = Array.from({ length: WORKERS }, (_, hartId) =>
      startWorker({
        memory: mem.memory,
        layout: mem.layout,
        hartId,
        entry: ENTRY,
        trapVector: TRAP,
        args: [DATA, ITERATIONS],
        start,
        clockOriginMs: clock.originMs,
        timeLimitMs: 8000,
      }),
    );
    const readyMessages = workers.map((w) => message(w, "ready"));
    const doneMessages = workers.map((w) => message(w, "done"));
    try {
      // Start them together, once all are loaded and warm, so their loops overlap.
      const ready = await Promise.all(readyMessages);
      const readyBy = clock.now();
      Atomics.store(new Int32Array(start), 0, 1);
      Atomics.notify(new Int32Array(start), 0);
      const results = await Promise.all(doneMessages);

      const total = BigInt(WORKERS * ITERATIONS);
      expect({
        harts: results.map((r) => ({ finished: r.finished, mcause: r.mcause })),
        a: read64(mem, A_W) & 0xffff_ffffn,
        b: read64(mem, B_D),
        c: read64(mem, C_D),
        d: read64(mem, D_D),
        lock: read64(mem, LOCK),
      }).toEqual({
        harts: Array(WORKERS).fill({ finished: true, mcause: 0 }),
        a: total,
        b: B_START + total,
        c: total,
        d: total,
        lock: 0n,
      });
      // The workers' clocks, built on this thread's origin, read this thread's time.
      for (const r of ready) {
        expect(r.ticks).toBeGreaterThanOrEqual(beforeTicks - 10);
        expect(r.ticks).toBeLessThanOrEqual(readyBy + 10);
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
