import {
  HsmState,
  type HsmStateValue,
  HsmSuspendType,
  isVendorFunctionAvailable,
  MONOVISOR_MVENDORID,
  MONOVISOR_SBI_IMPL_ID,
  MONOVISOR_SBI_SPEC_VERSION,
  MONOVISOR_SERVED_EXTENSIONS,
  MONOVISOR_SIGNATURE,
  MONOVISOR_VENDOR_VERSION,
  SbiEid,
  SbiError,
  type SbiExtensionKey,
  SbiFid,
  SrstReason,
  SrstType,
  sbiVersion,
} from "@monovisor/paravirt-abi";
import type { StandardTracepointSpecOf, Tracer, TypedTracepoint } from "@monovisor/perf";
import { MENVCFG_HI_STCE, MIP_SSIP, MSTATUS_SIE, PRIV_S, TLB_FLUSH_REMOTE } from "../hart/constants.js";
import { CSR_MENVCFG, CSR_SATP, CSR_STIMECMP } from "../hart/csr-numbers.js";
import type { Hart } from "../hart/hart.js";
import { MipBit } from "../irq/mip.js";
import { createSbiCallCounters, type SbiCallCounters, sbiCounterKeys } from "./counters.js";
import { StealTimeAccounting, type StealTimeState } from "./steal-time.js";
import { enterSupervisorWords } from "./supervisor-entry.js";
import { readSupervisorDoubleword } from "./supervisor-read.js";

/** What the SBI server needs from the machine around it. */
export interface SbiPlatform {
  /** All harts of the machine, indexed by hart ID (`harts[i].hartId === i`). */
  readonly harts: readonly Hart[];
  /**
   * Debug console output (DBCN, legacy putchar). `bytes` is only valid during the call (it may be
   * a view of guest RAM or a reused buffer); copy to keep. Must not throw.
   */
  consoleWrite(bytes: Uint8Array): void;
  /** Fills the start of `into` with pending console input without blocking; returns the count. */
  consoleRead(into: Uint8Array): number;
  /**
   * SRST `system_reset` or legacy `shutdown`; `type` and `reason` are the spec's values
   * (`SrstType`, `SrstReason`). Called from inside the calling hart's `ecall`, after every hart
   * has been asked to stop: record the request and act on it once `run` returns.
   */
  systemReset(type: number, reason: number): void;
  /**
   * Vendor `trace_mark(tag, value)` from hart `hartId`. Arguments are unsigned and exact below
   * 2^53. Without a callback the call succeeds and records nothing (tracing off).
   */
  traceMark?(hartId: number, tag: number, value: number): void;
}

export interface SbiServerOptions {
  /**
   * Serve every legacy v0.1 call (timer, IPI, fences, shutdown), not only the console pair that
   * `MONOVISOR_SERVED_EXTENSIONS` lists; for kernels that predate SBI v0.2.
   */
  readonly legacyV01?: boolean;
  /** Enable Sstc on harts that `hart_start` brings up; must match what the boot hart got. */
  readonly sstc?: boolean;
  /** The hart that is STARTED at construction; all others are STOPPED. Default 0. */
  readonly bootHartId?: number;
  /** BASE `get_impl_version`. Default {@link MONOVISOR_SBI_IMPL_VERSION}. */
  readonly implVersion?: number;
  /**
   * Keep HSM states, resume addresses and SBI timer deadlines in this buffer (from
   * {@link createSbiSharedState}), so servers in several vCPU threads see one machine.
   */
  readonly sharedState?: SharedArrayBuffer;
  /** Start from power-on state (default); false adopts what {@link sharedState} holds. */
  readonly resetState?: boolean;
  /** Harts run by other threads, and how to reach them. Default: every hart is local. */
  readonly remote?: SbiRemoteHarts;
}

/**
 * How a server in one vCPU thread reaches harts that other threads run. IPIs, fences and
 * `hart_start` for those harts are posted; the hart applies them before it runs on.
 */
export interface SbiRemoteHarts {
  /** True for harts this server's thread runs (their `Hart` objects are live here). */
  isLocal(hartId: number): boolean;
  /**
   * Posts an IPI (op 0), `fence.i` (1) or `sfence.vma` (2) to a hart of another thread. Returns
   * once a fence is certain to take effect before that hart executes another instruction.
   */
  post(hartId: number, op: number): void;
  /**
   * Hands an accepted `hart_start` to the hart's thread, which calls
   * {@link SbiServer.completeStart} with the same words.
   */
  start(hartId: number, startLo: number, startHi: number, opaqueLo: number, opaqueHi: number): void;
}

/** Bytes of an {@link SbiServerOptions.sharedState} buffer for `hartCount` harts. */
function sharedStateBytes(hartCount: number): number {
  // Float64 arrays first (8-aligned): deadlines, STA record addresses, STA steal time (two per
  // hart); then the resume words, then the byte arrays.
  return hartCount * (8 + 8 + 16) + hartCount * 16 + 2 * hartCount;
}

/** A buffer for {@link SbiServerOptions.sharedState}. */
export function createSbiSharedState(hartCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer(sharedStateBytes(hartCount));
}

/** BASE `get_impl_version`: hv-core's version, encoded like the spec version. */
export const MONOVISOR_SBI_IMPL_VERSION = sbiVersion(0, 1);

/** Extensions this server has handlers for; `servedExtensions` is their intersection with the policy. */
const IMPLEMENTED_EXTENSIONS: ReadonlySet<SbiExtensionKey> = new Set<SbiExtensionKey>([
  "LEGACY_SET_TIMER",
  "LEGACY_CONSOLE_PUTCHAR",
  "LEGACY_CONSOLE_GETCHAR",
  "LEGACY_CLEAR_IPI",
  "LEGACY_SEND_IPI",
  "LEGACY_REMOTE_FENCE_I",
  "LEGACY_REMOTE_SFENCE_VMA",
  "LEGACY_REMOTE_SFENCE_VMA_ASID",
  "LEGACY_SHUTDOWN",
  "BASE",
  "TIME",
  "IPI",
  "RFENCE",
  "HSM",
  "SRST",
  "DBCN",
  "STA",
  "MONOVISOR",
]);

const LEGACY_EXTENSIONS: readonly SbiExtensionKey[] = [
  "LEGACY_SET_TIMER",
  "LEGACY_CONSOLE_PUTCHAR",
  "LEGACY_CONSOLE_GETCHAR",
  "LEGACY_CLEAR_IPI",
  "LEGACY_SEND_IPI",
  "LEGACY_REMOTE_FENCE_I",
  "LEGACY_REMOTE_SFENCE_VMA",
  "LEGACY_REMOTE_SFENCE_VMA_ASID",
  "LEGACY_SHUTDOWN",
];

/** Highest legacy EID; standard and vendor EIDs all lie above it. */
const LAST_LEGACY_EID = SbiEid.LEGACY_SHUTDOWN;

// Int32 index of the low word of a0..a7 in `Hart.x` (register i at [2i], [2i + 1]).
const A0 = 20;
const A1 = 22;
const A2 = 24;
const A6 = 32;
const A7 = 34;

const TWO32 = 4294967296;

// What a hart mask selects the harts for.
const OP_IPI = 0;
const OP_FENCE_I = 1;
const OP_SFENCE_VMA = 2;

// Suspend types are 32-bit; values between the defined ones are reserved or platform-specific.
const SUSPEND_RETENTIVE = HsmSuspendType.RETENTIVE;
const SUSPEND_NON_RETENTIVE = HsmSuspendType.NON_RETENTIVE;

/**
 * The hypervisor's SBI implementation (DESIGN §1, §6): serves S-mode `ecall`s of the harts it is
 * given, per SBI v2.0 and the `@monovisor/paravirt-abi` contract. It keeps each hart's HSM state
 * and SBI timer deadline; the machine loop asks it which harts may run and when the next timer
 * fires.
 *
 * The common calls (set_timer, IPIs, single console bytes) allocate nothing.
 *
 * @example
 * const sbi = new SbiServer({ harts, consoleWrite, consoleRead, systemReset });
 * enterSupervisor(harts[0], kernelEntry, 0, dtbAddress);
 * for (;;) {
 *   sbi.updateTimers();
 *   for (const hart of harts) if (sbi.isRunnable(hart.hartId)) hart.run(10_000);
 * }
 */
export const SBI_SERVER_STATE_TYPE = "sbi-server";
export const SBI_SERVER_STATE_VERSION = 2;

/** Saved state of an {@link SbiServer}, version 2 (1 plus STA). Plain data: JSON round-trips it. */
export interface SbiServerState extends StealTimeState {
  readonly type: typeof SBI_SERVER_STATE_TYPE;
  readonly version: typeof SBI_SERVER_STATE_VERSION;
  readonly hartCount: number;
  /** HSM state per hart (SBI `hart_get_status` values). */
  readonly hsm: readonly number[];
  readonly nonRetentive: readonly number[];
  /** Per hart: resume pc (lo, hi) and opaque (lo, hi) as int32 words. */
  readonly resumeWords: readonly number[];
  /** SBI timer deadline per hart in clock ticks; null when none is armed. */
  readonly deadlines: readonly (number | null)[];
}

/** A state saved before STA was served; {@link SbiServer.restoreState} loads it with no STA records. */
export type SbiServerStateV1 = Omit<SbiServerState, "version" | keyof StealTimeState> & {
  readonly version: 1;
};

export class SbiServer {
  readonly counters: SbiCallCounters = createSbiCallCounters();
  /** The extensions `probe_extension` reports and calls are served for. */
  readonly servedExtensions: readonly SbiExtensionKey[];

  private readonly platform: SbiPlatform;
  private readonly harts: readonly Hart[];
  private readonly servedEids: ReadonlySet<number>;
  private readonly counterKeys = sbiCounterKeys();
  private readonly sstc: boolean;
  private readonly bootHartId: number;
  private readonly implVersion: number;
  private readonly hsm: Uint8Array;
  /** 1 while a hart sits in a non-retentive suspend and must resume at its resume address. */
  private readonly nonRetentive: Uint8Array;
  /** Per hart: resume pc (lo, hi) and opaque (lo, hi) of a non-retentive suspend. */
  private readonly resumeWords: Int32Array;
  /** SBI timer deadline per hart in clock ticks; Infinity when none is armed. */
  private readonly deadlines: Float64Array;
  private readonly remote: SbiRemoteHarts | undefined;
  /** STA records and steal time per hart. */
  private readonly sta: StealTimeAccounting;
  private readonly oneByte = new Uint8Array(1);
  private readonly maskWords = new Int32Array(2);
  private tracer: Tracer | undefined;
  private tpCall: TypedTracepoint<StandardTracepointSpecOf<"sbi.call">> | undefined;
  private tpProgram: TypedTracepoint<StandardTracepointSpecOf<"timer.program">> | undefined;
  private tpFire: TypedTracepoint<StandardTracepointSpecOf<"timer.fire">> | undefined;
  private readonly handleEcall = (hart: Hart): boolean => {
    const tp = this.tpCall;
    if (tp?.enabled) this.tracedDispatch(hart);
    else this.dispatch(hart);
    return false;
  };

  constructor(platform: SbiPlatform, options: SbiServerOptions = {}) {
    this.platform = platform;
    this.harts = platform.harts;
    const n = this.harts.length;
    if (n === 0) throw new RangeError("an SBI server needs at least one hart");
    this.harts.forEach((hart, i) => {
      if (hart.hartId !== i) throw new RangeError(`harts[${i}] has hart ID ${hart.hartId}; index by hart ID`);
    });
    this.bootHartId = options.bootHartId ?? 0;
    if (!Number.isInteger(this.bootHartId) || this.bootHartId < 0 || this.bootHartId >= n) {
      throw new RangeError(`boot hart ${this.bootHartId} does not exist (${n} harts)`);
    }
    this.sstc = options.sstc ?? false;
    this.implVersion = options.implVersion ?? MONOVISOR_SBI_IMPL_VERSION;

    const served: SbiExtensionKey[] = MONOVISOR_SERVED_EXTENSIONS.filter((k) =>
      IMPLEMENTED_EXTENSIONS.has(k),
    );
    if (options.legacyV01 === true)
      for (const k of LEGACY_EXTENSIONS) if (!served.includes(k)) served.push(k);
    this.servedExtensions = Object.freeze(served);
    this.servedEids = new Set(served.map((k) => SbiEid[k]));

    const shared = options.sharedState;
    if (shared !== undefined) {
      if (shared.byteLength !== sharedStateBytes(n)) {
        throw new RangeError(
          `the shared SBI state is ${shared.byteLength} bytes, not ${sharedStateBytes(n)}`,
        );
      }
      this.deadlines = new Float64Array(shared, 0, n);
      this.sta = new StealTimeAccounting(this.harts, {
        shmem: new Float64Array(shared, 8 * n, n),
        steal: new Float64Array(shared, 16 * n, 2 * n),
      });
      this.resumeWords = new Int32Array(shared, 32 * n, 4 * n);
      this.hsm = new Uint8Array(shared, 48 * n, n);
      this.nonRetentive = new Uint8Array(shared, 49 * n, n);
    } else {
      this.sta = new StealTimeAccounting(this.harts);
      this.hsm = new Uint8Array(n);
      this.nonRetentive = new Uint8Array(n);
      this.resumeWords = new Int32Array(4 * n);
      this.deadlines = new Float64Array(n);
    }
    this.remote = options.remote;
    if (options.resetState !== false) this.reset();
    for (const hart of this.harts) hart.ecallHandler = this.handleEcall;
  }

  /**
   * Serves the ecalls of a hart object that took the place of another in the hart table (a vCPU
   * thread receiving a hart from another): put it in the table first.
   */
  serveHart(hart: Hart): void {
    if (this.harts[hart.hartId] !== hart) throw new Error(`hart ${hart.hartId} is not in the hart table`);
    hart.ecallHandler = this.handleEcall;
  }

  /**
   * Emits an `sbi.call` span per call into `tracer` (vCPU = hart ID): eid, fid, a0 as passed,
   * and the error and value returned; and, for `set_timer` without Sstc, `timer.program` and
   * `timer.fire` (mode S). Under Sstc the hart emits those for `stimecmp`. Tracepoints are looked
   * up once, here.
   */
  attachTracer(tracer: Tracer): void {
    this.tracer = tracer;
    this.tpCall = tracer.tracepoint("sbi.call");
    this.tpProgram = tracer.tracepoint("timer.program");
    this.tpFire = tracer.tracepoint("timer.fire");
  }

  detachTracer(): void {
    this.tracer = undefined;
    this.tpCall = undefined;
    this.tpProgram = undefined;
    this.tpFire = undefined;
  }

  /**
   * Back to power-on: the boot hart STARTED, the others STOPPED (and asked to stop running), no
   * timers armed. For a reboot, call it before entering the boot hart again.
   */
  reset(): void {
    this.deadlines.fill(Number.POSITIVE_INFINITY);
    this.nonRetentive.fill(0);
    this.sta.reset();
    for (let i = 0; i < this.harts.length; i++) {
      if (i === this.bootHartId) this.hsm[i] = HsmState.STARTED;
      else this.stopHart(i);
    }
  }

  /**
   * The hart's HSM state as `hart_get_status` reports it. Completes a suspend the hart has woken
   * from, so call it (or {@link isRunnable}) outside the hart's `run`.
   */
  hartStatus(hartId: number): HsmStateValue {
    if (this.hsm[hartId] === HsmState.SUSPENDED && this.isLocal(hartId)) {
      const hart = this.harts[hartId];
      // The machine does not run a suspended hart, so its Sstc comparator is sampled here.
      if ((hart.csrHiArr[CSR_MENVCFG] & MENVCFG_HI_STCE) !== 0) hart.updateSstc();
      // Same wake-up condition as `wfi`: any pending interrupt enabled in `mie`.
      if (!hart.waiting || ((hart.mipSw | hart.mipExt) & hart.mie) !== 0) {
        if (this.nonRetentive[hartId] === 1) this.resumeNonRetentive(hartId);
        else this.hsm[hartId] = HsmState.STARTED;
      }
    }
    return this.hsm[hartId] as HsmStateValue;
  }

  /**
   * True when the machine should run the hart: it is STARTED (after completing a wake-up from
   * suspend). Call before every `hart.run`; a non-retentive resume only moves the pc here.
   */
  isRunnable(hartId: number): boolean {
    return this.hartStatus(hartId) === HsmState.STARTED;
  }

  /** Raises STIP on every hart whose SBI timer deadline has passed. Call at block boundaries. */
  updateTimers(now: number = this.harts[0].clock.now()): void {
    const deadlines = this.deadlines;
    for (let i = 0; i < deadlines.length; i++) {
      if (deadlines[i] <= now && this.isLocal(i)) this.fireTimer(i, now);
    }
  }

  /** True for harts whose `Hart` objects this server drives (all, unless `remote` says otherwise). */
  private isLocal(hartId: number): boolean {
    return this.remote === undefined || this.remote.isLocal(hartId);
  }

  /**
   * Finishes a `hart_start` that another thread's server accepted for this thread's hart (see
   * {@link SbiRemoteHarts.start}): the hart enters S-mode at the start address.
   */
  completeStart(hartId: number, startLo: number, startHi: number, opaqueLo: number, opaqueHi: number): void {
    enterSupervisorWords(this.harts[hartId], startLo, startHi, hartId, 0, opaqueLo, opaqueHi, {
      sstc: this.sstc,
    });
    this.deadlines[hartId] = Number.POSITIVE_INFINITY;
    Atomics.store(this.hsm, hartId, HsmState.STARTED);
  }

  /**
   * The clock reading at which the next SBI timer fires, Infinity if none is armed, so an idle
   * machine can sleep until then. Sstc comparators are the harts' own (`hart.sstcDeadline()`).
   */
  nextDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    const deadlines = this.deadlines;
    for (let i = 0; i < deadlines.length; i++) {
      if (deadlines[i] < next && this.isLocal(i)) next = deadlines[i];
    }
    return next;
  }

  /** The SBI timer deadline of one hart (Infinity when none is armed). */
  timerDeadline(hartId: number): number {
    return this.deadlines[hartId];
  }

  /**
   * Adds steal time to a hart: nanoseconds it was runnable but not running (what the scheduler
   * reports as `sched.steal`). The guest sees it at the next {@link publishSteal}.
   */
  addSteal(hartId: number, nanoseconds: number): void {
    this.sta.add(hartId, nanoseconds);
  }

  /**
   * Writes the hart's STA record, if the guest registered one, with the steal time so far:
   * `preempted` false before the hart runs again (the spec requires it), true when it is taken
   * off a host CPU while runnable. Returns whether a record was written. Call it on the server
   * that serves the hart's `ecall`s, never while the hart is stopped.
   */
  publishSteal(hartId: number, preempted = false): boolean {
    return this.sta.publish(hartId, preempted);
  }

  /** Steal time accumulated for a hart, in nanoseconds (exact below 2^53). */
  stealNanoseconds(hartId: number): number {
    return this.sta.nanoseconds(hartId);
  }

  /** Saves HSM states, pending non-retentive resumes, SBI timer deadlines and STA state. */
  saveState(): SbiServerState {
    const n = this.harts.length;
    return {
      type: SBI_SERVER_STATE_TYPE,
      version: SBI_SERVER_STATE_VERSION,
      hartCount: n,
      hsm: Array.from(this.hsm),
      nonRetentive: Array.from(this.nonRetentive),
      resumeWords: Array.from(this.resumeWords),
      deadlines: Array.from(this.deadlines, (d) => (Number.isFinite(d) ? d : null)),
      ...this.sta.saveState(),
    };
  }

  /** Loads a state from {@link saveState}; validated first, so a bad state changes nothing. */
  restoreState(state: SbiServerState | SbiServerStateV1): void {
    const fail = (why: string): never => {
      throw new Error(`SBI server: invalid saved state: ${why}`);
    };
    const s = state as unknown as Record<string, unknown>;
    if (typeof s !== "object" || s === null) fail("not an object");
    if (s.type !== SBI_SERVER_STATE_TYPE || (s.version !== SBI_SERVER_STATE_VERSION && s.version !== 1)) {
      fail(`state of ${String(s.type)} v${String(s.version)}`);
    }
    const n = this.harts.length;
    if (s.hartCount !== n) fail(`saved for ${String(s.hartCount)} harts, server has ${n}`);
    const ints = (name: string, length: number, min: number, max: number): number[] => {
      const v = s[name];
      if (!Array.isArray(v) || v.length !== length) return fail(`${name} must have ${length} entries`);
      for (const x of v) {
        if (!Number.isInteger(x) || x < min || x > max) fail(`${name} holds ${String(x)}`);
      }
      return v as number[];
    };
    const hsm = ints("hsm", n, 0, 6);
    const nonRetentive = ints("nonRetentive", n, 0, 1);
    const resume = ints("resumeWords", 4 * n, -0x8000_0000, 0x7fff_ffff);
    const deadlines = s.deadlines;
    if (!Array.isArray(deadlines) || deadlines.length !== n) fail(`deadlines must have ${n} entries`);
    for (const d of deadlines as unknown[]) {
      if (d !== null && (typeof d !== "number" || !Number.isInteger(d) || d < 0))
        fail(`deadline ${String(d)}`);
    }
    // Version 1 predates STA: no records, no steal time.
    const sta = s.version === 1 ? this.sta.emptyState() : this.sta.parseState(s, fail);
    this.hsm.set(hsm);
    this.nonRetentive.set(nonRetentive);
    this.resumeWords.set(resume);
    (deadlines as (number | null)[]).forEach((d, i) => {
      this.deadlines[i] = d ?? Number.POSITIVE_INFINITY;
    });
    this.sta.loadState(sta);
  }

  // ---------------------------------------------------------------- dispatch

  private tracedDispatch(hart: Hart): void {
    const x = hart.x;
    // Arguments are read first: the call overwrites a0 and a1.
    const eid = x[A7] >>> 0;
    const fid = x[A6] >>> 0;
    const arg0Lo = x[A0] >>> 0;
    const arg0Hi = x[A0 + 1] >>> 0;
    const tracer = this.tracer as Tracer;
    const start = tracer.now();
    this.dispatch(hart);
    const end = tracer.now();
    const tp = this.tpCall as TypedTracepoint<StandardTracepointSpecOf<"sbi.call">>;
    if (x[A7 + 1] === 0 && eid <= LAST_LEGACY_EID) {
      // Legacy calls return one value in a0, negative on error.
      const a0 = x[A0];
      const error = x[A0 + 1] < 0 ? a0 : 0;
      tp.emitAt(end, hart.hartId, end - start, eid, fid, arg0Lo, arg0Hi, error, a0 >>> 0, x[A0 + 1] >>> 0);
    } else {
      tp.emitAt(end, hart.hartId, end - start, eid, fid, arg0Lo, arg0Hi, x[A0], x[A1] >>> 0, x[A1 + 1] >>> 0);
    }
  }

  private dispatch(hart: Hart): void {
    const x = hart.x;
    const counters = this.counters;
    counters.total++;
    const eid = x[A7] >>> 0;
    if (x[A7 + 1] !== 0 || !this.servedEids.has(eid)) {
      this.notSupported(x);
      return;
    }
    const keys = this.counterKeys.get(eid)!;
    if (eid <= LAST_LEGACY_EID) {
      counters.calls[keys[0]]++;
      this.dispatchLegacy(hart, eid);
      return;
    }
    const fid = x[A6] >>> 0;
    const key = x[A6 + 1] === 0 ? keys[fid] : undefined;
    if (key === undefined) {
      this.notSupported(x);
      return;
    }
    counters.calls[key]++;
    switch (eid) {
      case SbiEid.BASE:
        this.base(x, fid);
        return;
      case SbiEid.TIME:
        this.setTimer(hart, x[A0], x[A0 + 1]);
        this.succeed(x, 0);
        return;
      case SbiEid.IPI:
        this.finish(x, this.forEachInMask(x[A0], x[A0 + 1], x[A1], x[A1 + 1], OP_IPI));
        return;
      case SbiEid.RFENCE:
        this.rfence(x, fid);
        return;
      case SbiEid.HSM:
        this.hsmCall(hart, fid);
        return;
      case SbiEid.SRST:
        this.systemReset(x);
        return;
      case SbiEid.DBCN:
        this.debugConsole(hart, fid);
        return;
      case SbiEid.STA:
        // set_shmem is STA's only function; other FIDs were answered above.
        this.finish(x, this.sta.setShmem(hart, x[A0], x[A0 + 1], x[A1], x[A1 + 1], x[A2], x[A2 + 1]));
        return;
      case SbiEid.MONOVISOR:
        this.vendor(hart, fid);
        return;
      default:
        this.notSupported(x);
    }
  }

  private base(x: Int32Array, fid: number): void {
    switch (fid) {
      case SbiFid.BASE.GET_SPEC_VERSION:
        this.succeed(x, MONOVISOR_SBI_SPEC_VERSION);
        return;
      case SbiFid.BASE.GET_IMPL_ID:
        this.succeed(x, MONOVISOR_SBI_IMPL_ID);
        return;
      case SbiFid.BASE.GET_IMPL_VERSION:
        this.succeed(x, this.implVersion);
        return;
      case SbiFid.BASE.PROBE_EXTENSION:
        this.succeed(x, x[A0 + 1] === 0 && this.servedEids.has(x[A0] >>> 0) ? 1 : 0);
        return;
      case SbiFid.BASE.GET_MVENDORID:
        this.succeed(x, MONOVISOR_MVENDORID);
        return;
      case SbiFid.BASE.GET_MARCHID:
      case SbiFid.BASE.GET_MIMPID:
        // The harts' marchid and mimpid CSRs read 0.
        this.succeed(x, 0);
        return;
      default:
        this.notSupported(x);
    }
  }

  private rfence(x: Int32Array, fid: number): void {
    switch (fid) {
      case SbiFid.RFENCE.REMOTE_FENCE_I:
        this.finish(x, this.forEachInMask(x[A0], x[A0 + 1], x[A1], x[A1 + 1], OP_FENCE_I));
        return;
      case SbiFid.RFENCE.REMOTE_SFENCE_VMA:
      case SbiFid.RFENCE.REMOTE_SFENCE_VMA_ASID:
        // The software TLB has no per-range or per-ASID flush; flushing everything is a superset.
        this.finish(x, this.forEachInMask(x[A0], x[A0 + 1], x[A1], x[A1 + 1], OP_SFENCE_VMA));
        return;
      default:
        // The HFENCE functions need the H extension, which the harts do not implement.
        this.notSupported(x);
    }
  }

  private hsmCall(hart: Hart, fid: number): void {
    const x = hart.x;
    switch (fid) {
      case SbiFid.HSM.HART_START:
        this.finish(x, this.hartStart(x));
        return;
      case SbiFid.HSM.HART_STOP:
        this.stopHart(hart.hartId);
        this.succeed(x, 0);
        return;
      case SbiFid.HSM.HART_GET_STATUS: {
        const target = this.hartIdArgument(x, A0);
        if (target < 0) this.fail(x, SbiError.ERR_INVALID_PARAM);
        else this.succeed(x, this.hartStatus(target));
        return;
      }
      case SbiFid.HSM.HART_SUSPEND:
        this.finish(x, this.hartSuspend(hart));
        return;
      default:
        this.notSupported(x);
    }
  }

  private hartStart(x: Int32Array): number {
    const target = this.hartIdArgument(x, A0);
    if (target < 0) return SbiError.ERR_INVALID_PARAM;
    if (this.hartStatus(target) !== HsmState.STOPPED) return SbiError.ERR_ALREADY_AVAILABLE;
    const startLo = x[A1];
    const startHi = x[A1 + 1];
    if (!this.isEntryAddress(startLo, startHi)) return SbiError.ERR_INVALID_ADDRESS;
    if (!this.isLocal(target)) {
      // Claimed here so two threads cannot both start it; its own thread completes the start.
      if (
        Atomics.compareExchange(this.hsm, target, HsmState.STOPPED, HsmState.START_PENDING) !==
        HsmState.STOPPED
      ) {
        return SbiError.ERR_ALREADY_AVAILABLE;
      }
      this.deadlines[target] = Number.POSITIVE_INFINITY;
      this.remote?.start(target, startLo, startHi, x[A2], x[A2 + 1]);
      return SbiError.SUCCESS;
    }
    // The start is synchronous: START_PENDING is never observable.
    enterSupervisorWords(this.harts[target], startLo, startHi, target, 0, x[A2], x[A2 + 1], {
      sstc: this.sstc,
    });
    this.hsm[target] = HsmState.STARTED;
    this.deadlines[target] = Number.POSITIVE_INFINITY;
    return SbiError.SUCCESS;
  }

  private hartSuspend(hart: Hart): number {
    const x = hart.x;
    const i = hart.hartId;
    // suspend_type is uint32_t; RV64 passes it sign-extended, so only the low word counts.
    const type = x[A0] >>> 0;
    if (type === SUSPEND_RETENTIVE) {
      this.hsm[i] = HsmState.SUSPENDED;
      hart.waitForInterrupt();
      return SbiError.SUCCESS;
    }
    // Reserved and platform-specific (none implemented) types alike.
    if (type !== SUSPEND_NON_RETENTIVE) return SbiError.ERR_INVALID_PARAM;
    const resumeLo = x[A1];
    const resumeHi = x[A1 + 1];
    if (!this.isEntryAddress(resumeLo, resumeHi)) return SbiError.ERR_INVALID_ADDRESS;
    const w = 4 * i;
    this.resumeWords[w] = resumeLo;
    this.resumeWords[w + 1] = resumeHi;
    this.resumeWords[w + 2] = x[A2];
    this.resumeWords[w + 3] = x[A2 + 1];
    this.nonRetentive[i] = 1;
    this.hsm[i] = HsmState.SUSPENDED;
    // Wait even with an interrupt pending: the pc can only move to resume_addr outside this ecall.
    hart.waiting = true;
    return SbiError.SUCCESS;
  }

  private resumeNonRetentive(i: number): void {
    const hart = this.harts[i];
    const w = 4 * i;
    hart.jumpTo(this.resumeWords[w], this.resumeWords[w + 1]);
    hart.x[A0] = i;
    hart.x[A0 + 1] = 0;
    hart.x[A1] = this.resumeWords[w + 2];
    hart.x[A1 + 1] = this.resumeWords[w + 3];
    hart.csrWrite(CSR_SATP, 0, 0);
    hart.mstatus &= ~MSTATUS_SIE;
    hart.waiting = false;
    this.nonRetentive[i] = 0;
    this.hsm[i] = HsmState.STARTED;
  }

  private stopHart(i: number): void {
    const hart = this.harts[i];
    this.hsm[i] = HsmState.STOPPED;
    this.nonRetentive[i] = 0;
    this.deadlines[i] = Number.POSITIVE_INFINITY;
    hart.setPending(MipBit.STIP, false);
    hart.stopRequested = true;
    // STA records must not change while their hart cannot run; a restarted hart registers again.
    this.sta.disable(i);
  }

  private systemReset(x: Int32Array): void {
    // Both arguments are uint32_t: only the low words count.
    const type = x[A0] >>> 0;
    const reason = x[A1] >>> 0;
    const knownType =
      type === SrstType.SHUTDOWN || type === SrstType.COLD_REBOOT || type === SrstType.WARM_REBOOT;
    // Reasons from 0xE000_0000 up are implementation- or vendor-specific; pass them on.
    const knownReason =
      reason === SrstReason.NO_REASON || reason === SrstReason.SYSTEM_FAILURE || reason >= 0xe000_0000;
    if (!knownType || !knownReason) {
      this.fail(x, SbiError.ERR_INVALID_PARAM);
      return;
    }
    this.requestSystemReset(type, reason);
    this.succeed(x, 0);
  }

  private requestSystemReset(type: number, reason: number): void {
    for (const h of this.harts) h.stopRequested = true;
    this.platform.systemReset(type, reason);
  }

  private debugConsole(hart: Hart, fid: number): void {
    const x = hart.x;
    if (fid === SbiFid.DBCN.CONSOLE_WRITE_BYTE) {
      this.oneByte[0] = x[A0] & 0xff;
      this.platform.consoleWrite(this.oneByte);
      this.succeed(x, 0);
      return;
    }
    // num_bytes in a0; the physical address is a1 (low XLEN bits) and a2 (high XLEN bits).
    const countHi = x[A0 + 1];
    const count = (x[A0] >>> 0) + (countHi >>> 0) * TWO32;
    const addr = (x[A1] >>> 0) + (x[A1 + 1] >>> 0) * TWO32;
    const mem = hart.mem;
    if (x[A2] !== 0 || x[A2 + 1] !== 0 || countHi !== 0 || !mem.containsRam(addr, count)) {
      this.fail(x, SbiError.ERR_INVALID_PARAM);
      return;
    }
    const host = mem.ramOffset + (addr - mem.ramBase);
    const view = mem.u8.subarray(host, host + count);
    if (fid === SbiFid.DBCN.CONSOLE_WRITE) {
      if (count > 0) this.platform.consoleWrite(view);
      this.succeed(x, count);
      return;
    }
    const read = count > 0 ? Math.min(count, Math.max(0, this.platform.consoleRead(view) | 0)) : 0;
    // A host write into RAM: decoded code of those pages is stale on every hart.
    if (read > 0) for (const h of this.harts) h.invalidateCode(addr, read);
    this.succeed(x, read);
  }

  private vendor(hart: Hart, fid: number): void {
    const x = hart.x;
    switch (fid) {
      case SbiFid.MONOVISOR.GET_SIGNATURE:
        this.succeed(x, MONOVISOR_SIGNATURE);
        return;
      case SbiFid.MONOVISOR.GET_VERSION:
        this.succeed(x, MONOVISOR_VENDOR_VERSION);
        return;
      case SbiFid.MONOVISOR.PROBE_FUNCTION: {
        const probed = x[A0] >>> 0;
        const available =
          x[A0 + 1] === 0 &&
          probed <= SbiFid.MONOVISOR.TRACE_MARK &&
          isVendorFunctionAvailable(probed, MONOVISOR_VENDOR_VERSION);
        this.succeed(x, available ? 1 : 0);
        return;
      }
      case SbiFid.MONOVISOR.TRACE_MARK:
        this.platform.traceMark?.(hart.hartId, unsigned(x, A0), unsigned(x, A1));
        this.succeed(x, 0);
        return;
      default:
        this.notSupported(x);
    }
  }

  // ---------------------------------------------------------------- legacy v0.1

  /** Legacy calls return one value in a0 (negative on error) and leave a1 alone. */
  private dispatchLegacy(hart: Hart, eid: number): void {
    const x = hart.x;
    switch (eid) {
      case SbiEid.LEGACY_SET_TIMER:
        this.setTimer(hart, x[A0], x[A0 + 1]);
        setLong(x, A0, 0);
        return;
      case SbiEid.LEGACY_CONSOLE_PUTCHAR:
        this.oneByte[0] = x[A0] & 0xff;
        this.platform.consoleWrite(this.oneByte);
        setLong(x, A0, 0);
        return;
      case SbiEid.LEGACY_CONSOLE_GETCHAR:
        setLong(x, A0, this.platform.consoleRead(this.oneByte) > 0 ? this.oneByte[0] : -1);
        return;
      case SbiEid.LEGACY_CLEAR_IPI:
        hart.mipSw &= ~MIP_SSIP;
        setLong(x, A0, 0);
        return;
      case SbiEid.LEGACY_SEND_IPI:
        setLong(x, A0, this.forEachInLegacyMask(hart, OP_IPI));
        return;
      case SbiEid.LEGACY_REMOTE_FENCE_I:
        setLong(x, A0, this.forEachInLegacyMask(hart, OP_FENCE_I));
        return;
      case SbiEid.LEGACY_REMOTE_SFENCE_VMA:
      case SbiEid.LEGACY_REMOTE_SFENCE_VMA_ASID:
        setLong(x, A0, this.forEachInLegacyMask(hart, OP_SFENCE_VMA));
        return;
      case SbiEid.LEGACY_SHUTDOWN:
        this.requestSystemReset(SrstType.SHUTDOWN, SrstReason.NO_REASON);
        setLong(x, A0, 0);
        return;
      default:
        setLong(x, A0, SbiError.ERR_NOT_SUPPORTED);
        return;
    }
  }

  /** v0.1 passes the hart mask by S-mode virtual address; a null pointer means every hart. */
  private forEachInLegacyMask(hart: Hart, op: number): number {
    const x = hart.x;
    if (x[A0] === 0 && x[A0 + 1] === 0) return this.forEachInMask(0, 0, -1, -1, op);
    const mask = this.maskWords;
    if (!readSupervisorDoubleword(hart, x[A0], x[A0 + 1], mask)) return SbiError.ERR_INVALID_ADDRESS;
    return this.forEachInMask(mask[0], mask[1], 0, 0, op);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Applies `op` to the harts selected by `hart_mask` / `hart_mask_base` (base all ones: every
   * hart). Checks every selected hart ID before touching any hart.
   */
  private forEachInMask(maskLo: number, maskHi: number, baseLo: number, baseHi: number, op: number): number {
    const n = this.harts.length;
    if (baseLo === -1 && baseHi === -1) {
      for (let i = 0; i < n; i++) this.applyToHart(i, op);
      return SbiError.SUCCESS;
    }
    if (maskLo === 0 && maskHi === 0) return SbiError.SUCCESS;
    if (baseHi !== 0) return SbiError.ERR_INVALID_PARAM;
    const base = baseLo >>> 0;
    const highestBit = maskHi !== 0 ? 63 - Math.clz32(maskHi) : 31 - Math.clz32(maskLo);
    if (base + highestBit >= n) return SbiError.ERR_INVALID_PARAM;
    for (let bit = 0; bit < 32; bit++) if (((maskLo >>> bit) & 1) !== 0) this.applyToHart(base + bit, op);
    for (let bit = 0; bit < 32; bit++)
      if (((maskHi >>> bit) & 1) !== 0) this.applyToHart(base + 32 + bit, op);
    return SbiError.SUCCESS;
  }

  private applyToHart(i: number, op: number): void {
    if (!this.isLocal(i)) {
      this.remote?.post(i, op);
      return;
    }
    const hart = this.harts[i];
    if (op === OP_IPI) hart.setPending(MipBit.SSIP, true);
    else if (op === OP_FENCE_I) hart.flushDecodeCache();
    else hart.flushTlb(TLB_FLUSH_REMOTE);
  }

  private setTimer(hart: Hart, lo: number, hi: number): void {
    const i = hart.hartId;
    if ((hart.csrHiArr[CSR_MENVCFG] & MENVCFG_HI_STCE) !== 0) {
      // Under Sstc, STIP follows stimecmp; a separate SBI deadline would fight it.
      hart.csrWrite(CSR_STIMECMP, lo, hi);
      this.deadlines[i] = Number.POSITIVE_INFINITY;
      return;
    }
    hart.setPending(MipBit.STIP, false);
    const deadline = lo === -1 && hi === -1 ? Number.POSITIVE_INFINITY : (hi >>> 0) * TWO32 + (lo >>> 0);
    this.deadlines[i] = deadline;
    const now = hart.clock.now();
    const tp = this.tpProgram;
    if (tp?.enabled) tp.emit(i, lo >>> 0, hi >>> 0, now % TWO32, Math.floor(now / TWO32), PRIV_S);
    if (deadline <= now) this.fireTimer(i, now);
  }

  /** STIP stays raised until the next set_timer clears it; the deadline is spent. */
  private fireTimer(i: number, now: number): void {
    const tp = this.tpFire;
    // set_timer lowered STIP, so every firing is a rising edge.
    if (tp?.enabled) {
      const d = this.deadlines[i];
      tp.emit(i, d % TWO32, Math.floor(d / TWO32), now % TWO32, Math.floor(now / TWO32), PRIV_S);
    }
    this.deadlines[i] = Number.POSITIVE_INFINITY;
    this.harts[i].setPending(MipBit.STIP, true);
  }

  /** The hart ID in argument register `reg`, or -1 when no such hart exists. */
  private hartIdArgument(x: Int32Array, reg: number): number {
    const id = x[reg] >>> 0;
    return x[reg + 1] === 0 && id < this.harts.length ? id : -1;
  }

  /** An S-mode entry point: RAM the hart can fetch from, at instruction alignment. */
  private isEntryAddress(lo: number, hi: number): boolean {
    return (lo & 1) === 0 && this.harts[0].mem.containsRam((hi >>> 0) * TWO32 + (lo >>> 0), 2);
  }

  private succeed(x: Int32Array, value: number): void {
    x[A0] = 0;
    x[A0 + 1] = 0;
    setLong(x, A1, value);
  }

  private fail(x: Int32Array, error: number): void {
    setLong(x, A0, error);
    x[A1] = 0;
    x[A1 + 1] = 0;
  }

  private finish(x: Int32Array, error: number): void {
    if (error === SbiError.SUCCESS) this.succeed(x, 0);
    else this.fail(x, error);
  }

  private notSupported(x: Int32Array): void {
    this.counters.notSupported++;
    this.fail(x, SbiError.ERR_NOT_SUPPORTED);
  }
}

/** Writes a signed or unsigned integer (exact below 2^53 in magnitude) as a 64-bit register. */
function setLong(x: Int32Array, reg: number, value: number): void {
  x[reg] = value | 0;
  x[reg + 1] = Math.floor(value / TWO32) | 0;
}

function unsigned(x: Int32Array, reg: number): number {
  return (x[reg + 1] >>> 0) * TWO32 + (x[reg] >>> 0);
}
