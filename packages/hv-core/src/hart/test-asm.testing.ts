/**
 * A small RV64GC encoder and hart fixture for the hart's unit tests: instruction words built by
 * name, so tests need no toolchain. Register arguments are plain numbers (x0..x31 / f0..f31).
 */
import { MmioBus } from "../memory/bus.js";
import { GuestMemory } from "../memory/guest-memory.js";
import type { Clock } from "../time/clock.js";
import { Hart, type HartOptions } from "./hart.js";

// ---------------------------------------------------------------- formats

export function rType(opcode: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode) >>> 0;
}
export function iType(opcode: number, rd: number, f3: number, rs1: number, imm: number): number {
  checkImm(imm, 12);
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode) >>> 0;
}
export function sType(opcode: number, f3: number, rs1: number, rs2: number, imm: number): number {
  checkImm(imm, 12);
  return (
    ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | opcode) >>> 0
  );
}
export function bType(f3: number, rs1: number, rs2: number, off: number): number {
  checkImm(off, 13, 2);
  return (
    ((((off >> 12) & 1) << 31) |
      (((off >> 5) & 0x3f) << 25) |
      (rs2 << 20) |
      (rs1 << 15) |
      (f3 << 12) |
      (((off >> 1) & 15) << 8) |
      (((off >> 11) & 1) << 7) |
      0x63) >>>
    0
  );
}
/** U-type: `imm` is the 20-bit upper immediate (the value placed in bits 31:12). */
export function uType(opcode: number, rd: number, imm20: number): number {
  return (((imm20 & 0xfffff) << 12) | (rd << 7) | opcode) >>> 0;
}
export function jType(rd: number, off: number): number {
  checkImm(off, 21, 2);
  return (
    ((((off >> 20) & 1) << 31) |
      (((off >> 1) & 0x3ff) << 21) |
      (((off >> 11) & 1) << 20) |
      (((off >> 12) & 0xff) << 12) |
      (rd << 7) |
      0x6f) >>>
    0
  );
}

/** Throws when `imm` does not fit a signed `bits`-wide field (or is not a multiple of `align`). */
function checkImm(imm: number, bits: number, align = 1): void {
  const lim = 2 ** (bits - 1);
  if (!Number.isInteger(imm) || imm < -lim || imm >= lim || imm % align !== 0) {
    throw new RangeError(`immediate ${imm} does not fit ${bits} bits`);
  }
}

// ---------------------------------------------------------------- RV64I

export const lui = (rd: number, imm20: number) => uType(0x37, rd, imm20);
export const auipc = (rd: number, imm20: number) => uType(0x17, rd, imm20);
export const jal = (rd: number, off: number) => jType(rd, off);
export const jalr = (rd: number, rs1: number, off = 0) => iType(0x67, rd, 0, rs1, off);
export const beq = (rs1: number, rs2: number, off: number) => bType(0, rs1, rs2, off);
export const bne = (rs1: number, rs2: number, off: number) => bType(1, rs1, rs2, off);
export const blt = (rs1: number, rs2: number, off: number) => bType(4, rs1, rs2, off);
export const bge = (rs1: number, rs2: number, off: number) => bType(5, rs1, rs2, off);
export const bltu = (rs1: number, rs2: number, off: number) => bType(6, rs1, rs2, off);
export const bgeu = (rs1: number, rs2: number, off: number) => bType(7, rs1, rs2, off);
export const lb = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 0, rs1, off);
export const lh = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 1, rs1, off);
export const lw = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 2, rs1, off);
export const ld = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 3, rs1, off);
export const lbu = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 4, rs1, off);
export const lhu = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 5, rs1, off);
export const lwu = (rd: number, rs1: number, off = 0) => iType(0x03, rd, 6, rs1, off);
export const sb = (rs2: number, rs1: number, off = 0) => sType(0x23, 0, rs1, rs2, off);
export const sh = (rs2: number, rs1: number, off = 0) => sType(0x23, 1, rs1, rs2, off);
export const sw = (rs2: number, rs1: number, off = 0) => sType(0x23, 2, rs1, rs2, off);
export const sd = (rs2: number, rs1: number, off = 0) => sType(0x23, 3, rs1, rs2, off);
export const addi = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 0, rs1, imm);
export const slti = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 2, rs1, imm);
export const sltiu = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 3, rs1, imm);
export const xori = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 4, rs1, imm);
export const ori = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 6, rs1, imm);
export const andi = (rd: number, rs1: number, imm: number) => iType(0x13, rd, 7, rs1, imm);
const shiftImm = (f3: number, hi6: number, op: number) => (rd: number, rs1: number, sh: number) =>
  (iType(op, rd, f3, rs1, 0) | (hi6 << 26) | ((sh & 63) << 20)) >>> 0;
export const slli = shiftImm(1, 0x00, 0x13);
export const srli = shiftImm(5, 0x00, 0x13);
export const srai = shiftImm(5, 0x10, 0x13);
const op = (f3: number, f7: number) => (rd: number, rs1: number, rs2: number) =>
  rType(0x33, rd, f3, rs1, rs2, f7);
const op32 = (f3: number, f7: number) => (rd: number, rs1: number, rs2: number) =>
  rType(0x3b, rd, f3, rs1, rs2, f7);
export const add = op(0, 0);
export const sub = op(0, 0x20);
export const sll = op(1, 0);
export const slt = op(2, 0);
export const sltu = op(3, 0);
export const xor = op(4, 0);
export const srl = op(5, 0);
export const sra = op(5, 0x20);
export const or = op(6, 0);
export const and = op(7, 0);
export const addiw = (rd: number, rs1: number, imm: number) => iType(0x1b, rd, 0, rs1, imm);
const shiftImmW = (f3: number, f7: number) => (rd: number, rs1: number, sh: number) =>
  rType(0x1b, rd, f3, rs1, sh & 31, f7);
export const slliw = shiftImmW(1, 0);
export const srliw = shiftImmW(5, 0);
export const sraiw = shiftImmW(5, 0x20);
export const addw = op32(0, 0);
export const subw = op32(0, 0x20);
export const sllw = op32(1, 0);
export const srlw = op32(5, 0);
export const sraw = op32(5, 0x20);
export const nop = () => addi(0, 0, 0);
export const fence = () => 0x0ff0000f;
export const fence_i = () => 0x0000100f;
export const ecall = () => 0x00000073;
export const ebreak = () => 0x00100073;
export const mret = () => 0x30200073;
export const sret = () => 0x10200073;
export const wfi = () => 0x10500073;
export const sfence_vma = (rs1 = 0, rs2 = 0) => rType(0x73, 0, 0, rs1, rs2, 0x09);
export const csrrw = (rd: number, csr: number, rs1: number) => iCsr(1, rd, csr, rs1);
export const csrrs = (rd: number, csr: number, rs1: number) => iCsr(2, rd, csr, rs1);
export const csrrc = (rd: number, csr: number, rs1: number) => iCsr(3, rd, csr, rs1);
export const csrrwi = (rd: number, csr: number, uimm: number) => iCsr(5, rd, csr, uimm);
export const csrrsi = (rd: number, csr: number, uimm: number) => iCsr(6, rd, csr, uimm);
export const csrrci = (rd: number, csr: number, uimm: number) => iCsr(7, rd, csr, uimm);
export const csrr = (rd: number, csr: number) => csrrs(rd, csr, 0);
export const csrw = (csr: number, rs1: number) => csrrw(0, csr, rs1);
export const csrwi = (csr: number, uimm: number) => csrrwi(0, csr, uimm);
function iCsr(f3: number, rd: number, csr: number, rs1: number): number {
  return ((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
}

// ---------------------------------------------------------------- M, Zba, Zbb, Zbs

export const mul = op(0, 1);
export const mulh = op(1, 1);
export const mulhsu = op(2, 1);
export const mulhu = op(3, 1);
export const div = op(4, 1);
export const divu = op(5, 1);
export const rem = op(6, 1);
export const remu = op(7, 1);
export const mulw = op32(0, 1);
export const divw = op32(4, 1);
export const divuw = op32(5, 1);
export const remw = op32(6, 1);
export const remuw = op32(7, 1);

export const add_uw = op32(0, 0x04);
export const sh1add = op(2, 0x10);
export const sh2add = op(4, 0x10);
export const sh3add = op(6, 0x10);
export const sh1add_uw = op32(2, 0x10);
export const sh2add_uw = op32(4, 0x10);
export const sh3add_uw = op32(6, 0x10);
export const slli_uw = shiftImm(1, 0x02, 0x1b);

export const andn = op(7, 0x20);
export const orn = op(6, 0x20);
export const xnor = op(4, 0x20);
const unary = (opcode: number, f3: number, bits: number) => (rd: number, rs1: number) =>
  (iType(opcode, rd, f3, rs1, 0) | (bits << 20)) >>> 0;
export const clz = unary(0x13, 1, 0x600);
export const ctz = unary(0x13, 1, 0x601);
export const cpop = unary(0x13, 1, 0x602);
export const sext_b = unary(0x13, 1, 0x604);
export const sext_h = unary(0x13, 1, 0x605);
export const clzw = unary(0x1b, 1, 0x600);
export const ctzw = unary(0x1b, 1, 0x601);
export const cpopw = unary(0x1b, 1, 0x602);
export const orc_b = unary(0x13, 5, 0x287);
export const rev8 = unary(0x13, 5, 0x6b8);
export const zext_h = (rd: number, rs1: number) => rType(0x3b, rd, 4, rs1, 0, 0x04);
export const min = op(4, 0x05);
export const minu = op(5, 0x05);
export const max = op(6, 0x05);
export const maxu = op(7, 0x05);
export const rol = op(1, 0x30);
export const ror = op(5, 0x30);
export const rolw = op32(1, 0x30);
export const rorw = op32(5, 0x30);
export const rori = shiftImm(5, 0x18, 0x13);
export const roriw = shiftImmW(5, 0x30);
export const bclr = op(1, 0x24);
export const bext = op(5, 0x24);
export const binv = op(1, 0x34);
export const bset = op(1, 0x14);
export const bclri = shiftImm(1, 0x12, 0x13);
export const bexti = shiftImm(5, 0x12, 0x13);
export const binvi = shiftImm(1, 0x1a, 0x13);
export const bseti = shiftImm(1, 0x0a, 0x13);

// ---------------------------------------------------------------- A

const amo =
  (f3: number, f5: number) =>
  (rd: number, rs2: number, rs1: number, aq = 0, rl = 0): number =>
    rType(0x2f, rd, f3, rs1, rs2, (f5 << 2) | (aq << 1) | rl);
export const lr_w = (rd: number, rs1: number, aq = 0, rl = 0) => amo(2, 2)(rd, 0, rs1, aq, rl);
export const lr_d = (rd: number, rs1: number, aq = 0, rl = 0) => amo(3, 2)(rd, 0, rs1, aq, rl);
export const sc_w = amo(2, 3);
export const sc_d = amo(3, 3);
export const amoswap_w = amo(2, 1);
export const amoadd_w = amo(2, 0);
export const amoxor_w = amo(2, 4);
export const amoand_w = amo(2, 12);
export const amoor_w = amo(2, 8);
export const amomin_w = amo(2, 16);
export const amomax_w = amo(2, 20);
export const amominu_w = amo(2, 24);
export const amomaxu_w = amo(2, 28);
export const amoswap_d = amo(3, 1);
export const amoadd_d = amo(3, 0);
export const amoxor_d = amo(3, 4);
export const amoand_d = amo(3, 12);
export const amoor_d = amo(3, 8);
export const amomin_d = amo(3, 16);
export const amomax_d = amo(3, 20);
export const amominu_d = amo(3, 24);
export const amomaxu_d = amo(3, 28);

// ---------------------------------------------------------------- F and D

/** Rounding modes for the `rm` field. */
export const RNE = 0;
export const RTZ = 1;
export const RDN = 2;
export const RUP = 3;
export const RMM = 4;
export const DYN = 7;

export const flw = (rd: number, rs1: number, off = 0) => iType(0x07, rd, 2, rs1, off);
export const fld = (rd: number, rs1: number, off = 0) => iType(0x07, rd, 3, rs1, off);
export const fsw = (rs2: number, rs1: number, off = 0) => sType(0x27, 2, rs1, rs2, off);
export const fsd = (rs2: number, rs1: number, off = 0) => sType(0x27, 3, rs1, rs2, off);
const fop =
  (f7: number) =>
  (rd: number, rs1: number, rs2: number, rm = DYN): number =>
    rType(0x53, rd, rm, rs1, rs2, f7);
/** Ops with a fixed funct3 and an optional fixed rs2. */
const fopFixed =
  (f7: number, f3: number, rs2 = 0) =>
  (rd: number, rs1: number, rs2Arg = rs2): number =>
    rType(0x53, rd, f3, rs1, rs2Arg, f7);
const fcvt =
  (f7: number, rs2: number) =>
  (rd: number, rs1: number, rm = DYN): number =>
    rType(0x53, rd, rm, rs1, rs2, f7);
export const fadd_s = fop(0x00);
export const fsub_s = fop(0x04);
export const fmul_s = fop(0x08);
export const fdiv_s = fop(0x0c);
export const fadd_d = fop(0x01);
export const fsub_d = fop(0x05);
export const fmul_d = fop(0x09);
export const fdiv_d = fop(0x0d);
export const fsqrt_s = fcvt(0x2c, 0);
export const fsqrt_d = fcvt(0x2d, 0);
export const fsgnj_s = fopFixed(0x10, 0);
export const fsgnjn_s = fopFixed(0x10, 1);
export const fsgnjx_s = fopFixed(0x10, 2);
export const fsgnj_d = fopFixed(0x11, 0);
export const fsgnjn_d = fopFixed(0x11, 1);
export const fsgnjx_d = fopFixed(0x11, 2);
export const fmin_s = fopFixed(0x14, 0);
export const fmax_s = fopFixed(0x14, 1);
export const fmin_d = fopFixed(0x15, 0);
export const fmax_d = fopFixed(0x15, 1);
export const fle_s = fopFixed(0x50, 0);
export const flt_s = fopFixed(0x50, 1);
export const feq_s = fopFixed(0x50, 2);
export const fle_d = fopFixed(0x51, 0);
export const flt_d = fopFixed(0x51, 1);
export const feq_d = fopFixed(0x51, 2);
export const fcvt_w_s = fcvt(0x60, 0);
export const fcvt_wu_s = fcvt(0x60, 1);
export const fcvt_l_s = fcvt(0x60, 2);
export const fcvt_lu_s = fcvt(0x60, 3);
export const fcvt_w_d = fcvt(0x61, 0);
export const fcvt_wu_d = fcvt(0x61, 1);
export const fcvt_l_d = fcvt(0x61, 2);
export const fcvt_lu_d = fcvt(0x61, 3);
export const fcvt_s_w = fcvt(0x68, 0);
export const fcvt_s_wu = fcvt(0x68, 1);
export const fcvt_s_l = fcvt(0x68, 2);
export const fcvt_s_lu = fcvt(0x68, 3);
export const fcvt_d_w = fcvt(0x69, 0);
export const fcvt_d_wu = fcvt(0x69, 1);
export const fcvt_d_l = fcvt(0x69, 2);
export const fcvt_d_lu = fcvt(0x69, 3);
export const fcvt_s_d = fcvt(0x20, 1);
export const fcvt_d_s = fcvt(0x21, 0);
export const fmv_x_w = (rd: number, rs1: number) => fopFixed(0x70, 0)(rd, rs1);
export const fclass_s = (rd: number, rs1: number) => fopFixed(0x70, 1)(rd, rs1);
export const fmv_x_d = (rd: number, rs1: number) => fopFixed(0x71, 0)(rd, rs1);
export const fclass_d = (rd: number, rs1: number) => fopFixed(0x71, 1)(rd, rs1);
export const fmv_w_x = (rd: number, rs1: number) => fopFixed(0x78, 0)(rd, rs1);
export const fmv_d_x = (rd: number, rs1: number) => fopFixed(0x79, 0)(rd, rs1);
const fma =
  (opcode: number, fmt: number) =>
  (rd: number, rs1: number, rs2: number, rs3: number, rm = DYN): number =>
    rType(opcode, rd, rm, rs1, rs2, (rs3 << 2) | fmt);
export const fmadd_s = fma(0x43, 0);
export const fmsub_s = fma(0x47, 0);
export const fnmsub_s = fma(0x4b, 0);
export const fnmadd_s = fma(0x4f, 0);
export const fmadd_d = fma(0x43, 1);
export const fmsub_d = fma(0x47, 1);
export const fnmsub_d = fma(0x4b, 1);
export const fnmadd_d = fma(0x4f, 1);

// ---------------------------------------------------------------- C (16-bit)

/** x8..x15 as the 3-bit field of the compressed formats. */
function creg(r: number): number {
  if (r < 8 || r > 15) throw new RangeError(`x${r} is not addressable by a 3-bit register field`);
  return r - 8;
}
function bit(v: number, from: number, to = from): number {
  return (v >> from) & ((1 << (to - from + 1)) - 1);
}
/** CI format: imm[5] at 12, imm[4:0] at 6:2. */
function ci(f3: number, rd: number, imm6: number, quadrant: number): number {
  return (f3 << 13) | (bit(imm6, 5) << 12) | (rd << 7) | (bit(imm6, 0, 4) << 2) | quadrant;
}
/** Range-checks a compressed branch offset; contributes no bits. */
function checkedC(off: number, bits: number): number {
  checkImm(off, bits, 2);
  return 0;
}
export const c_nop = () => 0x0001;
export const c_unimp = () => 0x0000;
export const c_ebreak = () => 0x9002;
export const c_addi = (rd: number, imm: number) => ci(0, rd, imm, 1);
export const c_addiw = (rd: number, imm: number) => ci(1, rd, imm, 1);
export const c_li = (rd: number, imm: number) => ci(2, rd, imm, 1);
/** `imm6` is the sign-extended immediate placed in bits 17:12. */
export const c_lui = (rd: number, imm6: number) => ci(3, rd, imm6, 1);
export const c_slli = (rd: number, shamt: number) => ci(0, rd, shamt, 2);
export const c_addi16sp = (imm: number) =>
  (3 << 13) |
  (bit(imm, 9) << 12) |
  (2 << 7) |
  (bit(imm, 4) << 6) |
  (bit(imm, 6) << 5) |
  (bit(imm, 7, 8) << 3) |
  (bit(imm, 5) << 2) |
  1;
export const c_addi4spn = (rd: number, uimm: number) =>
  (bit(uimm, 4, 5) << 11) |
  (bit(uimm, 6, 9) << 7) |
  (bit(uimm, 2) << 6) |
  (bit(uimm, 3) << 5) |
  (creg(rd) << 2);
const cls = (f3: number, quadrant: number, word: boolean) => (rdOrRs2: number, rs1: number, uimm: number) =>
  (f3 << 13) |
  (bit(uimm, 3, 5) << 10) |
  (creg(rs1) << 7) |
  (word ? (bit(uimm, 2) << 6) | (bit(uimm, 6) << 5) : bit(uimm, 6, 7) << 5) |
  (creg(rdOrRs2) << 2) |
  quadrant;
export const c_fld = cls(1, 0, false);
export const c_lw = cls(2, 0, true);
export const c_ld = cls(3, 0, false);
export const c_fsd = cls(5, 0, false);
export const c_sw = cls(6, 0, true);
export const c_sd = cls(7, 0, false);
const cbi = (f2: number) => (rd: number, imm: number) =>
  (4 << 13) | (bit(imm, 5) << 12) | (f2 << 10) | (creg(rd) << 7) | (bit(imm, 0, 4) << 2) | 1;
export const c_srli = cbi(0);
export const c_srai = cbi(1);
export const c_andi = cbi(2);
const ca = (b12: number, f2: number) => (rd: number, rs2: number) =>
  (4 << 13) | (b12 << 12) | (3 << 10) | (creg(rd) << 7) | (f2 << 5) | (creg(rs2) << 2) | 1;
export const c_sub = ca(0, 0);
export const c_xor = ca(0, 1);
export const c_or = ca(0, 2);
export const c_and = ca(0, 3);
export const c_subw = ca(1, 0);
export const c_addw = ca(1, 1);
export const c_j = (off: number) =>
  checkedC(off, 12) |
  (5 << 13) |
  (bit(off, 11) << 12) |
  (bit(off, 4) << 11) |
  (bit(off, 8, 9) << 9) |
  (bit(off, 10) << 8) |
  (bit(off, 6) << 7) |
  (bit(off, 7) << 6) |
  (bit(off, 1, 3) << 3) |
  (bit(off, 5) << 2) |
  1;
const cb = (f3: number) => (rs1: number, off: number) =>
  checkedC(off, 9) |
  (f3 << 13) |
  (bit(off, 8) << 12) |
  (bit(off, 3, 4) << 10) |
  (creg(rs1) << 7) |
  (bit(off, 6, 7) << 5) |
  (bit(off, 1, 2) << 3) |
  (bit(off, 5) << 2) |
  1;
export const c_beqz = cb(6);
export const c_bnez = cb(7);
export const c_jr = (rs1: number) => (4 << 13) | (rs1 << 7) | 2;
export const c_jalr = (rs1: number) => (4 << 13) | (1 << 12) | (rs1 << 7) | 2;
export const c_mv = (rd: number, rs2: number) => (4 << 13) | (rd << 7) | (rs2 << 2) | 2;
export const c_add = (rd: number, rs2: number) => (4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2;
export const c_lwsp = (rd: number, uimm: number) =>
  (2 << 13) | (bit(uimm, 5) << 12) | (rd << 7) | (bit(uimm, 2, 4) << 4) | (bit(uimm, 6, 7) << 2) | 2;
const cldsp = (f3: number) => (rd: number, uimm: number) =>
  (f3 << 13) | (bit(uimm, 5) << 12) | (rd << 7) | (bit(uimm, 3, 4) << 5) | (bit(uimm, 6, 8) << 2) | 2;
export const c_fldsp = cldsp(1);
export const c_ldsp = cldsp(3);
export const c_swsp = (rs2: number, uimm: number) =>
  (6 << 13) | (bit(uimm, 2, 5) << 9) | (bit(uimm, 6, 7) << 7) | (rs2 << 2) | 2;
const csdsp = (f3: number) => (rs2: number, uimm: number) =>
  (f3 << 13) | (bit(uimm, 3, 5) << 10) | (bit(uimm, 6, 8) << 7) | (rs2 << 2) | 2;
export const c_fsdsp = csdsp(5);
export const c_sdsp = csdsp(7);

// ---------------------------------------------------------------- pseudo-instructions

const sext12 = (v: bigint) => BigInt.asIntN(12, v);

/** `li rd, value`: the lui/addiw/slli/addi sequence an assembler would emit. */
export function li(rd: number, value: bigint | number): number[] {
  const v = BigInt.asIntN(64, BigInt(value));
  if (v >= -(1n << 31n) && v < 1n << 31n) {
    const lo = sext12(v);
    const hi20 = Number(((v + 0x800n) >> 12n) & 0xfffffn);
    if (hi20 === 0) return [addi(rd, 0, Number(lo))];
    return lo === 0n ? [lui(rd, hi20)] : [lui(rd, hi20), addiw(rd, rd, Number(lo))];
  }
  const lo = sext12(v);
  let hi = BigInt.asIntN(64, v - lo) >> 12n;
  let shift = 12;
  while ((hi & 1n) === 0n) {
    hi >>= 1n;
    shift++;
  }
  const seq = li(rd, hi);
  seq.push(slli(rd, rd, shift));
  if (lo !== 0n) seq.push(addi(rd, rd, Number(lo)));
  return seq;
}

// ---------------------------------------------------------------- programs and the fixture

/** Instructions, or nested lists of them (e.g. from {@link li}). */
export type Prog = readonly (number | Prog)[];

/** Flattens a program to instruction words / halves. */
export function flat(prog: Prog): number[] {
  const outList: number[] = [];
  const walk = (p: Prog) => {
    for (const item of p) {
      if (typeof item === "number") outList.push(item);
      else walk(item);
    }
  };
  walk(prog);
  return outList;
}

/**
 * Little-endian bytes of a program. A value whose low two bits are 11 is a 32-bit instruction,
 * anything else a 16-bit one (so `c_unimp()` = 0 is two zero bytes).
 */
export function program(prog: Prog): Uint8Array {
  const words = flat(prog);
  const bytes: number[] = [];
  for (const w of words) {
    const n = (w & 3) === 3 ? 4 : 2;
    for (let i = 0; i < n; i++) bytes.push((w >>> (8 * i)) & 0xff);
  }
  return new Uint8Array(bytes);
}

/** Number of instructions in a program. */
export const count = (prog: Prog) => flat(prog).length;

export const RAM_BASE = 0x8000_0000;
/** Default trap vectors of the fixture: each holds `j .`, so a trapped hart stays put. */
export const M_TRAP = RAM_BASE + 0xf000;
export const S_TRAP = RAM_BASE + 0xe000;

/** A clock the test sets by hand. */
export class FixedClock implements Clock {
  readonly frequencyHz = 10_000_000;
  constructor(public ticks = 0) {}
  now(): number {
    return this.ticks;
  }
}

export interface Fixture {
  hart: Hart;
  mem: GuestMemory;
  bus: MmioBus;
  clock: FixedClock;
}

export interface FixtureOptions {
  /** RAM size in bytes (default 1 MiB). */
  ram?: number;
  program?: Prog;
  /** Where the program is placed and the hart starts (default RAM_BASE). */
  at?: number;
  ecallHandler?: HartOptions["ecallHandler"];
  /** Back RAM with a SharedArrayBuffer, so the hart takes its shared-memory (Atomics) paths. */
  shared?: boolean;
}

/** A reset hart in M-mode at `at`, with mtvec = {@link M_TRAP} and stvec = {@link S_TRAP}. */
export function makeHart(options: FixtureOptions = {}): Fixture {
  const mem = new GuestMemory({ ramSize: options.ram ?? 1 << 20, shared: options.shared });
  const bus = new MmioBus();
  const clock = new FixedClock();
  const hart = new Hart({ memory: mem, bus, clock, ecallHandler: options.ecallHandler });
  const at = options.at ?? RAM_BASE;
  mem.writeBytes(M_TRAP, program([jal(0, 0)]));
  mem.writeBytes(S_TRAP, program([jal(0, 0)]));
  if (options.program !== undefined) mem.writeBytes(at, program(options.program));
  hart.reset(at);
  hart.csrLoArr[0x305] = M_TRAP | 0;
  hart.csrLoArr[0x105] = S_TRAP | 0;
  return { hart, mem, bus, clock };
}

/** Writes code at `addr` from the host and drops any decoded copy of it. */
export function poke(fx: Fixture, addr: number, prog: Prog): void {
  const bytes = program(prog);
  fx.mem.writeBytes(addr, bytes);
  fx.hart.invalidateCode(addr, bytes.length);
}

/** Writes a little-endian 64-bit value to guest RAM. */
export function write64(mem: GuestMemory, addr: number, value: bigint): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  mem.writeBytes(addr, bytes);
}

/** Reads a little-endian 64-bit value from guest RAM. */
export function read64(mem: GuestMemory, addr: number): bigint {
  return new DataView(mem.readBytes(addr, 8).buffer).getBigUint64(0, true);
}

/** A CSR's 64-bit value from the plain storage, unsigned. */
export function csr(hart: Hart, n: number): bigint {
  return (BigInt(hart.csrHiArr[n] >>> 0) << 32n) | BigInt(hart.csrLoArr[n] >>> 0);
}

/** Signed view of an integer register. */
export function xs(hart: Hart, i: number): bigint {
  return BigInt.asIntN(64, hart.getXBig(i));
}

/** Runs a fresh hart over `prog` (registers preset from `regs`) for as many steps as it has instructions. */
export function exec(prog: Prog, regs: Record<number, bigint | number> = {}, options: FixtureOptions = {}) {
  const fx = makeHart({ ...options, program: prog });
  for (const [r, v] of Object.entries(regs)) fx.hart.setX(Number(r), v);
  fx.hart.run(count(prog));
  return fx;
}

/**
 * Places `prog` at RAM_BASE once and returns a runner: each call sets pc to RAM_BASE, presets
 * the given registers and runs the program's instructions. The hart keeps its other state.
 */
export function unit(fx: Fixture, prog: Prog): (regs?: Record<number, bigint | number>) => Hart {
  poke(fx, RAM_BASE, prog);
  const n = count(prog);
  return (regs = {}) => {
    const h = fx.hart;
    h.pcLo = RAM_BASE | 0;
    h.pcHi = 0;
    for (const [r, v] of Object.entries(regs)) h.setX(Number(r), v);
    h.run(n);
    return h;
  };
}

/** A seeded generator (mulberry32), so random operand sets are the same on every run. */
export function rng(seed: number) {
  let s = seed >>> 0;
  const u32 = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const u64 = (): bigint => (BigInt(u32()) << 32n) | BigInt(u32());
  /** Operands biased towards the interesting shapes: full width, 32-bit, small, near 2^52. */
  const operand = (): bigint => {
    switch (u32() % 6) {
      case 0:
        return BigInt.asUintN(64, BigInt(u32() | 0));
      case 1:
        return BigInt.asUintN(64, BigInt((u32() % 2001) - 1000));
      case 2:
        return BigInt.asUintN(64, (1n << 52n) + BigInt((u32() % 64) - 32) * (u32() % 2 ? 1n : -1n));
      case 3:
        return u64() >> BigInt(u32() % 64);
      default:
        return u64();
    }
  };
  return { u32, u64, operand };
}

/** Edge-case 64-bit operands (unsigned view). */
export const EDGE_VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  31n,
  32n,
  63n,
  64n,
  0x7fff_ffffn,
  0x8000_0000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0x1_0000_0001n,
  (1n << 52n) - 1n,
  1n << 52n,
  (1n << 53n) + 1n,
  0x7fff_ffff_ffff_ffffn,
  0x8000_0000_0000_0000n,
  0x8000_0000_0000_0001n,
  0xffff_fffe_0000_0000n,
  0xffff_ffff_8000_0000n,
  0xfff0_0000_0000_0000n,
  0xffff_ffff_ffff_fffen,
  0xffff_ffff_ffff_ffffn,
  0x0123_4567_89ab_cdefn,
];

/** Every pair of {@link EDGE_VALUES} plus `randomCount` seeded random pairs. */
export function operandPairs(seed: number, randomCount: number): [bigint, bigint][] {
  const pairs: [bigint, bigint][] = [];
  for (const a of EDGE_VALUES) for (const b of EDGE_VALUES) pairs.push([a, b]);
  const r = rng(seed);
  for (let i = 0; i < randomCount; i++) pairs.push([r.operand(), r.operand()]);
  return pairs;
}

/**
 * Runs `enc(x3, x1, x2)` over `pairs` and returns the first case whose x3 differs from `ref`
 * (all values unsigned 64-bit), or undefined when all agree.
 */
export function firstMismatch(
  enc: (rd: number, rs1: number, rs2: number) => number,
  ref: (a: bigint, b: bigint) => bigint,
  pairs: readonly [bigint, bigint][],
): { a: string; b: string; got: string; want: string } | undefined {
  const fx = makeHart();
  const go = unit(fx, [enc(3, 1, 2)]);
  for (const [a, b] of pairs) {
    const got = go({ 1: a, 2: b }).getXBig(3);
    const want = BigInt.asUintN(64, ref(a, b));
    if (got !== want) {
      const hex = (v: bigint) => `0x${v.toString(16)}`;
      return { a: hex(a), b: hex(b), got: hex(got), want: hex(want) };
    }
  }
  return undefined;
}
