/**
 * SiFive-compatible platform-level interrupt controller (`sifive,plic-1.0.0`), laid out as on
 * QEMU's `virt` machine: two contexts per hart, context 2h = hart h M-mode (MEIP), context 2h+1 =
 * hart h S-mode (SEIP). Sources are level-triggered.
 *
 * Pending follows the line level until the source is claimed (as QEMU does); a claimed source
 * stays quiet until completion, which re-samples the level.
 */
import type { StandardTracepointSpecOf, Tracer, TypedTracepoint } from "@monovisor/perf";
import { HOST_VCPU } from "@monovisor/perf";
import type { AccessSize, MmioDevice } from "../memory/mmio.js";
import type { InterruptTarget, IrqLine } from "./irq-line.js";
import { MipBit } from "./mip.js";

/** Source priority registers, 4 bytes per source; source 0 does not exist. */
export const PLIC_PRIORITY_BASE = 0x0000;
/** Pending bits, one per source, 32 sources per word; read-only. */
export const PLIC_PENDING_BASE = 0x1000;
/** Per-context enable bits, one per source. */
export const PLIC_ENABLE_BASE = 0x2000;
export const PLIC_ENABLE_STRIDE = 0x80;
/** Per-context threshold and claim/complete registers. */
export const PLIC_CONTEXT_BASE = 0x20_0000;
export const PLIC_CONTEXT_STRIDE = 0x1000;
/** Offset of the priority threshold inside a context block. */
export const PLIC_CONTEXT_THRESHOLD = 0x0;
/** Offset of claim (read) / complete (write) inside a context block. */
export const PLIC_CONTEXT_CLAIM = 0x4;

/** Highest priority; priorities and thresholds are 3-bit WARL fields as on QEMU `virt`. */
export const PLIC_MAX_PRIORITY = 7;
/** The spec's limit on source IDs (1..1023). */
export const PLIC_MAX_SOURCES = 1023;
/** QEMU `virt`'s `riscv,ndev`. */
export const PLIC_VIRT_SOURCE_COUNT = 95;

export const PLIC_STATE_TYPE = "sifive-plic";
export const PLIC_STATE_VERSION = 1;

export type PrivilegeContext = "M" | "S";

/** Context number for `hart` in `mode`. */
export function plicContext(hart: number, mode: PrivilegeContext): number {
  return 2 * hart + (mode === "S" ? 1 : 0);
}

/** Size of the MMIO window for `hartCount` harts. */
export function plicMmioSize(hartCount: number): number {
  return PLIC_CONTEXT_BASE + 2 * hartCount * PLIC_CONTEXT_STRIDE;
}

export interface PlicConfig {
  readonly hartCount: number;
  /** Number of sources (`riscv,ndev`); IDs 1..sourceCount are usable. Default 95. */
  readonly sourceCount?: number;
  readonly name?: string;
}

export interface PlicState {
  readonly type: typeof PLIC_STATE_TYPE;
  readonly version: typeof PLIC_STATE_VERSION;
  readonly sourceCount: number;
  readonly contextCount: number;
  /** Indexed by source ID (index 0 unused, 0). */
  readonly priority: readonly number[];
  /** Bitmaps, 32 sources per word. */
  readonly pending: readonly number[];
  readonly claimed: readonly number[];
  readonly level: readonly number[];
  /** One bitmap per context. */
  readonly enable: readonly (readonly number[])[];
  readonly threshold: readonly number[];
}

export class Plic implements MmioDevice {
  readonly name: string;
  readonly hartCount: number;
  readonly sourceCount: number;
  readonly contextCount: number;
  private readonly words: number;
  /** Bits of each word that correspond to real sources (bit 0 of word 0 is source 0). */
  private readonly validMask: Uint32Array;
  private readonly priority: Uint8Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  private readonly level: Uint32Array;
  private readonly enable: Uint32Array;
  private readonly threshold: Uint8Array;
  /** The level last driven into each context's target, to signal changes only. */
  private readonly output: Uint8Array;
  private readonly lines: (IrqLine | undefined)[];
  // Tracing (see attachTracer); emitted only on level changes, claims and completions.
  private tpRaise: TypedTracepoint<StandardTracepointSpecOf<"irq.raise">> | undefined;
  private tpClaim: TypedTracepoint<StandardTracepointSpecOf<"irq.claim">> | undefined;
  private tpComplete: TypedTracepoint<StandardTracepointSpecOf<"irq.complete">> | undefined;

  constructor(
    config: PlicConfig,
    private readonly targets: readonly InterruptTarget[],
  ) {
    const sourceCount = config.sourceCount ?? PLIC_VIRT_SOURCE_COUNT;
    if (!Number.isInteger(config.hartCount) || config.hartCount < 1) {
      throw new RangeError(`PLIC needs at least one hart, got ${config.hartCount}`);
    }
    if (!Number.isInteger(sourceCount) || sourceCount < 1 || sourceCount > PLIC_MAX_SOURCES) {
      throw new RangeError(`PLIC source count must be 1..${PLIC_MAX_SOURCES}, got ${sourceCount}`);
    }
    if (targets.length !== config.hartCount) {
      throw new RangeError(`PLIC has ${config.hartCount} harts but ${targets.length} interrupt targets`);
    }
    this.name = config.name ?? "plic";
    this.hartCount = config.hartCount;
    this.sourceCount = sourceCount;
    this.contextCount = 2 * config.hartCount;
    this.words = Math.ceil((sourceCount + 1) / 32);
    this.validMask = new Uint32Array(this.words);
    for (let id = 1; id <= sourceCount; id++) this.validMask[id >>> 5] |= 1 << (id & 31);
    this.priority = new Uint8Array(sourceCount + 1);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.level = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.contextCount * this.words);
    this.threshold = new Uint8Array(this.contextCount);
    this.output = new Uint8Array(this.contextCount);
    this.lines = new Array(sourceCount + 1);
  }

  /**
   * Emits `irq.raise` (controller `plic`, on the host track: a device drives the line) when a
   * source's level changes, and `irq.claim` / `irq.complete` on the vCPU of the claiming context
   * (context >> 1). A claim that finds nothing (0) is not traced.
   */
  attachTracer(tracer: Tracer): void {
    this.tpRaise = tracer.tracepoint("irq.raise");
    this.tpClaim = tracer.tracepoint("irq.claim");
    this.tpComplete = tracer.tracepoint("irq.complete");
  }

  detachTracer(): void {
    this.tpRaise = undefined;
    this.tpClaim = undefined;
    this.tpComplete = undefined;
  }

  /** The input line of source `id` (1..sourceCount), for a device to drive. */
  irqLine(id: number): IrqLine {
    if (!Number.isInteger(id) || id < 1 || id > this.sourceCount) {
      throw new RangeError(`PLIC source ${id} out of range 1..${this.sourceCount}`);
    }
    let line = this.lines[id];
    if (line === undefined) {
      line = { setLevel: (level: boolean) => this.setSourceLevel(id, level) };
      this.lines[id] = line;
    }
    return line;
  }

  read(offset: number, size: AccessSize): number {
    if (size !== 4 || (offset & 3) !== 0) return 0;
    if (offset < PLIC_PENDING_BASE) {
      const id = offset >>> 2;
      return id <= this.sourceCount ? this.priority[id] : 0;
    }
    if (offset < PLIC_ENABLE_BASE) {
      const word = (offset - PLIC_PENDING_BASE) >>> 2;
      return word < this.words ? this.pending[word] >>> 0 : 0;
    }
    if (offset < PLIC_CONTEXT_BASE) {
      const index = this.enableIndex(offset);
      return index < 0 ? 0 : this.enable[index] >>> 0;
    }
    const context = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (context >= this.contextCount) return 0;
    const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    if (reg === PLIC_CONTEXT_THRESHOLD) return this.threshold[context];
    if (reg === PLIC_CONTEXT_CLAIM) return this.claim(context);
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 3) !== 0) return;
    if (offset < PLIC_PENDING_BASE) {
      const id = offset >>> 2;
      if (id === 0 || id > this.sourceCount) return;
      this.priority[id] = value & PLIC_MAX_PRIORITY;
      this.update();
      return;
    }
    if (offset < PLIC_ENABLE_BASE) return; // pending bits are read-only
    if (offset < PLIC_CONTEXT_BASE) {
      const index = this.enableIndex(offset);
      if (index < 0) return;
      this.enable[index] = value & this.validMask[index % this.words];
      this.update();
      return;
    }
    const context = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (context >= this.contextCount) return;
    const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    if (reg === PLIC_CONTEXT_THRESHOLD) {
      this.threshold[context] = value & PLIC_MAX_PRIORITY;
      this.update();
    } else if (reg === PLIC_CONTEXT_CLAIM) {
      this.complete(context, value >>> 0);
    }
  }

  /**
   * Claims the best interrupt for `context`: highest priority among pending, enabled sources whose
   * priority exceeds the threshold, lowest ID on ties. Returns 0 when there is none.
   */
  claim(context: number): number {
    const id = this.bestSource(context);
    if (id !== 0) {
      const bit = 1 << (id & 31);
      this.pending[id >>> 5] &= ~bit;
      this.claimed[id >>> 5] |= bit;
      this.update();
      const tp = this.tpClaim;
      if (tp?.enabled) tp.emit(context >>> 1, context, id);
    }
    return id;
  }

  /**
   * Signals completion of `id` on `context`. As on SiFive hardware, a completion for a source not
   * enabled on that context is ignored.
   */
  complete(context: number, id: number): void {
    if (id === 0 || id > this.sourceCount) return;
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.enable[context * this.words + word] & bit) === 0) return;
    if ((this.claimed[word] & bit) === 0) return;
    this.claimed[word] &= ~bit;
    if ((this.level[word] & bit) !== 0) this.pending[word] |= bit;
    this.update();
    const tp = this.tpComplete;
    if (tp?.enabled) tp.emit(context >>> 1, context, id);
  }

  /** Whether the PLIC currently asserts the external interrupt of `context`. */
  isAsserted(context: number): boolean {
    return this.output[context] === 1;
  }

  saveState(): PlicState {
    const enable: number[][] = [];
    for (let c = 0; c < this.contextCount; c++) {
      enable.push(Array.from(this.enable.subarray(c * this.words, (c + 1) * this.words)));
    }
    return {
      type: PLIC_STATE_TYPE,
      version: PLIC_STATE_VERSION,
      sourceCount: this.sourceCount,
      contextCount: this.contextCount,
      priority: Array.from(this.priority),
      pending: Array.from(this.pending),
      claimed: Array.from(this.claimed),
      level: Array.from(this.level),
      enable,
      threshold: Array.from(this.threshold),
    };
  }

  /** Loads `state` (from a PLIC of the same shape) and re-drives every context's output. */
  restoreState(state: PlicState): void {
    if (state.type !== PLIC_STATE_TYPE || state.version !== PLIC_STATE_VERSION) {
      throw new Error(`cannot restore PLIC from ${state.type} v${state.version}`);
    }
    if (state.sourceCount !== this.sourceCount || state.contextCount !== this.contextCount) {
      throw new Error(
        `PLIC state has ${state.sourceCount} sources / ${state.contextCount} contexts, ` +
          `device has ${this.sourceCount} / ${this.contextCount}`,
      );
    }
    const expectLength = (what: string, length: number, expected: number) => {
      if (length !== expected)
        throw new Error(`PLIC state ${what} has ${length} entries, expected ${expected}`);
    };
    expectLength("priority", state.priority.length, this.sourceCount + 1);
    expectLength("pending", state.pending.length, this.words);
    expectLength("claimed", state.claimed.length, this.words);
    expectLength("level", state.level.length, this.words);
    expectLength("enable", state.enable.length, this.contextCount);
    expectLength("threshold", state.threshold.length, this.contextCount);
    for (let id = 0; id <= this.sourceCount; id++) {
      this.priority[id] = id === 0 ? 0 : state.priority[id] & PLIC_MAX_PRIORITY;
    }
    for (let w = 0; w < this.words; w++) {
      const mask = this.validMask[w];
      this.pending[w] = state.pending[w] & mask;
      this.claimed[w] = state.claimed[w] & mask;
      this.level[w] = state.level[w] & mask;
    }
    for (let c = 0; c < this.contextCount; c++) {
      const words = state.enable[c];
      expectLength(`enable[${c}]`, words.length, this.words);
      for (let w = 0; w < this.words; w++) this.enable[c * this.words + w] = words[w] & this.validMask[w];
      this.threshold[c] = state.threshold[c] & PLIC_MAX_PRIORITY;
    }
    this.update(true);
  }

  private setSourceLevel(id: number, high: boolean): void {
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    const before = this.pending[word];
    const tp = this.tpRaise;
    if (tp?.enabled && ((this.level[word] & bit) !== 0) !== high) tp.emit(HOST_VCPU, 0, id, high ? 1 : 0);
    if (high) {
      this.level[word] |= bit;
      if ((this.claimed[word] & bit) === 0) this.pending[word] |= bit;
    } else {
      this.level[word] &= ~bit;
      this.pending[word] &= ~bit;
    }
    if (this.pending[word] !== before) this.update();
  }

  /** Index into `enable` for an offset in the enable area, or -1 outside any context's bitmap. */
  private enableIndex(offset: number): number {
    const context = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
    const word = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >>> 2;
    if (context >= this.contextCount || word >= this.words) return -1;
    return context * this.words + word;
  }

  private bestSource(context: number): number {
    let best = 0;
    let bestPriority = this.threshold[context];
    const base = context * this.words;
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w] & this.enable[base + w];
      // Ascending IDs with a strict comparison keep the lowest ID on ties.
      while (bits !== 0) {
        const lowest = bits & -bits;
        const id = (w << 5) | (31 - Math.clz32(lowest));
        const priority = this.priority[id];
        if (priority > bestPriority) {
          best = id;
          bestPriority = priority;
        }
        bits ^= lowest;
      }
    }
    return best;
  }

  private update(force = false): void {
    for (let context = 0; context < this.contextCount; context++) {
      const asserted = this.bestSource(context) !== 0 ? 1 : 0;
      if (!force && asserted === this.output[context]) continue;
      this.output[context] = asserted;
      const mipBit = (context & 1) === 0 ? MipBit.MEIP : MipBit.SEIP;
      this.targets[context >>> 1].setPending(mipBit, asserted === 1);
    }
  }
}
