import type { StandardTracepointSpecOf, Tracer, TypedTracepoint } from "@monovisor/perf";
import { Fpu } from "../fpu/fpu.js";
import type { InterruptTarget } from "../irq/irq-line.js";
import { MmioBus, type MmioRegion } from "../memory/bus.js";
import { GuestMemory, HART_STATE_BYTES } from "../memory/guest-memory.js";
import type { Clock } from "../time/clock.js";
import { expandCompressed } from "./compressed.js";
import {
  CAUSE_FETCH_ACCESS,
  CAUSE_FETCH_PAGE_FAULT,
  CAUSE_LOAD_ACCESS,
  CAUSE_LOAD_PAGE_FAULT,
  CAUSE_MACHINE_ECALL,
  CAUSE_STORE_ACCESS,
  CAUSE_STORE_PAGE_FAULT,
  CAUSE_SUPERVISOR_ECALL,
  CAUSE_USER_ECALL,
  IRQ_M_EXT,
  IRQ_M_SOFT,
  IRQ_M_TIMER,
  IRQ_S_EXT,
  IRQ_S_SOFT,
  IRQ_S_TIMER,
  MENVCFG_HI_STCE,
  MIP_SSIP,
  MIP_STIP,
  MSTATUS_FS,
  MSTATUS_HI_SD,
  MSTATUS_HI_UXL_SXL,
  MSTATUS_MIE,
  MSTATUS_MPIE,
  MSTATUS_MPP,
  MSTATUS_MPP_SHIFT,
  MSTATUS_MPRV,
  MSTATUS_MXR,
  MSTATUS_SIE,
  MSTATUS_SPIE,
  MSTATUS_SPP,
  MSTATUS_SUM,
  MSTATUS_TVM,
  MSTATUS_WRITABLE,
  PRIV_M,
  PRIV_S,
  PRIV_U,
  PTE_A,
  PTE_D,
  PTE_R,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  S_INTERRUPTS,
  SATP_MODE_BARE,
  SATP_MODE_SV39,
  SATP_MODE_SV48,
  SSTATUS_MASK,
  SSTATUS_WRITABLE,
  TLB_FLUSH_PRIVILEGE,
  TLB_FLUSH_SATP,
  TLB_FLUSH_SFENCE,
} from "./constants.js";
import * as C from "./csr-numbers.js";
import { decodeInto, SLOT_WORDS } from "./decode.js";
import { HART_STATE_TYPE, HART_STATE_VERSION, type HartState, hex64, parseHartState } from "./hart-state.js";
import {
  Op,
  runPage,
  SLOW_CONTINUE,
  SLOW_EXIT_JUMPED,
  SLOW_EXIT_NEXT,
  SLOW_TRAPPED,
  TLB_SIZE,
} from "./interpreter.js";
import { WARMUP_IMAGE_BASE64 } from "./warmup/warmup-image.js";

const ACCESS_FETCH = 0;
const ACCESS_LOAD = 1;
const ACCESS_STORE = 2;
const PAGE_FAULT_CAUSE = [CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT];
const ACCESS_FAULT_CAUSE = [CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS];
/** `pause` (`fence w,0`): the Zihintpause spin-wait hint. */
const PAUSE_INSTRUCTION = 0x0100000f;
const TWO32 = 4294967296;
const SLOTS_PER_PAGE = 2048;
/** Set in a write-TLB tag whose page holds decoded code: the fast path misses, the slow path skips the walk. */
const CODE_TAG = 1;
/** Exceptions that `medeleg` can delegate (M-mode ecall stays in M). */
const MEDELEG_WRITABLE = 0xb3ff;
const MIE_WRITABLE = 0xaaa;
/** `misa`: RV64 (MXL = 2) with A, C, D, F, I, M, S, U. */
const MISA_LO = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
const MISA_HI = 2 << 30;
/**
 * Byte offset, within a hart's register block, of the word a `fence` does an atomic
 * read-modify-write on when memory is shared: a host barrier. The hart's own word, so harts
 * fencing at once do not contend for one cache line.
 */
const FENCE_WORD = HART_STATE_BYTES - 4;
/** Interrupts in the order the privileged spec gives them priority. */
const INTERRUPT_PRIORITY = [IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER];

type TracepointOf<
  N extends
    | "hart.trap"
    | "hart.wfi"
    | "mmio.access"
    | "tlb.flush"
    | "timer.program"
    | "timer.fire"
    | "mmu.walk",
> = TypedTracepoint<StandardTracepointSpecOf<N>>;

/** TLB set index by privilege level (U = 0, S = 1, M = 3). */
const TLB_SET_OF_PRIV = [0, 1, 2, 2];

/** Direct-mapped translations for one privilege level, split by access kind. */
class TlbSet {
  readonly rTagLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly rTagHi = new Int32Array(TLB_SIZE);
  readonly rHost = new Int32Array(TLB_SIZE);
  readonly wTagLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly wTagHi = new Int32Array(TLB_SIZE);
  readonly wHost = new Int32Array(TLB_SIZE);
  readonly fTagLo = new Int32Array(TLB_SIZE).fill(-1);
  readonly fTagHi = new Int32Array(TLB_SIZE);
  readonly fHost = new Int32Array(TLB_SIZE);
}

/**
 * Called on `ecall` from S-mode when the hypervisor serves SBI itself (DESIGN §1). Returns true
 * when it set the pc itself (e.g. a resume address); otherwise the hart continues after the ecall.
 */
export type EcallHandler = (hart: Hart) => unknown;

/** Observes every trap as it is taken (cause, interrupt or not, the pc it interrupted). */
export type TrapHook = (hart: Hart, cause: number, interrupt: boolean) => void;

export interface HartOptions {
  memory: GuestMemory;
  bus: MmioBus;
  clock: Clock;
  /** `mhartid`, also the index of the register block in `memory`. */
  hartId?: number;
  /** Serves S-mode `ecall`s (SBI) in the host instead of trapping to M-mode. */
  ecallHandler?: EcallHandler;
}

/**
 * One RV64GC hart: registers in the VM's memory buffer, an interpreter over per-page decoded
 * instructions, split software TLBs, and the privileged architecture (M/S/U, Sv39/Sv48, traps).
 *
 * @example
 * const hart = new Hart({ memory, bus, clock: new WallClock() });
 * hart.reset(0x8000_0000);
 * hart.run(1_000_000); // retires up to a million instructions
 */
export class Hart implements InterruptTarget {
  readonly mem: GuestMemory;
  readonly bus: MmioBus;
  readonly clock: Clock;
  readonly hartId: number;
  /** x0..x31 as (lo, hi) int32 pairs; index 64/65 absorbs writes to x0. */
  readonly x: Int32Array;
  /** f0..f31 as (lo, hi) int32 pairs. */
  readonly f: Int32Array;
  ecallHandler: EcallHandler | undefined;
  /** IEEE arithmetic with exact flags for the F and D instructions. */
  readonly fpu = new Fpu();
  /** Called on every trap before it is taken; for tools and tests (not the hot path). */
  onTrap: TrapHook | undefined;
  /**
   * True when {@link mem} is shared with other threads (fixed at construction). AMOs, SC, `fence`
   * and hardware A/D updates then use `Atomics`, so harts on different threads stay coherent;
   * otherwise they take the plain paths, which cost nothing extra.
   */
  readonly sharedMemory: boolean;
  /** Index in `mem.i32` of this hart's {@link FENCE_WORD}. */
  private readonly fenceIndex: number;

  pcLo = 0;
  pcHi = 0;
  private privLevel = PRIV_M;
  /** Low word of `mstatus`; the high word is fixed (UXL/SXL) plus SD, derived. */
  mstatus = 0;
  mie = 0;
  mideleg = 0;
  medeleg = 0;
  /** Pending bits written by software (SSIP, STIP without Sstc, SEIP). */
  mipSw = 0;
  /** Pending levels driven by interrupt controllers and the Sstc comparator. */
  mipExt = 0;
  fflags = 0;
  frm = 0;
  /** Retired instructions, updated at block exits; see {@link blockRetired}. */
  instret = 0;
  /** Instructions retired in the current block before the op being executed out of line. */
  blockRetired = 0;
  private cycleOffset = 0;
  private instretOffset = 0;
  /** Plain 64-bit CSR storage by CSR number (mepc, stvec, satp, …). */
  readonly csrLoArr = new Int32Array(4096);
  readonly csrHiArr = new Int32Array(4096);
  /** True after `wfi` until an enabled interrupt is pending. */
  waiting = false;
  /** Set by the machine to make {@link run} return at the next block boundary. */
  stopRequested = false;
  /**
   * With shared memory: `pause` ends the current run (setting {@link yieldRequested}) so a
   * scheduler can give the thread to another vCPU. Set by whoever runs the hart.
   */
  pauseYields = false;
  /** A `pause` ended the last run early (see {@link pauseYields}); the runner clears it. */
  yieldRequested = false;

  // Result registers of out-of-line helpers.
  ldLo = 0;
  ldHi = 0;
  csrLo = 0;
  csrHi = 0;
  /** Set by a slow memory access that changed state the current block depends on. */
  exitBlock = false;

  /** One software TLB set per privilege (U, S, M), so a privilege change needs no flush. */
  private readonly tlbSets = [new TlbSet(), new TlbSet(), new TlbSet()];
  // The sets in use: data accesses follow the effective data privilege (MPRV), fetch the hart's.
  // Tag = virtual page: the low word with offset bits clear, and the high word.
  rTagLo: Int32Array;
  rTagHi: Int32Array;
  rHost: Int32Array;
  wTagLo: Int32Array;
  wTagHi: Int32Array;
  wHost: Int32Array;
  fTagLo: Int32Array;
  fTagHi: Int32Array;
  fHost: Int32Array;

  /** Decoded code pages by RAM page index. */
  private readonly codePages: (Int32Array | undefined)[];
  /** Indices of {@link codePages} that hold a page, so a flush touches only those. */
  private readonly decodedPages: number[] = [];
  private readonly listedPages: Uint8Array;
  private readonly scratchPage = new Int32Array((SLOTS_PER_PAGE + 1) * SLOT_WORDS);
  private resValid = false;
  private resLo = 0;
  private resHi = 0;
  resValueLo = 0;
  resValueHi = 0;

  // Tracing (see attachTracer). Each emit site is out of line and tests one of these first.
  private tracer: Tracer | undefined;
  private vcpu = 0;
  private tpTrap: TracepointOf<"hart.trap"> | undefined;
  private tpWfi: TracepointOf<"hart.wfi"> | undefined;
  private tpMmio: TracepointOf<"mmio.access"> | undefined;
  private tpTlb: TracepointOf<"tlb.flush"> | undefined;
  private tpTimerProgram: TracepointOf<"timer.program"> | undefined;
  private tpTimerFire: TracepointOf<"timer.fire"> | undefined;
  private tpWalk: TracepointOf<"mmu.walk"> | undefined;
  /** Levels the last page walk read (for `mmu.walk`). */
  private walkLevels = 0;
  /** Trace-clock time the current wait began, or -1 when no traced wait is open. */
  private wfiSince = -1;
  private wfiPcLo = 0;
  private wfiPcHi = 0;
  /** Last MMIO region traced and its interned device name. */
  private tpRegion: MmioRegion | undefined;
  private tpDevice = 0;

  constructor(options: HartOptions) {
    this.mem = options.memory;
    this.bus = options.bus;
    this.clock = options.clock;
    this.hartId = options.hartId ?? 0;
    this.ecallHandler = options.ecallHandler;
    if (this.hartId < 0 || this.hartId >= this.mem.hartCount) {
      throw new RangeError(
        `hart id ${this.hartId} has no register block (memory holds ${this.mem.hartCount})`,
      );
    }
    const base = this.mem.hartStateOffset(this.hartId);
    this.sharedMemory = this.mem.shared;
    this.fenceIndex = (base + FENCE_WORD) >>> 2;
    this.x = new Int32Array(this.mem.buffer, base, 66);
    this.f = new Int32Array(this.mem.buffer, base + 66 * 4 + 8, 64);
    this.codePages = new Array(this.mem.ramSize / 4096);
    this.listedPages = new Uint8Array(this.mem.ramSize / 4096);
    const set = this.tlbSets[2];
    this.rTagLo = set.rTagLo;
    this.rTagHi = set.rTagHi;
    this.rHost = set.rHost;
    this.wTagLo = set.wTagLo;
    this.wTagHi = set.wTagHi;
    this.wHost = set.wHost;
    this.fTagLo = set.fTagLo;
    this.fTagHi = set.fTagHi;
    this.fHost = set.fHost;
    this.reset(this.mem.ramBase);
  }

  /**
   * Emits this hart's events into `tracer` as vCPU `vcpu` (default: the hart ID): `hart.trap`,
   * `hart.wfi`, `mmio.access`, `tlb.flush`, `mmu.walk`, and `timer.program` / `timer.fire` for
   * the Sstc comparator (`stimecmp`). Tracepoints are looked up here, once; which of
   * them record anything follows the tracer's enablement. Without a tracer nothing is emitted.
   */
  attachTracer(tracer: Tracer, vcpu = this.hartId): void {
    this.tracer = tracer;
    this.vcpu = vcpu;
    this.tpTrap = tracer.tracepoint("hart.trap");
    this.tpWfi = tracer.tracepoint("hart.wfi");
    this.tpMmio = tracer.tracepoint("mmio.access");
    this.tpTlb = tracer.tracepoint("tlb.flush");
    this.tpTimerProgram = tracer.tracepoint("timer.program");
    this.tpTimerFire = tracer.tracepoint("timer.fire");
    this.tpWalk = tracer.tracepoint("mmu.walk");
    this.tpRegion = undefined;
    this.wfiSince = -1;
  }

  detachTracer(): void {
    this.tracer = undefined;
    this.tpTrap = undefined;
    this.tpWfi = undefined;
    this.tpMmio = undefined;
    this.tpTlb = undefined;
    this.tpTimerProgram = undefined;
    this.tpTimerFire = undefined;
    this.tpWalk = undefined;
    this.tpRegion = undefined;
    this.wfiSince = -1;
  }

  /** Architectural reset: M-mode, registers cleared, pc at `pc`. */
  reset(pc: number, pcHi = 0): void {
    this.x.fill(0);
    this.f.fill(0);
    this.pcLo = pc | 0;
    this.pcHi = pcHi | 0;
    this.privLevel = PRIV_M;
    this.mstatus = 0;
    this.mie = 0;
    this.mideleg = 0;
    this.medeleg = 0;
    this.mipSw = 0;
    this.mipExt = 0;
    this.fflags = 0;
    this.frm = 0;
    this.csrLoArr.fill(0);
    this.csrHiArr.fill(0);
    this.csrLoArr[C.CSR_STIMECMP] = -1;
    this.csrHiArr[C.CSR_STIMECMP] = -1;
    this.waiting = false;
    this.stopRequested = false;
    this.wfiSince = -1; // a reset ends a wait without a wake-up to report
    this.resValid = false;
    this.dropTranslations();
    this.selectTlbSets();
    this.flushDecodeCache();
  }

  /** Saves the architectural state; call between {@link run}s (at a slice boundary). */
  saveState(): HartState {
    const regs = (a: Int32Array) => Array.from({ length: 32 }, (_, i) => hex64(a[2 * i], a[2 * i + 1]));
    const csrs: Record<string, string> = {};
    for (let n = 0; n < 4096; n++) {
      if (this.csrLoArr[n] !== 0 || this.csrHiArr[n] !== 0) {
        csrs[n.toString(16)] = hex64(this.csrLoArr[n], this.csrHiArr[n]);
      }
    }
    return {
      type: HART_STATE_TYPE,
      version: HART_STATE_VERSION,
      hartId: this.hartId,
      x: regs(this.x),
      f: regs(this.f),
      pc: hex64(this.pcLo, this.pcHi),
      priv: this.privLevel,
      mstatus: this.mstatus,
      mie: this.mie,
      mideleg: this.mideleg,
      medeleg: this.medeleg,
      mipSw: this.mipSw,
      mipExt: this.mipExt,
      fflags: this.fflags,
      frm: this.frm,
      instret: this.instret + this.blockRetired,
      cycleOffset: this.cycleOffset,
      instretOffset: this.instretOffset,
      csrs,
      waiting: this.waiting,
      reservation: this.resValid
        ? { address: hex64(this.resLo, this.resHi), value: hex64(this.resValueLo, this.resValueHi) }
        : null,
    };
  }

  /**
   * Loads a state from {@link saveState} (validated first: a bad state throws
   * {@link HartStateError} and changes nothing). Translations and decoded code are dropped,
   * since RAM may have changed under them.
   */
  restoreState(state: HartState): void {
    const s = parseHartState(state, this.hartId);
    s.x.forEach(([lo, hi], i) => {
      this.x[2 * i] = i === 0 ? 0 : lo;
      this.x[2 * i + 1] = i === 0 ? 0 : hi;
    });
    s.f.forEach(([lo, hi], i) => {
      this.f[2 * i] = lo;
      this.f[2 * i + 1] = hi;
    });
    [this.pcLo, this.pcHi] = s.pc;
    this.privLevel = s.priv;
    this.mstatus = s.mstatus;
    this.mie = s.mie;
    this.mideleg = s.mideleg;
    this.medeleg = s.medeleg;
    this.mipSw = s.mipSw;
    this.mipExt = s.mipExt;
    this.fflags = s.fflags;
    this.frm = s.frm;
    this.instret = s.instret;
    this.blockRetired = 0;
    this.cycleOffset = s.cycleOffset;
    this.instretOffset = s.instretOffset;
    this.csrLoArr.fill(0);
    this.csrHiArr.fill(0);
    for (const [n, lo, hi] of s.csrs) {
      this.csrLoArr[n] = lo;
      this.csrHiArr[n] = hi;
    }
    this.waiting = s.waiting;
    this.stopRequested = false;
    this.wfiSince = -1;
    this.exitBlock = false;
    if (s.reservation === null) this.resValid = false;
    else {
      this.resValid = true;
      [this.resLo, this.resHi, this.resValueLo, this.resValueHi] = s.reservation;
    }
    this.dropTranslations();
    this.selectTlbSets();
    this.flushDecodeCache();
  }

  /** The pc as a number (exact below 2^53; kernel addresses are negative as int64). */
  get pc(): number {
    return this.pcHi * TWO32 + (this.pcLo >>> 0);
  }

  /** Reads integer register `i` as a signed number (exact when |value| < 2^53). */
  getX(i: number): number {
    return this.x[2 * i + 1] * TWO32 + (this.x[2 * i] >>> 0);
  }

  /** Reads integer register `i` as an unsigned BigInt (for tools and tests, not the hot path). */
  getXBig(i: number): bigint {
    return (BigInt(this.x[2 * i + 1] >>> 0) << 32n) | BigInt(this.x[2 * i] >>> 0);
  }

  /** Sets integer register `i` (ignored for x0) from a number or BigInt. */
  setX(i: number, value: number | bigint): void {
    if (i === 0) return;
    const v = BigInt.asUintN(64, BigInt(value));
    this.x[2 * i] = Number(v & 0xffffffffn) | 0;
    this.x[2 * i + 1] = Number(v >> 32n) | 0;
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs until `budget` instructions have retired, the hart waits (`wfi`), or
   * {@link stopRequested} is set. Interrupts are taken at block boundaries. Returns the number
   * of instructions retired (traps taken while fetching count as one each, so a hart stuck in a
   * fault loop still returns).
   */
  run(budget: number): number {
    if (!interpreterWarmedUp) warmUpInterpreter();
    this.updateSstc();
    // A traced wait ends when the machine runs the hart again (or an interrupt below wakes it).
    if (this.wfiSince >= 0 && !this.waiting) this.endWfi();
    let done = 0;
    while (done < budget) {
      if (((this.mipSw | this.mipExt) & this.mie) !== 0) {
        this.waiting = false;
        if (this.wfiSince >= 0) this.endWfi();
        const cause = this.pendingInterrupt();
        if (cause >= 0) this.trap(cause, true, 0, 0);
      }
      if (this.waiting || this.stopRequested || this.yieldRequested) break;
      const pcLo = this.pcLo;
      const ix = (pcLo >>> 12) & (TLB_SIZE - 1);
      if (
        (this.fTagLo[ix] !== (pcLo & -4096) || this.fTagHi[ix] !== this.pcHi) &&
        this.fetchTranslate() < 0
      ) {
        done++;
        continue;
      }
      const n = runPage(this, budget - done, null);
      // A block that retired nothing raised an exception: charge it so fault loops still end.
      done += n > 0 ? n : 1;
      this.instret += n;
    }
    return done;
  }

  /** Host byte offset of the RAM page holding pc, filling the fetch TLB; -1 after a fault. */
  private fetchTranslate(): number {
    const pa = this.translate(this.pcLo, this.pcHi, ACCESS_FETCH, this.priv);
    if (pa < 0) return -1;
    const page = pa - (pa % 4096);
    if (!this.mem.containsRam(page, 4096)) {
      this.raiseException(CAUSE_FETCH_ACCESS, this.pcLo, this.pcHi);
      return -1;
    }
    const host = this.mem.ramOffset + (page - this.mem.ramBase);
    const ix = (this.pcLo >>> 12) & (TLB_SIZE - 1);
    this.fTagLo[ix] = this.pcLo & -4096;
    this.fTagHi[ix] = this.pcHi;
    this.fHost[ix] = host | 0;
    return host;
  }

  /** The decoded-slot array of the RAM page at host offset `host`, created on first use. */
  codePageAt(host: number): Int32Array {
    const index = (host - this.mem.ramOffset) >>> 12;
    let page = this.codePages[index];
    if (page === undefined) {
      page = new Int32Array((SLOTS_PER_PAGE + 1) * SLOT_WORDS);
      page[SLOTS_PER_PAGE * SLOT_WORDS] = Op.EXIT_PAGE;
      // An index whose page was dropped by invalidateCode is still listed.
      if (!this.listedPages[index]) {
        this.listedPages[index] = 1;
        this.decodedPages.push(index);
      }
      this.codePages[index] = page;
      // Stores to this page must now take the slow path, which invalidates decoded slots:
      // tag bit 0 keeps the entry off the fast path but saves the page walk.
      const h = host | 0;
      for (const set of this.tlbSets) {
        const wHost = set.wHost;
        const wTagLo = set.wTagLo;
        for (let i = 0; i < TLB_SIZE; i++) if (wHost[i] === h && wTagLo[i] !== -1) wTagLo[i] |= CODE_TAG;
      }
    }
    return page;
  }

  /** Decodes the instruction at `pcLo` (in the page at `hostPage`) into slot word offset `s`. */
  decodeSlot(d: Int32Array, s: number, hostPage: number, pcLo: number): void {
    const off = pcLo & 0xfff;
    const u16 = this.mem.u16;
    const low = u16[(hostPage + off) >>> 1];
    if ((low & 3) !== 3) {
      const inst = expandCompressed(low);
      if (inst === 0) {
        d[s] = Op.ILLEGAL;
        d[s + 1] = 0;
        d[s + 2] = low;
        d[s + 3] = 2;
      } else decodeInto(d, s, inst, low, 2);
    } else if (off === 0xffe) {
      d[s] = Op.CROSS_PAGE;
      d[s + 3] = 4;
    } else {
      const inst = low | (u16[(hostPage + off + 2) >>> 1] << 16);
      decodeInto(d, s, inst, inst, 4);
      if (this.sharedMemory && d[s] === Op.FENCE) this.decodeSharedFence(d, s, inst);
    }
  }

  /**
   * With shared memory, a `fence` that orders anything (non-empty predecessor and successor
   * sets) becomes a host barrier: plain typed-array accesses may be reordered by the host CPU
   * (x86 lets a load pass an earlier store), which RVWMO `fence rw,rw` forbids. It goes out of
   * line so the unshared interpreter keeps `fence` as a no-op. `pause` (`fence w,0`) stays one.
   */
  private decodeSharedFence(d: Int32Array, s: number, inst: number): void {
    const succ = (inst >>> 20) & 0xf;
    const pred = (inst >>> 24) & 0xf;
    if (succ !== 0 && pred !== 0) d[s] = Op.FENCE_SHARED;
    // Zihintpause, as Linux's cpu_relax() spins: the scheduler may want the thread back.
    else if (inst === PAUSE_INSTRUCTION) d[s] = Op.PAUSE;
  }

  /** A full host memory barrier: a sequentially consistent read-modify-write on this hart's word. */
  hostFence(): void {
    Atomics.add(this.mem.i32, this.fenceIndex, 0);
  }

  /** Executes the one 4-byte instruction that straddles a page end. Returns 1 if it retired. */
  execCrossPage(retired: number): number {
    const inst = this.fetchRaw();
    if (this.exitBlock) {
      // fetching the second half faulted
      this.exitBlock = false;
      return 0;
    }
    const s = (this.pcLo & 0xfff) << 1;
    decodeInto(this.scratchPage, s, inst, inst, 4);
    if (this.sharedMemory && this.scratchPage[s] === Op.FENCE)
      this.decodeSharedFence(this.scratchPage, s, inst);
    // Counters read by this instruction must include the block's earlier instructions.
    this.instret += retired;
    const r = runPage(this, 1, this.scratchPage);
    this.instret -= retired;
    return r;
  }

  /**
   * The raw bits of the instruction at pc (for `*tval` on illegal instructions). Sets
   * {@link exitBlock} and raises the fetch fault if a half cannot be fetched.
   */
  fetchRaw(): number {
    const low = this.fetchHalf(this.pcLo, this.pcHi);
    if (low < 0) return 0;
    if ((low & 3) !== 3) return low;
    const lo2 = (this.pcLo + 2) | 0;
    const hi2 = lo2 >>> 0 < this.pcLo >>> 0 ? (this.pcHi + 1) | 0 : this.pcHi;
    const high = this.fetchHalf(lo2, hi2);
    if (high < 0) return 0;
    return low | (high << 16);
  }

  private fetchHalf(lo: number, hi: number): number {
    const pa = this.translate(lo, hi, ACCESS_FETCH, this.priv);
    if (pa < 0 || !this.mem.containsRam(pa, 2)) {
      if (pa >= 0) this.raiseException(CAUSE_FETCH_ACCESS, lo, hi);
      this.exitBlock = true;
      return -1;
    }
    return this.mem.u16[(this.mem.ramOffset + (pa - this.mem.ramBase)) >>> 1];
  }

  /** pc = pcLo + len, carrying into the high word. */
  setNextPc(pcLo: number, len: number): void {
    const lo = (pcLo + len) | 0;
    if (lo >>> 0 < pcLo >>> 0) this.pcHi = (this.pcHi + 1) | 0;
    this.pcLo = lo;
  }

  /** pc = (pcLo, this.pcHi) + sign-extended `imm`. */
  jumpRelative(pcLo: number, imm: number): void {
    const lo = (pcLo + imm) | 0;
    this.pcHi = (this.pcHi + (imm >> 31) + (lo >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
    this.pcLo = lo;
  }

  jumpTo(lo: number, hi: number): void {
    this.pcLo = lo & -2;
    this.pcHi = hi;
  }

  // ---------------------------------------------------------------- traps and interrupts

  /** Raises a synchronous exception at the current pc. */
  raiseException(cause: number, tvalLo: number, tvalHi: number): void {
    this.trap(cause, false, tvalLo, tvalHi);
  }

  private trap(cause: number, interrupt: boolean, tvalLo: number, tvalHi: number): void {
    this.onTrap?.(this, cause, interrupt);
    const tp = this.tpTrap;
    if (tp?.enabled) {
      // Delivered straight to the guest's vector: no hypervisor time to report.
      tp.emit(
        this.vcpu,
        0,
        interrupt ? (cause | 0x8000_0000) >>> 0 : cause,
        this.pcLo,
        this.pcHi,
        tvalLo,
        tvalHi,
        this.privLevel,
      );
    }
    const prev = this.priv;
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const lo = this.csrLoArr;
    const hi = this.csrHiArr;
    let ms = this.mstatus;
    if (prev <= PRIV_S && ((deleg >>> cause) & 1) !== 0) {
      lo[C.CSR_SEPC] = this.pcLo;
      hi[C.CSR_SEPC] = this.pcHi;
      lo[C.CSR_SCAUSE] = cause;
      hi[C.CSR_SCAUSE] = interrupt ? 1 << 31 : 0;
      lo[C.CSR_STVAL] = tvalLo;
      hi[C.CSR_STVAL] = tvalHi;
      ms = (ms & ~MSTATUS_SPIE) | ((ms & MSTATUS_SIE) !== 0 ? MSTATUS_SPIE : 0);
      ms = (ms & ~MSTATUS_SIE & ~MSTATUS_SPP) | (prev === PRIV_S ? MSTATUS_SPP : 0);
      this.mstatus = ms;
      this.setPriv(PRIV_S);
      this.enterVector(lo[C.CSR_STVEC], hi[C.CSR_STVEC], cause, interrupt);
    } else {
      lo[C.CSR_MEPC] = this.pcLo;
      hi[C.CSR_MEPC] = this.pcHi;
      lo[C.CSR_MCAUSE] = cause;
      hi[C.CSR_MCAUSE] = interrupt ? 1 << 31 : 0;
      lo[C.CSR_MTVAL] = tvalLo;
      hi[C.CSR_MTVAL] = tvalHi;
      ms = (ms & ~MSTATUS_MPIE) | ((ms & MSTATUS_MIE) !== 0 ? MSTATUS_MPIE : 0);
      ms = (ms & ~MSTATUS_MIE & ~MSTATUS_MPP) | (prev << MSTATUS_MPP_SHIFT);
      this.mstatus = ms;
      this.setPriv(PRIV_M);
      this.enterVector(lo[C.CSR_MTVEC], hi[C.CSR_MTVEC], cause, interrupt);
    }
  }

  private enterVector(tvecLo: number, tvecHi: number, cause: number, interrupt: boolean): void {
    const base = tvecLo & -4;
    const target = interrupt && (tvecLo & 3) === 1 ? (base + 4 * cause) | 0 : base;
    this.pcHi = target >>> 0 < base >>> 0 ? (tvecHi + 1) | 0 : tvecHi;
    this.pcLo = target;
  }

  /** The interrupt to take now (its number), or -1. */
  pendingInterrupt(): number {
    const pend = (this.mipSw | this.mipExt) & this.mie;
    if (pend === 0) return -1;
    const priv = this.priv;
    const mEnabled = priv < PRIV_M || (this.mstatus & MSTATUS_MIE) !== 0;
    const sEnabled = priv < PRIV_S || (priv === PRIV_S && (this.mstatus & MSTATUS_SIE) !== 0);
    // Interrupts for M-mode go before those delegated to S, whatever their numbers.
    let take = mEnabled ? pend & ~this.mideleg : 0;
    if (take === 0 && sEnabled) take = pend & this.mideleg;
    if (take === 0) return -1;
    for (const irq of INTERRUPT_PRIORITY) if ((take >>> irq) & 1) return irq;
    return -1;
  }

  /** Drives one `mip` bit from an interrupt controller (see {@link InterruptTarget}). */
  setPending(mipBit: number, level: boolean): void {
    if (mipBit === IRQ_S_SOFT) {
      // SSWI is edge-style: a write of 1 sets SSIP, software clears it.
      if (level) this.mipSw |= MIP_SSIP;
    } else {
      const m = 1 << mipBit;
      this.mipExt = level ? this.mipExt | m : this.mipExt & ~m;
    }
    if (level && ((this.mipSw | this.mipExt) & this.mie) !== 0) this.waiting = false;
  }

  /** Clears a software-written pending bit (e.g. SSIP for SBI `clear_ipi`). */
  clearSoftwarePending(mipBit: number): void {
    this.mipSw &= ~(1 << mipBit);
  }

  /** `wfi`: wait unless an enabled interrupt is already pending. */
  waitForInterrupt(): void {
    if (((this.mipSw | this.mipExt) & this.mie) === 0) {
      this.waiting = true;
      const tp = this.tpWfi;
      if (tp?.enabled && this.wfiSince < 0) {
        this.wfiSince = (this.tracer as Tracer).now();
        this.wfiPcLo = this.pcLo;
        this.wfiPcHi = this.pcHi;
      }
    }
  }

  /** Emits the `hart.wfi` span of a wait that has ended. */
  private endWfi(): void {
    const now = (this.tracer as Tracer).now();
    const tp = this.tpWfi as TracepointOf<"hart.wfi">;
    if (tp.enabled) tp.emitAt(now, this.vcpu, now - this.wfiSince, this.wfiPcLo, this.wfiPcHi);
    this.wfiSince = -1;
  }

  /** `ecall`: served by the hypervisor's SBI when it comes from S-mode and a handler is set. */
  ecall(): number {
    if (this.priv === PRIV_S && this.ecallHandler !== undefined) {
      return this.ecallHandler(this) === true ? SLOW_EXIT_JUMPED : SLOW_EXIT_NEXT;
    }
    const cause =
      this.priv === PRIV_U
        ? CAUSE_USER_ECALL
        : this.priv === PRIV_S
          ? CAUSE_SUPERVISOR_ECALL
          : CAUSE_MACHINE_ECALL;
    this.raiseException(cause, 0, 0);
    return SLOW_TRAPPED;
  }

  /** Current privilege level (PRIV_U, PRIV_S or PRIV_M). */
  get priv(): number {
    return this.privLevel;
  }

  set priv(p: number) {
    this.setPriv(p);
  }

  /** Enters privilege `p`; also re-picks the TLB sets, since MPRV/MPP may have changed with it. */
  setPriv(p: number): void {
    this.privLevel = p;
    this.selectTlbSets();
  }

  /** Points the TLB views at the sets for the current fetch and data privileges. */
  private selectTlbSets(): void {
    const data = this.tlbSets[TLB_SET_OF_PRIV[this.dataPriv()]];
    const fetch = this.tlbSets[TLB_SET_OF_PRIV[this.priv]];
    this.rTagLo = data.rTagLo;
    this.rTagHi = data.rTagHi;
    this.rHost = data.rHost;
    this.wTagLo = data.wTagLo;
    this.wTagHi = data.wTagHi;
    this.wHost = data.wHost;
    this.fTagLo = fetch.fTagLo;
    this.fTagHi = fetch.fTagHi;
    this.fHost = fetch.fHost;
  }

  /** Re-evaluates the Sstc comparator (`time >= stimecmp` drives STIP) when Sstc is enabled. */
  updateSstc(): void {
    if ((this.csrHiArr[C.CSR_MENVCFG] & MENVCFG_HI_STCE) === 0) return;
    const now = this.clock.now();
    const cmp = (this.csrHiArr[C.CSR_STIMECMP] >>> 0) * TWO32 + (this.csrLoArr[C.CSR_STIMECMP] >>> 0);
    const fire = now >= cmp;
    if (fire && (this.mipExt & MIP_STIP) === 0) {
      const tp = this.tpTimerFire;
      if (tp?.enabled) {
        const lo = this.csrLoArr[C.CSR_STIMECMP];
        const hi = this.csrHiArr[C.CSR_STIMECMP];
        tp.emit(this.vcpu, lo >>> 0, hi >>> 0, now % TWO32, Math.floor(now / TWO32), PRIV_S);
      }
    }
    this.setPending(IRQ_S_TIMER, fire);
  }

  /** Ticks until STIP would rise from Sstc, or Infinity; lets an idle machine sleep. */
  sstcDeadline(): number {
    if ((this.csrHiArr[C.CSR_MENVCFG] & MENVCFG_HI_STCE) === 0) return Number.POSITIVE_INFINITY;
    return (this.csrHiArr[C.CSR_STIMECMP] >>> 0) * TWO32 + (this.csrLoArr[C.CSR_STIMECMP] >>> 0);
  }

  // ---------------------------------------------------------------- memory

  /** Privilege used for data accesses (MPRV makes M-mode loads/stores use MPP). */
  private dataPriv(): number {
    if (this.priv === PRIV_M && (this.mstatus & MSTATUS_MPRV) !== 0) {
      return (this.mstatus & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT;
    }
    return this.priv;
  }

  /**
   * Forgets every cached translation (sfence.vma, satp writes, SUM/MXR changes). The arguments
   * only describe the request for the `tlb.flush` event: `reason` a `TLB_FLUSH_*` value, `scope`
   * what the guest asked to drop (0 all, 1 asid, 2 page, 3 asid-page; everything is dropped
   * regardless), and the sfence.vma operands.
   */
  flushTlb(reason = TLB_FLUSH_SFENCE, scope = 0, vaddrLo = 0, vaddrHi = 0, asid = 0): void {
    const tp = this.tpTlb;
    if (tp?.enabled) tp.emit(this.vcpu, scope, reason, asid & 0xffff, vaddrLo, vaddrHi);
    this.dropTranslations();
  }

  private dropTranslations(): void {
    for (const set of this.tlbSets) {
      set.rTagLo.fill(-1);
      set.wTagLo.fill(-1);
      set.fTagLo.fill(-1);
    }
  }

  /** Drops all decoded code (fence.i, remote fence.i, DMA into code). */
  flushDecodeCache(): void {
    const pages = this.codePages;
    for (const index of this.decodedPages) {
      pages[index] = undefined;
      this.listedPages[index] = 0;
    }
    this.decodedPages.length = 0;
  }

  /** Drops decoded code for guest RAM `[addr, addr + length)` after a host-side write. */
  invalidateCode(addr: number, length: number): void {
    const first = Math.floor((addr - this.mem.ramBase) / 4096);
    const last = Math.floor((addr + length - 1 - this.mem.ramBase) / 4096);
    for (let i = Math.max(0, first); i <= last && i < this.codePages.length; i++)
      this.codePages[i] = undefined;
  }

  /**
   * Translates a virtual address. Returns the physical address, or -1 after raising the page or
   * access fault. Sets A/D bits in hardware.
   */
  private translate(aLo: number, aHi: number, access: number, priv: number): number {
    const satpHi = this.csrHiArr[C.CSR_SATP];
    const mode = satpHi >>> 28;
    if (priv === PRIV_M || mode === SATP_MODE_BARE) return (aHi >>> 0) * TWO32 + (aLo >>> 0);
    const pa = this.walk(aLo, aHi, access, priv, mode, satpHi);
    // Disabled, this is the only cost tracing adds to a walk.
    const tp = this.tpWalk;
    if (tp?.enabled) this.emitWalk(tp, aLo, aHi, access, pa);
    return pa;
  }

  /** `mmu.walk` for the walk just done: `pa` as {@link walk} returned it. */
  private emitWalk(tp: TracepointOf<"mmu.walk">, aLo: number, aHi: number, access: number, pa: number): void {
    // Results: 0 ok, 1 page fault, 2 access fault (the enum's order).
    const result = pa >= 0 ? 0 : pa === -2 ? 2 : 1;
    const paLo = pa >= 0 ? pa % TWO32 : 0;
    const paHi = pa >= 0 ? Math.floor(pa / TWO32) : 0;
    tp.emit(this.vcpu, aLo >>> 0, aHi >>> 0, access, this.walkLevels, result, paLo, paHi);
  }

  /**
   * The page walk behind {@link translate}: the physical address, -1 after raising a page fault
   * or -2 after raising an access fault. Leaves the number of PTEs read in {@link walkLevels}.
   */
  private walk(aLo: number, aHi: number, access: number, priv: number, mode: number, satpHi: number): number {
    this.walkLevels = 0;
    const levels = mode === SATP_MODE_SV39 ? 3 : 4;
    const top = mode === SATP_MODE_SV39 ? aHi >> 6 : aHi >> 15;
    if (top !== 0 && top !== -1) return this.pageFault(access, aLo, aHi);
    let table = ((this.csrLoArr[C.CSR_SATP] >>> 0) + (satpHi & 0xfff) * TWO32) * 4096;
    const mem = this.mem;
    const i32 = mem.i32;
    for (let level = levels - 1; level >= 0; level--) {
      const vpn =
        level === 0
          ? (aLo >>> 12) & 0x1ff
          : level === 1
            ? (aLo >>> 21) & 0x1ff
            : level === 2
              ? ((aLo >>> 30) | (aHi << 2)) & 0x1ff
              : (aHi >>> 7) & 0x1ff;
      const pteAddr = table + vpn * 8;
      this.walkLevels = levels - level;
      if (!mem.containsRam(pteAddr, 8)) {
        this.raiseException(ACCESS_FAULT_CAUSE[access], aLo, aHi);
        return -2;
      }
      const q = (mem.ramOffset + (pteAddr - mem.ramBase)) >>> 2;
      const pte = i32[q];
      const pteHi = i32[q + 1];
      // Bits 63:54 are reserved (no Svpbmt/Svnapot): a PTE using them is a page fault.
      if (pteHi >>> 22 !== 0) return this.pageFault(access, aLo, aHi);
      if ((pte & PTE_V) === 0 || ((pte & PTE_R) === 0 && (pte & PTE_W) !== 0)) {
        return this.pageFault(access, aLo, aHi);
      }
      const ppn = (pte >>> 10) + (pteHi & 0x3fffff) * 4194304;
      if ((pte & (PTE_R | PTE_X)) === 0) {
        if (level === 0) return this.pageFault(access, aLo, aHi);
        table = ppn * 4096;
        continue;
      }
      // Leaf: permissions.
      if ((pte & PTE_U) !== 0) {
        if (priv === PRIV_S && (access === ACCESS_FETCH || (this.mstatus & MSTATUS_SUM) === 0)) {
          return this.pageFault(access, aLo, aHi);
        }
      } else if (priv === PRIV_U) return this.pageFault(access, aLo, aHi);
      const ok =
        access === ACCESS_FETCH
          ? (pte & PTE_X) !== 0
          : access === ACCESS_LOAD
            ? (pte & PTE_R) !== 0 || ((this.mstatus & MSTATUS_MXR) !== 0 && (pte & PTE_X) !== 0)
            : (pte & PTE_W) !== 0;
      if (!ok) return this.pageFault(access, aLo, aHi);
      const superBits = 9 * level;
      if (superBits > 0 && ppn % 2 ** superBits !== 0) return this.pageFault(access, aLo, aHi);
      const want = PTE_A | (access === ACCESS_STORE ? PTE_D : 0);
      if ((pte & want) !== want) {
        if (this.sharedMemory) {
          // Another hart may rewrite this PTE meanwhile (e.g. clear it before an sfence.vma): set
          // the bits only if it still holds what was checked above, otherwise read it again and
          // redo the checks, as the spec's walk does. A stale PTE is never written back.
          if (
            Atomics.compareExchange(i32, q, pte, pte | want) !== pte ||
            Atomics.load(i32, q + 1) !== pteHi
          ) {
            level++;
            continue;
          }
        } else i32[q] = pte | want;
        this.invalidateCode(pteAddr, 8);
      }
      const offsetBits = 12 + superBits;
      const offset =
        offsetBits <= 30 ? (aLo & ((1 << offsetBits) - 1)) >>> 0 : (aLo >>> 0) + (aHi & 0x7f) * TWO32;
      return (ppn - (ppn % 2 ** superBits)) * 4096 + offset;
    }
    return this.pageFault(access, aLo, aHi);
  }

  private pageFault(access: number, aLo: number, aHi: number): number {
    this.raiseException(PAGE_FAULT_CAUSE[access], aLo, aHi);
    return -1;
  }

  /**
   * Loads `size` bytes (zero-extended into {@link ldLo}/{@link ldHi}) through the full path:
   * translation, misaligned access emulation, TLB fill and MMIO. False after raising a fault.
   */
  loadSlow(aLo: number, aHi: number, size: number): boolean {
    const off = aLo & 0xfff;
    if (off + size > 4096) return this.crossPageAccess(aLo, aHi, size, false, 0, 0);
    const pa = this.translate(aLo, aHi, ACCESS_LOAD, this.dataPriv());
    if (pa < 0) return false;
    const mem = this.mem;
    if (mem.containsRam(pa, size)) {
      const page = pa - off;
      const host = mem.ramOffset + (page - mem.ramBase);
      const ix = (aLo >>> 12) & (TLB_SIZE - 1);
      this.rTagLo[ix] = aLo & -4096;
      this.rTagHi[ix] = aHi;
      this.rHost[ix] = host | 0;
      this.readHost(host + off, size);
      return true;
    }
    return this.mmioRead(pa, size, aLo, aHi);
  }

  /**
   * The out-of-line half of a load instruction: loads through {@link loadSlow}, extends per `op`,
   * writes register index `rd`. Returns SLOW_CONTINUE, SLOW_EXIT_NEXT (after MMIO) or SLOW_TRAPPED.
   */
  loadOp(op: number, aLo: number, aHi: number, rd: number): number {
    const size = op === Op.LD ? 8 : op === Op.LW || op === Op.LWU ? 4 : op === Op.LH || op === Op.LHU ? 2 : 1;
    if (!this.loadSlow(aLo, aHi, size)) return SLOW_TRAPPED;
    let lo = this.ldLo;
    let hi = this.ldHi;
    if (op === Op.LW) hi = lo >> 31;
    else if (op === Op.LH) {
      lo = (lo << 16) >> 16;
      hi = lo >> 31;
    } else if (op === Op.LB) {
      lo = (lo << 24) >> 24;
      hi = lo >> 31;
    } else if (op !== Op.LD) hi = 0;
    this.x[rd] = lo;
    this.x[rd + 1] = hi;
    if (this.exitBlock) {
      this.exitBlock = false;
      return SLOW_EXIT_NEXT;
    }
    return SLOW_CONTINUE;
  }

  /** The out-of-line half of a store instruction; returns like {@link loadOp}. */
  storeOp(aLo: number, aHi: number, size: number, vLo: number, vHi: number): number {
    if (!this.storeSlow(aLo, aHi, size, vLo, vHi)) return SLOW_TRAPPED;
    if (this.exitBlock) {
      this.exitBlock = false;
      return SLOW_EXIT_NEXT;
    }
    return SLOW_CONTINUE;
  }

  private readHost(host: number, size: number): void {
    // Aligned accesses move whole words, as the fast path does, so another thread's concurrent
    // store or AMO is never seen half done. Misaligned ones go byte by byte.
    if (size >= 4 && (host & (size - 1)) === 0) {
      const i32 = this.mem.i32;
      this.ldLo = i32[host >>> 2];
      this.ldHi = size === 8 ? i32[(host >>> 2) + 1] : 0;
      return;
    }
    if (size === 2 && (host & 1) === 0) {
      this.ldLo = this.mem.u16[host >>> 1];
      this.ldHi = 0;
      return;
    }
    const u8 = this.mem.u8;
    let lo = 0;
    let hi = 0;
    for (let i = size - 1; i >= 0; i--) {
      if (i >= 4) hi = (hi << 8) | u8[host + i];
      else lo = (lo << 8) | u8[host + i];
    }
    this.ldLo = lo | 0;
    this.ldHi = hi | 0;
  }

  private mmioRead(pa: number, size: number, aLo: number, aHi: number): boolean {
    const region = this.bus.find(pa);
    if (region === undefined || pa + size > region.base + region.size) {
      this.raiseException(CAUSE_LOAD_ACCESS, aLo, aHi);
      return false;
    }
    const tp = this.tpMmio;
    if (tp?.enabled) {
      const start = (this.tracer as Tracer).now();
      this.deviceRead(region, pa - region.base, size);
      this.emitMmio(tp, region, start, pa, size, 0, this.ldLo, this.ldHi);
    } else this.deviceRead(region, pa - region.base, size);
    this.exitBlock = true;
    return true;
  }

  private deviceRead(region: MmioRegion, off: number, size: number): void {
    const dev = region.device;
    if (size === 8) {
      this.ldLo = dev.read(off, 4) | 0;
      this.ldHi = dev.read(off + 4, 4) | 0;
    } else {
      this.ldLo = dev.read(off, size as 1 | 2 | 4) | 0;
      this.ldHi = 0;
    }
  }

  private emitMmio(
    tp: TracepointOf<"mmio.access">,
    region: MmioRegion,
    start: number,
    pa: number,
    size: number,
    write: number,
    vLo: number,
    vHi: number,
  ): void {
    const tracer = this.tracer as Tracer;
    if (region !== this.tpRegion) {
      this.tpRegion = region;
      this.tpDevice = tracer.registry.intern(region.device.name);
    }
    const end = tracer.now();
    const mask = size === 8 ? -1 : size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    tp.emitAt(
      end,
      this.vcpu,
      end - start,
      pa % TWO32,
      Math.floor(pa / TWO32),
      size,
      write,
      (vLo & mask) >>> 0,
      size === 8 ? vHi >>> 0 : 0,
      this.tpDevice,
    );
  }

  /** Stores the low `size` bytes of (vLo, vHi). False after raising a fault. */
  storeSlow(aLo: number, aHi: number, size: number, vLo: number, vHi: number): boolean {
    const off = aLo & 0xfff;
    if (off + size > 4096) return this.crossPageAccess(aLo, aHi, size, true, vLo, vHi);
    const ix = (aLo >>> 12) & (TLB_SIZE - 1);
    if (this.wTagLo[ix] === ((aLo & -4096) | CODE_TAG) && this.wTagHi[ix] === aHi) {
      const host = this.wHost[ix] >>> 0;
      this.noteRamWrite(host, off, size);
      this.writeHost(host + off, size, vLo, vHi);
      return true;
    }
    const pa = this.translate(aLo, aHi, ACCESS_STORE, this.dataPriv());
    if (pa < 0) return false;
    const mem = this.mem;
    if (mem.containsRam(pa, size)) {
      const page = pa - off;
      const host = mem.ramOffset + (page - mem.ramBase);
      const hasCode = this.noteRamWrite(host, off, size);
      this.wTagLo[ix] = (aLo & -4096) | (hasCode ? CODE_TAG : 0);
      this.wTagHi[ix] = aHi;
      this.wHost[ix] = host | 0;
      this.writeHost(host + off, size, vLo, vHi);
      return true;
    }
    return this.mmioWrite(pa, size, vLo, vHi, aLo, aHi);
  }

  /**
   * Before a guest write of `size` bytes at `off` in the RAM page at `hostPage`: forgets the
   * decoded slots those bytes overlap (they decode again when reached). True if the page holds code.
   */
  private noteRamWrite(hostPage: number, off: number, size: number): boolean {
    const page = this.codePages[(hostPage - this.mem.ramOffset) >>> 12];
    if (page === undefined) return false;
    // A 4-byte instruction that starts 2 bytes earlier also covers `off`.
    const first = off >= 2 ? (off - 2) >>> 1 : 0;
    const last = (off + size - 1) >>> 1;
    for (let slot = first; slot <= last; slot++) page[slot * SLOT_WORDS] = Op.UNDECODED;
    return true;
  }

  private writeHost(host: number, size: number, vLo: number, vHi: number): void {
    if (size >= 4 && (host & (size - 1)) === 0) {
      const i32 = this.mem.i32;
      i32[host >>> 2] = vLo;
      if (size === 8) i32[(host >>> 2) + 1] = vHi;
      return;
    }
    if (size === 2 && (host & 1) === 0) {
      this.mem.u16[host >>> 1] = vLo;
      return;
    }
    const u8 = this.mem.u8;
    for (let i = 0; i < size; i++) {
      u8[host + i] = i < 4 ? vLo >>> (8 * i) : vHi >>> (8 * (i - 4));
    }
  }

  private mmioWrite(pa: number, size: number, vLo: number, vHi: number, aLo: number, aHi: number): boolean {
    const region = this.bus.find(pa);
    if (region === undefined || pa + size > region.base + region.size) {
      this.raiseException(CAUSE_STORE_ACCESS, aLo, aHi);
      return false;
    }
    const tp = this.tpMmio;
    if (tp?.enabled) {
      const start = (this.tracer as Tracer).now();
      this.deviceWrite(region, pa - region.base, size, vLo, vHi);
      this.emitMmio(tp, region, start, pa, size, 1, vLo, vHi);
    } else this.deviceWrite(region, pa - region.base, size, vLo, vHi);
    this.exitBlock = true;
    return true;
  }

  private deviceWrite(region: MmioRegion, off: number, size: number, vLo: number, vHi: number): void {
    const dev = region.device;
    if (size === 8) {
      dev.write(off, 4, vLo >>> 0);
      dev.write(off + 4, 4, vHi >>> 0);
    } else {
      const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      dev.write(off, size as 1 | 2 | 4, (vLo & mask) >>> 0);
    }
  }

  /** A misaligned access that spans two pages: both are translated before any byte moves. */
  private crossPageAccess(
    aLo: number,
    aHi: number,
    size: number,
    store: boolean,
    vLo: number,
    vHi: number,
  ): boolean {
    const access = store ? ACCESS_STORE : ACCESS_LOAD;
    const priv = this.dataPriv();
    const firstLen = 4096 - (aLo & 0xfff);
    const bLo = (aLo + firstLen) | 0;
    const bHi = bLo >>> 0 < aLo >>> 0 ? (aHi + 1) | 0 : aHi;
    const pa1 = this.translate(aLo, aHi, access, priv);
    if (pa1 < 0) return false;
    const pa2 = this.translate(bLo, bHi, access, priv);
    if (pa2 < 0) return false;
    const mem = this.mem;
    if (!mem.containsRam(pa1, firstLen) || !mem.containsRam(pa2, size - firstLen)) {
      this.raiseException(ACCESS_FAULT_CAUSE[access], aLo, aHi);
      return false;
    }
    const h1 = mem.ramOffset + (pa1 - mem.ramBase);
    const h2 = mem.ramOffset + (pa2 - mem.ramBase);
    const u8 = mem.u8;
    if (store) {
      this.noteRamWrite(h1 - (h1 % 4096), h1 % 4096, firstLen);
      this.noteRamWrite(h2 - (h2 % 4096), 0, size - firstLen);
      for (let i = 0; i < size; i++) {
        const byte = i < 4 ? vLo >>> (8 * i) : vHi >>> (8 * (i - 4));
        u8[i < firstLen ? h1 + i : h2 + (i - firstLen)] = byte;
      }
      return true;
    }
    let lo = 0;
    let hi = 0;
    for (let i = size - 1; i >= 0; i--) {
      const byte = u8[i < firstLen ? h1 + i : h2 + (i - firstLen)];
      if (i >= 4) hi = (hi << 8) | byte;
      else lo = (lo << 8) | byte;
    }
    this.ldLo = lo | 0;
    this.ldHi = hi | 0;
    return true;
  }

  /**
   * Translates an AMO/LR/SC address (aligned by the caller) to a host byte offset in RAM, with
   * store permission (load permission for LR). -1 after raising a fault.
   */
  translateAtomic(aLo: number, aHi: number, size: number, isLr: boolean): number {
    const access = isLr ? ACCESS_LOAD : ACCESS_STORE;
    const pa = this.translate(aLo, aHi, access, this.dataPriv());
    if (pa < 0) return -1;
    const mem = this.mem;
    if (!mem.containsRam(pa, size)) {
      this.raiseException(ACCESS_FAULT_CAUSE[access], aLo, aHi);
      return -1;
    }
    const host = mem.ramOffset + (pa - mem.ramBase);
    if (!isLr) this.noteRamWrite(host - (host % 4096), host % 4096, size);
    return host;
  }

  /** LR: remembers the address and the value read, which SC compares against. */
  setReservation(lo: number, hi: number, valueLo: number, valueHi: number): void {
    this.resValid = true;
    this.resLo = lo;
    this.resHi = hi;
    this.resValueLo = valueLo;
    this.resValueHi = valueHi;
  }

  reservationMatches(lo: number, hi: number): boolean {
    return this.resValid && this.resLo === lo && this.resHi === hi;
  }

  clearReservation(): void {
    this.resValid = false;
  }

  // ---------------------------------------------------------------- CSRs

  /** Privilege, read-only and counter-enable checks for an access to `csr`. */
  csrAccessAllowed(csr: number, writes: boolean): boolean {
    const priv = this.priv;
    if (priv < ((csr >>> 8) & 3)) return false;
    if (writes && csr >>> 10 === 3) return false;
    if (csr >= C.CSR_CYCLE && csr <= C.CSR_HPMCOUNTER31) {
      const bit = 1 << (csr - C.CSR_CYCLE);
      if (priv < PRIV_M && (this.csrLoArr[C.CSR_MCOUNTEREN] & bit) === 0) return false;
      if (priv === PRIV_U && (this.csrLoArr[C.CSR_SCOUNTEREN] & bit) === 0) return false;
    }
    if (csr === C.CSR_SATP && priv === PRIV_S && (this.mstatus & MSTATUS_TVM) !== 0) return false;
    if (csr === C.CSR_STIMECMP && priv === PRIV_S) {
      if ((this.csrHiArr[C.CSR_MENVCFG] & MENVCFG_HI_STCE) === 0) return false;
      if ((this.csrLoArr[C.CSR_MCOUNTEREN] & 2) === 0) return false;
    }
    if (csr <= C.CSR_FCSR && (this.mstatus & MSTATUS_FS) === 0) return false;
    return true;
  }

  private counterValue(offset: number): void {
    const v = this.instret + this.blockRetired + offset;
    this.csrHi = Math.floor(v / TWO32) | 0;
    this.csrLo = v | 0;
  }

  /** Reads `csr` into {@link csrLo}/{@link csrHi}; false if it does not exist. */
  csrRead(csr: number): boolean {
    const lo = this.csrLoArr;
    const hi = this.csrHiArr;
    let vLo = 0;
    let vHi = 0;
    switch (csr) {
      case C.CSR_FFLAGS:
        vLo = this.fflags;
        break;
      case C.CSR_FRM:
        vLo = this.frm;
        break;
      case C.CSR_FCSR:
        vLo = (this.frm << 5) | this.fflags;
        break;
      case C.CSR_CYCLE:
      case C.CSR_MCYCLE:
        this.counterValue(this.cycleOffset);
        return true;
      case C.CSR_INSTRET:
      case C.CSR_MINSTRET:
        this.counterValue(this.instretOffset);
        return true;
      case C.CSR_TIME: {
        const t = this.clock.now();
        vHi = Math.floor(t / TWO32) | 0;
        vLo = t | 0;
        break;
      }
      case C.CSR_SSTATUS:
        vLo = this.mstatus & SSTATUS_MASK;
        vHi = (MSTATUS_HI_UXL_SXL & 3) | this.sdBit();
        break;
      case C.CSR_SIE:
        vLo = this.mie & this.mideleg;
        break;
      case C.CSR_SIP:
        vLo = (this.mipSw | this.mipExt) & this.mideleg;
        break;
      case C.CSR_MSTATUS:
        vLo = this.mstatus;
        vHi = MSTATUS_HI_UXL_SXL | this.sdBit();
        break;
      case C.CSR_MISA:
        vLo = MISA_LO;
        vHi = MISA_HI;
        break;
      case C.CSR_MEDELEG:
        vLo = this.medeleg;
        break;
      case C.CSR_MIDELEG:
        vLo = this.mideleg;
        break;
      case C.CSR_MIE:
        vLo = this.mie;
        break;
      case C.CSR_MIP:
        vLo = this.mipSw | this.mipExt;
        break;
      case C.CSR_MHARTID:
        vLo = this.hartId;
        break;
      case C.CSR_MVENDORID:
      case C.CSR_MARCHID:
      case C.CSR_MIMPID:
      case C.CSR_MCONFIGPTR:
        break;
      case C.CSR_STVEC:
      case C.CSR_SCOUNTEREN:
      case C.CSR_SENVCFG:
      case C.CSR_SSCRATCH:
      case C.CSR_SEPC:
      case C.CSR_SCAUSE:
      case C.CSR_STVAL:
      case C.CSR_STIMECMP:
      case C.CSR_SATP:
      case C.CSR_MTVEC:
      case C.CSR_MCOUNTEREN:
      case C.CSR_MENVCFG:
      case C.CSR_MCOUNTINHIBIT:
      case C.CSR_MSCRATCH:
      case C.CSR_MEPC:
      case C.CSR_MCAUSE:
      case C.CSR_MTVAL:
        vLo = lo[csr];
        vHi = hi[csr];
        break;
      default:
        if (csr >= C.CSR_HPMCOUNTER3 && csr <= C.CSR_HPMCOUNTER31) break;
        if (csr >= C.CSR_MHPMCOUNTER3 && csr <= C.CSR_MHPMCOUNTER31) break;
        if (csr >= C.CSR_MHPMEVENT3 && csr <= C.CSR_MHPMEVENT31) break;
        if (csr >= C.CSR_PMPCFG0 && csr <= C.CSR_PMPCFG15 && (csr & 1) === 0) {
          vLo = lo[csr];
          vHi = hi[csr];
          break;
        }
        if (csr >= C.CSR_PMPADDR0 && csr <= C.CSR_PMPADDR63) {
          vLo = lo[csr];
          vHi = hi[csr];
          break;
        }
        return false;
    }
    this.csrLo = vLo | 0;
    this.csrHi = vHi | 0;
    return true;
  }

  private sdBit(): number {
    return (this.mstatus & MSTATUS_FS) === MSTATUS_FS ? MSTATUS_HI_SD : 0;
  }

  /** Marks the FP state dirty (any write to an f register or fcsr). */
  markFpDirty(): void {
    this.mstatus |= MSTATUS_FS;
  }

  /** Writes `csr` (already permission-checked); false if it does not exist or is read-only. */
  csrWrite(csr: number, vLo: number, vHi: number): boolean {
    const lo = this.csrLoArr;
    const hi = this.csrHiArr;
    switch (csr) {
      case C.CSR_FFLAGS:
        this.fflags = vLo & 31;
        this.markFpDirty();
        return true;
      case C.CSR_FRM:
        this.frm = vLo & 7;
        this.markFpDirty();
        return true;
      case C.CSR_FCSR:
        this.fflags = vLo & 31;
        this.frm = (vLo >>> 5) & 7;
        this.markFpDirty();
        return true;
      case C.CSR_MCYCLE:
        this.cycleOffset = vHi * TWO32 + (vLo >>> 0) - (this.instret + this.blockRetired + 1);
        return true;
      case C.CSR_MINSTRET:
        this.instretOffset = vHi * TWO32 + (vLo >>> 0) - (this.instret + this.blockRetired + 1);
        return true;
      case C.CSR_SSTATUS:
        this.writeMstatus((this.mstatus & ~SSTATUS_WRITABLE) | (vLo & SSTATUS_WRITABLE));
        return true;
      case C.CSR_MSTATUS:
        this.writeMstatus((this.mstatus & ~MSTATUS_WRITABLE) | (vLo & MSTATUS_WRITABLE));
        return true;
      case C.CSR_MISA:
        return true;
      case C.CSR_MEDELEG:
        this.medeleg = vLo & MEDELEG_WRITABLE;
        return true;
      case C.CSR_MIDELEG:
        this.mideleg = vLo & S_INTERRUPTS;
        return true;
      case C.CSR_MIE:
        this.mie = vLo & MIE_WRITABLE;
        return true;
      case C.CSR_SIE:
        this.mie = (this.mie & ~this.mideleg) | (vLo & this.mideleg & MIE_WRITABLE);
        return true;
      case C.CSR_MIP: {
        let writable = S_INTERRUPTS;
        if ((hi[C.CSR_MENVCFG] & MENVCFG_HI_STCE) !== 0) writable &= ~MIP_STIP;
        this.mipSw = (this.mipSw & ~writable) | (vLo & writable);
        return true;
      }
      case C.CSR_SIP: {
        const writable = MIP_SSIP & this.mideleg;
        this.mipSw = (this.mipSw & ~writable) | (vLo & writable);
        return true;
      }
      case C.CSR_MTVEC:
      case C.CSR_STVEC:
        if ((vLo & 3) < 2) {
          lo[csr] = vLo;
          hi[csr] = vHi;
        }
        return true;
      case C.CSR_MEPC:
      case C.CSR_SEPC:
        lo[csr] = vLo & -2;
        hi[csr] = vHi;
        return true;
      case C.CSR_MCOUNTEREN:
      case C.CSR_SCOUNTEREN:
      case C.CSR_MCOUNTINHIBIT:
        lo[csr] = vLo;
        return true;
      case C.CSR_MENVCFG:
        lo[csr] = vLo & 1;
        hi[csr] = vHi & MENVCFG_HI_STCE;
        if ((vHi & MENVCFG_HI_STCE) === 0) this.setPending(IRQ_S_TIMER, false);
        else this.updateSstc();
        return true;
      case C.CSR_SENVCFG:
        lo[csr] = vLo & 1;
        return true;
      case C.CSR_STIMECMP: {
        lo[csr] = vLo;
        hi[csr] = vHi;
        const tp = this.tpTimerProgram;
        if (tp?.enabled) {
          const now = this.clock.now();
          tp.emit(this.vcpu, vLo >>> 0, vHi >>> 0, now % TWO32, Math.floor(now / TWO32), PRIV_S);
        }
        this.updateSstc();
        return true;
      }
      case C.CSR_SATP: {
        const mode = vHi >>> 28;
        if (mode === SATP_MODE_BARE || mode === SATP_MODE_SV39 || mode === SATP_MODE_SV48) {
          lo[csr] = vLo;
          // 16-bit ASID (bits 44–59) and a 44-bit PPN: every field is writable.
          hi[csr] = vHi;
          this.flushTlb(TLB_FLUSH_SATP);
        }
        return true;
      }
      case C.CSR_SSCRATCH:
      case C.CSR_SCAUSE:
      case C.CSR_STVAL:
      case C.CSR_MSCRATCH:
      case C.CSR_MCAUSE:
      case C.CSR_MTVAL:
        lo[csr] = vLo;
        hi[csr] = vHi;
        return true;
      default:
        if (csr >= C.CSR_MHPMCOUNTER3 && csr <= C.CSR_MHPMCOUNTER31) return true;
        if (csr >= C.CSR_MHPMEVENT3 && csr <= C.CSR_MHPMEVENT31) return true;
        if (csr >= C.CSR_PMPCFG0 && csr <= C.CSR_PMPCFG15 && (csr & 1) === 0) {
          lo[csr] = vLo;
          hi[csr] = vHi;
          return true;
        }
        if (csr >= C.CSR_PMPADDR0 && csr <= C.CSR_PMPADDR63) {
          lo[csr] = vLo;
          hi[csr] = vHi & 0x3fffff;
          return true;
        }
        return false;
    }
  }

  private writeMstatus(v: number): void {
    const old = this.mstatus;
    // MPP is WARL: the reserved value 2 keeps the previous mode.
    if ((v & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT === 2) v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    this.mstatus = v;
    if (((old ^ v) & (MSTATUS_SUM | MSTATUS_MXR)) !== 0) this.flushTlb(TLB_FLUSH_PRIVILEGE);
    if (((old ^ v) & (MSTATUS_MPRV | MSTATUS_MPP)) !== 0) this.selectTlbSets();
  }
}

export { PRIV_M, PRIV_S, PRIV_U };

let interpreterWarmedUp = false;

/**
 * Runs the built-in warm-up program (warmup/warmup.S) once per process on a private hart, so the
 * JavaScript engine has type feedback for every interpreter path before it optimizes them. Without
 * it the first guest pays for each deoptimization of the interpreter loop (seconds on a Linux boot).
 */
export function warmUpInterpreter(): void {
  if (interpreterWarmedUp) return;
  interpreterWarmedUp = true;
  const memory = new GuestMemory({ ramSize: 64 * 1024 });
  const image = Uint8Array.from(atob(WARMUP_IMAGE_BASE64), (c) => c.charCodeAt(0));
  memory.writeBytes(memory.ramBase, image);
  const hart = new Hart({ memory, bus: new MmioBus(), clock: { frequencyHz: 10_000_000, now: () => 0 } });
  hart.run(WARMUP_BUDGET);
}

/** Enough for the warm-up program's rounds; it then spins in place. */
const WARMUP_BUDGET = 5000;
