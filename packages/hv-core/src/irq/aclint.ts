/**
 * ACLINT as QEMU's `virt` machine maps it: MSWI and MTIMER together in the SiFive CLINT layout
 * (one device at 0x0200_0000), and SSWI as a separate device (0x02F0_0000 on the board).
 *
 * 64-bit registers are exact while they stay below 2^53 (about 28 years of `mtime` at 10 MHz).
 */
import type { StandardTracepointSpecOf, Tracer, TypedTracepoint } from "@monovisor/perf";
import { PRIV_M } from "../hart/constants.js";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import type { Clock } from "../time/clock.js";
import type { InterruptTarget } from "./irq-line.js";
import { MipBit } from "./mip.js";

/** MSWI: `msip` of hart h at 4*h; bit 0 drives MSIP. */
export const CLINT_MSIP_BASE = 0x0000;
/** MTIMER: `mtimecmp` of hart h at 0x4000 + 8*h. */
export const CLINT_MTIMECMP_BASE = 0x4000;
/** MTIMER: `mtime`, shared by all harts. */
export const CLINT_MTIME = 0xbff8;
/** Size of the CLINT-layout window. */
export const CLINT_MMIO_SIZE = 0x1_0000;
/** SSWI: `setssip` of hart h at 4*h; writing 1 sets SSIP. */
export const SSWI_SETSSIP_BASE = 0x0000;
/** Size of the SSWI window (one 4 KiB page holds 1024 harts). */
export const SSWI_MMIO_SIZE = 0x4000;
/** The spec's hart limit per MSWI/SSWI/MTIMER instance. */
export const ACLINT_MAX_HARTS = 4095;

export const ACLINT_STATE_TYPE = "aclint";
export const ACLINT_STATE_VERSION = 1;
export const ACLINT_SSWI_STATE_TYPE = "aclint-sswi";
export const ACLINT_SSWI_STATE_VERSION = 1;

const TWO_32 = 2 ** 32;

export interface AclintConfig {
  readonly hartCount: number;
  readonly name?: string;
}

export interface AclintState {
  readonly type: typeof ACLINT_STATE_TYPE;
  readonly version: typeof ACLINT_STATE_VERSION;
  readonly hartCount: number;
  /** Bit 0 of each hart's `msip`. */
  readonly msip: readonly number[];
  /** Halves of each hart's `mtimecmp`. */
  readonly mtimecmpLo: readonly number[];
  readonly mtimecmpHi: readonly number[];
  /** `mtime` when saved; restore continues from it whatever the new clock reads. */
  readonly mtime: number;
}

function checkHartCount(kind: string, hartCount: number, targets: readonly InterruptTarget[]): void {
  if (!Number.isInteger(hartCount) || hartCount < 1 || hartCount > ACLINT_MAX_HARTS) {
    throw new RangeError(`${kind} hart count must be 1..${ACLINT_MAX_HARTS}, got ${hartCount}`);
  }
  if (targets.length !== hartCount) {
    throw new RangeError(`${kind} has ${hartCount} harts but ${targets.length} interrupt targets`);
  }
}

/** MSWI + MTIMER in the CLINT layout. */
export class Aclint implements MmioDevice {
  readonly name: string;
  readonly hartCount: number;
  private readonly msip: Uint8Array;
  private readonly mtimecmpLo: Uint32Array;
  private readonly mtimecmpHi: Uint32Array;
  /** Last MTIP level driven per hart. */
  private readonly mtip: Uint8Array;
  /** `mtime = clock.now() + mtimeOffset`; guest writes to `mtime` move the offset. */
  private mtimeOffset = 0;
  // Tracing (see attachTracer); emitted on mtimecmp writes and MTIP rising edges only.
  private tpProgram: TypedTracepoint<StandardTracepointSpecOf<"timer.program">> | undefined;
  private tpFire: TypedTracepoint<StandardTracepointSpecOf<"timer.fire">> | undefined;

  constructor(
    config: AclintConfig,
    private readonly clock: Clock,
    private readonly targets: readonly InterruptTarget[],
  ) {
    checkHartCount("ACLINT", config.hartCount, targets);
    this.name = config.name ?? "clint";
    this.hartCount = config.hartCount;
    this.msip = new Uint8Array(config.hartCount);
    this.mtimecmpLo = new Uint32Array(config.hartCount).fill(0xffff_ffff);
    this.mtimecmpHi = new Uint32Array(config.hartCount).fill(0xffff_ffff);
    this.mtip = new Uint8Array(config.hartCount);
  }

  /**
   * Emits `timer.program` for every `mtimecmp` write and `timer.fire` when a hart's MTIP rises,
   * both with mode M, vCPU = hart index, and `mtime` as `now`.
   */
  attachTracer(tracer: Tracer): void {
    this.tpProgram = tracer.tracepoint("timer.program");
    this.tpFire = tracer.tracepoint("timer.fire");
  }

  detachTracer(): void {
    this.tpProgram = undefined;
    this.tpFire = undefined;
  }

  /** Current `mtime`. */
  mtime(): number {
    return this.clock.now() + this.mtimeOffset;
  }

  /** `mtimecmp` of `hart` (all ones at reset: 2^64 - 1, rounded). */
  mtimecmp(hart: number): number {
    return this.mtimecmpHi[hart] * TWO_32 + this.mtimecmpLo[hart];
  }

  /** Re-evaluates MTIP on every hart. The machine calls it at block boundaries and before sleeping. */
  update(): void {
    const now = this.mtime();
    for (let hart = 0; hart < this.hartCount; hart++) this.updateHart(hart, now, false);
  }

  /**
   * The clock reading (`clock.now()` ticks) at which the next not-yet-raised MTIP fires, or
   * Infinity when no hart waits for one. Equals `mtimecmp` while `mtime` has not been written.
   */
  nextDeadline(): number {
    let deadline = Number.POSITIVE_INFINITY;
    for (let hart = 0; hart < this.hartCount; hart++) {
      if (this.mtip[hart] === 1) continue;
      const cmp = this.mtimecmp(hart);
      // Beyond 2^53 the deadline is centuries away and no longer exact: treat it as never.
      if (cmp >= Number.MAX_SAFE_INTEGER) continue;
      deadline = Math.min(deadline, cmp - this.mtimeOffset);
    }
    return deadline;
  }

  read(offset: number, size: AccessSize): number {
    if (size !== 4 || (offset & 3) !== 0) return 0;
    if (offset < CLINT_MTIMECMP_BASE) {
      const hart = (offset - CLINT_MSIP_BASE) >>> 2;
      return hart < this.hartCount ? this.msip[hart] : 0;
    }
    if (offset === CLINT_MTIME) return this.mtime() % TWO_32;
    if (offset === CLINT_MTIME + 4) return Math.floor(this.mtime() / TWO_32) % TWO_32;
    if (offset < CLINT_MTIME) {
      const hart = (offset - CLINT_MTIMECMP_BASE) >>> 3;
      if (hart >= this.hartCount) return 0;
      return (offset & 4) === 0 ? this.mtimecmpLo[hart] : this.mtimecmpHi[hart];
    }
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 3) !== 0) return;
    value >>>= 0;
    if (offset < CLINT_MTIMECMP_BASE) {
      const hart = (offset - CLINT_MSIP_BASE) >>> 2;
      if (hart >= this.hartCount) return;
      this.msip[hart] = value & 1;
      this.targets[hart].setPending(MipBit.MSIP, (value & 1) === 1);
      return;
    }
    if (offset === CLINT_MTIME || offset === CLINT_MTIME + 4) {
      const current = this.mtime();
      const lo = offset === CLINT_MTIME ? value : current % TWO_32;
      const hi = offset === CLINT_MTIME ? Math.floor(current / TWO_32) % TWO_32 : value;
      this.mtimeOffset = hi * TWO_32 + lo - this.clock.now();
      this.update();
      return;
    }
    if (offset < CLINT_MTIME) {
      const hart = (offset - CLINT_MTIMECMP_BASE) >>> 3;
      if (hart >= this.hartCount) return;
      if ((offset & 4) === 0) this.mtimecmpLo[hart] = value;
      else this.mtimecmpHi[hart] = value;
      const now = this.mtime();
      // One event per 32-bit half written, as the guest programs it.
      if (this.tpProgram?.enabled) this.emitTimer(this.tpProgram, hart, now);
      // A new compare value lowers MTIP at once: handlers rely on that before they return.
      this.updateHart(hart, now, false);
    }
  }

  saveState(): AclintState {
    return {
      type: ACLINT_STATE_TYPE,
      version: ACLINT_STATE_VERSION,
      hartCount: this.hartCount,
      msip: Array.from(this.msip),
      mtimecmpLo: Array.from(this.mtimecmpLo),
      mtimecmpHi: Array.from(this.mtimecmpHi),
      mtime: this.mtime(),
    };
  }

  /** Loads `state` and re-drives MSIP and MTIP on every hart. */
  restoreState(state: AclintState): void {
    if (state.type !== ACLINT_STATE_TYPE || state.version !== ACLINT_STATE_VERSION) {
      throw new Error(`cannot restore ACLINT from ${state.type} v${state.version}`);
    }
    const n = this.hartCount;
    if (
      state.hartCount !== n ||
      state.msip.length !== n ||
      state.mtimecmpLo.length !== n ||
      state.mtimecmpHi.length !== n
    ) {
      throw new Error(`ACLINT state is for ${state.hartCount} harts, device has ${n}`);
    }
    for (let hart = 0; hart < n; hart++) {
      this.msip[hart] = state.msip[hart] & 1;
      this.mtimecmpLo[hart] = state.mtimecmpLo[hart];
      this.mtimecmpHi[hart] = state.mtimecmpHi[hart];
      this.targets[hart].setPending(MipBit.MSIP, this.msip[hart] === 1);
    }
    this.mtimeOffset = state.mtime - this.clock.now();
    const now = this.mtime();
    for (let hart = 0; hart < n; hart++) this.updateHart(hart, now, true);
  }

  /** `timer.program` or `timer.fire` for hart `hart`'s mtimecmp (the two share their fields). */
  private emitTimer(tp: NonNullable<Aclint["tpFire"]>, hart: number, now: number): void {
    tp.emit(
      hart,
      this.mtimecmpLo[hart],
      this.mtimecmpHi[hart],
      now % TWO_32,
      Math.floor(now / TWO_32),
      PRIV_M,
    );
  }

  private updateHart(hart: number, now: number, force: boolean): void {
    const level = now >= this.mtimecmp(hart) ? 1 : 0;
    if (!force && level === this.mtip[hart]) return;
    if (level === 1 && this.mtip[hart] === 0) {
      if (this.tpFire?.enabled) this.emitTimer(this.tpFire, hart, now);
    }
    this.mtip[hart] = level;
    this.targets[hart].setPending(MipBit.MTIP, level === 1);
  }
}

export interface AclintSswiState {
  readonly type: typeof ACLINT_SSWI_STATE_TYPE;
  readonly version: typeof ACLINT_SSWI_STATE_VERSION;
  readonly hartCount: number;
}

/**
 * Supervisor software interrupts. `setssip` is an edge: writing 1 sets the hart's SSIP, which
 * the hart latches until software clears it through `sip`; nothing here ever lowers it. Reads
 * return 0 as the ACLINT spec requires.
 */
export class AclintSswi implements MmioDevice {
  readonly name: string;
  readonly hartCount: number;

  constructor(
    config: AclintConfig,
    private readonly targets: readonly InterruptTarget[],
  ) {
    checkHartCount("ACLINT SSWI", config.hartCount, targets);
    this.name = config.name ?? "aclint-sswi";
    this.hartCount = config.hartCount;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 3) !== 0) return;
    const hart = (offset - SSWI_SETSSIP_BASE) >>> 2;
    if (hart >= this.hartCount || (value & 1) === 0) return;
    this.targets[hart].setPending(MipBit.SSIP, true);
  }

  /** The device holds no state beyond its configuration; SSIP lives in the hart. */
  saveState(): AclintSswiState {
    return { type: ACLINT_SSWI_STATE_TYPE, version: ACLINT_SSWI_STATE_VERSION, hartCount: this.hartCount };
  }

  restoreState(state: AclintSswiState): void {
    if (state.type !== ACLINT_SSWI_STATE_TYPE || state.version !== ACLINT_SSWI_STATE_VERSION) {
      throw new Error(`cannot restore ACLINT SSWI from ${state.type} v${state.version}`);
    }
    if (state.hartCount !== this.hartCount) {
      throw new Error(`ACLINT SSWI state is for ${state.hartCount} harts, device has ${this.hartCount}`);
    }
  }
}
