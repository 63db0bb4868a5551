import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import {
  kickWorker,
  MAX_GANG_VMS,
  P_GANG_COUNT,
  P_GANG_IDS,
  poolBlockBytes,
  W_MAIL,
  workerWordIndex,
} from "./control.js";
import type { VcpuVmInit, VcpuWorkerInit, VcpuWorkerMessage, VcpuWorkerRequest } from "./protocol.js";
import { OPEN_SLOT } from "./slot-policy.js";

export interface VcpuPoolOptions {
  /** Host worker threads ("pCPUs"), 1..64. */
  readonly workers: number;
  /**
   * `credit` (default): on each worker the hv-core `Scheduler` shares the thread between the
   * vCPUs placed there, by VM weight and cap. `gang`: VMs that ask for it take turns in time
   * slots aligned on the clock every worker shares, so all vCPUs of a VM run at once or not
   * at all (a gang VM needs one worker per vCPU).
   */
  readonly policy?: "credit" | "gang";
  /** Time slice in ns (default 1 ms; under `credit` a quarter of it is the rate limit). */
  readonly timesliceNs?: number;
  /** Instructions a hart runs between looks at posted events (default 20 000). */
  readonly sliceInstructions?: number;
  /**
   * Under `credit`: a hart that executes `pause` (Linux spins with it) gives its worker to
   * another runnable vCPU there at once instead of spinning out its slice (default true).
   */
  readonly pauseYield?: boolean;
  /**
   * Under `credit`: a worker that has run out of work takes a waiting vCPU from the busiest
   * worker (load balancing, default true). Off, harts stay where they were placed.
   */
  readonly balance?: boolean;
}

let sourceWorker: Promise<URL> | undefined;

/**
 * Where the worker's code is: next to the build's index.js, or, when running from TypeScript
 * sources (the `source` condition), a bundle of vcpu-worker.ts made once per process (cached in
 * the temp folder by content): worker threads do not inherit TypeScript loaders.
 */
function workerEntry(): Promise<URL> {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return Promise.resolve(new URL("./vcpu-worker.js", here));
  sourceWorker ??= (async () => {
    const { build } = await import("esbuild");
    const out = await build({
      entryPoints: [fileURLToPath(new URL("./vcpu-worker.ts", here))],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      conditions: ["source"],
      write: false,
    });
    const code = out.outputFiles[0].text;
    const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
    const file = join(tmpdir(), `monovisor-vcpu-worker-${hash}.mjs`);
    if (!existsSync(file)) {
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
    return pathToFileURL(file);
  })();
  return sourceWorker;
}

/** A VM attached to the pool: where its harts run and who hears its workers. */
interface Attached {
  /** Worker of each hart; changes as workers balance load. */
  readonly owners: number[];
  readonly gang: boolean;
  readonly listener: (worker: number, message: VcpuWorkerMessage) => void;
}

/**
 * A fixed pool of vCPU worker threads that VMs share (DESIGN §4). `VcpuThreads` attaches a VM:
 * the pool places each hart on a worker (the least loaded first) and each worker schedules the
 * vCPUs placed on it with the pool's policy. Workers start with the first VM and stay until
 * {@link close}.
 *
 * @example
 * const pool = new VcpuPool({ workers: 1 });
 * const a = new VirtMachine({ ...guest, pool, weight: 512 });
 * const b = new VirtMachine({ ...guest, pool, weight: 256 });
 * await Promise.all([a.run(), b.run()]); // a gets about twice b's CPU time
 * await pool.close();
 */
export class VcpuPool {
  readonly workers: number;
  readonly policy: "credit" | "gang";
  readonly timesliceNs: number;
  readonly sliceInstructions: number;
  readonly pauseYield: boolean;
  readonly balance: boolean;
  /** The pool block: worker wake and mail words, the gang table. */
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private threads: Promise<Worker[]> | undefined;
  /** The workers, once started. */
  private started: Worker[] | undefined;
  private readonly load: number[];
  private readonly vms = new Map<number, Attached>();
  /** VM ids start above OPEN_SLOT. */
  private nextVmId = OPEN_SLOT + 1;
  /** Attached VMs that are not gang-scheduled, under the gang policy. */
  private openVms = 0;
  private readonly epochMs = performance.timeOrigin + performance.now();
  private closed = false;

  constructor(options: VcpuPoolOptions) {
    const { workers } = options;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new RangeError(`a vCPU pool has 1..64 workers, not ${workers}`);
    }
    this.workers = workers;
    this.policy = options.policy ?? "credit";
    this.timesliceNs = options.timesliceNs ?? 1_000_000;
    this.sliceInstructions = options.sliceInstructions ?? 20_000;
    this.pauseYield = options.pauseYield ?? true;
    this.balance = options.balance ?? true;
    if (!(this.timesliceNs >= 10_000)) throw new RangeError("the time slice must be at least 10 µs");
    this.buffer = new SharedArrayBuffer(poolBlockBytes(workers));
    this.words = new Int32Array(this.buffer);
    this.load = new Array(workers).fill(0);
  }

  /**
   * Places `hartCount` harts: each on the least loaded worker it may use, lowest index first.
   * `affinity[i]` lists the workers hart i may run on (hard affinity; missing = any). A gang VM
   * gets distinct workers.
   */
  place(
    hartCount: number,
    gang: boolean,
    affinity: readonly (readonly number[] | undefined)[] = [],
  ): number[] {
    if (gang && hartCount > this.workers) {
      throw new RangeError(
        `a gang of ${hartCount} vCPUs needs as many workers; the pool has ${this.workers}`,
      );
    }
    for (const allowed of affinity) {
      for (const w of allowed ?? []) {
        if (!Number.isInteger(w) || w < 0 || w >= this.workers) {
          throw new RangeError(`affinity names worker ${w}; the pool has workers 0..${this.workers - 1}`);
        }
      }
    }
    const load = this.load.slice();
    const owners: number[] = [];
    for (let i = 0; i < hartCount; i++) {
      const allowed = affinity[i];
      let best = -1;
      for (let w = 0; w < this.workers; w++) {
        if (gang && owners.includes(w)) continue;
        if (allowed !== undefined && !allowed.includes(w)) continue;
        if (best < 0 || load[w] < load[best]) best = w;
      }
      if (best < 0) throw new RangeError(`hart ${i} has no worker it may run on`);
      owners.push(best);
      load[best]++;
    }
    return owners;
  }

  /**
   * Hands a VM's harts to their workers: `inits(vmId)` gives, per worker, what it needs (only
   * workers that run harts of the VM). Messages from those workers about the VM go to
   * `listener`. Returns the VM's id; call {@link release} after its last `done`.
   */
  async attach(
    owners: readonly number[],
    gang: boolean,
    inits: (vmId: number) => Map<number, VcpuVmInit>,
    listener: (worker: number, message: VcpuWorkerMessage) => void,
  ): Promise<number> {
    if (this.closed) throw new Error("the vCPU pool is closed");
    const id = this.nextVmId++;
    if (gang) this.addSlot(id);
    // Under gang scheduling the VMs that are not a gang share a slot of their own.
    else if (this.policy === "gang") {
      if (this.openVms === 0) this.addSlot(OPEN_SLOT);
      this.openVms++;
    }
    for (const w of owners) this.load[w]++;
    this.vms.set(id, { owners: [...owners], gang, listener });
    await this.start();
    for (const [w, vm] of inits(id)) this.post(w, { type: "attach", vm });
    return id;
  }

  /** Posts a request to a worker of the running pool and wakes it. */
  post(worker: number, request: VcpuWorkerRequest): void {
    const threads = this.started;
    if (threads === undefined) throw new Error("the vCPU pool has not started");
    threads[worker].postMessage(request);
    Atomics.add(this.words, workerWordIndex(worker, W_MAIL), 1);
    kickWorker(this.words, worker);
  }

  /** Hart `hart` of VM `vmId` moved to worker `to` (load balancing). */
  moved(vmId: number, hart: number, to: number): void {
    const vm = this.vms.get(vmId);
    if (vm === undefined) return;
    this.load[vm.owners[hart]]--;
    vm.owners[hart] = to;
    this.load[to]++;
  }

  /** Forgets a VM whose workers have all handed its harts back. */
  release(vmId: number): void {
    const vm = this.vms.get(vmId);
    if (vm === undefined) return;
    this.vms.delete(vmId);
    for (const w of vm.owners) this.load[w]--;
    if (vm.gang) this.removeSlot(vmId);
    else if (this.policy === "gang" && --this.openVms === 0) this.removeSlot(OPEN_SLOT);
  }

  /** Appends a slot to the gang table the workers read. */
  private addSlot(id: number): void {
    const count = this.words[P_GANG_COUNT];
    if (count >= MAX_GANG_VMS) {
      throw new RangeError(
        `the pool's gang table is full: ${MAX_GANG_VMS} slots (the VMs that are not gangs share one)`,
      );
    }
    this.words[P_GANG_IDS + count] = id;
    Atomics.store(this.words, P_GANG_COUNT, count + 1);
  }

  private removeSlot(id: number): void {
    const count = this.words[P_GANG_COUNT];
    const ids = Array.from(this.words.subarray(P_GANG_IDS, P_GANG_IDS + count)).filter((g) => g !== id);
    this.words.set(ids, P_GANG_IDS);
    Atomics.store(this.words, P_GANG_COUNT, ids.length);
  }

  /** Stops the workers (VMs still attached lose their threads: stop them first). */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads;
    this.threads = undefined;
    this.started = undefined;
    if (threads !== undefined) await Promise.all((await threads).map((t) => t.terminate()));
  }

  private start(): Promise<Worker[]> {
    this.threads ??= (async () => {
      const url = await workerEntry();
      const workers = Array.from({ length: this.workers }, (_, w) => {
        const init: VcpuWorkerInit = {
          workerIndex: w,
          workers: this.workers,
          pool: this.buffer,
          policy: this.policy,
          timesliceNs: this.timesliceNs,
          epochMs: this.epochMs,
          sliceInstructions: this.sliceInstructions,
          pauseYield: this.pauseYield,
          balance: this.balance,
        };
        const worker = new Worker(url, { workerData: init });
        worker.on("message", (m: VcpuWorkerMessage) => this.dispatch(w, m));
        worker.on("error", (e) => this.fail(w, e instanceof Error ? e.message : String(e)));
        worker.on("exit", (code) => {
          if (!this.closed) this.fail(w, `exited with code ${code}`);
        });
        return worker;
      });
      this.started = workers;
      return workers;
    })();
    return this.threads;
  }

  private dispatch(worker: number, m: VcpuWorkerMessage): void {
    if (m.vm < 0) {
      this.fail(worker, m.type === "error" ? m.message : "failed");
      return;
    }
    this.vms.get(m.vm)?.listener(worker, m);
  }

  /** A worker died: every VM with harts on it ends with the error. */
  private fail(worker: number, message: string): void {
    for (const [id, vm] of this.vms) {
      if (vm.owners.includes(worker)) vm.listener(worker, { type: "error", vm: id, message });
    }
  }
}
