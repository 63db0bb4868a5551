# riscv-tests "p"-environment style program: M-mode only, pure assembly, and
# the HTIF mailbox as the only channel: prints through device 1 (console)
# command 1 (putchar) and exits by writing (testnum << 1) | 1 to tohost.
# Built twice: htif-p-pass and, with DELIBERATE_FAIL, htif-p-fail (code 3).

#define TESTNUM gp

  .section .text.init, "ax"
  .globl _start
_start:
  csrr t0, mhartid
  bnez t0, halt
  la t0, trap
  csrw mtvec, t0
  li TESTNUM, 0

  la a0, banner
  call puts

  # Test 1: arithmetic.
  li TESTNUM, 1
  li a1, 40
  addi a1, a1, 2
  li a2, 42
  bne a1, a2, fail

  # Test 2: a memory round trip.
  li TESTNUM, 2
  la a3, scratch
  li a1, 0x0123456789abcdef
  sd a1, 0(a3)
  ld a2, 0(a3)
  bne a1, a2, fail

  # Test 3: the deliberate failure.
  li TESTNUM, 3
  li a1, 1
#ifdef DELIBERATE_FAIL
  li a2, 2
#else
  li a2, 1
#endif
  bne a1, a2, fail

pass:
  la a0, msg_pass
  call puts
  li a0, 1
  j exit

fail:
  la a0, msg_fail
  call puts
  slli a0, TESTNUM, 1
  ori a0, a0, 1
  j exit

# Unexpected traps report as test 1000 + mcause.
trap:
  csrr TESTNUM, mcause
  addi TESTNUM, TESTNUM, 1000
  j fail

# exit(a0): hands the encoded status to the host, then waits.
exit:
  fence
  la t0, tohost
1:
  ld t1, 0(t0)
  bnez t1, 1b
  sd a0, 0(t0)
halt:
  wfi
  j halt

# puts(a0): one putchar command per byte; waits until the host consumed the last.
puts:
  la t0, tohost
  la t3, fromhost
  li t2, (1 << 56) | (1 << 48)
1:
  lbu t1, 0(a0)
  beqz t1, 3f
2:
  ld t4, 0(t0)
  sd zero, 0(t3)
  bnez t4, 2b
  or t1, t1, t2
  sd t1, 0(t0)
  addi a0, a0, 1
  j 1b
3:
  ret

  .section .rodata
banner:
  .string "htif-p: riscv-tests style, HTIF only\n"
msg_pass:
  .string "PASS\n"
msg_fail:
  .string "FAIL\n"

  .section .tohost, "aw", @progbits
  .balign 64
  .globl tohost
  .type tohost, @object
  .size tohost, 8
tohost:
  .dword 0
  .balign 64
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost:
  .dword 0

  .bss
  .balign 8
scratch:
  .skip 8
