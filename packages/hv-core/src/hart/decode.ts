import { Op } from "./interpreter.js";

/**
 * Decoded-slot layout: four int32 words per 2-byte slot of a code page.
 *  - word 0: {@link Op}
 *  - word 1: register indices into the lo/hi register arrays (already ×2):
 *            rd | rs1 << 8 | rs2 << 16 | rs3 << 24; an integer rd of x0 becomes {@link X_SINK}
 *  - word 2: immediate (I/S/B/U/J), or the rounding mode for FP arithmetic, or
 *            `csr | uimm << 12` for CSR ops, or the raw instruction bits for ILLEGAL
 *  - word 3: instruction length in bytes (2 or 4)
 */
export const SLOT_WORDS = 4;
/** Register-array index that absorbs writes to x0 (x0 itself is never written). */
export const X_SINK = 64;

/**
 * Decodes one 32-bit instruction (or a 16-bit one already expanded, with `length` 2) into `d` at
 * word offset `s`. `raw` is the original instruction bits, kept for ILLEGAL's `*tval`.
 */
export function decodeInto(d: Int32Array, s: number, inst: number, raw: number, length: number): void {
  const opcode = inst & 0x7f;
  const rd = (inst >>> 7) & 31;
  const f3 = (inst >>> 12) & 7;
  const rs1 = (inst >>> 15) & 31;
  const rs2 = (inst >>> 20) & 31;
  const f7 = inst >>> 25;
  const immI = inst >> 20;
  let op = Op.ILLEGAL;
  let imm = 0;
  let intRd = true; // rd names an integer register (x0 goes to the sink)
  let pure = false; // no effect beyond writing rd: with rd = x0 it is a nop
  let rs3 = 0;
  switch (opcode) {
    case 0x37:
      op = Op.LUI;
      imm = inst & 0xfffff000;
      pure = true;
      break;
    case 0x17:
      op = Op.AUIPC;
      imm = inst & 0xfffff000;
      pure = true;
      break;
    case 0x6f:
      op = Op.JAL;
      imm =
        ((inst >> 31) << 20) |
        (((inst >>> 12) & 0xff) << 12) |
        (((inst >>> 20) & 1) << 11) |
        (((inst >>> 21) & 0x3ff) << 1);
      break;
    case 0x67:
      if (f3 === 0) {
        op = Op.JALR;
        imm = immI;
      }
      break;
    case 0x63:
      imm =
        ((inst >> 31) << 12) |
        (((inst >>> 7) & 1) << 11) |
        (((inst >>> 25) & 0x3f) << 5) |
        (((inst >>> 8) & 15) << 1);
      op = [Op.BEQ, Op.BNE, Op.ILLEGAL, Op.ILLEGAL, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU][f3];
      break;
    case 0x03:
      imm = immI;
      op = [Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU, Op.ILLEGAL][f3];
      break;
    case 0x23:
      imm = ((inst >> 25) << 5) | ((inst >>> 7) & 31);
      op = f3 < 4 ? [Op.SB, Op.SH, Op.SW, Op.SD][f3] : Op.ILLEGAL;
      break;
    case 0x13:
      imm = immI;
      pure = true;
      op = decodeOpImm(f3, inst, imm);
      if (op === Op.SLLI || op === Op.SRLI || op === Op.SRAI || op === Op.RORI || op === Op.SLLI_UW)
        imm &= 63;
      else if (op === Op.BCLRI || op === Op.BEXTI || op === Op.BINVI || op === Op.BSETI) imm &= 63;
      break;
    case 0x1b:
      imm = immI;
      pure = true;
      op = decodeOpImm32(f3, f7, inst);
      if (op !== Op.ADDIW) imm &= 63;
      break;
    case 0x33:
      pure = true;
      op = decodeOp(f3, f7);
      break;
    case 0x3b:
      pure = true;
      op = decodeOp32(f3, f7, rs2);
      break;
    case 0x0f:
      if (f3 === 0) op = Op.FENCE;
      else if (f3 === 1) op = Op.FENCE_I;
      break;
    case 0x73:
      if (f3 === 0) {
        if (rd === 0) {
          if (inst === 0x00000073) op = Op.ECALL;
          else if (inst === 0x00100073) op = Op.EBREAK;
          else if (inst === 0x30200073) op = Op.MRET;
          else if (inst === 0x10200073) op = Op.SRET;
          else if (inst === 0x10500073) op = Op.WFI;
          else if (f7 === 0x09) op = Op.SFENCE_VMA;
        }
      } else if (f3 !== 4) {
        op = [Op.ILLEGAL, Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.ILLEGAL, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI][f3];
        imm = (inst >>> 20) | (rs1 << 12);
      }
      break;
    case 0x2f:
      op = decodeAmo(f3, f7 >>> 2, rs2);
      break;
    case 0x07:
      imm = immI;
      if (f3 === 2) op = Op.FLW;
      else if (f3 === 3) op = Op.FLD;
      intRd = false;
      break;
    case 0x27:
      imm = ((inst >> 25) << 5) | ((inst >>> 7) & 31);
      if (f3 === 2) op = Op.FSW;
      else if (f3 === 3) op = Op.FSD;
      break;
    case 0x43:
    case 0x47:
    case 0x4b:
    case 0x4f: {
      const fmt = f7 & 3;
      const k = (opcode - 0x43) >>> 2;
      if (fmt === 0) op = [Op.FMADD_S, Op.FMSUB_S, Op.FNMSUB_S, Op.FNMADD_S][k];
      else if (fmt === 1) op = [Op.FMADD_D, Op.FMSUB_D, Op.FNMSUB_D, Op.FNMADD_D][k];
      rs3 = f7 >>> 2;
      imm = f3;
      intRd = false;
      break;
    }
    case 0x53: {
      imm = f3;
      const r = decodeFp(f7, f3, rs2);
      op = r.op;
      intRd = r.intRd;
      break;
    }
  }
  if (op === Op.ILLEGAL) {
    d[s] = Op.ILLEGAL;
    d[s + 1] = 0;
    d[s + 2] = raw;
    d[s + 3] = length;
    return;
  }
  if (pure && rd === 0) op = Op.NOP;
  const rdIndex = intRd && rd === 0 ? X_SINK : rd << 1;
  d[s] = op;
  d[s + 1] = rdIndex | (rs1 << 9) | (rs2 << 17) | (rs3 << 25);
  d[s + 2] = imm;
  d[s + 3] = length;
}

function decodeOpImm(f3: number, inst: number, imm: number): Op {
  const hi6 = inst >>> 26;
  switch (f3) {
    case 0:
      return Op.ADDI;
    case 2:
      return Op.SLTI;
    case 3:
      return Op.SLTIU;
    case 4:
      return Op.XORI;
    case 6:
      return Op.ORI;
    case 7:
      return Op.ANDI;
    case 1:
      if (hi6 === 0) return Op.SLLI;
      if (hi6 === 0x0a) return Op.BSETI;
      if (hi6 === 0x12) return Op.BCLRI;
      if (hi6 === 0x1a) return Op.BINVI;
      if (hi6 === 0x18) {
        const sel = imm & 63;
        if (sel === 0) return Op.CLZ;
        if (sel === 1) return Op.CTZ;
        if (sel === 2) return Op.CPOP;
        if (sel === 4) return Op.SEXT_B;
        if (sel === 5) return Op.SEXT_H;
      }
      return Op.ILLEGAL;
    default:
      // f3 = 5
      if (hi6 === 0) return Op.SRLI;
      if (hi6 === 0x10) return Op.SRAI;
      if (hi6 === 0x18) return Op.RORI;
      if (hi6 === 0x12) return Op.BEXTI;
      if (inst >>> 20 === 0x287) return Op.ORC_B;
      if (inst >>> 20 === 0x6b8) return Op.REV8;
      return Op.ILLEGAL;
  }
}

function decodeOpImm32(f3: number, f7: number, inst: number): Op {
  const hi6 = inst >>> 26;
  if (f3 === 0) return Op.ADDIW;
  if (f3 === 1) {
    if (f7 === 0) return Op.SLLIW;
    if (hi6 === 0x02) return Op.SLLI_UW;
    if (f7 === 0x30) {
      const sel = (inst >>> 20) & 31;
      if (sel === 0) return Op.CLZW;
      if (sel === 1) return Op.CTZW;
      if (sel === 2) return Op.CPOPW;
    }
    return Op.ILLEGAL;
  }
  if (f3 === 5) {
    if (f7 === 0) return Op.SRLIW;
    if (f7 === 0x20) return Op.SRAIW;
    if (f7 === 0x30) return Op.RORIW;
  }
  return Op.ILLEGAL;
}

function decodeOp(f3: number, f7: number): Op {
  switch (f7) {
    case 0x00:
      return [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND][f3];
    case 0x20:
      return [Op.SUB, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.XNOR, Op.SRA, Op.ORN, Op.ANDN][f3];
    case 0x01:
      return [Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU][f3];
    case 0x10:
      return [Op.ILLEGAL, Op.ILLEGAL, Op.SH1ADD, Op.ILLEGAL, Op.SH2ADD, Op.ILLEGAL, Op.SH3ADD, Op.ILLEGAL][
        f3
      ];
    case 0x05:
      return [Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.MIN, Op.MINU, Op.MAX, Op.MAXU][f3];
    case 0x30:
      return f3 === 1 ? Op.ROL : f3 === 5 ? Op.ROR : Op.ILLEGAL;
    case 0x24:
      return f3 === 1 ? Op.BCLR : f3 === 5 ? Op.BEXT : Op.ILLEGAL;
    case 0x34:
      return f3 === 1 ? Op.BINV : Op.ILLEGAL;
    case 0x14:
      return f3 === 1 ? Op.BSET : Op.ILLEGAL;
    default:
      return Op.ILLEGAL;
  }
}

function decodeOp32(f3: number, f7: number, rs2: number): Op {
  switch (f7) {
    case 0x00:
      return f3 === 0 ? Op.ADDW : f3 === 1 ? Op.SLLW : f3 === 5 ? Op.SRLW : Op.ILLEGAL;
    case 0x20:
      return f3 === 0 ? Op.SUBW : f3 === 5 ? Op.SRAW : Op.ILLEGAL;
    case 0x01:
      return [Op.MULW, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW][f3];
    case 0x04:
      if (f3 === 0) return Op.ADD_UW;
      if (f3 === 4 && rs2 === 0) return Op.ZEXT_H;
      return Op.ILLEGAL;
    case 0x10:
      return [
        Op.ILLEGAL,
        Op.ILLEGAL,
        Op.SH1ADD_UW,
        Op.ILLEGAL,
        Op.SH2ADD_UW,
        Op.ILLEGAL,
        Op.SH3ADD_UW,
        Op.ILLEGAL,
      ][f3];
    case 0x30:
      return f3 === 1 ? Op.ROLW : f3 === 5 ? Op.RORW : Op.ILLEGAL;
    default:
      return Op.ILLEGAL;
  }
}

const AMO_W: Record<number, Op> = {
  0: Op.AMOADD_W,
  1: Op.AMOSWAP_W,
  2: Op.LR_W,
  3: Op.SC_W,
  4: Op.AMOXOR_W,
  8: Op.AMOOR_W,
  12: Op.AMOAND_W,
  16: Op.AMOMIN_W,
  20: Op.AMOMAX_W,
  24: Op.AMOMINU_W,
  28: Op.AMOMAXU_W,
};
const AMO_D: Record<number, Op> = {
  0: Op.AMOADD_D,
  1: Op.AMOSWAP_D,
  2: Op.LR_D,
  3: Op.SC_D,
  4: Op.AMOXOR_D,
  8: Op.AMOOR_D,
  12: Op.AMOAND_D,
  16: Op.AMOMIN_D,
  20: Op.AMOMAX_D,
  24: Op.AMOMINU_D,
  28: Op.AMOMAXU_D,
};

function decodeAmo(f3: number, f5: number, rs2: number): Op {
  const table = f3 === 2 ? AMO_W : f3 === 3 ? AMO_D : undefined;
  const op = table?.[f5];
  if (op === undefined) return Op.ILLEGAL;
  if ((op === Op.LR_W || op === Op.LR_D) && rs2 !== 0) return Op.ILLEGAL;
  return op;
}

interface FpDecode {
  op: Op;
  intRd: boolean;
}
const fpResult: FpDecode = { op: Op.ILLEGAL, intRd: false };

function fp(op: Op, intRd: boolean): FpDecode {
  fpResult.op = op;
  fpResult.intRd = intRd;
  return fpResult;
}

function decodeFp(f7: number, f3: number, rs2: number): FpDecode {
  const D = (f7 & 1) === 1; // fmt bit: 0 = S, 1 = D (H and Q are not implemented)
  if ((f7 & 2) !== 0) return fp(Op.ILLEGAL, false);
  switch (f7 >>> 2) {
    case 0x00:
      return fp(D ? Op.FADD_D : Op.FADD_S, false);
    case 0x01:
      return fp(D ? Op.FSUB_D : Op.FSUB_S, false);
    case 0x02:
      return fp(D ? Op.FMUL_D : Op.FMUL_S, false);
    case 0x03:
      return fp(D ? Op.FDIV_D : Op.FDIV_S, false);
    case 0x0b:
      return fp(rs2 !== 0 ? Op.ILLEGAL : D ? Op.FSQRT_D : Op.FSQRT_S, false);
    case 0x04:
      if (f3 > 2) return fp(Op.ILLEGAL, false);
      return fp(
        D ? [Op.FSGNJ_D, Op.FSGNJN_D, Op.FSGNJX_D][f3] : [Op.FSGNJ_S, Op.FSGNJN_S, Op.FSGNJX_S][f3],
        false,
      );
    case 0x05:
      if (f3 > 1) return fp(Op.ILLEGAL, false);
      return fp(D ? (f3 ? Op.FMAX_D : Op.FMIN_D) : f3 ? Op.FMAX_S : Op.FMIN_S, false);
    case 0x08:
      // fcvt.s.d (f7 = 0x20, rs2 = 1) and fcvt.d.s (f7 = 0x21, rs2 = 0)
      if (!D && rs2 === 1) return fp(Op.FCVT_S_D, false);
      if (D && rs2 === 0) return fp(Op.FCVT_D_S, false);
      return fp(Op.ILLEGAL, false);
    case 0x14:
      if (f3 > 2) return fp(Op.ILLEGAL, true);
      return fp(D ? [Op.FLE_D, Op.FLT_D, Op.FEQ_D][f3] : [Op.FLE_S, Op.FLT_S, Op.FEQ_S][f3], true);
    case 0x18:
      if (rs2 > 3) return fp(Op.ILLEGAL, true);
      return fp(
        D
          ? [Op.FCVT_W_D, Op.FCVT_WU_D, Op.FCVT_L_D, Op.FCVT_LU_D][rs2]
          : [Op.FCVT_W_S, Op.FCVT_WU_S, Op.FCVT_L_S, Op.FCVT_LU_S][rs2],
        true,
      );
    case 0x1a:
      if (rs2 > 3) return fp(Op.ILLEGAL, false);
      return fp(
        D
          ? [Op.FCVT_D_W, Op.FCVT_D_WU, Op.FCVT_D_L, Op.FCVT_D_LU][rs2]
          : [Op.FCVT_S_W, Op.FCVT_S_WU, Op.FCVT_S_L, Op.FCVT_S_LU][rs2],
        false,
      );
    case 0x1c:
      if (rs2 !== 0) return fp(Op.ILLEGAL, true);
      if (f3 === 0) return fp(D ? Op.FMV_X_D : Op.FMV_X_W, true);
      if (f3 === 1) return fp(D ? Op.FCLASS_D : Op.FCLASS_S, true);
      return fp(Op.ILLEGAL, true);
    case 0x1e:
      if (rs2 !== 0 || f3 !== 0) return fp(Op.ILLEGAL, false);
      return fp(D ? Op.FMV_D_X : Op.FMV_W_X, false);
    default:
      return fp(Op.ILLEGAL, false);
  }
}
