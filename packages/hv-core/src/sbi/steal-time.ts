/**
 * SBI Steal-time Accounting (STA, SBI v2.0): each hart may register a 64-byte record in guest RAM
 * that the hypervisor keeps filled with the time the hart was runnable but not running. The
 * machine loop measures that time; this module accumulates it and writes the records.
 */
import { SbiError, StaShmem } from "@monovisor/paravirt-abi";
import type { Hart } from "../hart/hart.js";

const TWO32 = 4294967296;
const RECORD_BYTES = StaShmem.SIZE;
/** `shmem` entry of a hart without a record. */
const NO_RECORD = -1;

/** The STA part of a saved SBI server state (version 2 and later). Plain data. */
export interface StealTimeState {
  /** Guest physical address of each hart's record; null when the hart has none. */
  readonly staShmem: readonly (number | null)[];
  /**
   * Steal time per hart in nanoseconds as (low, high) pairs: low in [0, 2^32), possibly with a
   * fraction; high an integer in [0, 2^32). Together an unsigned 64-bit count, as the record holds.
   */
  readonly stealLoHi: readonly number[];
}

/** A validated {@link StealTimeState}, ready for {@link StealTimeAccounting.loadState}. */
export interface ParsedStealTimeState {
  readonly shmem: readonly number[];
  readonly steal: readonly number[];
}

/**
 * Per-hart STA bookkeeping for the SBI server: the registered record addresses and the steal time
 * accumulated so far, kept as two parts so the count stays exact up to 2^64 ns.
 */
export class StealTimeAccounting {
  private readonly harts: readonly Hart[];
  /** Guest physical address of each hart's record, or {@link NO_RECORD}. */
  private readonly shmem: Float64Array;
  /** Per hart: steal ns below 2^32 (may hold a fraction), then the multiple of 2^32 above it. */
  private readonly steal: Float64Array;

  /**
   * `shared` keeps the bookkeeping in views another thread's server also uses (`shmem`: one
   * entry per hart, `steal`: two); they start out as they are, else as at power-on.
   */
  constructor(harts: readonly Hart[], shared?: { shmem: Float64Array; steal: Float64Array }) {
    this.harts = harts;
    if (shared !== undefined) {
      this.shmem = shared.shmem;
      this.steal = shared.steal;
    } else {
      this.shmem = new Float64Array(harts.length).fill(NO_RECORD);
      this.steal = new Float64Array(2 * harts.length);
    }
  }

  /** Power-on: no records, no steal time. */
  reset(): void {
    this.shmem.fill(NO_RECORD);
    this.steal.fill(0);
  }

  /** Stops writing the hart's record (the hart stopped); its steal time keeps counting. */
  disable(hartId: number): void {
    this.shmem[hartId] = NO_RECORD;
  }

  /**
   * `sbi_steal_time_set_shmem` from `hart`, its three arguments as (lo, hi) int32 word pairs.
   * Returns the SBI error code; on success the record is zeroed and then published at once.
   */
  setShmem(
    hart: Hart,
    loLo: number,
    loHi: number,
    hiLo: number,
    hiHi: number,
    flagsLo: number,
    flagsHi: number,
  ): number {
    const i = hart.hartId;
    // flags is reserved and must be zero, also when disabling.
    if (flagsLo !== 0 || flagsHi !== 0) return SbiError.ERR_INVALID_PARAM;
    if (loLo === -1 && loHi === -1 && hiLo === -1 && hiHi === -1) {
      this.shmem[i] = NO_RECORD;
      return SbiError.SUCCESS;
    }
    if ((loLo & (RECORD_BYTES - 1)) !== 0) return SbiError.ERR_INVALID_PARAM;
    // shmem_phys_hi holds address bits XLEN and up: no RAM lies there on RV64.
    const addr = (loHi >>> 0) * TWO32 + (loLo >>> 0);
    const mem = hart.mem;
    if (hiLo !== 0 || hiHi !== 0 || !mem.containsRam(addr, RECORD_BYTES)) {
      return SbiError.ERR_INVALID_ADDRESS;
    }
    // The spec has every byte zeroed before the call returns; the publish then fills it.
    const host = mem.ramOffset + (addr - mem.ramBase);
    mem.u8.fill(0, host, host + RECORD_BYTES);
    this.shmem[i] = addr;
    this.publish(i, false);
    return SbiError.SUCCESS;
  }

  /** Adds `nanoseconds` (>= 0, at most 2^53) of steal time to hart `hartId`. */
  add(hartId: number, nanoseconds: number): void {
    this.checkHart(hartId);
    if (!(nanoseconds >= 0 && nanoseconds <= Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`steal time must be 0..2^53 ns, got ${nanoseconds}`);
    }
    const s = this.steal;
    const w = 2 * hartId;
    let lo = s[w] + nanoseconds;
    if (lo >= TWO32) {
      const carry = Math.floor(lo / TWO32);
      lo -= carry * TWO32;
      // The record's u64 wraps; so does the count.
      s[w + 1] = (s[w + 1] + carry) % TWO32;
    }
    s[w] = lo;
  }

  /** Steal time of hart `hartId` in nanoseconds (exact below 2^53). */
  nanoseconds(hartId: number): number {
    this.checkHart(hartId);
    return this.steal[2 * hartId + 1] * TWO32 + this.steal[2 * hartId];
  }

  /**
   * Writes hart `hartId`'s record: `sequence` odd, `steal` and `preempted`, `sequence` even again.
   * Returns false (and writes nothing) when the hart has no record.
   */
  publish(hartId: number, preempted: boolean): boolean {
    this.checkHart(hartId);
    const addr = this.shmem[hartId];
    if (addr === NO_RECORD) return false;
    const mem = this.harts[hartId].mem;
    const host = mem.ramOffset + (addr - mem.ramBase);
    const i32 = mem.i32;
    const seq = (host + StaShmem.SEQUENCE_OFFSET) >>> 2;
    const steal = (host + StaShmem.STEAL_OFFSET) >>> 2;
    // Atomic stores keep the order a reader on another thread sees. Forcing the odd value keeps
    // the protocol intact even if the guest scribbled an odd sequence into the record.
    const odd = (Atomics.load(i32, seq) + 1) | 1;
    Atomics.store(i32, seq, odd);
    const w = 2 * hartId;
    Atomics.store(i32, steal, Math.floor(this.steal[w]) | 0);
    Atomics.store(i32, steal + 1, this.steal[w + 1] | 0);
    Atomics.store(mem.u8, host + StaShmem.PREEMPTED_OFFSET, preempted ? 1 : 0);
    Atomics.store(i32, seq, (odd + 1) | 0);
    // A host write into RAM: any code decoded from that page is stale.
    for (const h of this.harts) h.invalidateCode(addr, RECORD_BYTES);
    return true;
  }

  saveState(): StealTimeState {
    return {
      staShmem: Array.from(this.shmem, (a) => (a === NO_RECORD ? null : a)),
      stealLoHi: Array.from(this.steal),
    };
  }

  /** Checks the STA fields of a saved state; `fail` throws. Changes nothing. */
  parseState(s: Record<string, unknown>, fail: (why: string) => never): ParsedStealTimeState {
    const n = this.harts.length;
    const mem = this.harts[0].mem;
    const shmem = s.staShmem;
    if (!Array.isArray(shmem) || shmem.length !== n) return fail(`staShmem must have ${n} entries`);
    for (const a of shmem as unknown[]) {
      if (a === null) continue;
      if (
        typeof a !== "number" ||
        !Number.isInteger(a) ||
        a % RECORD_BYTES !== 0 ||
        !mem.containsRam(a, RECORD_BYTES)
      ) {
        fail(`staShmem holds ${String(a)}`);
      }
    }
    const steal = s.stealLoHi;
    if (!Array.isArray(steal) || steal.length !== 2 * n) return fail(`stealLoHi must have ${2 * n} entries`);
    (steal as unknown[]).forEach((v, k) => {
      const ok =
        typeof v === "number" &&
        v >= 0 &&
        v < TWO32 &&
        ((k & 1) === 0 ? Number.isFinite(v) : Number.isInteger(v));
      if (!ok) fail(`stealLoHi holds ${String(v)}`);
    });
    return {
      shmem: (shmem as (number | null)[]).map((a) => a ?? NO_RECORD),
      steal: steal as number[],
    };
  }

  /** The state of a snapshot taken before STA was served: no records, no steal time. */
  emptyState(): ParsedStealTimeState {
    const n = this.harts.length;
    return { shmem: new Array<number>(n).fill(NO_RECORD), steal: new Array<number>(2 * n).fill(0) };
  }

  /** Loads a state from {@link parseState}. The records themselves live in the saved RAM. */
  loadState(state: ParsedStealTimeState): void {
    this.shmem.set(state.shmem);
    this.steal.set(state.steal);
  }

  private checkHart(hartId: number): void {
    if (!(Number.isInteger(hartId) && hartId >= 0 && hartId < this.harts.length)) {
      throw new RangeError(`hart ${hartId} does not exist (${this.harts.length} harts)`);
    }
  }
}
