/**
 * The shared control block of a VM whose vCPUs run on worker threads: one Int32Array over a
 * SharedArrayBuffer that every thread maps. The main thread and other vCPU threads post events to
 * a hart here (interrupt levels, IPIs, fences, HSM start); the thread running the hart applies
 * them between slices. A post bumps the owning worker's wake word, so a worker sleeping in `wfi`
 * wakes at once (`Atomics.wait` / `Atomics.notify`).
 */

/** Int32 words per hart. */
const HART_WORDS = 16;
/** Int32 words per worker in a pool block. */
const WORKER_WORDS = 16;
/** Int32 words before the harts of a VM block, and before the workers of a pool block. */
const GLOBAL_WORDS = 16;

/** VM words: the VM's harts are to stop. */
export const G_STOP = 0;
/** VM words: bumped by every exit a worker posts for the VM; its main thread waits on it. */
export const G_DOORBELL = 1;

/** Pool words: how many gang-scheduled VMs share the pool, then their ids (at most 15). */
export const P_GANG_COUNT = 0;
export const P_GANG_IDS = 1;
export const MAX_GANG_VMS = GLOBAL_WORDS - 1;

/** Worker words: the futex word a sleeping worker waits on. */
export const W_WAKE = 0;
/** Worker words: messages posted to the worker and not yet taken. */
export const W_MAIL = 1;
/** Worker words: vCPUs runnable on the worker (running or waiting), as it last counted. */
export const W_RUNNABLE = 2;
/** Worker words: 1 + the index of an idle worker asking this one for a vCPU, or 0. */
export const W_PULL = 3;

/** Hart words. */
export const H_IRQ = 0; // mip levels driven by the main thread's interrupt controllers
export const H_SSIP = 1; // 1: an IPI is posted
export const H_FLUSH = 2; // FLUSH_* bits posted by remote fences
export const H_FLUSH_SEQ = 3; // fences posted so far
export const H_FLUSH_DONE = 4; // fences applied so far
export const H_START = 5; // 1: an HSM start is posted; the four words after it hold pc and a1
export const H_START_PC_LO = 6;
export const H_START_PC_HI = 7;
export const H_START_A1_LO = 8;
export const H_START_A1_HI = 9;
export const H_IN_GUEST = 10; // 1 while the hart's thread runs its instructions
export const H_OWNER = 11; // index of the worker that runs the hart

/** `H_FLUSH` bits. */
export const FLUSH_TLB = 1;
export const FLUSH_DECODE = 2;

/** Bytes of a pool block for `workerCount` workers. */
export function poolBlockBytes(workerCount: number): number {
  return 4 * (GLOBAL_WORDS + WORKER_WORDS * workerCount);
}

/** Index of a worker word in a pool block. */
export function workerWordIndex(worker: number, word: number): number {
  return GLOBAL_WORDS + WORKER_WORDS * worker + word;
}

/** Wakes a worker so it looks at its harts' words and its mail. */
export function kickWorker(pool: Int32Array, worker: number): void {
  const i = workerWordIndex(worker, W_WAKE);
  Atomics.add(pool, i, 1);
  Atomics.notify(pool, i);
}

/** Views and posting operations over a VM's control block and the pool it runs on. */
export class VcpuControl {
  readonly words: Int32Array;
  readonly pool: Int32Array;
  readonly workerCount: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly poolBuffer: SharedArrayBuffer,
    readonly hartCount: number,
  ) {
    if (buffer.byteLength !== VcpuControl.bytes(hartCount)) {
      throw new RangeError("the control block does not match the hart count");
    }
    this.words = new Int32Array(buffer);
    this.pool = new Int32Array(poolBuffer);
    this.workerCount = (this.pool.length - GLOBAL_WORDS) / WORKER_WORDS;
  }

  static bytes(hartCount: number): number {
    return 4 * (GLOBAL_WORDS + HART_WORDS * hartCount);
  }

  /** A zeroed control block for `hartCount` harts on a pool block; owners are set on attach. */
  static create(hartCount: number, poolBuffer: SharedArrayBuffer): VcpuControl {
    return new VcpuControl(new SharedArrayBuffer(VcpuControl.bytes(hartCount)), poolBuffer, hartCount);
  }

  /** Index of a hart word in {@link words}. */
  hartWord(hartId: number, word: number): number {
    return GLOBAL_WORDS + HART_WORDS * hartId + word;
  }

  owner(hartId: number): number {
    // Atomic: a hart may move to another worker while others post to it.
    return Atomics.load(this.words, this.hartWord(hartId, H_OWNER));
  }

  setOwner(hartId: number, worker: number): void {
    Atomics.store(this.words, this.hartWord(hartId, H_OWNER), worker);
  }

  /** Wakes the worker that runs `hartId` so it looks at its harts' words. */
  kick(hartId: number): void {
    kickWorker(this.pool, this.owner(hartId));
  }

  /** Drives one `mip` bit of a hart (an interrupt controller's output). */
  setIrqLevel(hartId: number, mipBit: number, level: boolean): void {
    const i = this.hartWord(hartId, H_IRQ);
    const m = 1 << mipBit;
    const old = level ? Atomics.or(this.words, i, m) : Atomics.and(this.words, i, ~m);
    if (((old & m) !== 0) !== level) this.kick(hartId);
  }

  /** Posts an IPI: the hart's SSIP is set before it runs on. */
  postIpi(hartId: number): void {
    Atomics.store(this.words, this.hartWord(hartId, H_SSIP), 1);
    this.kick(hartId);
  }

  /**
   * Posts a fence and waits until the hart has applied it or is certainly outside guest code
   * (it applies posted fences before it runs again). `whileWaiting` runs between checks: the
   * caller applies fences posted to its own hart there, so two harts fencing each other at the
   * same moment cannot wait forever.
   */
  postFence(hartId: number, bits: number, whileWaiting: () => void): void {
    const w = this.words;
    Atomics.or(w, this.hartWord(hartId, H_FLUSH), bits);
    const seq = Atomics.add(w, this.hartWord(hartId, H_FLUSH_SEQ), 1) + 1;
    this.kick(hartId);
    const done = this.hartWord(hartId, H_FLUSH_DONE);
    const inGuest = this.hartWord(hartId, H_IN_GUEST);
    for (;;) {
      const d = Atomics.load(w, done);
      if (d - seq >= 0 || Atomics.load(w, inGuest) === 0) return;
      whileWaiting();
      Atomics.wait(w, done, d, 1);
    }
  }

  /**
   * Takes the fences posted to a hart (FLUSH_* bits, 0 if none) and returns them; call
   * {@link fencesApplied} with the returned sequence once they are applied.
   */
  takeFences(hartId: number): number {
    const w = this.words;
    if (Atomics.load(w, this.hartWord(hartId, H_FLUSH)) === 0) return 0;
    return Atomics.exchange(w, this.hartWord(hartId, H_FLUSH), 0);
  }

  /** Marks every fence posted to the hart up to now as applied and wakes posters waiting on it. */
  fencesApplied(hartId: number): void {
    const w = this.words;
    const seq = Atomics.load(w, this.hartWord(hartId, H_FLUSH_SEQ));
    const done = this.hartWord(hartId, H_FLUSH_DONE);
    Atomics.store(w, done, seq);
    Atomics.notify(w, done);
  }

  /** Marks whether the hart's thread is executing its instructions. */
  setInGuest(hartId: number, inGuest: boolean): void {
    const i = this.hartWord(hartId, H_IN_GUEST);
    Atomics.store(this.words, i, inGuest ? 1 : 0);
    if (!inGuest) Atomics.notify(this.words, this.hartWord(hartId, H_FLUSH_DONE));
  }

  /** Posts an accepted HSM start to the hart's thread. */
  postStart(hartId: number, pcLo: number, pcHi: number, a1Lo: number, a1Hi: number): void {
    const w = this.words;
    w[this.hartWord(hartId, H_START_PC_LO)] = pcLo;
    w[this.hartWord(hartId, H_START_PC_HI)] = pcHi;
    w[this.hartWord(hartId, H_START_A1_LO)] = a1Lo;
    w[this.hartWord(hartId, H_START_A1_HI)] = a1Hi;
    Atomics.store(w, this.hartWord(hartId, H_START), 1);
    this.kick(hartId);
  }

  /** Asks the workers to stop this VM's harts at their next slice boundary. */
  requestStop(): void {
    Atomics.store(this.words, G_STOP, 1);
    for (let wk = 0; wk < this.workerCount; wk++) kickWorker(this.pool, wk);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.words, G_STOP) !== 0;
  }
}
