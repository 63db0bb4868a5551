# Engine warm-up program. It runs once per process on a private hart before any guest, so the
# JavaScript engine has seen every interpreter path (each opcode, slow loads and stores, traps,
# paging) before it optimizes them; otherwise the first guest pays for repeated deoptimization.
# It is position independent and needs 64 KiB of RAM. Rebuild the embedded image with gen.sh.
  .option norelax
  .text
  .globl _start
_start:
  auipc s0, 0              # s0 = RAM base (image loaded at the base)
  li t0, 0x8000
  add sp, s0, t0           # stack / scratch at base + 32 KiB
  addi s1, sp, -1024       # s1 = data scratch
  la t0, trap
  csrw mtvec, t0
  li t0, 0x6000            # FS = dirty
  csrs mstatus, t0
  li s2, 2                 # rounds

round:
  # ---- integer ops over operand sets that take both sides of every comparison
  li a0, 0x123456789abcdef
  li a1, -77
  li a2, 13
  jal ra, alu
  li a0, -5
  li a1, 0x7fffffff00000003
  li a2, 63
  jal ra, alu
  li a0, 0x100000005
  li a1, 0x100000007
  li a2, 32
  jal ra, alu
  li a0, 7
  li a1, 7
  li a2, 0
  jal ra, alu
  li a0, 0x123456789abcdef
  li a1, -77
  li a2, 13

  # ---- compressed forms
  c.li a4, 5
  c.addi a4, 3
  c.addiw a4, 1
  c.lui a5, 3
  c.slli a4, 2
  c.srli a4, 1
  c.srai a4, 1
  c.andi a4, 7
  c.mv a5, a4
  c.add a5, a4
  c.sub a5, a4
  c.xor a5, a4
  c.or a5, a4
  c.and a5, a4
  c.subw a5, a4
  c.addw a5, a4
  c.addi4spn a4, sp, 16
  c.addi16sp sp, 32
  c.addi16sp sp, -32
  c.sdsp a0, 8(sp)
  c.ldsp a4, 8(sp)
  c.swsp a0, 16(sp)
  c.lwsp a4, 16(sp)
  c.sd a0, 0(s1)
  c.ld a4, 0(s1)
  c.sw a0, 8(s1)
  c.lw a4, 8(s1)
  c.fsd fa0, 16(s1)
  c.fld fa1, 16(s1)
  c.fsdsp fa0, 24(sp)
  c.fldsp fa1, 24(sp)
  c.beqz a4, 1f
  c.bnez a4, 1f
1:
  c.j 2f
2:
  la a6, 3f
  c.jr a6
3:
  la a6, 4f
  c.jalr a6
4:

  # ---- loads and stores: TLB miss then hit, aligned and misaligned
  li a7, 3
ls_loop:
  sd a0, 0(s1)
  sw a0, 8(s1)
  sh a0, 12(s1)
  sb a0, 14(s1)
  ld a4, 0(s1)
  lw a4, 8(s1)
  lwu a4, 8(s1)
  lh a4, 12(s1)
  lhu a4, 12(s1)
  lb a4, 14(s1)
  lbu a4, 14(s1)
  ld a4, 1(s1)
  lw a4, 3(s1)
  lwu a4, 3(s1)
  lh a4, 5(s1)
  lhu a4, 5(s1)
  sd a0, 17(s1)
  sw a0, 21(s1)
  sh a0, 25(s1)
  addi a7, a7, -1
  bnez a7, ls_loop

  # ---- MMIO loads and stores (a device sits at 0x1000_0000 on the warm-up bus)
  li a4, 0x10000000
  sb a0, 0(a4)
  sh a0, 2(a4)
  sw a0, 4(a4)
  sd a0, 8(a4)
  lb a5, 0(a4)
  lbu a5, 0(a4)
  lh a5, 2(a4)
  lhu a5, 2(a4)
  lw a5, 4(a4)
  lwu a5, 4(a4)
  ld a5, 8(a4)
  fsd fa0, 8(a4)
  fld fa1, 8(a4)

  # ---- control flow between pages, and an instruction that straddles two pages
  li a4, 1
  li a5, 2
  beq a4, a4, far_beq
back_beq:
  bne a4, a5, far_bne
back_bne:
  blt a4, a5, far_blt
back_blt:
  bge a5, a4, far_bge
back_bge:
  bltu a4, a5, far_bltu
back_bltu:
  bgeu a5, a4, far_bgeu
back_bgeu:
  jal ra, far_leaf
  la a6, far_leaf
  jalr ra, a6
  j fall_through
back_fall:
  j straddle
back_straddle:
  li a6, -4096
  and a6, s1, a6
  addi a6, a6, 2047
  addi a6, a6, 2046        # a6 = page + 0xffd: 8-byte accesses straddle two pages
  ld a4, 0(a6)
  sd a4, 0(a6)

  # ---- TLB misses for every width (sfence.vma empties the TLB before each access)
  sfence.vma
  ld a4, 0(s1)
  sfence.vma
  lw a4, 0(s1)
  sfence.vma
  lwu a4, 0(s1)
  sfence.vma
  lh a4, 0(s1)
  sfence.vma
  lhu a4, 0(s1)
  sfence.vma
  lb a4, 0(s1)
  sfence.vma
  lbu a4, 0(s1)
  sfence.vma
  sd a0, 0(s1)
  sfence.vma
  sw a0, 0(s1)
  sfence.vma
  sh a0, 0(s1)
  sfence.vma
  sb a0, 0(s1)
  sfence.vma
  fld fa4, 0(s1)
  sfence.vma
  fsd fa4, 0(s1)

  # ---- branches, both ways
  li a4, 1
  li a5, 2
  beq a4, a5, 5f
  bne a4, a5, 5f
5:
  blt a5, a4, 6f
  bge a5, a4, 6f
6:
  bltu a5, a4, 7f
  bgeu a5, a4, 7f
7:
  beq a4, a4, 8f
8:
  bne a4, a4, 9f
9:
  blt a4, a5, 10f
10:
  bge a4, a5, 11f
11:
  bltu a4, a5, 12f
12:
  bgeu a4, a5, 13f
13:
  jal ra, leaf
  jal zero, 14f
14:

  # ---- atomics
  amoswap.w a4, a0, (s1)
  amoadd.w a4, a0, (s1)
  amoxor.w a4, a0, (s1)
  amoand.w a4, a0, (s1)
  amoor.w a4, a0, (s1)
  amomin.w a4, a0, (s1)
  amomax.w a4, a0, (s1)
  amominu.w a4, a0, (s1)
  amomaxu.w a4, a0, (s1)
  amoswap.d a4, a0, (s1)
  amoadd.d a4, a0, (s1)
  amoxor.d a4, a0, (s1)
  amoand.d a4, a0, (s1)
  amoor.d a4, a0, (s1)
  amomin.d a4, a0, (s1)
  amomax.d a4, a0, (s1)
  amominu.d a4, a0, (s1)
  amomaxu.d a4, a0, (s1)
  lr.w a4, (s1)
  sc.w a5, a0, (s1)
  sc.w a5, a0, (s1)
  lr.d a4, (s1)
  sc.d a5, a0, (s1)
  sc.d a5, a0, (s1)

  # ---- floating point, static and dynamic rounding
  li a4, 0x400921fb54442d18
  fmv.d.x fa0, a4
  li a4, 0x3ff8000000000000
  fmv.d.x fa1, a4
  fcvt.s.d fa2, fa0
  fcvt.s.d fa3, fa1
  fsd fa0, 0(s1)
  fld fa4, 0(s1)
  fsw fa2, 8(s1)
  flw fa5, 8(s1)
  fadd.s fa6, fa2, fa3
  fsub.s fa6, fa2, fa3, rtz
  fmul.s fa6, fa2, fa3
  fdiv.s fa6, fa2, fa3, dyn
  fsqrt.s fa6, fa2
  fmadd.s fa6, fa2, fa3, fa2
  fmsub.s fa6, fa2, fa3, fa2
  fnmsub.s fa6, fa2, fa3, fa2
  fnmadd.s fa6, fa2, fa3, fa2
  fsgnj.s fa6, fa2, fa3
  fsgnjn.s fa6, fa2, fa3
  fsgnjx.s fa6, fa2, fa3
  fmin.s fa6, fa2, fa3
  fmax.s fa6, fa2, fa3
  fcvt.w.s a4, fa2
  fcvt.wu.s a4, fa2
  fcvt.l.s a4, fa2
  fcvt.lu.s a4, fa2
  fmv.x.w a4, fa2
  fclass.s a4, fa2
  feq.s a4, fa2, fa3
  flt.s a4, fa2, fa3
  fle.s a4, fa2, fa3
  fcvt.s.w fa6, a1
  fcvt.s.wu fa6, a1
  fcvt.s.l fa6, a0
  fcvt.s.lu fa6, a0
  fmv.w.x fa6, a1
  fadd.d fa6, fa0, fa1
  fsub.d fa6, fa0, fa1, rdn
  fmul.d fa6, fa0, fa1
  fdiv.d fa6, fa0, fa1, rup
  fsqrt.d fa6, fa0
  fmadd.d fa6, fa0, fa1, fa0
  fmsub.d fa6, fa0, fa1, fa0
  fnmsub.d fa6, fa0, fa1, fa0
  fnmadd.d fa6, fa0, fa1, fa0, rmm
  fsgnj.d fa6, fa0, fa1
  fsgnjn.d fa6, fa0, fa1
  fsgnjx.d fa6, fa0, fa1
  fmin.d fa6, fa0, fa1
  fmax.d fa6, fa0, fa1
  fcvt.w.d a4, fa0
  fcvt.wu.d a4, fa0
  fcvt.l.d a4, fa0
  fcvt.lu.d a4, fa0
  fmv.x.d a4, fa0
  fclass.d a4, fa0
  feq.d a4, fa0, fa1
  flt.d a4, fa0, fa1
  fle.d a4, fa0, fa1
  fcvt.d.w fa6, a1
  fcvt.d.wu fa6, a1
  fcvt.d.l fa6, a0
  fcvt.d.lu fa6, a0
  fmv.d.x fa6, a0
  fcvt.d.s fa6, fa2

  # ---- CSRs and system instructions
  csrr a4, mscratch
  csrw mscratch, a0
  csrs mscratch, a1
  csrc mscratch, a1
  csrwi mscratch, 3
  csrsi mscratch, 4
  csrci mscratch, 1
  csrr a4, cycle
  csrr a4, time
  csrr a4, instret
  csrr a4, mstatus
  csrr a4, mip
  csrr a4, mie
  frflags a4
  fsflags a4
  frrm a4
  fsrm a4
  frcsr a4
  fscsr a4
  fence
  fence.i
  sfence.vma
  ecall
  ebreak
  .word 0                  # illegal instruction
  li a4, 0x1000            # access faults of every width: nothing is mapped there
  ld a5, 0(a4)
  lw a5, 0(a4)
  lwu a5, 0(a4)
  lh a5, 0(a4)
  lhu a5, 0(a4)
  lb a5, 0(a4)
  lbu a5, 0(a4)
  sd a5, 0(a4)
  sw a5, 0(a4)
  sh a5, 0(a4)
  sb a5, 0(a4)
  fld fa5, 0(a4)
  fsd fa5, 0(a4)

  # ---- S-mode with Sv39: an identity gigapage over RAM, and a U page via the same tables
  la a4, pt_root
  srli a5, s0, 30          # VPN[2] of RAM
  slli a5, a5, 3
  add a5, a4, a5
  srli a6, s0, 12          # PPN of the gigapage
  slli a6, a6, 10
  ori a6, a6, 0xcf         # V R W X A D
  sd a6, 0(a5)
  srli a5, a4, 12
  li a6, 8
  slli a6, a6, 60
  or a5, a5, a6
  csrw satp, a5
  sfence.vma
  li a4, 0x1800            # MPP mask
  csrc mstatus, a4
  li a4, 0x800             # MPP = S
  csrs mstatus, a4
  la a4, in_s
  csrw mepc, a4
  mret
in_s:
  sd a0, 0(s1)
  ld a4, 0(s1)
  sw a0, 8(s1)
  lw a4, 8(s1)
  lbu a4, 3(s1)
  ld a4, 1(s1)
  amoadd.d a4, a0, (s1)
  csrr a4, sstatus
  csrr a4, satp
  sfence.vma
  ld a4, 0(s1)
  sfence.vma
  lw a4, 0(s1)
  sfence.vma
  lwu a4, 0(s1)
  sfence.vma
  lh a4, 0(s1)
  sfence.vma
  lhu a4, 0(s1)
  sfence.vma
  lb a4, 0(s1)
  sfence.vma
  lbu a4, 0(s1)
  sfence.vma
  sd a0, 0(s1)
  sfence.vma
  sw a0, 0(s1)
  sfence.vma
  sh a0, 0(s1)
  sfence.vma
  sb a0, 0(s1)
  li a6, 0x1000            # page faults of every width: VA 0x1000 is unmapped
  ld a5, 0(a6)
  lw a5, 0(a6)
  lwu a5, 0(a6)
  lh a5, 0(a6)
  lhu a5, 0(a6)
  lb a5, 0(a6)
  lbu a5, 0(a6)
  sd a5, 0(a6)
  sw a5, 0(a6)
  sh a5, 0(a6)
  sb a5, 0(a6)
  amoadd.w a5, a5, (a6)
  jal ra, leaf
  la a4, after_sret
  csrw sepc, a4
  li a4, 0x100             # SPP = S: sret stays in S-mode
  csrs sstatus, a4
  sret
after_sret:
  ecall                    # back to M (cause 9)
back_in_m:
  csrw satp, zero
  sfence.vma

  addi s2, s2, -1
  bnez s2, round
done:
  j done

leaf:
  addi a4, a4, 1
  ret

alu:
  add a3, a0, a1
  sub a3, a0, a1
  sll a3, a0, a2
  slt a3, a0, a1
  sltu a3, a0, a1
  xor a3, a0, a1
  srl a3, a0, a2
  sra a3, a0, a2
  or a3, a0, a1
  and a3, a0, a1
  addi a3, a0, -5
  slti a3, a0, 7
  sltiu a3, a0, 7
  xori a3, a0, 0x55
  ori a3, a0, 0x55
  andi a3, a0, 0x55
  slli a3, a0, 33
  srli a3, a0, 33
  srai a3, a0, 33
  addiw a3, a0, 9
  slliw a3, a0, 3
  srliw a3, a0, 3
  sraiw a3, a0, 3
  addw a3, a0, a1
  subw a3, a0, a1
  sllw a3, a0, a2
  srlw a3, a0, a2
  sraw a3, a0, a2
  lui a3, 0x12345
  auipc a3, 0x10
  mul a3, a0, a1
  mulh a3, a0, a1
  mulhsu a3, a0, a1
  mulhu a3, a0, a1
  div a3, a0, a1
  divu a3, a0, a1
  rem a3, a0, a1
  remu a3, a0, a1
  div a3, a1, a2
  divu a3, a2, a1
  mulw a3, a0, a1
  divw a3, a0, a1
  divuw a3, a0, a1
  remw a3, a0, a1
  remuw a3, a0, a1
  add.uw a3, a0, a1
  sh1add a3, a0, a1
  sh2add a3, a0, a1
  sh3add a3, a0, a1
  sh1add.uw a3, a0, a1
  sh2add.uw a3, a0, a1
  sh3add.uw a3, a0, a1
  slli.uw a3, a0, 5
  andn a3, a0, a1
  orn a3, a0, a1
  xnor a3, a0, a1
  clz a3, a0
  clzw a3, a0
  ctz a3, a0
  ctzw a3, a0
  cpop a3, a0
  cpopw a3, a0
  max a3, a0, a1
  maxu a3, a0, a1
  min a3, a0, a1
  minu a3, a0, a1
  sext.b a3, a0
  sext.h a3, a0
  zext.h a3, a0
  rol a3, a0, a2
  rolw a3, a0, a2
  ror a3, a0, a2
  rori a3, a0, 7
  roriw a3, a0, 7
  rorw a3, a0, a2
  orc.b a3, a0
  rev8 a3, a0
  bclr a3, a0, a2
  bclri a3, a0, 40
  bext a3, a0, a2
  bexti a3, a0, 40
  binv a3, a0, a2
  binvi a3, a0, 40
  bset a3, a0, a2
  bseti a3, a0, 40
  add zero, a0, a1

  ret

  # Trap handler: skip the trapping instruction; an ecall from S returns to M at back_in_m.
  .balign 4
trap:
  csrr t0, mcause
  li t1, 9
  beq t0, t1, from_s
  csrr t0, mepc
  lhu t1, 0(t0)
  andi t1, t1, 3
  li t2, 3
  addi t0, t0, 2
  bne t1, t2, 1f
  addi t0, t0, 2
1:
  csrw mepc, t0
  mret
from_s:
  li t0, 0x1800
  csrs mstatus, t0
  la t0, back_in_m
  csrw mepc, t0
  mret


  # Targets in other pages.
  .balign 4096
far_beq:
  j back_beq
far_bne:
  j back_bne
far_blt:
  j back_blt
far_bge:
  j back_bge
far_bltu:
  j back_bltu
far_bgeu:
  j back_bgeu
far_leaf:
  ret
  .balign 4096
  .space 4088              # never executed: the next two instructions end the page
fall_through:
  .option push
  .option norvc
  addi a4, a4, 1
  addi a4, a4, 1
  addi a4, a4, 1           # first instruction of the next page, reached by falling through
  j back_fall
  .option pop
  .balign 4096
  .space 4094              # never executed: places `straddle` at a page's last halfword
straddle:
  .option push
  .option norvc
  addi a4, a4, 1
  .option pop
  j back_straddle

  .balign 4096
pt_root:
  .zero 4096
