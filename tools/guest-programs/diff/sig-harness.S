# Signature harness for generated instruction sequences (differential tests).
#
# A generated file provides:
#   sig_x_init   31 dwords: initial x1..x31 (x2/sp and x8/s0 are overwritten below)
#   sig_f_init   32 dwords: initial f0..f31 bit patterns
#   sig_frm      1 dword:  initial rounding mode (0..4)
#   sig_scratch  SIG_SCRATCH_BYTES initialized bytes, 16-byte aligned
#   sig_body     the sequence, ending with `j sig_dump`
# While the body runs, sp = sig_scratch and s0 = sig_scratch + 256 are the
# only memory bases; the body never writes them. Afterwards every x and f
# register, fcsr and the scratch memory are printed as hex on the console.

#define SIG_SCRATCH_BYTES 512

  .text
  .globl main
main:
  la t0, sig_f_init
  fld f0, 0*8(t0)
  fld f1, 1*8(t0)
  fld f2, 2*8(t0)
  fld f3, 3*8(t0)
  fld f4, 4*8(t0)
  fld f5, 5*8(t0)
  fld f6, 6*8(t0)
  fld f7, 7*8(t0)
  fld f8, 8*8(t0)
  fld f9, 9*8(t0)
  fld f10, 10*8(t0)
  fld f11, 11*8(t0)
  fld f12, 12*8(t0)
  fld f13, 13*8(t0)
  fld f14, 14*8(t0)
  fld f15, 15*8(t0)
  fld f16, 16*8(t0)
  fld f17, 17*8(t0)
  fld f18, 18*8(t0)
  fld f19, 19*8(t0)
  fld f20, 20*8(t0)
  fld f21, 21*8(t0)
  fld f22, 22*8(t0)
  fld f23, 23*8(t0)
  fld f24, 24*8(t0)
  fld f25, 25*8(t0)
  fld f26, 26*8(t0)
  fld f27, 27*8(t0)
  fld f28, 28*8(t0)
  fld f29, 29*8(t0)
  fld f30, 30*8(t0)
  fld f31, 31*8(t0)
  la t0, sig_frm
  ld t0, 0(t0)
  csrw fcsr, zero
  fsrm t0
  la x31, sig_x_init
  ld x1, 0*8(x31)
  ld x3, 2*8(x31)
  ld x4, 3*8(x31)
  ld x5, 4*8(x31)
  ld x6, 5*8(x31)
  ld x7, 6*8(x31)
  ld x9, 8*8(x31)
  ld x10, 9*8(x31)
  ld x11, 10*8(x31)
  ld x12, 11*8(x31)
  ld x13, 12*8(x31)
  ld x14, 13*8(x31)
  ld x15, 14*8(x31)
  ld x16, 15*8(x31)
  ld x17, 16*8(x31)
  ld x18, 17*8(x31)
  ld x19, 18*8(x31)
  ld x20, 19*8(x31)
  ld x21, 20*8(x31)
  ld x22, 21*8(x31)
  ld x23, 22*8(x31)
  ld x24, 23*8(x31)
  ld x25, 24*8(x31)
  ld x26, 25*8(x31)
  ld x27, 26*8(x31)
  ld x28, 27*8(x31)
  ld x29, 28*8(x31)
  ld x30, 29*8(x31)
  la sp, sig_scratch
  addi s0, sp, 256
  ld x31, 30*8(x31)
  j sig_body

  .globl sig_dump
sig_dump:
  # Free one register through mscratch (no traps are expected from here on).
  csrw mscratch, x31
  la x31, sig_saved_x
  sd x0, 0*8(x31)
  sd x1, 1*8(x31)
  sd x2, 2*8(x31)
  sd x3, 3*8(x31)
  sd x4, 4*8(x31)
  sd x5, 5*8(x31)
  sd x6, 6*8(x31)
  sd x7, 7*8(x31)
  sd x8, 8*8(x31)
  sd x9, 9*8(x31)
  sd x10, 10*8(x31)
  sd x11, 11*8(x31)
  sd x12, 12*8(x31)
  sd x13, 13*8(x31)
  sd x14, 14*8(x31)
  sd x15, 15*8(x31)
  sd x16, 16*8(x31)
  sd x17, 17*8(x31)
  sd x18, 18*8(x31)
  sd x19, 19*8(x31)
  sd x20, 20*8(x31)
  sd x21, 21*8(x31)
  sd x22, 22*8(x31)
  sd x23, 23*8(x31)
  sd x24, 24*8(x31)
  sd x25, 25*8(x31)
  sd x26, 26*8(x31)
  sd x27, 27*8(x31)
  sd x28, 28*8(x31)
  sd x29, 29*8(x31)
  sd x30, 30*8(x31)
  csrr x30, mscratch
  sd x30, 31*8(x31)
  la x31, sig_saved_f
  fsd f0, 0*8(x31)
  fsd f1, 1*8(x31)
  fsd f2, 2*8(x31)
  fsd f3, 3*8(x31)
  fsd f4, 4*8(x31)
  fsd f5, 5*8(x31)
  fsd f6, 6*8(x31)
  fsd f7, 7*8(x31)
  fsd f8, 8*8(x31)
  fsd f9, 9*8(x31)
  fsd f10, 10*8(x31)
  fsd f11, 11*8(x31)
  fsd f12, 12*8(x31)
  fsd f13, 13*8(x31)
  fsd f14, 14*8(x31)
  fsd f15, 15*8(x31)
  fsd f16, 16*8(x31)
  fsd f17, 17*8(x31)
  fsd f18, 18*8(x31)
  fsd f19, 19*8(x31)
  fsd f20, 20*8(x31)
  fsd f21, 21*8(x31)
  fsd f22, 22*8(x31)
  fsd f23, 23*8(x31)
  fsd f24, 24*8(x31)
  fsd f25, 25*8(x31)
  fsd f26, 26*8(x31)
  fsd f27, 27*8(x31)
  fsd f28, 28*8(x31)
  fsd f29, 29*8(x31)
  fsd f30, 30*8(x31)
  fsd f31, 31*8(x31)
  frcsr t0
  la t1, sig_saved_fcsr
  sd t0, 0(t1)

  # Back to a C environment for printing.
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la t0, __trap_stack_top
  csrw mscratch, t0
  la sp, __stack_top

  la a0, msg_begin
  call putstr
  li s1, 0
1:
  la a0, fmt_x
  mv a1, s1
  la t0, sig_saved_x
  sh3add t0, s1, t0
  ld a2, 0(t0)
  call printf
  addi s1, s1, 1
  li t0, 32
  blt s1, t0, 1b
  li s1, 0
2:
  la a0, fmt_f
  mv a1, s1
  la t0, sig_saved_f
  sh3add t0, s1, t0
  ld a2, 0(t0)
  call printf
  addi s1, s1, 1
  li t0, 32
  blt s1, t0, 2b
  la a0, fmt_fcsr
  la t0, sig_saved_fcsr
  ld a1, 0(t0)
  call printf
  li s1, 0
3:
  la a0, fmt_mem
  mv a1, s1
  la t0, sig_scratch
  add t0, t0, s1
  ld a2, 0(t0)
  call printf
  addi s1, s1, 8
  li t0, SIG_SCRATCH_BYTES
  blt s1, t0, 3b
  la a0, msg_end
  call putstr
  li a0, 0
  call guest_exit

  .section .rodata
msg_begin:
  .string "SIG BEGIN\n"
msg_end:
  .string "SIG END\n"
fmt_x:
  .string "x%d %016lx\n"
fmt_f:
  .string "f%d %016lx\n"
fmt_fcsr:
  .string "fcsr %02lx\n"
fmt_mem:
  .string "m%03d %016lx\n"

  .bss
  .balign 8
sig_saved_x:
  .skip 32 * 8
sig_saved_f:
  .skip 32 * 8
sig_saved_fcsr:
  .skip 8
