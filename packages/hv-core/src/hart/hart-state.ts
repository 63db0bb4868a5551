/**
 * The saved state of a {@link Hart}: named, versioned plain data that JSON round-trips. 64-bit
 * values are 16-digit lowercase hex strings (high word first), since JSON has no 64-bit integers.
 */

export const HART_STATE_TYPE = "hart";
export const HART_STATE_VERSION = 1;

/** Saved state of one hart, version 1. Taken at a slice boundary (no block in flight). */
export interface HartState {
  readonly type: typeof HART_STATE_TYPE;
  readonly version: typeof HART_STATE_VERSION;
  readonly hartId: number;
  /** x0..x31. */
  readonly x: readonly string[];
  /** f0..f31 (NaN-boxed singles as stored). */
  readonly f: readonly string[];
  readonly pc: string;
  /** 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  /** Low word of `mstatus` (the high word is derived). */
  readonly mstatus: number;
  readonly mie: number;
  readonly mideleg: number;
  readonly medeleg: number;
  /** Pending bits written by software. */
  readonly mipSw: number;
  /** Pending levels from controllers and the Sstc comparator (re-driven on restore anyway). */
  readonly mipExt: number;
  readonly fflags: number;
  readonly frm: number;
  readonly instret: number;
  /** Offsets software wrote into `mcycle`/`minstret`, relative to {@link instret}. */
  readonly cycleOffset: number;
  readonly instretOffset: number;
  /** Every non-zero entry of the plain CSR storage, by CSR number in hex. */
  readonly csrs: Readonly<Record<string, string>>;
  readonly waiting: boolean;
  /** The LR reservation, or null. */
  readonly reservation: { readonly address: string; readonly value: string } | null;
}

/** Raised when a saved hart state is malformed or of another version. */
export class HartStateError extends Error {
  constructor(message: string) {
    super(`hart: invalid saved state: ${message}`);
    this.name = "HartStateError";
  }
}

const HEX64 = /^[0-9a-f]{16}$/;

export function hex64(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

/** Parses a {@link hex64} string into `[lo, hi]` int32 words. */
export function parseHex64(value: unknown, what: string): [number, number] {
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw new HartStateError(`${what} must be 16 hex digits, got ${String(value)}`);
  }
  return [Number.parseInt(value.slice(8), 16) | 0, Number.parseInt(value.slice(0, 8), 16) | 0];
}

function int(s: Record<string, unknown>, name: string, min: number, max: number): number {
  const v = s[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new HartStateError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

function hexList(s: Record<string, unknown>, name: string): [number, number][] {
  const v = s[name];
  if (!Array.isArray(v) || v.length !== 32) throw new HartStateError(`${name} must list 32 registers`);
  return v.map((r, i) => parseHex64(r, `${name}[${i}]`));
}

/** The checked contents of a saved state, as words ready to load. */
export interface ParsedHartState {
  readonly x: [number, number][];
  readonly f: [number, number][];
  readonly pc: [number, number];
  readonly priv: number;
  readonly mstatus: number;
  readonly mie: number;
  readonly mideleg: number;
  readonly medeleg: number;
  readonly mipSw: number;
  readonly mipExt: number;
  readonly fflags: number;
  readonly frm: number;
  readonly instret: number;
  readonly cycleOffset: number;
  readonly instretOffset: number;
  readonly csrs: [number, number, number][];
  readonly waiting: boolean;
  readonly reservation: [number, number, number, number] | null;
}

/** Validates untrusted saved state completely, so a restore never half-applies. */
export function parseHartState(state: unknown, hartId: number): ParsedHartState {
  if (typeof state !== "object" || state === null) throw new HartStateError("not an object");
  const s = state as Record<string, unknown>;
  if (s.type !== HART_STATE_TYPE) throw new HartStateError(`state of type ${String(s.type)}`);
  if (s.version !== HART_STATE_VERSION) {
    throw new HartStateError(`unsupported version ${String(s.version)}, expected ${HART_STATE_VERSION}`);
  }
  if (s.hartId !== hartId) throw new HartStateError(`saved for hart ${String(s.hartId)}, not ${hartId}`);
  const priv = int(s, "priv", 0, 3);
  if (priv === 2) throw new HartStateError("priv 2 is reserved");
  const i32 = (name: string) => int(s, name, -0x8000_0000, 0xffff_ffff) | 0;
  const counter = (name: string) => int(s, name, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const csrsIn = s.csrs;
  if (typeof csrsIn !== "object" || csrsIn === null || Array.isArray(csrsIn)) {
    throw new HartStateError("csrs must be an object");
  }
  const csrs: [number, number, number][] = [];
  for (const [key, value] of Object.entries(csrsIn)) {
    const n = /^[0-9a-f]{1,3}$/.test(key) ? Number.parseInt(key, 16) : -1;
    if (n < 0) throw new HartStateError(`csrs key ${key} is not a CSR number`);
    const [lo, hi] = parseHex64(value, `csrs.${key}`);
    csrs.push([n, lo, hi]);
  }
  if (typeof s.waiting !== "boolean") throw new HartStateError("waiting must be a boolean");
  let reservation: ParsedHartState["reservation"] = null;
  if (s.reservation !== null) {
    const r = s.reservation as Record<string, unknown> | undefined;
    if (typeof r !== "object" || r === null)
      throw new HartStateError("reservation must be an object or null");
    reservation = [
      ...parseHex64(r.address, "reservation.address"),
      ...parseHex64(r.value, "reservation.value"),
    ];
  }
  return {
    x: hexList(s, "x"),
    f: hexList(s, "f"),
    pc: parseHex64(s.pc, "pc"),
    priv,
    mstatus: i32("mstatus"),
    mie: i32("mie"),
    mideleg: i32("mideleg"),
    medeleg: i32("medeleg"),
    mipSw: i32("mipSw"),
    mipExt: i32("mipExt"),
    fflags: int(s, "fflags", 0, 0x1f),
    frm: int(s, "frm", 0, 7),
    instret: counter("instret"),
    cycleOffset: counter("cycleOffset"),
    instretOffset: counter("instretOffset"),
    csrs,
    waiting: s.waiting,
    reservation,
  };
}
