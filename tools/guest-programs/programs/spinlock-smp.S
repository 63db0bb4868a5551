# Lock-heavy SMP workload for the scheduler benchmarks: every hart (M-mode, no firmware) takes
# one spinlock forever, does a little work inside it, bumps a shared counter and a little work
# outside. The host reads the counter: lock handovers per second. A vCPU preempted while it
# holds the lock makes the others spin until it runs again, which gang scheduling avoids and a
# scheduler that hears the spinners' `pause` shortens.

  .equ LOCK, 0x80100000
  .equ COUNTER, 0x80100040   # its own cache line
  .equ INSIDE, 100           # loop iterations inside the lock
  .equ OUTSIDE, 100          # and outside it

  .section .text.init, "ax"
  .globl _start
_start:
  li s0, LOCK
  li s1, COUNTER
  li s2, 1
acquire:
  lw t0, 0(s0)               # test, then test-and-set, as Linux's spinlocks do
  beqz t0, try
  .insn i 0x0f, 0, x0, x0, 0x010   # pause (Zihintpause), as Linux's cpu_relax() spins
  j acquire
try:
  amoswap.w.aq t0, s2, (s0)
  bnez t0, acquire
  li t2, INSIDE
1:
  addi t2, t2, -1
  bnez t2, 1b
  ld t1, 0(s1)
  addi t1, t1, 1
  sd t1, 0(s1)
  amoswap.w.rl zero, zero, (s0)
  li t2, OUTSIDE
2:
  addi t2, t2, -1
  bnez t2, 2b
  j acquire
