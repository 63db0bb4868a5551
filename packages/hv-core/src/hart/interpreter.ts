import {
  CAUSE_BREAKPOINT,
  CAUSE_ILLEGAL_INSTRUCTION,
  CAUSE_MISALIGNED_LOAD,
  CAUSE_MISALIGNED_STORE,
  MSTATUS_FS,
  MSTATUS_MIE,
  MSTATUS_MPIE,
  MSTATUS_MPP,
  MSTATUS_MPP_SHIFT,
  MSTATUS_MPRV,
  MSTATUS_SIE,
  MSTATUS_SPIE,
  MSTATUS_SPP,
  MSTATUS_TSR,
  MSTATUS_TVM,
  MSTATUS_TW,
  PRIV_M,
  PRIV_S,
  PRIV_U,
  TLB_FLUSH_SFENCE,
} from "./constants.js";
import type { Hart } from "./hart.js";
import {
  bswap32,
  clz64,
  ctz32,
  div32,
  div64,
  divu32,
  divu64,
  mul64,
  mulh64,
  mulhsu64,
  mulhu64,
  orcb32,
  out,
  popcount32,
  rotr64,
  sar64,
  shl64,
  shr64,
} from "./int64.js";

/**
 * Decoded operation ids. Dense small integers, declared in this file so the interpreter's
 * switch compiles to a jump table. 0 marks a slot that is not decoded yet.
 */
export enum Op {
  UNDECODED = 0,
  ILLEGAL = 1,
  EXIT_PAGE = 2,
  CROSS_PAGE = 3,
  NOP = 4,
  LUI = 5,
  AUIPC = 6,
  JAL = 7,
  JALR = 8,
  BEQ = 9,
  BNE = 10,
  BLT = 11,
  BGE = 12,
  BLTU = 13,
  BGEU = 14,
  LB = 15,
  LH = 16,
  LW = 17,
  LD = 18,
  LBU = 19,
  LHU = 20,
  LWU = 21,
  SB = 22,
  SH = 23,
  SW = 24,
  SD = 25,
  ADDI = 26,
  SLTI = 27,
  SLTIU = 28,
  XORI = 29,
  ORI = 30,
  ANDI = 31,
  SLLI = 32,
  SRLI = 33,
  SRAI = 34,
  ADD = 35,
  SUB = 36,
  SLL = 37,
  SLT = 38,
  SLTU = 39,
  XOR = 40,
  SRL = 41,
  SRA = 42,
  OR = 43,
  AND = 44,
  ADDIW = 45,
  SLLIW = 46,
  SRLIW = 47,
  SRAIW = 48,
  ADDW = 49,
  SUBW = 50,
  SLLW = 51,
  SRLW = 52,
  SRAW = 53,
  MUL = 54,
  MULH = 55,
  MULHSU = 56,
  MULHU = 57,
  DIV = 58,
  DIVU = 59,
  REM = 60,
  REMU = 61,
  MULW = 62,
  DIVW = 63,
  DIVUW = 64,
  REMW = 65,
  REMUW = 66,
  ADD_UW = 67,
  SH1ADD = 68,
  SH2ADD = 69,
  SH3ADD = 70,
  SH1ADD_UW = 71,
  SH2ADD_UW = 72,
  SH3ADD_UW = 73,
  SLLI_UW = 74,
  ANDN = 75,
  ORN = 76,
  XNOR = 77,
  CLZ = 78,
  CLZW = 79,
  CTZ = 80,
  CTZW = 81,
  CPOP = 82,
  CPOPW = 83,
  MAX = 84,
  MAXU = 85,
  MIN = 86,
  MINU = 87,
  SEXT_B = 88,
  SEXT_H = 89,
  ZEXT_H = 90,
  ROL = 91,
  ROLW = 92,
  ROR = 93,
  RORI = 94,
  RORIW = 95,
  RORW = 96,
  ORC_B = 97,
  REV8 = 98,
  BCLR = 99,
  BCLRI = 100,
  BEXT = 101,
  BEXTI = 102,
  BINV = 103,
  BINVI = 104,
  BSET = 105,
  BSETI = 106,
  FENCE = 107,
  FENCE_I = 108,
  ECALL = 109,
  EBREAK = 110,
  MRET = 111,
  SRET = 112,
  WFI = 113,
  SFENCE_VMA = 114,
  CSRRW = 115,
  CSRRS = 116,
  CSRRC = 117,
  CSRRWI = 118,
  CSRRSI = 119,
  CSRRCI = 120,
  LR_W = 121,
  SC_W = 122,
  AMOSWAP_W = 123,
  AMOADD_W = 124,
  AMOXOR_W = 125,
  AMOAND_W = 126,
  AMOOR_W = 127,
  AMOMIN_W = 128,
  AMOMAX_W = 129,
  AMOMINU_W = 130,
  AMOMAXU_W = 131,
  LR_D = 132,
  SC_D = 133,
  AMOSWAP_D = 134,
  AMOADD_D = 135,
  AMOXOR_D = 136,
  AMOAND_D = 137,
  AMOOR_D = 138,
  AMOMIN_D = 139,
  AMOMAX_D = 140,
  AMOMINU_D = 141,
  AMOMAXU_D = 142,
  FLW = 143,
  FSW = 144,
  FLD = 145,
  FSD = 146,
  FMADD_S = 147,
  FMSUB_S = 148,
  FNMSUB_S = 149,
  FNMADD_S = 150,
  FMADD_D = 151,
  FMSUB_D = 152,
  FNMSUB_D = 153,
  FNMADD_D = 154,
  FADD_S = 155,
  FSUB_S = 156,
  FMUL_S = 157,
  FDIV_S = 158,
  FSQRT_S = 159,
  FSGNJ_S = 160,
  FSGNJN_S = 161,
  FSGNJX_S = 162,
  FMIN_S = 163,
  FMAX_S = 164,
  FCVT_W_S = 165,
  FCVT_WU_S = 166,
  FCVT_L_S = 167,
  FCVT_LU_S = 168,
  FMV_X_W = 169,
  FCLASS_S = 170,
  FEQ_S = 171,
  FLT_S = 172,
  FLE_S = 173,
  FCVT_S_W = 174,
  FCVT_S_WU = 175,
  FCVT_S_L = 176,
  FCVT_S_LU = 177,
  FMV_W_X = 178,
  FADD_D = 179,
  FSUB_D = 180,
  FMUL_D = 181,
  FDIV_D = 182,
  FSQRT_D = 183,
  FSGNJ_D = 184,
  FSGNJN_D = 185,
  FSGNJX_D = 186,
  FMIN_D = 187,
  FMAX_D = 188,
  FCVT_W_D = 189,
  FCVT_WU_D = 190,
  FCVT_L_D = 191,
  FCVT_LU_D = 192,
  FMV_X_D = 193,
  FCLASS_D = 194,
  FEQ_D = 195,
  FLT_D = 196,
  FLE_D = 197,
  FCVT_D_W = 198,
  FCVT_D_WU = 199,
  FCVT_D_L = 200,
  FCVT_D_LU = 201,
  FMV_D_X = 202,
  FCVT_S_D = 203,
  FCVT_D_S = 204,
  /** `fence` on a hart whose memory other threads share: a host barrier (see Hart.decodeSharedFence). */
  FENCE_SHARED = 205,
  PAUSE = 206,
}

/** Size of the direct-mapped software TLBs (entries); a power of two. */
export const TLB_SIZE = 512;
const TLB_MASK = TLB_SIZE - 1;
const PAGE_MASK = -4096;

/** What a slow (out-of-line) operation tells the interpreter loop. */
export const SLOW_CONTINUE = 0; // retired, fall through to the next instruction in this block
export const SLOW_EXIT_NEXT = 1; // retired, leave the block; pc = next instruction
export const SLOW_EXIT_JUMPED = 2; // retired, leave the block; the op set pc itself
export const SLOW_TRAPPED = -1; // raised an exception; pc is the trap vector

/**
 * Runs decoded instructions, chaining from page to page while the fetch TLB hits, until a slow
 * operation asks to leave, an exception is raised, or `limit` instructions have retired. Returns
 * the number of instructions retired. On return `h.pcLo`/`h.pcHi` hold the next pc.
 *
 * `scratch`, when given, replaces the first page's decoded slots (for a page-straddling instruction).
 */
export function runPage(h: Hart, limit: number, scratch: Int32Array | null): number {
  const x = h.x;
  const u8 = h.mem.u8;
  const u16 = h.mem.u16;
  const i32 = h.mem.i32;
  const rTagLo = h.rTagLo;
  const rTagHi = h.rTagHi;
  const rHost = h.rHost;
  const wTagLo = h.wTagLo;
  const wTagHi = h.wTagHi;
  const wHost = h.wHost;
  const fTagLo = h.fTagLo;
  const fTagHi = h.fTagHi;
  const fHost = h.fHost;
  let pcLo = h.pcLo;
  let pcHi = h.pcHi;
  let n = 0;
  // Chains from page to page while the fetch TLB hits; a miss returns to Hart.run.
  pages: for (;;) {
    const fx = (pcLo >>> 12) & TLB_MASK;
    const pageLo = pcLo & PAGE_MASK;
    if (fTagLo[fx] !== pageLo || fTagHi[fx] !== pcHi) break;
    const hostPage = fHost[fx] >>> 0;
    // A scratch page holds one pre-decoded instruction (one that straddles two pages).
    const d = scratch ?? h.codePageAt(hostPage);
    scratch = null;
    h.pcHi = pcHi;
    while (n < limit) {
      const s = (pcLo - pageLo) << 1;
      let op = d[s];
      if (op === Op.UNDECODED) {
        h.decodeSlot(d, s, hostPage, pcLo);
        op = d[s];
      }
      const w = d[s + 1];
      n++;
      // Each common op has its own case, written out in full: the switch compiles to a jump
      // table and every case is straight-line code. Rare ops go to execSlow.
      switch (op) {
        case Op.NOP:
        case Op.FENCE:
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        case Op.ADDI: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const lo = (a + imm) | 0;
          const rd = w & 0xff;
          x[rd + 1] = (x[rs1 + 1] + (imm >> 31) + (lo >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          x[rd] = lo;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ADDIW: {
          const v = (x[(w >>> 8) & 0xff] + d[s + 2]) | 0;
          const rd = w & 0xff;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.LUI: {
          const imm = d[s + 2];
          const rd = w & 0xff;
          x[rd] = imm;
          x[rd + 1] = imm >> 31;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.AUIPC: {
          const imm = d[s + 2];
          const lo = (pcLo + imm) | 0;
          const rd = w & 0xff;
          x[rd + 1] = (pcHi + (imm >> 31) + (lo >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          x[rd] = lo;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.JAL: {
          const len = d[s + 3];
          const rd = w & 0xff;
          const link = (pcLo + len) | 0;
          x[rd] = link;
          x[rd + 1] = link >>> 0 < pcLo >>> 0 ? (pcHi + 1) | 0 : pcHi;
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.JALR: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const b = x[rs1];
          const tLo = ((b + imm) | 0) & -2;
          const tHi = (x[rs1 + 1] + (imm >> 31) + (((b + imm) | 0) >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const len = d[s + 3];
          const rd = w & 0xff;
          const link = (pcLo + len) | 0;
          x[rd] = link;
          x[rd + 1] = link >>> 0 < pcLo >>> 0 ? (pcHi + 1) | 0 : pcHi;
          if ((tLo & PAGE_MASK) === pageLo && tHi === pcHi) {
            pcLo = tLo;
            continue;
          }
          pcLo = tLo;
          pcHi = tHi;
          continue pages;
        }
        case Op.BEQ: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (!(x[rs1] === x[rs2] && x[rs1 + 1] === x[rs2 + 1])) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.BNE: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (!(x[rs1] !== x[rs2] || x[rs1 + 1] !== x[rs2 + 1])) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.BLT: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (!(x[rs1 + 1] < x[rs2 + 1] || (x[rs1 + 1] === x[rs2 + 1] && x[rs1] >>> 0 < x[rs2] >>> 0))) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.BGE: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (!(x[rs1 + 1] > x[rs2 + 1] || (x[rs1 + 1] === x[rs2 + 1] && x[rs1] >>> 0 >= x[rs2] >>> 0))) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.BLTU: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (
            !(
              x[rs1 + 1] >>> 0 < x[rs2 + 1] >>> 0 ||
              (x[rs1 + 1] === x[rs2 + 1] && x[rs1] >>> 0 < x[rs2] >>> 0)
            )
          ) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.BGEU: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          if (
            !(
              x[rs1 + 1] >>> 0 > x[rs2 + 1] >>> 0 ||
              (x[rs1 + 1] === x[rs2 + 1] && x[rs1] >>> 0 >= x[rs2] >>> 0)
            )
          ) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          const t = (pcLo + d[s + 2]) | 0;
          if ((t & PAGE_MASK) === pageLo) {
            pcLo = t;
            continue;
          }
          pcHi = (pcHi + (d[s + 2] >> 31) + (t >>> 0 < pcLo >>> 0 ? 1 : 0)) | 0;
          pcLo = t;
          continue pages;
        }
        case Op.LD: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi && (aLo & 7) === 0) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            x[rd] = i32[ha >>> 2];
            x[rd + 1] = i32[(ha >>> 2) + 1];
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LW: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi && (aLo & 3) === 0) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            const v = i32[ha >>> 2];
            x[rd] = v;
            x[rd + 1] = v >> 31;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LWU: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi && (aLo & 3) === 0) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            x[rd] = i32[ha >>> 2];
            x[rd + 1] = 0;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LH: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi && (aLo & 1) === 0) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            const v = (u16[ha >>> 1] << 16) >> 16;
            x[rd] = v;
            x[rd + 1] = v >> 31;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LHU: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi && (aLo & 1) === 0) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            x[rd] = u16[ha >>> 1];
            x[rd + 1] = 0;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LB: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            const v = (u8[ha] << 24) >> 24;
            x[rd] = v;
            x[rd + 1] = v >> 31;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.LBU: {
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (rTagLo[ix] === (aLo & PAGE_MASK) && rTagHi[ix] === aHi) {
            const ha = (rHost[ix] + (aLo & 0xfff)) >>> 0;
            const rd = w & 0xff;
            x[rd] = u8[ha];
            x[rd + 1] = 0;
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.loadOp(op, aLo, aHi, w & 0xff);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.SD: {
          const rs2 = (w >>> 16) & 0xff;
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (wTagLo[ix] === (aLo & PAGE_MASK) && wTagHi[ix] === aHi && (aLo & 7) === 0) {
            const ha = (wHost[ix] + (aLo & 0xfff)) >>> 0;
            i32[ha >>> 2] = x[rs2];
            i32[(ha >>> 2) + 1] = x[rs2 + 1];
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.storeOp(aLo, aHi, 8, x[rs2], x[rs2 + 1]);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.SW: {
          const rs2 = (w >>> 16) & 0xff;
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (wTagLo[ix] === (aLo & PAGE_MASK) && wTagHi[ix] === aHi && (aLo & 3) === 0) {
            const ha = (wHost[ix] + (aLo & 0xfff)) >>> 0;
            i32[ha >>> 2] = x[rs2];
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.storeOp(aLo, aHi, 4, x[rs2], x[rs2 + 1]);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.SH: {
          const rs2 = (w >>> 16) & 0xff;
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (wTagLo[ix] === (aLo & PAGE_MASK) && wTagHi[ix] === aHi && (aLo & 1) === 0) {
            const ha = (wHost[ix] + (aLo & 0xfff)) >>> 0;
            u16[ha >>> 1] = x[rs2];
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.storeOp(aLo, aHi, 2, x[rs2], x[rs2 + 1]);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.SB: {
          const rs2 = (w >>> 16) & 0xff;
          const imm = d[s + 2];
          const b = x[(w >>> 8) & 0xff];
          const aLo = (b + imm) | 0;
          const aHi = (x[((w >>> 8) & 0xff) + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const ix = (aLo >>> 12) & TLB_MASK;
          if (wTagLo[ix] === (aLo & PAGE_MASK) && wTagHi[ix] === aHi) {
            const ha = (wHost[ix] + (aLo & 0xfff)) >>> 0;
            u8[ha] = x[rs2];
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          h.pcLo = pcLo;
          const r = h.storeOp(aLo, aHi, 1, x[rs2], x[rs2 + 1]);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
        case Op.ANDI: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const rd = w & 0xff;
          x[rd] = a & imm;
          x[rd + 1] = ah & (imm >> 31);
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ORI: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const rd = w & 0xff;
          x[rd] = a | imm;
          x[rd + 1] = ah | (imm >> 31);
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.XORI: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const rd = w & 0xff;
          x[rd] = a ^ imm;
          x[rd + 1] = ah ^ (imm >> 31);
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLTI: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const rd = w & 0xff;
          x[rd] = ah < imm >> 31 || (ah === imm >> 31 && a >>> 0 < imm >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLTIU: {
          const rs1 = (w >>> 8) & 0xff;
          const imm = d[s + 2];
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const rd = w & 0xff;
          x[rd] = ah >>> 0 < (imm >> 31) >>> 0 || (ah === imm >> 31 && a >>> 0 < imm >>> 0) ? 1 : 0;
          x[rd + 1] = 0;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLLI:
        case Op.SRLI:
        case Op.SRAI: {
          const rs1 = (w >>> 8) & 0xff;
          const sh = d[s + 2];
          if (op === Op.SLLI) shl64(x[rs1], x[rs1 + 1], sh);
          else if (op === Op.SRLI) shr64(x[rs1], x[rs1 + 1], sh);
          else sar64(x[rs1], x[rs1 + 1], sh);
          const rd = w & 0xff;
          x[rd] = out[0];
          x[rd + 1] = out[1];
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLLIW:
        case Op.SRLIW:
        case Op.SRAIW: {
          const a = x[(w >>> 8) & 0xff];
          const sh = d[s + 2] & 31;
          const v = op === Op.SLLIW ? a << sh : op === Op.SRLIW ? (a >>> sh) | 0 : a >> sh;
          const rd = w & 0xff;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ADD: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const lo = (a + x[rs2]) | 0;
          const hi = (x[rs1 + 1] + x[rs2 + 1] + (lo >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          const rd = w & 0xff;
          x[rd] = lo;
          x[rd + 1] = hi;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SUB: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const b = x[rs2];
          const lo = (a - b) | 0;
          const hi = (x[rs1 + 1] - x[rs2 + 1] - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          const rd = w & 0xff;
          x[rd] = lo;
          x[rd + 1] = hi;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.AND: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = a & b;
          x[rd + 1] = ah & bh;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.OR: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = a | b;
          x[rd + 1] = ah | bh;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.XOR: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = a ^ b;
          x[rd + 1] = ah ^ bh;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ANDN: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = a & ~b;
          x[rd + 1] = ah & ~bh;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ORN: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = a | ~b;
          x[rd + 1] = ah | ~bh;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.XNOR: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          const rd = w & 0xff;
          x[rd] = ~(a ^ b);
          x[rd + 1] = ~(ah ^ bh);
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLT:
        case Op.SLTU: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const ah = x[rs1 + 1];
          const bh = x[rs2 + 1];
          const lower = x[rs1] >>> 0 < x[rs2] >>> 0;
          const v =
            op === Op.SLT ? ah < bh || (ah === bh && lower) : ah >>> 0 < bh >>> 0 || (ah === bh && lower);
          const rd = w & 0xff;
          x[rd] = v ? 1 : 0;
          x[rd + 1] = 0;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.SLL:
        case Op.SRL:
        case Op.SRA: {
          const rs1 = (w >>> 8) & 0xff;
          const sh = x[(w >>> 16) & 0xff] & 63;
          if (op === Op.SLL) shl64(x[rs1], x[rs1 + 1], sh);
          else if (op === Op.SRL) shr64(x[rs1], x[rs1 + 1], sh);
          else sar64(x[rs1], x[rs1 + 1], sh);
          const rd = w & 0xff;
          x[rd] = out[0];
          x[rd + 1] = out[1];
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ADDW:
        case Op.SUBW:
        case Op.SLLW:
        case Op.SRLW:
        case Op.SRAW:
        case Op.MULW: {
          const a = x[(w >>> 8) & 0xff];
          const b = x[(w >>> 16) & 0xff];
          let v: number;
          if (op === Op.ADDW) v = (a + b) | 0;
          else if (op === Op.SUBW) v = (a - b) | 0;
          else if (op === Op.SLLW) v = a << (b & 31);
          else if (op === Op.SRLW) v = (a >>> (b & 31)) | 0;
          else if (op === Op.SRAW) v = a >> (b & 31);
          else v = Math.imul(a, b);
          const rd = w & 0xff;
          x[rd] = v;
          x[rd + 1] = v >> 31;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.MUL:
        case Op.MULH:
        case Op.MULHSU:
        case Op.MULHU:
        case Op.DIV:
        case Op.DIVU:
        case Op.REM:
        case Op.REMU: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const a = x[rs1];
          const ah = x[rs1 + 1];
          const b = x[rs2];
          const bh = x[rs2 + 1];
          if (op === Op.MUL) mul64(a, ah, b, bh);
          else if (op === Op.MULH) mulh64(a, ah, b, bh);
          else if (op === Op.MULHSU) mulhsu64(a, ah, b, bh);
          else if (op === Op.MULHU) mulhu64(a, ah, b, bh);
          else if (op === Op.DIV) div64(a, ah, b, bh, false);
          else if (op === Op.REM) div64(a, ah, b, bh, true);
          else if (op === Op.DIVU) divu64(a, ah, b, bh, false);
          else divu64(a, ah, b, bh, true);
          const rd = w & 0xff;
          x[rd] = out[0];
          x[rd + 1] = out[1];
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.DIVW:
        case Op.DIVUW:
        case Op.REMW:
        case Op.REMUW: {
          const a = x[(w >>> 8) & 0xff];
          const b = x[(w >>> 16) & 0xff];
          if (op === Op.DIVW) div32(a, b, false);
          else if (op === Op.REMW) div32(a, b, true);
          else if (op === Op.DIVUW) divu32(a, b, false);
          else divu32(a, b, true);
          const rd = w & 0xff;
          x[rd] = out[0];
          x[rd + 1] = out[1];
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        case Op.ADD_UW:
        case Op.SH1ADD:
        case Op.SH2ADD:
        case Op.SH3ADD:
        case Op.SH1ADD_UW:
        case Op.SH2ADD_UW:
        case Op.SH3ADD_UW: {
          const rs1 = (w >>> 8) & 0xff;
          const rs2 = (w >>> 16) & 0xff;
          const uw = op === Op.ADD_UW || op === Op.SH1ADD_UW || op === Op.SH2ADD_UW || op === Op.SH3ADD_UW;
          const sh =
            op === Op.SH1ADD || op === Op.SH1ADD_UW
              ? 1
              : op === Op.SH2ADD || op === Op.SH2ADD_UW
                ? 2
                : op === Op.ADD_UW
                  ? 0
                  : 3;
          shl64(x[rs1], uw ? 0 : x[rs1 + 1], sh);
          const a = out[0];
          const b = x[rs2];
          const lo = (a + b) | 0;
          const hi = (out[1] + x[rs2 + 1] + (lo >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          const rd = w & 0xff;
          x[rd] = lo;
          x[rd + 1] = hi;
          pcLo = (pcLo + d[s + 3]) | 0;
          break;
        }
        default: {
          if (op === Op.EXIT_PAGE) {
            // Fell off the end of the page: not an instruction.
            n--;
            if (pcLo === 0) pcHi = (pcHi + 1) | 0;
            continue pages;
          }
          if (op === Op.CROSS_PAGE) {
            h.pcLo = pcLo;
            return n - 1 + h.execCrossPage(n - 1);
          }
          h.pcLo = pcLo;
          h.blockRetired = n - 1;
          const r = execSlow(h, op, d, s);
          if (r === SLOW_CONTINUE) {
            pcLo = (pcLo + d[s + 3]) | 0;
            break;
          }
          if (r === SLOW_TRAPPED) return n - 1;
          if (r === SLOW_EXIT_NEXT) h.setNextPc(pcLo, d[s + 3]);
          return n;
        }
      }
    }
    break;
  }
  h.pcLo = pcLo;
  h.pcHi = pcHi;
  return n;
}

/** Operations kept out of the hot loop: bit manipulation, system, CSR, atomics, floating point. */
function execSlow(h: Hart, op: number, d: Int32Array, s: number): number {
  const x = h.x;
  const w = d[s + 1];
  const rd = w & 0xff;
  const rs1 = (w >>> 8) & 0xff;
  const rs2 = (w >>> 16) & 0xff;
  const imm = d[s + 2];
  const a = x[rs1];
  const ah = x[rs1 + 1];
  const b = x[rs2];
  const bh = x[rs2 + 1];
  let lo = 0;
  let hi = 0;
  switch (op) {
    case Op.ILLEGAL:
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, imm, 0);
      return SLOW_TRAPPED;
    case Op.SLLI_UW:
      shl64(a, 0, imm);
      lo = out[0];
      hi = out[1];
      break;
    case Op.CLZ:
      lo = clz64(a, ah);
      break;
    case Op.CLZW:
      lo = Math.clz32(a);
      break;
    case Op.CTZ:
      lo = a !== 0 ? ctz32(a) : 32 + ctz32(ah);
      break;
    case Op.CTZW:
      lo = ctz32(a);
      break;
    case Op.CPOP:
      lo = popcount32(a) + popcount32(ah);
      break;
    case Op.CPOPW:
      lo = popcount32(a);
      break;
    case Op.MAX:
    case Op.MIN: {
      const less = ah < bh || (ah === bh && a >>> 0 < b >>> 0);
      const pickA = op === Op.MAX ? !less : less;
      lo = pickA ? a : b;
      hi = pickA ? ah : bh;
      break;
    }
    case Op.MAXU:
    case Op.MINU: {
      const less = ah >>> 0 < bh >>> 0 || (ah === bh && a >>> 0 < b >>> 0);
      const pickA = op === Op.MAXU ? !less : less;
      lo = pickA ? a : b;
      hi = pickA ? ah : bh;
      break;
    }
    case Op.SEXT_B:
      lo = (a << 24) >> 24;
      hi = lo >> 31;
      break;
    case Op.SEXT_H:
      lo = (a << 16) >> 16;
      hi = lo >> 31;
      break;
    case Op.ZEXT_H:
      lo = a & 0xffff;
      break;
    case Op.ROL:
    case Op.ROR:
    case Op.RORI: {
      const sh = op === Op.RORI ? imm & 63 : b & 63;
      rotr64(a, ah, op === Op.ROL ? (64 - sh) & 63 : sh);
      lo = out[0];
      hi = out[1];
      break;
    }
    case Op.ROLW:
    case Op.RORW:
    case Op.RORIW: {
      let sh = op === Op.RORIW ? imm & 31 : b & 31;
      if (op === Op.ROLW) sh = (32 - sh) & 31;
      lo = sh === 0 ? a : (a >>> sh) | (a << (32 - sh));
      hi = lo >> 31;
      break;
    }
    case Op.ORC_B:
      lo = orcb32(a);
      hi = orcb32(ah);
      break;
    case Op.REV8:
      lo = bswap32(ah);
      hi = bswap32(a);
      break;
    case Op.BCLR:
    case Op.BCLRI:
    case Op.BINV:
    case Op.BINVI:
    case Op.BSET:
    case Op.BSETI:
    case Op.BEXT:
    case Op.BEXTI: {
      const idx =
        op === Op.BCLRI || op === Op.BINVI || op === Op.BSETI || op === Op.BEXTI ? imm & 63 : b & 63;
      const mLo = idx < 32 ? 1 << idx : 0;
      const mHi = idx >= 32 ? 1 << (idx - 32) : 0;
      if (op === Op.BEXT || op === Op.BEXTI) {
        lo = (a & mLo) !== 0 || (ah & mHi) !== 0 ? 1 : 0;
      } else if (op === Op.BCLR || op === Op.BCLRI) {
        lo = a & ~mLo;
        hi = ah & ~mHi;
      } else if (op === Op.BINV || op === Op.BINVI) {
        lo = a ^ mLo;
        hi = ah ^ mHi;
      } else {
        lo = a | mLo;
        hi = ah | mHi;
      }
      break;
    }
    case Op.CSRRW:
    case Op.CSRRS:
    case Op.CSRRC:
    case Op.CSRRWI:
    case Op.CSRRSI:
    case Op.CSRRCI:
      return execCsr(h, op, rd, a, ah, imm);
    case Op.ECALL:
      return h.ecall();
    case Op.EBREAK:
      h.raiseException(CAUSE_BREAKPOINT, 0, 0);
      return SLOW_TRAPPED;
    case Op.MRET:
    case Op.SRET:
      return execReturn(h, op === Op.MRET);
    case Op.WFI:
      if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS_TW) !== 0)) {
        h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, 0x10500073, 0);
        return SLOW_TRAPPED;
      }
      h.waitForInterrupt();
      return SLOW_EXIT_NEXT;
    case Op.SFENCE_VMA:
      if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS_TVM) !== 0)) {
        h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
        return SLOW_TRAPPED;
      }
      // x0 operands widen the request: scope 0 all, 1 one ASID, 2 one page, 3 both.
      h.flushTlb(TLB_FLUSH_SFENCE, (rs1 !== 0 ? 2 : 0) | (rs2 !== 0 ? 1 : 0), a, ah, b);
      return SLOW_EXIT_NEXT;
    case Op.FENCE_I:
      h.flushDecodeCache();
      return SLOW_EXIT_NEXT;
    case Op.FENCE_SHARED:
      h.hostFence();
      return SLOW_CONTINUE;
    case Op.PAUSE:
      // A spin-wait hint: while other vCPUs want this thread, end the slice so they get it.
      if (!h.pauseYields) return SLOW_CONTINUE;
      h.yieldRequested = true;
      return SLOW_EXIT_NEXT;
    default:
      if (op >= Op.LR_W && op <= Op.AMOMAXU_D) return execAmo(h, op, rd, a, ah, b, bh);
      if (op >= Op.FLW) {
        if ((h.mstatus & MSTATUS_FS) === 0) {
          h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
          return SLOW_TRAPPED;
        }
        return execFp(h, op, w, imm);
      }
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
      return SLOW_TRAPPED;
  }
  x[rd] = lo;
  x[rd + 1] = hi;
  return SLOW_CONTINUE;
}

function execCsr(h: Hart, op: number, rd: number, a: number, ah: number, imm: number): number {
  const csr = imm & 0xfff;
  const uimm = imm >>> 12;
  const immediate = op === Op.CSRRWI || op === Op.CSRRSI || op === Op.CSRRCI;
  const srcLo = immediate ? uimm : a;
  const srcHi = immediate ? 0 : ah;
  const isWrite = op === Op.CSRRW || op === Op.CSRRWI;
  // CSRRS/CSRRC with x0 / uimm 0 only read; CSRRW with rd = x0 only writes.
  const writes = isWrite || uimm !== 0;
  const reads = !isWrite || rd !== 64;
  if (!h.csrAccessAllowed(csr, writes)) {
    h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
    return SLOW_TRAPPED;
  }
  let oldLo = 0;
  let oldHi = 0;
  if (reads) {
    if (!h.csrRead(csr)) {
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
      return SLOW_TRAPPED;
    }
    oldLo = h.csrLo;
    oldHi = h.csrHi;
  }
  if (writes) {
    let vLo = srcLo;
    let vHi = srcHi;
    if (op === Op.CSRRS || op === Op.CSRRSI) {
      vLo = oldLo | srcLo;
      vHi = oldHi | srcHi;
    } else if (op === Op.CSRRC || op === Op.CSRRCI) {
      vLo = oldLo & ~srcLo;
      vHi = oldHi & ~srcHi;
    }
    if (!h.csrWrite(csr, vLo, vHi)) {
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
      return SLOW_TRAPPED;
    }
  }
  const x = h.x;
  x[rd] = oldLo;
  x[rd + 1] = oldHi;
  return writes ? SLOW_EXIT_NEXT : SLOW_CONTINUE;
}

function execReturn(h: Hart, machine: boolean): number {
  let ms = h.mstatus;
  if (machine) {
    if (h.priv !== PRIV_M) {
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, 0x30200073, 0);
      return SLOW_TRAPPED;
    }
    const mpp = (ms & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT;
    ms = (ms & ~MSTATUS_MIE) | ((ms & MSTATUS_MPIE) !== 0 ? MSTATUS_MIE : 0);
    ms = (ms | MSTATUS_MPIE) & ~MSTATUS_MPP;
    if (mpp !== PRIV_M) ms &= ~MSTATUS_MPRV;
    h.mstatus = ms;
    h.setPriv(mpp);
    h.jumpTo(h.csrLoArr[0x341], h.csrHiArr[0x341]);
    return SLOW_EXIT_JUMPED;
  }
  if (h.priv === PRIV_U || (h.priv === PRIV_S && (ms & MSTATUS_TSR) !== 0)) {
    h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, 0x10200073, 0);
    return SLOW_TRAPPED;
  }
  const spp = (ms & MSTATUS_SPP) !== 0 ? PRIV_S : PRIV_U;
  ms = (ms & ~MSTATUS_SIE) | ((ms & MSTATUS_SPIE) !== 0 ? MSTATUS_SIE : 0);
  ms = (ms | MSTATUS_SPIE) & ~MSTATUS_SPP & ~MSTATUS_MPRV;
  h.mstatus = ms;
  h.setPriv(spp);
  h.jumpTo(h.csrLoArr[0x141], h.csrHiArr[0x141]);
  return SLOW_EXIT_JUMPED;
}

function execAmo(h: Hart, op: number, rd: number, a: number, ah: number, b: number, bh: number): number {
  const double = op >= Op.LR_D;
  const size = double ? 8 : 4;
  const x = h.x;
  const isLr = op === Op.LR_W || op === Op.LR_D;
  const isSc = op === Op.SC_W || op === Op.SC_D;
  if (isSc && !h.reservationMatches(a, ah)) {
    h.clearReservation();
    x[rd] = 1;
    x[rd + 1] = 0;
    return SLOW_CONTINUE;
  }
  if ((a & (size - 1)) !== 0) {
    h.raiseException(isLr ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, a, ah);
    return SLOW_TRAPPED;
  }
  const ha = h.translateAtomic(a, ah, size, isLr);
  if (ha < 0) return SLOW_TRAPPED;
  if (h.sharedMemory) {
    if (double) execAmoShared64(h, op, rd, ha, a, ah, b, bh);
    else execAmoShared32(h, op, rd, ha, a, ah, b);
    return SLOW_CONTINUE;
  }
  const i32 = h.mem.i32;
  const q = ha >>> 2;
  if (isSc) {
    // Like a compare-and-swap against the value LR saw: a store in between that changed it fails.
    const same = i32[q] === h.resValueLo && (!double || i32[q + 1] === h.resValueHi);
    h.clearReservation();
    if (!same) {
      x[rd] = 1;
      x[rd + 1] = 0;
      return SLOW_CONTINUE;
    }
    i32[q] = b;
    if (double) i32[q + 1] = bh;
    x[rd] = 0;
    x[rd + 1] = 0;
    return SLOW_CONTINUE;
  }
  const oldLo = i32[q];
  const oldHi = double ? i32[q + 1] : oldLo >> 31;
  if (isLr) {
    h.setReservation(a, ah, oldLo, oldHi);
  } else {
    amoResult(double ? op - Op.LR_D : op - Op.LR_W, double, oldLo, oldHi, b, bh);
    i32[q] = out[0];
    if (double) i32[q + 1] = out[1];
  }
  x[rd] = oldLo;
  x[rd + 1] = oldHi;
  return SLOW_CONTINUE;
}

/**
 * The value an AMO stores, into `out` (lo, hi), given the old memory value. `base` is the op's
 * offset from LR (2 swap, 3 add, 4 xor, 5 and, 6 or, 7 min, 8 max, 9 minu, 10 maxu); W forms
 * use the low words, the old one sign-extended into `oldHi`, and store only `out[0]`.
 */
function amoResult(base: number, double: boolean, oldLo: number, oldHi: number, b: number, bh: number): void {
  let nLo = b;
  let nHi = double ? bh : b >> 31;
  switch (base) {
    case 2:
      break;
    case 3: {
      const lo = (oldLo + b) | 0;
      nHi = double ? (oldHi + bh + (lo >>> 0 < oldLo >>> 0 ? 1 : 0)) | 0 : 0;
      nLo = lo;
      break;
    }
    case 4:
      nLo = oldLo ^ b;
      nHi = oldHi ^ bh;
      break;
    case 5:
      nLo = oldLo & b;
      nHi = oldHi & bh;
      break;
    case 6:
      nLo = oldLo | b;
      nHi = oldHi | bh;
      break;
    default: {
      const cHi = double ? oldHi : oldLo >> 31;
      const sHi = double ? bh : b >> 31;
      const signed = base === 7 || base === 8;
      const oldLess = signed
        ? cHi < sHi || (cHi === sHi && oldLo >>> 0 < b >>> 0)
        : double
          ? cHi >>> 0 < sHi >>> 0 || (cHi === sHi && oldLo >>> 0 < b >>> 0)
          : oldLo >>> 0 < b >>> 0;
      const takeOld = base === 7 || base === 9 ? oldLess : !oldLess && !(oldLo === b && cHi === sHi);
      if (takeOld) {
        nLo = oldLo;
        nHi = oldHi;
      }
    }
  }
  out[0] = nLo;
  out[1] = nHi;
}

/**
 * LR/SC/AMO .W on memory other threads share: each is one `Atomics` operation on the word, so no
 * other hart's access can fall between the read and the write. SC keeps the unshared rule
 * (reservation held and the value LR read still there) but checks and stores in one
 * compare-exchange, so of two harts racing on a word only one succeeds.
 */
function execAmoShared32(
  h: Hart,
  op: number,
  rd: number,
  ha: number,
  a: number,
  ah: number,
  b: number,
): void {
  const x = h.x;
  const i32 = h.mem.i32;
  const q = ha >>> 2;
  let old: number;
  switch (op) {
    case Op.LR_W:
      old = Atomics.load(i32, q);
      h.setReservation(a, ah, old, old >> 31);
      break;
    case Op.SC_W: {
      const expected = h.resValueLo;
      h.clearReservation();
      x[rd] = Atomics.compareExchange(i32, q, expected, b) === expected ? 0 : 1;
      x[rd + 1] = 0;
      return;
    }
    case Op.AMOSWAP_W:
      old = Atomics.exchange(i32, q, b);
      break;
    case Op.AMOADD_W:
      old = Atomics.add(i32, q, b);
      break;
    case Op.AMOXOR_W:
      old = Atomics.xor(i32, q, b);
      break;
    case Op.AMOAND_W:
      old = Atomics.and(i32, q, b);
      break;
    case Op.AMOOR_W:
      old = Atomics.or(i32, q, b);
      break;
    default: {
      // min/max have no Atomics counterpart: compute from the value read, store only if it is unchanged.
      const base = op - Op.LR_W;
      for (;;) {
        old = Atomics.load(i32, q);
        amoResult(base, false, old, old >> 31, b, b >> 31);
        if (Atomics.compareExchange(i32, q, old, out[0]) === old) break;
      }
    }
  }
  x[rd] = old;
  x[rd + 1] = old >> 31;
}

/** Two int32 halves as the signed 64-bit BigInt a BigInt64Array holds. */
function toInt64(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/**
 * LR/SC/AMO .D on memory other threads share. `Atomics` has no 64-bit operations on Int32Array
 * pairs, so every one is a compare-exchange on the BigInt64Array view (the only place BigInt is
 * used), retried until no other hart changed the doubleword between the read and the write.
 */
function execAmoShared64(
  h: Hart,
  op: number,
  rd: number,
  ha: number,
  a: number,
  ah: number,
  b: number,
  bh: number,
): void {
  const x = h.x;
  const i64 = h.mem.i64;
  const e = ha >>> 3;
  if (op === Op.SC_D) {
    const expected = toInt64(h.resValueLo, h.resValueHi);
    h.clearReservation();
    x[rd] = Atomics.compareExchange(i64, e, expected, toInt64(b, bh)) === expected ? 0 : 1;
    x[rd + 1] = 0;
    return;
  }
  let old: bigint;
  let oldLo: number;
  let oldHi: number;
  if (op === Op.LR_D) {
    old = Atomics.load(i64, e);
    oldLo = Number(BigInt.asIntN(32, old));
    oldHi = Number(old >> 32n);
    h.setReservation(a, ah, oldLo, oldHi);
  } else {
    const base = op - Op.LR_D;
    for (;;) {
      old = Atomics.load(i64, e);
      oldLo = Number(BigInt.asIntN(32, old));
      oldHi = Number(old >> 32n);
      amoResult(base, true, oldLo, oldHi, b, bh);
      if (Atomics.compareExchange(i64, e, old, toInt64(out[0], out[1])) === old) break;
    }
  }
  x[rd] = oldLo;
  x[rd + 1] = oldHi;
}

/** Resolves an instruction's rounding mode (`dyn` reads `frm`); -1 when it is invalid. */
function roundingMode(h: Hart, rm: number): number {
  const r = rm === 7 ? h.frm : rm;
  return r > 4 ? -1 : r;
}

/** A binary32 operand: NaN-boxed values are used as is, anything else reads as the canonical NaN. */
function unbox(f: Int32Array, r: number): number {
  return f[r + 1] === -1 ? f[r] : 0x7fc00000;
}

/** Floating-point operations (F and D). FS is known to be non-zero here. */
function execFp(h: Hart, op: number, w: number, imm: number): number {
  const f = h.f;
  const x = h.x;
  const rd = w & 0xff;
  const rs1 = (w >>> 8) & 0xff;
  const rs2 = (w >>> 16) & 0xff;
  if (op <= Op.FSD) {
    const b = x[rs1];
    const aLo = (b + imm) | 0;
    const aHi = (x[rs1 + 1] + (imm >> 31) + (aLo >>> 0 < b >>> 0 ? 1 : 0)) | 0;
    const single = op === Op.FLW || op === Op.FSW;
    if (op === Op.FLW || op === Op.FLD) {
      if (!h.loadSlow(aLo, aHi, single ? 4 : 8)) return SLOW_TRAPPED;
      f[rd] = h.ldLo;
      f[rd + 1] = single ? -1 : h.ldHi;
      h.markFpDirty();
    } else if (!h.storeSlow(aLo, aHi, single ? 4 : 8, f[rs2], f[rs2 + 1])) return SLOW_TRAPPED;
    if (h.exitBlock) {
      h.exitBlock = false;
      return SLOW_EXIT_NEXT;
    }
    return SLOW_CONTINUE;
  }
  const fpu = h.fpu;
  fpu.flags = 0;
  let rm = 0;
  if (op <= Op.FNMADD_D || opUsesRoundingMode(op)) {
    rm = roundingMode(h, imm);
    if (rm < 0) {
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
      return SLOW_TRAPPED;
    }
  }
  // Results: `single` -> boxed into f[rd]; `double` -> fpu.lo/hi into f[rd]; `int` -> x[rd].
  let kind = 0; // 0 single, 1 double, 2 int32 (sign-extended), 3 int64 from fpu.lo/hi
  let r = 0;
  switch (op) {
    case Op.FMADD_S:
    case Op.FMSUB_S:
    case Op.FNMSUB_S:
    case Op.FNMADD_S: {
      const rs3 = w >>> 24;
      r = fpu.fmaS(
        unbox(f, rs1),
        unbox(f, rs2),
        unbox(f, rs3),
        rm,
        op === Op.FNMSUB_S || op === Op.FNMADD_S,
        op === Op.FMSUB_S || op === Op.FNMADD_S,
      );
      break;
    }
    case Op.FMADD_D:
    case Op.FMSUB_D:
    case Op.FNMSUB_D:
    case Op.FNMADD_D: {
      const rs3 = w >>> 24;
      fpu.fmaD(
        f[rs1],
        f[rs1 + 1],
        f[rs2],
        f[rs2 + 1],
        f[rs3],
        f[rs3 + 1],
        rm,
        op === Op.FNMSUB_D || op === Op.FNMADD_D,
        op === Op.FMSUB_D || op === Op.FNMADD_D,
      );
      kind = 1;
      break;
    }
    case Op.FADD_S:
      r = fpu.addS(unbox(f, rs1), unbox(f, rs2), rm);
      break;
    case Op.FSUB_S:
      r = fpu.subS(unbox(f, rs1), unbox(f, rs2), rm);
      break;
    case Op.FMUL_S:
      r = fpu.mulS(unbox(f, rs1), unbox(f, rs2), rm);
      break;
    case Op.FDIV_S:
      r = fpu.divS(unbox(f, rs1), unbox(f, rs2), rm);
      break;
    case Op.FSQRT_S:
      r = fpu.sqrtS(unbox(f, rs1), rm);
      break;
    case Op.FSGNJ_S:
    case Op.FSGNJN_S:
    case Op.FSGNJX_S: {
      const a = unbox(f, rs1);
      const b = unbox(f, rs2);
      const sign = op === Op.FSGNJ_S ? b : op === Op.FSGNJN_S ? ~b : a ^ b;
      r = (a & 0x7fffffff) | (sign & 0x80000000);
      break;
    }
    case Op.FMIN_S:
      r = fpu.minS(unbox(f, rs1), unbox(f, rs2));
      break;
    case Op.FMAX_S:
      r = fpu.maxS(unbox(f, rs1), unbox(f, rs2));
      break;
    case Op.FCVT_W_S:
      r = fpu.cvtWFromS(unbox(f, rs1), rm);
      kind = 2;
      break;
    case Op.FCVT_WU_S:
      r = fpu.cvtWUFromS(unbox(f, rs1), rm);
      kind = 2;
      break;
    case Op.FCVT_L_S:
      fpu.cvtLFromS(unbox(f, rs1), rm);
      kind = 3;
      break;
    case Op.FCVT_LU_S:
      fpu.cvtLUFromS(unbox(f, rs1), rm);
      kind = 3;
      break;
    case Op.FMV_X_W:
      r = f[rs1];
      kind = 2;
      break;
    case Op.FCLASS_S:
      r = fpu.classS(unbox(f, rs1));
      kind = 2;
      break;
    case Op.FEQ_S:
      r = fpu.eqS(unbox(f, rs1), unbox(f, rs2));
      kind = 2;
      break;
    case Op.FLT_S:
      r = fpu.ltS(unbox(f, rs1), unbox(f, rs2));
      kind = 2;
      break;
    case Op.FLE_S:
      r = fpu.leS(unbox(f, rs1), unbox(f, rs2));
      kind = 2;
      break;
    case Op.FCVT_S_W:
      r = fpu.cvtSFromW(x[rs1], rm);
      break;
    case Op.FCVT_S_WU:
      r = fpu.cvtSFromWU(x[rs1], rm);
      break;
    case Op.FCVT_S_L:
      r = fpu.cvtSFromL(x[rs1], x[rs1 + 1], rm);
      break;
    case Op.FCVT_S_LU:
      r = fpu.cvtSFromLU(x[rs1], x[rs1 + 1], rm);
      break;
    case Op.FMV_W_X:
      r = x[rs1];
      break;
    case Op.FADD_D:
      fpu.addD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1], rm);
      kind = 1;
      break;
    case Op.FSUB_D:
      fpu.subD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1], rm);
      kind = 1;
      break;
    case Op.FMUL_D:
      fpu.mulD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1], rm);
      kind = 1;
      break;
    case Op.FDIV_D:
      fpu.divD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1], rm);
      kind = 1;
      break;
    case Op.FSQRT_D:
      fpu.sqrtD(f[rs1], f[rs1 + 1], rm);
      kind = 1;
      break;
    case Op.FSGNJ_D:
    case Op.FSGNJN_D:
    case Op.FSGNJX_D: {
      const ah = f[rs1 + 1];
      const bh = f[rs2 + 1];
      const sign = op === Op.FSGNJ_D ? bh : op === Op.FSGNJN_D ? ~bh : ah ^ bh;
      fpu.lo = f[rs1];
      fpu.hi = (ah & 0x7fffffff) | (sign & 0x80000000);
      kind = 1;
      break;
    }
    case Op.FMIN_D:
      fpu.minD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1]);
      kind = 1;
      break;
    case Op.FMAX_D:
      fpu.maxD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1]);
      kind = 1;
      break;
    case Op.FCVT_W_D:
      r = fpu.cvtWFromD(f[rs1], f[rs1 + 1], rm);
      kind = 2;
      break;
    case Op.FCVT_WU_D:
      r = fpu.cvtWUFromD(f[rs1], f[rs1 + 1], rm);
      kind = 2;
      break;
    case Op.FCVT_L_D:
      fpu.cvtLFromD(f[rs1], f[rs1 + 1], rm);
      kind = 3;
      break;
    case Op.FCVT_LU_D:
      fpu.cvtLUFromD(f[rs1], f[rs1 + 1], rm);
      kind = 3;
      break;
    case Op.FMV_X_D:
      fpu.lo = f[rs1];
      fpu.hi = f[rs1 + 1];
      kind = 3;
      break;
    case Op.FCLASS_D:
      r = fpu.classD(f[rs1], f[rs1 + 1]);
      kind = 2;
      break;
    case Op.FEQ_D:
      r = fpu.eqD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1]);
      kind = 2;
      break;
    case Op.FLT_D:
      r = fpu.ltD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1]);
      kind = 2;
      break;
    case Op.FLE_D:
      r = fpu.leD(f[rs1], f[rs1 + 1], f[rs2], f[rs2 + 1]);
      kind = 2;
      break;
    case Op.FCVT_D_W:
      fpu.cvtDFromW(x[rs1]);
      kind = 1;
      break;
    case Op.FCVT_D_WU:
      fpu.cvtDFromWU(x[rs1]);
      kind = 1;
      break;
    case Op.FCVT_D_L:
      fpu.cvtDFromL(x[rs1], x[rs1 + 1], rm);
      kind = 1;
      break;
    case Op.FCVT_D_LU:
      fpu.cvtDFromLU(x[rs1], x[rs1 + 1], rm);
      kind = 1;
      break;
    case Op.FMV_D_X:
      fpu.lo = x[rs1];
      fpu.hi = x[rs1 + 1];
      kind = 1;
      break;
    case Op.FCVT_S_D:
      r = fpu.cvtSFromD(f[rs1], f[rs1 + 1], rm);
      break;
    case Op.FCVT_D_S:
      fpu.cvtDFromS(unbox(f, rs1));
      kind = 1;
      break;
    default:
      h.raiseException(CAUSE_ILLEGAL_INSTRUCTION, h.fetchRaw(), 0);
      return SLOW_TRAPPED;
  }
  if (kind === 0) {
    f[rd] = r;
    f[rd + 1] = -1;
    h.markFpDirty();
  } else if (kind === 1) {
    f[rd] = fpu.lo;
    f[rd + 1] = fpu.hi;
    h.markFpDirty();
  } else if (kind === 2) {
    x[rd] = r;
    x[rd + 1] = r >> 31;
  } else {
    x[rd] = fpu.lo;
    x[rd + 1] = fpu.hi;
  }
  if (fpu.flags !== 0) {
    h.fflags |= fpu.flags;
    h.markFpDirty();
  }
  return SLOW_CONTINUE;
}

/** FP ops (other than the fused ones) whose funct3 is a rounding mode. */
function opUsesRoundingMode(op: number): boolean {
  switch (op) {
    case Op.FADD_S:
    case Op.FSUB_S:
    case Op.FMUL_S:
    case Op.FDIV_S:
    case Op.FSQRT_S:
    case Op.FCVT_W_S:
    case Op.FCVT_WU_S:
    case Op.FCVT_L_S:
    case Op.FCVT_LU_S:
    case Op.FCVT_S_W:
    case Op.FCVT_S_WU:
    case Op.FCVT_S_L:
    case Op.FCVT_S_LU:
    case Op.FADD_D:
    case Op.FSUB_D:
    case Op.FMUL_D:
    case Op.FDIV_D:
    case Op.FSQRT_D:
    case Op.FCVT_W_D:
    case Op.FCVT_WU_D:
    case Op.FCVT_L_D:
    case Op.FCVT_LU_D:
    case Op.FCVT_D_W:
    case Op.FCVT_D_WU:
    case Op.FCVT_D_L:
    case Op.FCVT_D_LU:
    case Op.FCVT_S_D:
    case Op.FCVT_D_S:
      return true;
    default:
      return false;
  }
}
