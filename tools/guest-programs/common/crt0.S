# Entry, M-mode trap vector and mode switching shared by all C guest programs.
# Runs with no firmware: hart 0 enters at _start in M-mode with a0 = hartid.

#include "frame.h"

  .section .text.init, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  csrr t0, mhartid
  bnez t0, park_secondary
  la sp, __stack_top
  la t0, __trap_stack_top
  csrw mscratch, t0
  la t0, m_trap_entry
  csrw mtvec, t0
  csrw mie, zero
  csrw satp, zero
  # FS = Initial so FP instructions do not trap; the compiler may use FP registers anywhere.
  li t0, (1 << 13)
  csrs mstatus, t0
  csrw fcsr, zero
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  call main
  call guest_exit
park_secondary:
  wfi
  j park_secondary

# ---------------------------------------------------------------------------
# M-mode trap entry: switch to the trap stack kept in mscratch, save a full
# trap_frame, let C decide, then restore (the handler may edit the frame).
  .text
  .balign 4
  .globl m_trap_entry
m_trap_entry:
  csrrw sp, mscratch, sp
  addi sp, sp, -FRAME_SIZE
  SAVE_GPRS
  csrr t0, mscratch
  sd t0, 2*8(sp)
  csrr t0, mepc
  sd t0, FRAME_EPC(sp)
  csrr t0, mcause
  sd t0, FRAME_CAUSE(sp)
  csrr t0, mtval
  sd t0, FRAME_TVAL(sp)
  csrr t0, mstatus
  sd t0, FRAME_STATUS(sp)
  mv a0, sp
  call m_trap_dispatch
  ld t0, FRAME_EPC(sp)
  csrw mepc, t0
  ld t0, FRAME_STATUS(sp)
  csrw mstatus, t0
  ld t0, 2*8(sp)
  csrw mscratch, t0
  RESTORE_GPRS
  addi sp, sp, FRAME_SIZE
  csrrw sp, mscratch, sp
  mret

# ---------------------------------------------------------------------------
# long run_in_mode(long mode, long (*fn)(long), long arg)
# Calls fn(arg) in privilege `mode` (0 = U, 1 = S, 3 = M) via mret. fn returns
# into mode_exit_trampoline, whose ecall lands in the M-mode handler, which
# calls mode_return(result) to resume here in M-mode.
  .globl run_in_mode
run_in_mode:
  la t0, mode_context
  sd ra, 0(t0)
  sd sp, 8(t0)
  sd s0, 16(t0)
  sd s1, 24(t0)
  sd s2, 32(t0)
  sd s3, 40(t0)
  sd s4, 48(t0)
  sd s5, 56(t0)
  sd s6, 64(t0)
  sd s7, 72(t0)
  sd s8, 80(t0)
  sd s9, 88(t0)
  sd s10, 96(t0)
  sd s11, 104(t0)
  sd gp, 112(t0)
  sd tp, 120(t0)
  li t1, (3 << 11)
  csrc mstatus, t1
  andi a0, a0, 3
  slli a0, a0, 11
  csrs mstatus, a0
  csrw mepc, a1
  mv a0, a2
  la ra, mode_exit_trampoline
  mret

  .globl mode_exit_trampoline
mode_exit_trampoline:
  mv a1, a0
  li a7, MODE_EXIT_MAGIC
  ecall
  # Not reached: the M-mode handler never returns to a mode-exit ecall.
  j mode_exit_trampoline

# void mode_return(long result): only called by the M-mode trap handler.
  .globl mode_return
mode_return:
  la t1, __trap_stack_top
  csrw mscratch, t1
  la t0, mode_context
  ld ra, 0(t0)
  ld sp, 8(t0)
  ld s0, 16(t0)
  ld s1, 24(t0)
  ld s2, 32(t0)
  ld s3, 40(t0)
  ld s4, 48(t0)
  ld s5, 56(t0)
  ld s6, 64(t0)
  ld s7, 72(t0)
  ld s8, 80(t0)
  ld s9, 88(t0)
  ld s10, 96(t0)
  ld s11, 104(t0)
  ld gp, 112(t0)
  ld tp, 120(t0)
  ret

  .bss
  .balign 8
mode_context:
  .skip 128
