/**
 * Random RISC-V instruction sequences for differential testing against QEMU.
 *
 * The output is an assembly file for tools/guest-programs/diff/sig-harness.S:
 * initial register values, an initialized scratch buffer and a straight-line
 * body (forward branches and jumps only). Every instruction is chosen so its
 * architectural result is fully specified: memory accesses are aligned and
 * stay in the scratch buffer, LR is always paired with an SC to the same
 * address, rounding modes are valid, and no counters are read.
 */
import { Prng } from "./prng.js";

export interface GenerateOptions {
  seed: number;
  /** Number of generated instructions (a pseudo-op sequence counts once). */
  length: number;
}

export interface GeneratedProgram {
  seed: number;
  length: number;
  /** Assembly source to link with the signature harness. */
  source: string;
}

/** Bumped whenever the generator's output for a seed changes (cache keys include it). */
export const GENERATOR_VERSION = 1;

/** sp points at the scratch buffer, s0 at its middle; neither is ever written. */
const SCRATCH_BYTES = 512;
const S0_OFFSET = 256;
const RESERVED = new Set([2, 8]);

const ALL_X = Array.from({ length: 32 }, (_, i) => i);
const DEST_X = ALL_X.filter((r) => r !== 0 && !RESERVED.has(r));
/** Compressed 3-bit register fields name x8..x15; x8 is s0, so never a destination. */
const DEST_X_C = [9, 10, 11, 12, 13, 14, 15];
const SRC_X_C = [8, 9, 10, 11, 12, 13, 14, 15];
const ALL_F = Array.from({ length: 32 }, (_, i) => i);
const F_C = [8, 9, 10, 11, 12, 13, 14, 15];

const ROUNDING_MODES = ["rne", "rtz", "rdn", "rup", "rmm", "dyn"] as const;

const R_OPS = [
  "add",
  "sub",
  "sll",
  "slt",
  "sltu",
  "xor",
  "srl",
  "sra",
  "or",
  "and",
  "addw",
  "subw",
  "sllw",
  "srlw",
  "sraw",
  "mul",
  "mulh",
  "mulhsu",
  "mulhu",
  "div",
  "divu",
  "rem",
  "remu",
  "mulw",
  "divw",
  "divuw",
  "remw",
  "remuw",
  "sh1add",
  "sh2add",
  "sh3add",
  "add.uw",
  "sh1add.uw",
  "sh2add.uw",
  "sh3add.uw",
  "andn",
  "orn",
  "xnor",
  "max",
  "maxu",
  "min",
  "minu",
  "rol",
  "ror",
  "rolw",
  "rorw",
  "bclr",
  "bext",
  "binv",
  "bset",
] as const;
/** I-type: [mnemonic, immediate range]. */
const I_OPS: readonly (readonly [string, number, number])[] = [
  ["addi", -2048, 2047],
  ["slti", -2048, 2047],
  ["sltiu", -2048, 2047],
  ["xori", -2048, 2047],
  ["ori", -2048, 2047],
  ["andi", -2048, 2047],
  ["addiw", -2048, 2047],
  ["slli", 0, 63],
  ["srli", 0, 63],
  ["srai", 0, 63],
  ["slliw", 0, 31],
  ["srliw", 0, 31],
  ["sraiw", 0, 31],
  ["slli.uw", 0, 63],
  ["rori", 0, 63],
  ["roriw", 0, 31],
  ["bclri", 0, 63],
  ["bexti", 0, 63],
  ["binvi", 0, 63],
  ["bseti", 0, 63],
];
const UNARY_OPS = [
  "clz",
  "clzw",
  "ctz",
  // No ctzw: QEMU 7.2 returns the 64-bit trailing-zero count when rs1[31:0] is 0 (63 for
  // 0x8000_0000_0000_0000) where Zbb defines 32. Directed hart tests cover it against the spec.
  "cpop",
  "cpopw",
  "sext.b",
  "sext.h",
  "zext.h",
  "orc.b",
  "rev8",
] as const;
const BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"] as const;
const LOADS: readonly (readonly [string, number])[] = [
  ["lb", 1],
  ["lbu", 1],
  ["lh", 2],
  ["lhu", 2],
  ["lw", 4],
  ["lwu", 4],
  ["ld", 8],
];
const STORES: readonly (readonly [string, number])[] = [
  ["sb", 1],
  ["sh", 2],
  ["sw", 4],
  ["sd", 8],
];
const AMO_OPS = [
  "amoswap",
  "amoadd",
  "amoxor",
  "amoand",
  "amoor",
  "amomin",
  "amomax",
  "amominu",
  "amomaxu",
] as const;
const ORDERINGS = ["", ".aq", ".rl", ".aqrl"] as const;

const FP_ARITH2 = ["fadd", "fsub", "fmul", "fdiv"] as const;
const FP_FMA = ["fmadd", "fmsub", "fnmadd", "fnmsub"] as const;
const FP_NO_RM2 = ["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"] as const;
const FP_CMP = ["feq", "flt", "fle"] as const;
const FP_TO_INT = ["fcvt.w", "fcvt.wu", "fcvt.l", "fcvt.lu"] as const;
const INT_TO_FP = ["w", "wu", "l", "lu"] as const;

const INT_EDGES: readonly bigint[] = [
  0n,
  1n,
  2n,
  0xffff_ffff_ffff_ffffn,
  0x8000_0000_0000_0000n,
  0x7fff_ffff_ffff_ffffn,
  0xffff_ffff_8000_0000n,
  0x7fff_ffffn,
  0x8000_0000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0xffff_ffff_0000_0000n,
  0x8000_0000_0000_0001n,
  0xffff_ffff_ffff_fffen,
  0x0000_0000_0000_003fn,
  0x0000_0000_0000_0040n,
];
const SINGLE_EDGES: readonly number[] = [
  0x0000_0000, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x4020_0000, 0xc020_0000, 0x3dcc_cccd, 0x7f7f_ffff,
  0xff7f_ffff, 0x0080_0000, 0x0000_0001, 0x807f_ffff, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x7f80_0001,
  0xffc1_2345, 0x4f00_0000, 0xcf00_0000, 0x4f80_0000, 0x5f00_0000, 0xdf00_0000, 0x4b80_0001, 0x3eff_ffff,
];
const DOUBLE_EDGES: readonly bigint[] = [
  0x0000_0000_0000_0000n,
  0x8000_0000_0000_0000n,
  0x3ff0_0000_0000_0000n,
  0xbff8_0000_0000_0000n,
  0x4004_0000_0000_0000n,
  0xc004_0000_0000_0000n,
  0x3fb9_9999_9999_999an,
  0x7fef_ffff_ffff_ffffn,
  0x0010_0000_0000_0000n,
  0x0000_0000_0000_0001n,
  0x800f_ffff_ffff_ffffn,
  0x7ff0_0000_0000_0000n,
  0xfff0_0000_0000_0000n,
  0x7ff8_0000_0000_0000n,
  0x7ff0_0000_0000_0001n,
  0xfff8_0000_0001_2345n,
  0x41e0_0000_0000_0000n,
  0xc1e0_0000_0000_0000n,
  0x41f0_0000_0000_0000n,
  0x43e0_0000_0000_0000n,
  0xc3e0_0000_0000_0000n,
  0x43f0_0000_0000_0000n,
  0x7e37_e43c_8800_759cn,
  0x01a5_6e1f_c2f8_f359n,
  0x47ef_ffff_e000_0000n,
  0x3ca0_0000_0000_0000n,
];

const MASK64 = (1n << 64n) - 1n;
const BOX = 0xffff_ffff_0000_0000n;

function hex64(v: bigint): string {
  return `0x${(v & MASK64).toString(16).padStart(16, "0")}`;
}

class SequenceBuilder {
  readonly lines: string[] = [];
  private labelCount = 0;

  constructor(private readonly rng: Prng) {}

  private x(pool: readonly number[] = ALL_X): string {
    return `x${this.rng.pick(pool)}`;
  }

  private xd(): string {
    // An occasional x0 destination checks that writes to x0 are discarded.
    return this.rng.chance(0.03) ? "x0" : `x${this.rng.pick(DEST_X)}`;
  }

  private f(pool: readonly number[] = ALL_F): string {
    return `f${this.rng.pick(pool)}`;
  }

  private rm(): string {
    return this.rng.pick(ROUNDING_MODES);
  }

  private label(): string {
    return `.Lg${this.labelCount++}`;
  }

  private emit(line: string): void {
    this.lines.push(`  ${line}`);
  }

  /** An aligned offset for `size` bytes from sp or s0, inside the scratch buffer. */
  private memOperand(size: number): string {
    if (this.rng.chance(0.5)) {
      return `${this.rng.int(0, SCRATCH_BYTES / size - 1) * size}(sp)`;
    }
    const lo = -S0_OFFSET / size;
    const hi = (SCRATCH_BYTES - S0_OFFSET) / size - 1;
    return `${this.rng.int(lo, hi) * size}(s0)`;
  }

  /** Instructions with no control flow or memory access: safe inside skipped blocks and LR/SC pairs. */
  simple(): void {
    const r = this.rng.int(0, 99);
    if (r < 45) this.emit(`${this.rng.pick(R_OPS)} ${this.xd()}, ${this.x()}, ${this.x()}`);
    else if (r < 75) {
      const [op, lo, hi] = this.rng.pick(I_OPS);
      this.emit(`${op} ${this.xd()}, ${this.x()}, ${this.rng.int(lo, hi)}`);
    } else if (r < 87) this.emit(`${this.rng.pick(UNARY_OPS)} ${this.xd()}, ${this.x()}`);
    else if (r < 93) this.emit(`lui ${this.xd()}, ${this.rng.int(0, 0xfffff)}`);
    else this.emit(`auipc ${this.xd()}, ${this.rng.int(0, 0xfffff)}`);
  }

  compressed(): void {
    this.emit(this.compressedLine());
  }

  private compressedLine(): string {
    const rd = `x${this.rng.pick(DEST_X)}`;
    const rdc = `x${this.rng.pick(DEST_X_C)}`;
    const rsc = `x${this.rng.pick(SRC_X_C)}`;
    const nonzero = (lo: number, hi: number): number => {
      const v = this.rng.int(lo, hi - 1);
      return v >= 0 ? v + 1 : v;
    };
    switch (this.rng.int(0, 21)) {
      case 0:
        return `c.li ${rd}, ${this.rng.int(-32, 31)}`;
      case 1: {
        const imm = this.rng.chance(0.5) ? this.rng.int(1, 31) : this.rng.int(0xfffe0, 0xfffff);
        return `c.lui ${rd}, ${imm}`;
      }
      case 2:
        return `c.addi ${rd}, ${nonzero(-32, 31)}`;
      case 3:
        return `c.addiw ${rd}, ${this.rng.int(-32, 31)}`;
      case 4:
        return `c.slli ${rd}, ${this.rng.int(1, 63)}`;
      case 5:
        return `c.srli ${rdc}, ${this.rng.int(1, 63)}`;
      case 6:
        return `c.srai ${rdc}, ${this.rng.int(1, 63)}`;
      case 7:
        return `c.andi ${rdc}, ${this.rng.int(-32, 31)}`;
      case 8:
        return `c.mv ${rd}, x${this.rng.pick(ALL_X.filter((r) => r !== 0))}`;
      case 9:
        return `c.add ${rd}, x${this.rng.pick(ALL_X.filter((r) => r !== 0))}`;
      case 10:
        return `${this.rng.pick(["c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"])} ${rdc}, ${rsc}`;
      case 11:
        return `c.ld ${rdc}, ${this.rng.int(0, 31) * 8}(s0)`;
      case 12:
        return `c.lw ${rdc}, ${this.rng.int(0, 31) * 4}(s0)`;
      case 13:
        return `c.sd ${rsc}, ${this.rng.int(0, 31) * 8}(s0)`;
      case 14:
        return `c.sw ${rsc}, ${this.rng.int(0, 31) * 4}(s0)`;
      case 15:
        return `c.ldsp ${rd}, ${this.rng.int(0, 63) * 8}(sp)`;
      case 16:
        return `c.lwsp ${rd}, ${this.rng.int(0, 63) * 4}(sp)`;
      case 17:
        return `c.sdsp ${this.x()}, ${this.rng.int(0, 63) * 8}(sp)`;
      case 18:
        return `c.swsp ${this.x()}, ${this.rng.int(0, 63) * 4}(sp)`;
      case 19:
        return `c.fld ${this.f(F_C)}, ${this.rng.int(0, 31) * 8}(s0)`;
      case 20:
        return `c.fsd ${this.f(F_C)}, ${this.rng.int(0, 31) * 8}(s0)`;
      default:
        return this.rng.chance(0.5)
          ? `c.fldsp ${this.f()}, ${this.rng.int(0, 63) * 8}(sp)`
          : `c.fsdsp ${this.f()}, ${this.rng.int(0, 63) * 8}(sp)`;
    }
  }

  memory(): void {
    const r = this.rng.int(0, 9);
    if (r < 4) {
      const [op, size] = this.rng.pick(LOADS);
      this.emit(`${op} ${this.xd()}, ${this.memOperand(size)}`);
    } else if (r < 8) {
      const [op, size] = this.rng.pick(STORES);
      this.emit(`${op} ${this.x()}, ${this.memOperand(size)}`);
    } else if (r === 8) {
      const size = this.rng.chance(0.5) ? 4 : 8;
      this.emit(`${size === 4 ? "flw" : "fld"} ${this.f()}, ${this.memOperand(size)}`);
    } else {
      const size = this.rng.chance(0.5) ? 4 : 8;
      this.emit(`${size === 4 ? "fsw" : "fsd"} ${this.f()}, ${this.memOperand(size)}`);
    }
  }

  atomic(): void {
    const width = this.rng.chance(0.5) ? "w" : "d";
    const base = this.rng.chance(0.5) ? "sp" : "s0";
    if (this.rng.chance(0.7)) {
      const op = this.rng.pick(AMO_OPS);
      this.emit(`${op}.${width}${this.rng.pick(ORDERINGS)} ${this.xd()}, ${this.x()}, (${base})`);
      return;
    }
    // LR, a few register-only instructions, then SC to the same address: the SC succeeds.
    this.emit(`lr.${width}${this.rng.pick(["", ".aq"])} ${this.xd()}, (${base})`);
    for (let i = this.rng.int(0, 2); i > 0; i--) this.simple();
    this.emit(`sc.${width}${this.rng.pick(["", ".rl"])} ${this.xd()}, ${this.x()}, (${base})`);
  }

  controlFlow(): void {
    const r = this.rng.int(0, 9);
    const target = this.label();
    if (r < 6) {
      const op = this.rng.pick(BRANCHES);
      this.emit(`${op} ${this.x()}, ${this.x()}, ${target}`);
      for (let i = this.rng.int(1, 3); i > 0; i--) this.simple();
    } else if (r < 8) {
      this.emit(`jal ${this.xd()}, ${target}`);
      this.simple();
    } else {
      // jalr to an odd address: bit 0 is cleared, landing after the filler.
      const base = `x${this.rng.pick(DEST_X)}`;
      this.emit(".option push");
      this.emit(".option norvc");
      this.emit(`auipc ${base}, 0`);
      this.emit(`jalr ${this.xd()}, 13(${base})`);
      this.simple();
      this.emit(".option pop");
    }
    this.lines.push(`${target}:`);
  }

  floating(): void {
    const fmt = this.rng.chance(0.5) ? "s" : "d";
    const r = this.rng.int(0, 99);
    if (r < 25)
      this.emit(`${this.rng.pick(FP_ARITH2)}.${fmt} ${this.f()}, ${this.f()}, ${this.f()}, ${this.rm()}`);
    else if (r < 30) this.emit(`fsqrt.${fmt} ${this.f()}, ${this.f()}, ${this.rm()}`);
    else if (r < 42) {
      this.emit(
        `${this.rng.pick(FP_FMA)}.${fmt} ${this.f()}, ${this.f()}, ${this.f()}, ${this.f()}, ${this.rm()}`,
      );
    } else if (r < 52) this.emit(`${this.rng.pick(FP_NO_RM2)}.${fmt} ${this.f()}, ${this.f()}, ${this.f()}`);
    else if (r < 60) this.emit(`${this.rng.pick(FP_CMP)}.${fmt} ${this.xd()}, ${this.f()}, ${this.f()}`);
    else if (r < 64) this.emit(`fclass.${fmt} ${this.xd()}, ${this.f()}`);
    else if (r < 74) this.emit(`${this.rng.pick(FP_TO_INT)}.${fmt} ${this.xd()}, ${this.f()}, ${this.rm()}`);
    else if (r < 84) {
      const src = this.rng.pick(INT_TO_FP);
      // int32 to double is always exact; the assembler takes no rounding mode for it.
      const rm = fmt === "d" && (src === "w" || src === "wu") ? "" : `, ${this.rm()}`;
      this.emit(`fcvt.${fmt}.${src} ${this.f()}, ${this.x()}${rm}`);
    } else if (r < 88) {
      this.emit(
        fmt === "s" ? `fcvt.s.d ${this.f()}, ${this.f()}, ${this.rm()}` : `fcvt.d.s ${this.f()}, ${this.f()}`,
      );
    } else if (r < 94) {
      const w = fmt === "s" ? "w" : "d";
      this.emit(
        this.rng.chance(0.5) ? `fmv.x.${w} ${this.xd()}, ${this.f()}` : `fmv.${w}.x ${this.f()}, ${this.x()}`,
      );
    } else {
      const fcsrOps = [
        () => `frflags ${this.xd()}`,
        () => `fsflags ${this.xd()}, ${this.x()}`,
        () => `fsrmi ${this.xd()}, ${this.rng.int(0, 4)}`,
        () => `frcsr ${this.xd()}`,
        () => `csrrci ${this.xd()}, fflags, ${this.rng.int(0, 31)}`,
      ];
      this.emit(this.rng.pick(fcsrOps)());
    }
  }

  next(): void {
    const r = this.rng.int(0, 99);
    if (r < 38) this.simple();
    else if (r < 48) this.compressed();
    else if (r < 62) this.memory();
    else if (r < 67) this.atomic();
    else if (r < 74) this.controlFlow();
    else this.floating();
  }
}

function intValue(rng: Prng): bigint {
  const r = rng.int(0, 9);
  if (r < 4) return rng.pick(INT_EDGES);
  if (r < 6) return BigInt(rng.int(-16, 16)) & MASK64;
  if (r < 7) return BigInt.asUintN(64, BigInt.asIntN(32, BigInt(rng.u32())));
  return rng.u64();
}

function fpValue(rng: Prng): bigint {
  const r = rng.int(0, 19);
  if (r < 7) return rng.pick(DOUBLE_EDGES);
  if (r < 14) return BOX | BigInt(rng.pick(SINGLE_EDGES));
  if (r < 16) return rng.u64();
  if (r < 18) return BOX | BigInt(rng.u32());
  // Not NaN-boxed: single-precision reads see the canonical NaN.
  return BigInt(rng.u32());
}

export function generateSignatureProgram(options: GenerateOptions): GeneratedProgram {
  const rng = new Prng(options.seed);
  const xInit = Array.from({ length: 31 }, () => intValue(rng));
  const fInit = Array.from({ length: 32 }, () => fpValue(rng));
  const frm = rng.int(0, 4);
  const scratch = Array.from({ length: SCRATCH_BYTES / 8 }, () =>
    rng.chance(0.5) ? intValue(rng) : fpValue(rng),
  );
  const body = new SequenceBuilder(rng);
  for (let i = 0; i < options.length; i++) body.next();

  const source = [
    `# Generated: seed ${options.seed}, ${options.length} instructions, generator v${GENERATOR_VERSION}.`,
    "  .text",
    "  .globl sig_body",
    "sig_body:",
    ...body.lines,
    "  j sig_dump",
    "",
    "  .data",
    "  .balign 16",
    "  .globl sig_x_init, sig_f_init, sig_frm, sig_scratch",
    "sig_x_init:",
    ...xInit.map((v) => `  .dword ${hex64(v)}`),
    "sig_f_init:",
    ...fInit.map((v) => `  .dword ${hex64(v)}`),
    "sig_frm:",
    `  .dword ${frm}`,
    "  .balign 16",
    "sig_scratch:",
    ...scratch.map((v) => `  .dword ${hex64(v)}`),
    "",
  ].join("\n");
  return { seed: options.seed, length: options.length, source };
}
