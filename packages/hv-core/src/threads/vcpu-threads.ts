import { TraceRing, type Tracer } from "@monovisor/perf";
import type { Hart } from "../hart/hart.js";
import type { HartState } from "../hart/hart-state.js";
import type { InterruptTarget } from "../irq/irq-line.js";
import { MipBit } from "../irq/mip.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import type { VmStats } from "../sched/types.js";
import { G_DOORBELL, G_STOP, VcpuControl } from "./control.js";
import {
  EXIT_CONSOLE_READ,
  EXIT_CONSOLE_WRITE,
  EXIT_MMIO_READ,
  EXIT_MMIO_WRITE,
  EXIT_SYSTEM_RESET,
  ExitConsumer,
  exitRingBytes,
} from "./exit-ring.js";
import {
  FAST_DONE,
  FAST_VALUE,
  FAST_WORDS,
  type VcpuVmInit,
  type VcpuWorkerMessage,
  type VcpuWorkerRegion,
} from "./protocol.js";
import type { VcpuPool } from "./vcpu-pool.js";

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
  /** The workers; from {@link VcpuThreads.createControl} with the same pool. */
  readonly pool: VcpuPool;
  readonly control: VcpuControl;
  /** Close the pool when the run ends (a pool of this VM's own). */
  readonly closePool?: boolean;
  /** Scheduler weight (default 256) and cap (% of one worker, 0 = none) of this VM. */
  readonly weight?: number;
  readonly cap?: number;
  /** Under the pool's gang policy, run this VM's vCPUs together (default: when it has several). */
  readonly gang?: boolean;
  /** Hard affinity: `affinity[i]` lists the pool workers hart i may run on (missing = any). */
  readonly affinity?: readonly (readonly number[] | undefined)[];
  readonly regions: readonly ThreadedMmioRegion[];
  /** Time base every thread shares. */
  readonly clock: { readonly frequencyHz: number; readonly originMs: number };
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
  /**
   * The VM's tracer (made with `shared: true`): each worker emits its harts' `hart.*`,
   * `mmio.access`, `tlb.flush`, `mmu.walk`, timer and `sbi.call` events and its scheduler's
   * `sched.*` (steal time included) into it, on the tracer's clock. Drain it on this thread.
   */
  readonly tracer?: Tracer;
  /** Guest PC sampling: `onSample` hears, on this thread, where each hart was every `everyInstructions`. */
  readonly sampler?: {
    readonly everyInstructions: number;
    onSample(hartId: number, pcLo: number, pcHi: number, priv: number): void;
  };
}

/** PC samples a worker may queue between two looks by this thread (a few per ms per hart). */
const SAMPLE_RING_RECORDS = 1 << 15;

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

/**
 * Runs a VM's harts on the worker threads of a {@link VcpuPool} (DESIGN §4), over the VM's
 * shared memory: the pool places each hart on its least loaded worker. Each worker serves its
 * harts' SBI calls, MMU and timers itself; the devices stay on this thread, where
 * device-register accesses arrive as exits (writes posted, reads answered). Interrupt
 * controllers on this thread drive the harts through {@link targets}; a worker whose harts all
 * wait in `wfi` sleeps until a deadline or a post.
 *
 * @example
 * const pool = new VcpuPool({ workers: 2 });
 * const control = VcpuThreads.createControl(2, pool);
 * const plic = new Plic(config, VcpuThreads.targets(control));
 * const threads = new VcpuThreads({ memory, harts, pool, control, regions, clock, ... });
 * setTimeout(() => threads.stop(), 10_000);
 * await threads.run(); // the harts' final states are back in `harts`
 */
export class VcpuThreads {
  private readonly options: VcpuThreadsOptions;
  /** The VM's exit ring, shared by its workers (one reply slot per pool worker). */
  private readonly ring: SharedArrayBuffer;
  private readonly consumer: ExitConsumer;
  private readonly fast: Int32Array;
  private readonly fastRegions: number[] = [];
  private readonly pendingOutput: number[] = [];
  /** By pool worker, in the current run: its ring of PC samples (with `sampler`). */
  private readonly sampleRings = new Map<number, TraceRing>();
  private running = false;
  /** The first exception a host-side callback threw while serving exits. */
  private hostError: Error | undefined;
  /**
   * Per worker, after {@link run}: its scheduler's accounting of this VM (vCPU i = the VM's i-th
   * hart on that worker): CPU time, steal time (runnable while others had the thread), switches.
   */
  readonly schedStats: (VmStats | undefined)[] = [];

  constructor(options: VcpuThreadsOptions) {
    if (!(options.memory.buffer instanceof SharedArrayBuffer)) {
      throw new Error("vCPU threads need the VM's memory to be shared");
    }
    if (options.harts.length !== options.control.hartCount) {
      throw new Error(
        `the control block is for ${options.control.hartCount} harts, not ${options.harts.length}`,
      );
    }
    if (options.control.poolBuffer !== options.pool.buffer) {
      throw new Error("the control block was made for another pool");
    }
    if (options.tracer !== undefined && !options.tracer.shared) {
      throw new Error("a tracer for vCPU threads must be made with shared: true");
    }
    if (options.sampler !== undefined && !(options.sampler.everyInstructions >= 1)) {
      throw new RangeError("sampler.everyInstructions must be at least 1");
    }
    this.options = options;
    this.ring = new SharedArrayBuffer(exitRingBytes(options.pool.workers));
    this.consumer = new ExitConsumer(this.ring, options.pool.workers);
    options.regions.forEach((r, i) => {
      if (r.fastRead !== undefined) this.fastRegions.push(i);
    });
    this.fast = new Int32Array(new SharedArrayBuffer(4 * FAST_WORDS * Math.max(1, this.fastRegions.length)));
    for (let k = 0; k < this.fastRegions.length; k++) this.fast[k * FAST_WORDS + FAST_VALUE] = -1;
  }

  /** A control block for `hartCount` harts on `pool`'s workers (placed when the run starts). */
  static createControl(hartCount: number, pool: VcpuPool): VcpuControl {
    return VcpuControl.create(hartCount, pool.buffer);
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
    this.fastRegions.forEach((r, k) => {
      const value = (regions[r].fastRead as { value: () => number }).value();
      Atomics.store(this.fast, k * FAST_WORDS + FAST_VALUE, value);
    });
  }

  /** Asks the workers to stop; {@link run} resolves once they have (a later run starts afresh). */
  stop(): void {
    this.options.control.requestStop();
  }

  /** Attaches the VM to the pool and serves its exits until its harts stop. Rejects if a worker fails. */
  async run(): Promise<void> {
    if (this.running) throw new Error("the vCPU threads are already running");
    const o = this.options;
    const control = o.control;
    const gang = o.gang ?? o.harts.length > 1;
    // Throws before anything starts when the pool cannot hold the VM (a gang too large).
    const owners = o.pool.place(o.harts.length, gang && o.pool.policy === "gang", o.affinity);
    this.running = true;
    // A stop asked for during an earlier run is spent.
    Atomics.store(control.words, G_STOP, 0);
    owners.forEach((w, id) => {
      control.setOwner(id, w);
    });
    const workers = [...new Set(owners)];
    const regions: VcpuWorkerRegion[] = o.regions.map((r, i) => ({
      name: r.device.name,
      base: r.base,
      size: r.size,
      fastOffset: r.fastRead?.offset ?? -1,
      fastWord: this.fastRegions.indexOf(i),
    }));
    this.publish();
    // Sample rings per pool worker, made as workers join the VM (a moved hart may bring one in).
    this.sampleRings.clear();
    const sampleRing = (w: number): TraceRing | undefined => {
      if (o.sampler === undefined) return undefined;
      let ring = this.sampleRings.get(w);
      if (ring === undefined) {
        ring = TraceRing.create({ capacity: SAMPLE_RING_RECORDS, shared: true });
        this.sampleRings.set(w, ring);
      }
      return ring;
    };
    const initFor = (
      vmId: number,
      w: number,
      localHarts: readonly number[],
      hartStates: readonly HartState[],
      migratedFrom?: number,
    ): VcpuVmInit => {
      const samples = sampleRing(w);
      return {
        vmId,
        gang: gang && o.pool.policy === "gang",
        weight: o.weight,
        cap: o.cap,
        pool: o.pool.buffer,
        memory: o.memory.memory,
        ramBase: o.memory.ramBase,
        ramSize: o.memory.ramSize,
        hartCount: o.harts.length,
        localHarts,
        hartStates,
        affinity: Array.from({ length: o.harts.length }, (_, id) => o.affinity?.[id]),
        migratedFrom,
        control: control.buffer,
        ring: this.ring,
        replySlots: o.pool.workers,
        replySlot: w,
        fast: this.fast.buffer as SharedArrayBuffer,
        regions,
        frequencyHz: o.clock.frequencyHz,
        clockOriginMs: o.clock.originMs,
        mTrapsFatal: o.mTrapsFatal,
        sbi: o.sbi,
        // Keyed by worker: a worker that comes back in a later run reuses its slot.
        trace: o.tracer?.threadPort(w, localHarts),
        samples:
          samples === undefined || o.sampler === undefined
            ? undefined
            : { ring: samples.buffer as SharedArrayBuffer, everyInstructions: o.sampler.everyInstructions },
      };
    };
    const inits = (vmId: number) =>
      new Map(
        workers.map((w): [number, VcpuVmInit] => {
          const localHarts = owners.flatMap((owner, id) => (owner === w ? [id] : []));
          return [
            w,
            initFor(
              vmId,
              w,
              localHarts,
              localHarts.map((id) => o.harts[id].saveState()),
            ),
          ];
        }),
      );
    let vmId = -1;
    let failure: Error | undefined;
    /** Workers with a context for this VM that have not said `done`. */
    const pending = new Set(workers);
    /** Harts handed from one worker to another and not yet confirmed by a `done`. */
    const moving = new Set<number>();
    let signalExit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      signalExit = resolve;
    });
    const checkExit = () => {
      if (pending.size === 0 && moving.size === 0) signalExit();
    };
    const listener = (w: number, m: VcpuWorkerMessage) => {
      if (m.type === "done") {
        m.states.forEach((s, i) => {
          o.harts[m.harts[i]].restoreState(s);
          moving.delete(m.harts[i]);
        });
        this.schedStats[w] = m.sched;
        pending.delete(w);
        checkExit();
      } else if (m.type === "crash") o.onCrash(m.message);
      else if (m.type === "migrate") {
        // Load balancing: worker w gave a hart to idle worker m.to. It runs it from its state.
        moving.add(m.hart);
        o.pool.moved(vmId, m.hart, m.to);
        if (pending.has(m.to)) {
          o.pool.post(m.to, { type: "adopt", vm: vmId, hart: m.hart, state: m.state, from: w });
        } else {
          pending.add(m.to);
          o.pool.post(m.to, { type: "attach", vm: initFor(vmId, m.to, [m.hart], [m.state], w) });
        }
      } else if (m.type === "returned") {
        // The VM's run ended before the hart arrived: its state is final.
        o.harts[m.hart].restoreState(m.state);
        moving.delete(m.hart);
        checkExit();
      } else {
        failure ??= new Error(`vCPU worker ${w}: ${m.message}`);
        control.requestStop();
        pending.delete(w);
        checkExit();
      }
    };

    const bell = control.words;
    try {
      vmId = await o.pool.attach(owners, gang && o.pool.policy === "gang", inits, listener);
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
      if (vmId >= 0) o.pool.release(vmId);
      if (o.closePool === true) await o.pool.close();
      this.running = false;
    }
    failure ??= this.hostError;
    if (failure !== undefined) throw failure;
  }

  /** Hands the PC samples the workers queued to the sampler. */
  private takeSamples(): void {
    const sampler = this.options.sampler;
    if (sampler === undefined) return;
    try {
      for (const ring of this.sampleRings.values()) {
        const batch = ring.drain();
        for (let i = 0; i < batch.length; i++) {
          sampler.onSample(batch.vcpu(i), batch.word(i, 0), batch.word(i, 1), batch.word(i, 2));
        }
      }
    } catch (error) {
      this.hostError ??= new Error(
        `the sampler threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.options.control.requestStop();
    }
  }

  private serveExits(): void {
    const o = this.options;
    this.takeSamples();
    let served = 0;
    served += this.consumer.drain(this.handleExit);
    try {
      this.flushOutput();
    } catch (error) {
      this.pendingOutput.length = 0;
      this.hostError ??= new Error(
        `the console threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      o.control.requestStop();
    }
    if (served > 0) {
      this.publish();
      o.onExits?.();
    }
  }

  /**
   * Serves one exit. A host-side callback that throws (a device breaking its contract) must not
   * leave the vCPU waiting for its reply: the run stops and {@link run} rejects with the error.
   */
  private readonly handleExit = (kind: number, a: number, b: number, c: number, data: Uint8Array): number => {
    try {
      return this.serveExit(kind, a, b, c, data);
    } catch (error) {
      const region =
        kind === EXIT_MMIO_READ || kind === EXIT_MMIO_WRITE ? this.options.regions[a & 0xffff] : undefined;
      const what = region !== undefined ? `device ${region.device.name}` : "the console";
      this.hostError ??= new Error(
        `${what} threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.options.control.requestStop();
      return 0;
    }
  };

  private serveExit(kind: number, a: number, b: number, c: number, data: Uint8Array): number {
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
        if (region.fastRead !== undefined && b !== 0) {
          // The control write the workers counted is done: publish, then let them trust it.
          this.publish();
          const k = this.fastRegions.indexOf(a & 0xffff) * FAST_WORDS;
          Atomics.add(this.fast, k + FAST_DONE, 1);
        }
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
  }

  private flushOutput(): void {
    if (this.pendingOutput.length === 0) return;
    this.options.consoleWrite(Uint8Array.from(this.pendingOutput));
    this.pendingOutput.length = 0;
  }
}
