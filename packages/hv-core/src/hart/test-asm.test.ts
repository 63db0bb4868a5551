import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as A from "./test-asm.testing.js";

/** (encoder output, the same instruction in assembler syntax). */
const WIDE: [number, string][] = [
  [A.lui(5, 0xfffff), "lui t0, 0xfffff"],
  [A.auipc(6, 0x12345), "auipc t1, 0x12345"],
  [A.jal(1, -2048), "jal ra, .-2048"],
  [A.jal(0, 0xffffe), "jal zero, .+0xffffe"],
  [A.jalr(1, 5, -4), "jalr ra, -4(t0)"],
  [A.beq(1, 2, -4096), "beq ra, sp, .-4096"],
  [A.bne(3, 4, 4094), "bne gp, tp, .+4094"],
  [A.blt(5, 6, 8), "blt t0, t1, .+8"],
  [A.bge(7, 8, -8), "bge t2, s0, .-8"],
  [A.bltu(9, 10, 12), "bltu s1, a0, .+12"],
  [A.bgeu(11, 12, -12), "bgeu a1, a2, .-12"],
  [A.lb(1, 2, -2048), "lb ra, -2048(sp)"],
  [A.lh(1, 2, 2047), "lh ra, 2047(sp)"],
  [A.lw(3, 4, 4), "lw gp, 4(tp)"],
  [A.ld(5, 6, -8), "ld t0, -8(t1)"],
  [A.lbu(7, 8, 1), "lbu t2, 1(s0)"],
  [A.lhu(9, 10, 2), "lhu s1, 2(a0)"],
  [A.lwu(11, 12, 3), "lwu a1, 3(a2)"],
  [A.sb(1, 2, -1), "sb ra, -1(sp)"],
  [A.sh(3, 4, 2046), "sh gp, 2046(tp)"],
  [A.sw(5, 6, -2048), "sw t0, -2048(t1)"],
  [A.sd(7, 8, 16), "sd t2, 16(s0)"],
  [A.addi(10, 11, -1), "addi a0, a1, -1"],
  [A.slti(10, 11, 5), "slti a0, a1, 5"],
  [A.sltiu(10, 11, -5), "sltiu a0, a1, -5"],
  [A.xori(10, 11, 0x7ff), "xori a0, a1, 2047"],
  [A.ori(10, 11, 0x10), "ori a0, a1, 16"],
  [A.andi(10, 11, -16), "andi a0, a1, -16"],
  [A.slli(10, 11, 63), "slli a0, a1, 63"],
  [A.srli(10, 11, 32), "srli a0, a1, 32"],
  [A.srai(10, 11, 1), "srai a0, a1, 1"],
  [A.add(1, 2, 3), "add ra, sp, gp"],
  [A.sub(1, 2, 3), "sub ra, sp, gp"],
  [A.sll(1, 2, 3), "sll ra, sp, gp"],
  [A.slt(1, 2, 3), "slt ra, sp, gp"],
  [A.sltu(1, 2, 3), "sltu ra, sp, gp"],
  [A.xor(1, 2, 3), "xor ra, sp, gp"],
  [A.srl(1, 2, 3), "srl ra, sp, gp"],
  [A.sra(1, 2, 3), "sra ra, sp, gp"],
  [A.or(1, 2, 3), "or ra, sp, gp"],
  [A.and(1, 2, 3), "and ra, sp, gp"],
  [A.addiw(1, 2, -3), "addiw ra, sp, -3"],
  [A.slliw(1, 2, 31), "slliw ra, sp, 31"],
  [A.srliw(1, 2, 5), "srliw ra, sp, 5"],
  [A.sraiw(1, 2, 7), "sraiw ra, sp, 7"],
  [A.addw(1, 2, 3), "addw ra, sp, gp"],
  [A.subw(1, 2, 3), "subw ra, sp, gp"],
  [A.sllw(1, 2, 3), "sllw ra, sp, gp"],
  [A.srlw(1, 2, 3), "srlw ra, sp, gp"],
  [A.sraw(1, 2, 3), "sraw ra, sp, gp"],
  [A.fence(), "fence"],
  [A.fence_i(), "fence.i"],
  [A.ecall(), "ecall"],
  [A.ebreak(), "ebreak"],
  [A.mret(), "mret"],
  [A.sret(), "sret"],
  [A.wfi(), "wfi"],
  [A.sfence_vma(), "sfence.vma"],
  [A.sfence_vma(10, 11), "sfence.vma a0, a1"],
  [A.csrrw(1, 0x305, 2), "csrrw ra, mtvec, sp"],
  [A.csrrs(1, 0x300, 2), "csrrs ra, mstatus, sp"],
  [A.csrrc(1, 0x100, 2), "csrrc ra, sstatus, sp"],
  [A.csrrwi(1, 0x340, 31), "csrrwi ra, mscratch, 31"],
  [A.csrrsi(1, 0x344, 1), "csrrsi ra, mip, 1"],
  [A.csrrci(1, 0x304, 8), "csrrci ra, mie, 8"],
  [A.mul(1, 2, 3), "mul ra, sp, gp"],
  [A.mulh(1, 2, 3), "mulh ra, sp, gp"],
  [A.mulhsu(1, 2, 3), "mulhsu ra, sp, gp"],
  [A.mulhu(1, 2, 3), "mulhu ra, sp, gp"],
  [A.div(1, 2, 3), "div ra, sp, gp"],
  [A.divu(1, 2, 3), "divu ra, sp, gp"],
  [A.rem(1, 2, 3), "rem ra, sp, gp"],
  [A.remu(1, 2, 3), "remu ra, sp, gp"],
  [A.mulw(1, 2, 3), "mulw ra, sp, gp"],
  [A.divw(1, 2, 3), "divw ra, sp, gp"],
  [A.divuw(1, 2, 3), "divuw ra, sp, gp"],
  [A.remw(1, 2, 3), "remw ra, sp, gp"],
  [A.remuw(1, 2, 3), "remuw ra, sp, gp"],
  [A.add_uw(1, 2, 3), "add.uw ra, sp, gp"],
  [A.sh1add(1, 2, 3), "sh1add ra, sp, gp"],
  [A.sh2add(1, 2, 3), "sh2add ra, sp, gp"],
  [A.sh3add(1, 2, 3), "sh3add ra, sp, gp"],
  [A.sh1add_uw(1, 2, 3), "sh1add.uw ra, sp, gp"],
  [A.sh2add_uw(1, 2, 3), "sh2add.uw ra, sp, gp"],
  [A.sh3add_uw(1, 2, 3), "sh3add.uw ra, sp, gp"],
  [A.slli_uw(1, 2, 40), "slli.uw ra, sp, 40"],
  [A.andn(1, 2, 3), "andn ra, sp, gp"],
  [A.orn(1, 2, 3), "orn ra, sp, gp"],
  [A.xnor(1, 2, 3), "xnor ra, sp, gp"],
  [A.clz(1, 2), "clz ra, sp"],
  [A.ctz(1, 2), "ctz ra, sp"],
  [A.cpop(1, 2), "cpop ra, sp"],
  [A.clzw(1, 2), "clzw ra, sp"],
  [A.ctzw(1, 2), "ctzw ra, sp"],
  [A.cpopw(1, 2), "cpopw ra, sp"],
  [A.sext_b(1, 2), "sext.b ra, sp"],
  [A.sext_h(1, 2), "sext.h ra, sp"],
  [A.zext_h(1, 2), "zext.h ra, sp"],
  [A.orc_b(1, 2), "orc.b ra, sp"],
  [A.rev8(1, 2), "rev8 ra, sp"],
  [A.min(1, 2, 3), "min ra, sp, gp"],
  [A.minu(1, 2, 3), "minu ra, sp, gp"],
  [A.max(1, 2, 3), "max ra, sp, gp"],
  [A.maxu(1, 2, 3), "maxu ra, sp, gp"],
  [A.rol(1, 2, 3), "rol ra, sp, gp"],
  [A.ror(1, 2, 3), "ror ra, sp, gp"],
  [A.rolw(1, 2, 3), "rolw ra, sp, gp"],
  [A.rorw(1, 2, 3), "rorw ra, sp, gp"],
  [A.rori(1, 2, 33), "rori ra, sp, 33"],
  [A.roriw(1, 2, 31), "roriw ra, sp, 31"],
  [A.bclr(1, 2, 3), "bclr ra, sp, gp"],
  [A.bext(1, 2, 3), "bext ra, sp, gp"],
  [A.binv(1, 2, 3), "binv ra, sp, gp"],
  [A.bset(1, 2, 3), "bset ra, sp, gp"],
  [A.bclri(1, 2, 63), "bclri ra, sp, 63"],
  [A.bexti(1, 2, 32), "bexti ra, sp, 32"],
  [A.binvi(1, 2, 1), "binvi ra, sp, 1"],
  [A.bseti(1, 2, 40), "bseti ra, sp, 40"],
  [A.lr_w(1, 2), "lr.w ra, (sp)"],
  [A.lr_d(1, 2, 1, 1), "lr.d.aqrl ra, (sp)"],
  [A.sc_w(1, 3, 2), "sc.w ra, gp, (sp)"],
  [A.sc_d(1, 3, 2, 0, 1), "sc.d.rl ra, gp, (sp)"],
  [A.amoswap_w(1, 3, 2), "amoswap.w ra, gp, (sp)"],
  [A.amoadd_w(1, 3, 2, 1), "amoadd.w.aq ra, gp, (sp)"],
  [A.amoxor_w(1, 3, 2), "amoxor.w ra, gp, (sp)"],
  [A.amoand_w(1, 3, 2), "amoand.w ra, gp, (sp)"],
  [A.amoor_w(1, 3, 2), "amoor.w ra, gp, (sp)"],
  [A.amomin_w(1, 3, 2), "amomin.w ra, gp, (sp)"],
  [A.amomax_w(1, 3, 2), "amomax.w ra, gp, (sp)"],
  [A.amominu_w(1, 3, 2), "amominu.w ra, gp, (sp)"],
  [A.amomaxu_w(1, 3, 2), "amomaxu.w ra, gp, (sp)"],
  [A.amoswap_d(1, 3, 2), "amoswap.d ra, gp, (sp)"],
  [A.amoadd_d(1, 3, 2), "amoadd.d ra, gp, (sp)"],
  [A.amoxor_d(1, 3, 2), "amoxor.d ra, gp, (sp)"],
  [A.amoand_d(1, 3, 2), "amoand.d ra, gp, (sp)"],
  [A.amoor_d(1, 3, 2), "amoor.d ra, gp, (sp)"],
  [A.amomin_d(1, 3, 2), "amomin.d ra, gp, (sp)"],
  [A.amomax_d(1, 3, 2), "amomax.d ra, gp, (sp)"],
  [A.amominu_d(1, 3, 2), "amominu.d ra, gp, (sp)"],
  [A.amomaxu_d(1, 3, 2), "amomaxu.d ra, gp, (sp)"],
  [A.flw(1, 2, -4), "flw ft1, -4(sp)"],
  [A.fld(1, 2, 8), "fld ft1, 8(sp)"],
  [A.fsw(3, 2, 4), "fsw ft3, 4(sp)"],
  [A.fsd(3, 2, -8), "fsd ft3, -8(sp)"],
  [A.fadd_s(1, 2, 3, A.RNE), "fadd.s ft1, ft2, ft3, rne"],
  [A.fsub_s(1, 2, 3, A.RTZ), "fsub.s ft1, ft2, ft3, rtz"],
  [A.fmul_s(1, 2, 3, A.RDN), "fmul.s ft1, ft2, ft3, rdn"],
  [A.fdiv_s(1, 2, 3, A.RUP), "fdiv.s ft1, ft2, ft3, rup"],
  [A.fadd_d(1, 2, 3, A.RMM), "fadd.d ft1, ft2, ft3, rmm"],
  [A.fsub_d(1, 2, 3), "fsub.d ft1, ft2, ft3, dyn"],
  [A.fmul_d(1, 2, 3), "fmul.d ft1, ft2, ft3, dyn"],
  [A.fdiv_d(1, 2, 3), "fdiv.d ft1, ft2, ft3, dyn"],
  [A.fsqrt_s(1, 2), "fsqrt.s ft1, ft2, dyn"],
  [A.fsqrt_d(1, 2, A.RNE), "fsqrt.d ft1, ft2, rne"],
  [A.fsgnj_s(1, 2, 3), "fsgnj.s ft1, ft2, ft3"],
  [A.fsgnjn_s(1, 2, 3), "fsgnjn.s ft1, ft2, ft3"],
  [A.fsgnjx_s(1, 2, 3), "fsgnjx.s ft1, ft2, ft3"],
  [A.fsgnj_d(1, 2, 3), "fsgnj.d ft1, ft2, ft3"],
  [A.fsgnjn_d(1, 2, 3), "fsgnjn.d ft1, ft2, ft3"],
  [A.fsgnjx_d(1, 2, 3), "fsgnjx.d ft1, ft2, ft3"],
  [A.fmin_s(1, 2, 3), "fmin.s ft1, ft2, ft3"],
  [A.fmax_s(1, 2, 3), "fmax.s ft1, ft2, ft3"],
  [A.fmin_d(1, 2, 3), "fmin.d ft1, ft2, ft3"],
  [A.fmax_d(1, 2, 3), "fmax.d ft1, ft2, ft3"],
  [A.feq_s(10, 2, 3), "feq.s a0, ft2, ft3"],
  [A.flt_s(10, 2, 3), "flt.s a0, ft2, ft3"],
  [A.fle_s(10, 2, 3), "fle.s a0, ft2, ft3"],
  [A.feq_d(10, 2, 3), "feq.d a0, ft2, ft3"],
  [A.flt_d(10, 2, 3), "flt.d a0, ft2, ft3"],
  [A.fle_d(10, 2, 3), "fle.d a0, ft2, ft3"],
  [A.fcvt_w_s(10, 2, A.RTZ), "fcvt.w.s a0, ft2, rtz"],
  [A.fcvt_wu_s(10, 2), "fcvt.wu.s a0, ft2, dyn"],
  [A.fcvt_l_s(10, 2), "fcvt.l.s a0, ft2, dyn"],
  [A.fcvt_lu_s(10, 2), "fcvt.lu.s a0, ft2, dyn"],
  [A.fcvt_w_d(10, 2), "fcvt.w.d a0, ft2, dyn"],
  [A.fcvt_wu_d(10, 2), "fcvt.wu.d a0, ft2, dyn"],
  [A.fcvt_l_d(10, 2), "fcvt.l.d a0, ft2, dyn"],
  [A.fcvt_lu_d(10, 2, A.RUP), "fcvt.lu.d a0, ft2, rup"],
  [A.fcvt_s_w(1, 10), "fcvt.s.w ft1, a0, dyn"],
  [A.fcvt_s_wu(1, 10), "fcvt.s.wu ft1, a0, dyn"],
  [A.fcvt_s_l(1, 10), "fcvt.s.l ft1, a0, dyn"],
  [A.fcvt_s_lu(1, 10), "fcvt.s.lu ft1, a0, dyn"],
  [A.fcvt_d_w(1, 10, A.RNE), "fcvt.d.w ft1, a0"],
  [A.fcvt_d_wu(1, 10, A.RNE), "fcvt.d.wu ft1, a0"],
  [A.fcvt_d_l(1, 10), "fcvt.d.l ft1, a0, dyn"],
  [A.fcvt_d_lu(1, 10), "fcvt.d.lu ft1, a0, dyn"],
  [A.fcvt_s_d(1, 2), "fcvt.s.d ft1, ft2, dyn"],
  [A.fcvt_d_s(1, 2, A.RNE), "fcvt.d.s ft1, ft2"],
  [A.fmv_x_w(10, 2), "fmv.x.w a0, ft2"],
  [A.fmv_w_x(2, 10), "fmv.w.x ft2, a0"],
  [A.fmv_x_d(10, 2), "fmv.x.d a0, ft2"],
  [A.fmv_d_x(2, 10), "fmv.d.x ft2, a0"],
  [A.fclass_s(10, 2), "fclass.s a0, ft2"],
  [A.fclass_d(10, 2), "fclass.d a0, ft2"],
  [A.fmadd_s(1, 2, 3, 4), "fmadd.s ft1, ft2, ft3, ft4, dyn"],
  [A.fmsub_s(1, 2, 3, 4), "fmsub.s ft1, ft2, ft3, ft4, dyn"],
  [A.fnmsub_s(1, 2, 3, 4), "fnmsub.s ft1, ft2, ft3, ft4, dyn"],
  [A.fnmadd_s(1, 2, 3, 4), "fnmadd.s ft1, ft2, ft3, ft4, dyn"],
  [A.fmadd_d(1, 2, 3, 31, A.RNE), "fmadd.d ft1, ft2, ft3, ft11, rne"],
  [A.fmsub_d(1, 2, 3, 4), "fmsub.d ft1, ft2, ft3, ft4, dyn"],
  [A.fnmsub_d(1, 2, 3, 4), "fnmsub.d ft1, ft2, ft3, ft4, dyn"],
  [A.fnmadd_d(1, 2, 3, 4), "fnmadd.d ft1, ft2, ft3, ft4, dyn"],
];

const NARROW: [number, string][] = [
  [A.c_nop(), "c.nop"],
  [A.c_ebreak(), "c.ebreak"],
  [A.c_addi(10, -32), "c.addi a0, -32"],
  [A.c_addiw(10, 31), "c.addiw a0, 31"],
  [A.c_li(11, -1), "c.li a1, -1"],
  [A.c_lui(12, -1), "c.lui a2, 0xfffff"],
  [A.c_lui(12, 31), "c.lui a2, 31"],
  [A.c_slli(13, 63), "c.slli a3, 63"],
  [A.c_addi16sp(-512), "c.addi16sp sp, -512"],
  [A.c_addi16sp(496), "c.addi16sp sp, 496"],
  [A.c_addi4spn(8, 1020), "c.addi4spn s0, sp, 1020"],
  [A.c_fld(8, 9, 248), "c.fld fs0, 248(s1)"],
  [A.c_lw(10, 11, 124), "c.lw a0, 124(a1)"],
  [A.c_ld(12, 13, 248), "c.ld a2, 248(a3)"],
  [A.c_fsd(14, 15, 8), "c.fsd fa4, 8(a5)"],
  [A.c_sw(8, 9, 64), "c.sw s0, 64(s1)"],
  [A.c_sd(10, 11, 128), "c.sd a0, 128(a1)"],
  [A.c_srli(8, 33), "c.srli s0, 33"],
  [A.c_srai(9, 1), "c.srai s1, 1"],
  [A.c_andi(10, -7), "c.andi a0, -7"],
  [A.c_sub(8, 9), "c.sub s0, s1"],
  [A.c_xor(10, 11), "c.xor a0, a1"],
  [A.c_or(12, 13), "c.or a2, a3"],
  [A.c_and(14, 15), "c.and a4, a5"],
  [A.c_subw(8, 15), "c.subw s0, a5"],
  [A.c_addw(9, 14), "c.addw s1, a4"],
  [A.c_j(-2048), "c.j .-2048"],
  [A.c_j(2046), "c.j .+2046"],
  [A.c_beqz(8, -256), "c.beqz s0, .-256"],
  [A.c_bnez(15, 254), "c.bnez a5, .+254"],
  [A.c_jr(1), "c.jr ra"],
  [A.c_jalr(5), "c.jalr t0"],
  [A.c_mv(10, 11), "c.mv a0, a1"],
  [A.c_add(10, 11), "c.add a0, a1"],
  [A.c_lwsp(10, 252), "c.lwsp a0, 252(sp)"],
  [A.c_ldsp(10, 504), "c.ldsp a0, 504(sp)"],
  [A.c_fldsp(1, 8), "c.fldsp ft1, 8(sp)"],
  [A.c_swsp(10, 252), "c.swsp a0, 252(sp)"],
  [A.c_sdsp(10, 504), "c.sdsp a0, 504(sp)"],
  [A.c_fsdsp(1, 16), "c.fsdsp ft1, 16(sp)"],
];

function haveTool(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const AS = "riscv64-unknown-elf-as";
const OBJCOPY = "riscv64-unknown-elf-objcopy";

describe.skipIf(!haveTool(AS) || !haveTool(OBJCOPY))("the test encoder agrees with GNU as", () => {
  const dir = mkdtempSync(join(tmpdir(), "monovisor-asm-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("for every 32-bit and 16-bit instruction it can build", () => {
    const src = [
      ".text",
      ".option norvc",
      ...WIDE.map(([, s]) => s),
      ".option rvc",
      ...NARROW.map(([, s]) => s),
      "",
    ].join("\n");
    writeFileSync(join(dir, "t.s"), src);
    execFileSync(AS, ["-march=rv64gc_zba_zbb_zbs", "-o", join(dir, "t.o"), join(dir, "t.s")]);
    execFileSync(OBJCOPY, ["-O", "binary", "-j", ".text", join(dir, "t.o"), join(dir, "t.bin")]);
    const bin = new Uint8Array(readFileSync(join(dir, "t.bin")));
    const mine = A.program([...WIDE.map(([w]) => w), ...NARROW.map(([w]) => w)]);
    // Compare instruction by instruction so a mismatch names the instruction.
    let off = 0;
    for (const [w, text] of [...WIDE, ...NARROW]) {
      const n = (w & 3) === 3 ? 4 : 2;
      const got = [...bin.subarray(off, off + n)];
      expect({ text, bytes: [...mine.subarray(off, off + n)] }).toEqual({ text, bytes: got });
      off += n;
    }
    expect(bin.length).toBe(mine.length);
  });
});

describe("li", () => {
  it("builds any 64-bit constant", () => {
    const values = [
      0n,
      1n,
      -1n,
      2047n,
      -2048n,
      2048n,
      0x7fff_ffffn,
      -0x8000_0000n,
      0x8000_0000n,
      0xffff_ffffn,
      0x1234_5678_9abc_def0n,
      -0x8000_0000_0000_0000n,
      0x7fff_ffff_ffff_ffffn,
      0x8000_0000_0000_0800n,
      0xfedc_ba98_7654_3210n,
    ];
    let seed = 12345;
    for (let i = 0; i < 30; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const hi = BigInt(seed);
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      values.push((hi << 32n) | BigInt(seed));
    }
    for (const v of values) {
      const { hart } = A.exec(A.li(10, v));
      expect(hart.getXBig(10)).toBe(BigInt.asUintN(64, v));
    }
  });

  it("rejects immediates that do not fit", () => {
    expect(() => A.addi(1, 1, 2048)).toThrow(RangeError);
    expect(() => A.beq(1, 1, 3)).toThrow(RangeError);
    expect(() => A.c_lw(1, 8, 0)).toThrow(RangeError);
  });
});
