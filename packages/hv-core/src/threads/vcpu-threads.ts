import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Hart } from "../hart/hart.js";
import type { InterruptTarget } from "../irq/irq-line.js";
import { MipBit } from "../irq/mip.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import type { SchedStats } from "../sched/types.js";
import { G_DOORBELL, VcpuControl } from "./control.js";
import {
  EXIT_CONSOLE_READ,
  EXIT_CONSOLE_WRITE,
  EXIT_MMIO_READ,
  EXIT_MMIO_WRITE,
  EXIT_SYSTEM_RESET,
  ExitConsumer,
  exitRingBytes,
} from "./exit-ring.js";
import type { VcpuWorkerInit, VcpuWorkerMessage, VcpuWorkerRegion } from "./protocol.js";

/** A device window the vCPU threads reach through exits to this thread. */
export interface ThreadedMmioRegion {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
  /**
   * A one-byte register the vCPU threads may read without a round trip (the UART's LSR, polled
   * once per character of console output): `value()` gives its current contents, or -1 when a
   * read would have side effects. It is published after every batch of exits and on
   * {@link VcpuThreads.publish}.
   */
  readonly fastRead?: { readonly offset: number; readonly value: () => number };
}

export interface VcpuThreadsOptions {
  /** The VM's memory; must be shared (`new GuestMemory({ shared: true, ... })`). */
  readonly memory: GuestMemory;
  /** The VM's harts on this thread: their states start the workers and get the final states back. */
  readonly harts: readonly Hart[];
  /** From {@link VcpuThreads.createControl}. */
  readonly control: VcpuControl;
  readonly regions: readonly ThreadedMmioRegion[];
  /** Time base every thread shares. */
  readonly clock: { readonly frequencyHz: number; readonly originMs: number };
  /** Instructions a hart runs between looks at posted events (default 20 000). */
  readonly sliceInstructions?: number;
  /**
   * Time slice of the scheduler that shares a worker between its harts (credit policy, see
   * `Scheduler`), in ns (default 1 ms; a quarter of it is the rate limit).
   */
  readonly timesliceNs?: number;
  /** No M-mode firmware: an exception reaching M-mode ends the run as a crash. */
  readonly mTrapsFatal: boolean;
  /** The hypervisor serves SBI with this shared state (from `createSbiSharedState`). */
  readonly sbi?: { readonly sstc: boolean; readonly sharedState: SharedArrayBuffer };
  /** SBI console output (DBCN, legacy putchar). */
  consoleWrite(bytes: Uint8Array): void;
  /** SBI console input: fills the start of `into`, returns the count. */
  consoleRead(into: Uint8Array): number;
  /** SBI SRST from a hart; the workers stop their harts themselves. */
  onSystemReset(type: number, reason: number): void;
  /** A hart took a trap nothing can handle (see `fatalTrapMessage`). */
  onCrash(message: string): void;
  /** Called after each batch of exits (device timers may need re-arming). */
  onExits?(): void;
}

/** `Atomics.waitAsync` (Node 16+), which the ES2022 library typings lack. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

let sourceWorker: Promise<URL> | undefined;

/**
 * Where the worker's code is: next to the build's index.js, or, when running from TypeScript
 * sources (the `source` condition), a bundle of vcpu-worker.ts made once per process (cached in the temp folder by content):
 * worker threads do not inherit TypeScript loaders.
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
    const file = join(
      tmpdir(),
      `monovisor-vcpu-worker-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`,
    );
    if (!existsSync(file)) {
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
    return pathToFileURL(file);
  })();
  return sourceWorker;
}

/**
 * Runs a VM's harts on `worker_threads` (DESIGN §4): hart `i` runs on worker `i % threads`, over
 * the VM's shared memory. Each worker serves its harts' SBI calls, MMU and timers itself; the
 * devices stay on this thread, where device-register accesses arrive as exits (writes posted,
 * reads answered). Interrupt controllers on this thread drive the harts through
 * {@link targets}; a worker whose harts all wait in `wfi` sleeps until a deadline or a post.
 *
 * @example
 * const control = VcpuThreads.createControl(2, 2);
 * const plic = new Plic(config, VcpuThreads.targets(control));
 * const threads = new VcpuThreads({ memory, harts, control, regions, clock, ... });
 * setTimeout(() => threads.stop(), 10_000);
 * await threads.run(); // the harts' final states are back in `harts`
 */
export class VcpuThreads {
  private readonly options: VcpuThreadsOptions;
  private readonly consumers: ExitConsumer[] = [];
  private readonly rings: SharedArrayBuffer[] = [];
  private readonly fast: Int32Array;
  private readonly fastRegions: number[] = [];
  private readonly workers: Worker[] = [];
  private readonly pendingOutput: number[] = [];
  private running = false;
  /**
   * Per worker, after {@link run}: its scheduler's accounting (VM 0 = the harts it ran, in
   * hart order): CPU time, steal time (runnable while another hart had the thread), switches.
   */
  readonly schedStats: SchedStats[] = [];

  constructor(options: VcpuThreadsOptions) {
    if (!(options.memory.buffer instanceof SharedArrayBuffer)) {
      throw new Error("vCPU threads need the VM's memory to be shared");
    }
    if (options.harts.length !== options.control.hartCount) {
      throw new Error(
        `the control block is for ${options.control.hartCount} harts, not ${options.harts.length}`,
      );
    }
    this.options = options;
    for (let w = 0; w < options.control.workerCount; w++) {
      const ring = new SharedArrayBuffer(exitRingBytes());
      this.rings.push(ring);
      this.consumers.push(new ExitConsumer(ring));
    }
    options.regions.forEach((r, i) => {
      if (r.fastRead !== undefined) this.fastRegions.push(i);
    });
    this.fast = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, this.fastRegions.length)));
    this.fast.fill(-1);
  }

  /** A control block for `hartCount` harts on `threads` workers (hart i on worker i % threads). */
  static createControl(hartCount: number, threads: number): VcpuControl {
    const workers = Math.max(1, Math.min(threads, hartCount));
    return VcpuControl.create(
      Array.from({ length: hartCount }, (_, i) => i % workers),
      workers,
    );
  }

  /** Interrupt targets for this thread's controllers (PLIC, ACLINT, SSWI): one per hart. */
  static targets(control: VcpuControl): InterruptTarget[] {
    return Array.from({ length: control.hartCount }, (_, id) => ({
      setPending: (mipBit: number, level: boolean) => {
        // SSWI is edge-style: a write of 1 posts SSIP, software clears it in the hart.
        if (mipBit === MipBit.SSIP) {
          if (level) control.postIpi(id);
        } else control.setIrqLevel(id, mipBit, level);
      },
    }));
  }

  /** Publishes the fast-read registers now (e.g. after host input reached the UART). */
  publish(): void {
    const regions = this.options.regions;
    this.fastRegions.forEach((r, word) => {
      Atomics.store(this.fast, word, (regions[r].fastRead as { value: () => number }).value());
    });
  }

  /** Asks the workers to stop; {@link run} resolves once they have. */
  stop(): void {
    this.options.control.requestStop();
  }

  /** Starts the workers and serves their exits until they stop. Rejects if a worker fails. */
  async run(): Promise<void> {
    if (this.running) throw new Error("the vCPU threads are already running");
    this.running = true;
    const o = this.options;
    const control = o.control;
    const regions: VcpuWorkerRegion[] = o.regions.map((r, i) => ({
      name: r.device.name,
      base: r.base,
      size: r.size,
      fastOffset: r.fastRead?.offset ?? -1,
      fastWord: this.fastRegions.indexOf(i),
    }));
    this.publish();
    const url = await workerEntry();
    let failure: Error | undefined;
    let done = 0;
    let signalExit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      signalExit = resolve;
    });
    for (let w = 0; w < control.workerCount; w++) {
      const localHarts = o.harts.filter((h) => control.owner(h.hartId) === w).map((h) => h.hartId);
      const init: VcpuWorkerInit = {
        workerIndex: w,
        workerCount: control.workerCount,
        memory: o.memory.memory,
        ramBase: o.memory.ramBase,
        ramSize: o.memory.ramSize,
        hartCount: o.harts.length,
        localHarts,
        hartStates: localHarts.map((id) => o.harts[id].saveState()),
        control: control.buffer,
        ring: this.rings[w],
        fast: this.fast.buffer as SharedArrayBuffer,
        regions,
        frequencyHz: o.clock.frequencyHz,
        clockOriginMs: o.clock.originMs,
        sliceInstructions: o.sliceInstructions ?? 20_000,
        timesliceNs: o.timesliceNs ?? 1_000_000,
        mTrapsFatal: o.mTrapsFatal,
        sbi: o.sbi,
      };
      const worker = new Worker(url, { workerData: init });
      this.workers.push(worker);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (++done === control.workerCount) signalExit();
      };
      worker.on("message", (m: VcpuWorkerMessage) => {
        if (m.type === "done") {
          m.states.forEach((s, i) => {
            o.harts[localHarts[i]].restoreState(s);
          });
          this.schedStats[w] = m.sched;
          finish();
        } else if (m.type === "crash") o.onCrash(m.message);
        else {
          failure ??= new Error(`vCPU worker ${w}: ${m.message}`);
          control.requestStop();
        }
      });
      worker.on("error", (e) => {
        failure ??= e instanceof Error ? e : new Error(String(e));
        control.requestStop();
        finish();
      });
      worker.on("exit", finish);
    }

    const bell = control.words;
    try {
      let all = false;
      void exited.then(() => {
        all = true;
        Atomics.add(bell, G_DOORBELL, 1);
        Atomics.notify(bell, G_DOORBELL);
      });
      while (!all) {
        const seen = Atomics.load(bell, G_DOORBELL);
        this.serveExits();
        const wait = waitAsync(bell, G_DOORBELL, seen, 250);
        if (wait.async) await wait.value;
      }
      // Exits posted just before the workers stopped (the last console bytes).
      this.serveExits();
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
      this.workers.length = 0;
      this.running = false;
    }
    if (failure !== undefined) throw failure;
  }

  private serveExits(): void {
    const o = this.options;
    let served = 0;
    for (const consumer of this.consumers) served += consumer.drain(this.handleExit);
    if (this.pendingOutput.length > 0) {
      o.consoleWrite(Uint8Array.from(this.pendingOutput));
      this.pendingOutput.length = 0;
    }
    if (served > 0) {
      this.publish();
      o.onExits?.();
    }
  }

  private readonly handleExit = (kind: number, a: number, b: number, c: number, data: Uint8Array): number => {
    const o = this.options;
    switch (kind) {
      case EXIT_MMIO_WRITE:
      case EXIT_MMIO_READ: {
        const region = o.regions[a & 0xffff];
        if (region === undefined) return 0;
        const size = (a >>> 16) as AccessSize;
        // Output the device writes (UART THR) must follow SBI console bytes already queued.
        this.flushOutput();
        if (kind === EXIT_MMIO_READ) {
          const value = region.device.read(b, size) | 0;
          // Published before the reply: the reader may poll the fast register right after.
          if (region.fastRead !== undefined) this.publish();
          return value;
        }
        region.device.write(b, size, c >>> 0);
        return 0;
      }
      case EXIT_CONSOLE_WRITE:
        this.pendingOutput.push(a & 0xff);
        return 0;
      case EXIT_CONSOLE_READ:
        this.flushOutput();
        return o.consoleRead(data.subarray(0, Math.max(0, Math.min(a, data.length))));
      case EXIT_SYSTEM_RESET:
        this.flushOutput();
        o.onSystemReset(a >>> 0, b >>> 0);
        return 0;
      default:
        return 0;
    }
  };

  private flushOutput(): void {
    if (this.pendingOutput.length === 0) return;
    this.options.consoleWrite(Uint8Array.from(this.pendingOutput));
    this.pendingOutput.length = 0;
  }
}
