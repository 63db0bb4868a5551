# S-mode trap entries (direct and vectored) for isa-priv and isa-mmu.
# Both save a trap_frame on the S trap stack kept in sscratch and call
# void s_trap_handler(trap_frame_t *), which the program defines.

#include "frame.h"

  .section .text
  .option push
  .option norvc

.macro S_ENTRY slot
  csrrw sp, sscratch, sp
  addi sp, sp, -FRAME_SIZE
  sd t0, 5*8(sp)
  li t0, \slot
  j s_trap_common
.endm

  .balign 4
  .globl s_trap_entry
s_trap_entry:
  S_ENTRY -1

# Vectored mode: exceptions enter slot 0, interrupt n enters slot n.
  .balign 256
  .globl s_trap_vectors
s_trap_vectors:
  j s_vector_0
  j s_vector_1
  j s_vector_2
  j s_vector_3
  j s_vector_4
  j s_vector_5
  j s_vector_6
  j s_vector_7
  j s_vector_8
  j s_vector_9
s_vector_0: S_ENTRY 0
s_vector_1: S_ENTRY 1
s_vector_2: S_ENTRY 2
s_vector_3: S_ENTRY 3
s_vector_4: S_ENTRY 4
s_vector_5: S_ENTRY 5
s_vector_6: S_ENTRY 6
s_vector_7: S_ENTRY 7
s_vector_8: S_ENTRY 8
s_vector_9: S_ENTRY 9

s_trap_common:
  # Record which entry was used (-1 = direct) before t0 is saved for real.
  sd t1, 6*8(sp)
  la t1, s_trap_slot
  sd t0, 0(t1)
  ld t0, 5*8(sp)
  ld t1, 6*8(sp)
  SAVE_GPRS
  csrr t0, sscratch
  sd t0, 2*8(sp)
  csrr t0, sepc
  sd t0, FRAME_EPC(sp)
  csrr t0, scause
  sd t0, FRAME_CAUSE(sp)
  csrr t0, stval
  sd t0, FRAME_TVAL(sp)
  csrr t0, sstatus
  sd t0, FRAME_STATUS(sp)
  # A delegated mode-exit ecall from U is passed on to M-mode.
  ld t0, FRAME_CAUSE(sp)
  li t1, 8
  bne t0, t1, 1f
  ld t0, 17*8(sp)
  li t1, MODE_EXIT_MAGIC
  bne t0, t1, 1f
  ld a1, 11*8(sp)
  la t0, s_trap_stack_top
  csrw sscratch, t0
  li a7, MODE_EXIT_MAGIC
  ecall
1:
  mv a0, sp
  call s_trap_handler
  ld t0, FRAME_EPC(sp)
  csrw sepc, t0
  ld t0, FRAME_STATUS(sp)
  csrw sstatus, t0
  ld t0, 2*8(sp)
  csrw sscratch, t0
  RESTORE_GPRS
  addi sp, sp, FRAME_SIZE
  csrrw sp, sscratch, sp
  sret
  .option pop

  .bss
  .balign 16
  .globl s_trap_slot
s_trap_slot:
  .skip 8
  .balign 16
  .globl s_trap_stack_top
s_trap_stack:
  .skip 8192
s_trap_stack_top:
