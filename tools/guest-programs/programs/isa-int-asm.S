# Control-flow checks for isa-int that need exact instruction sequences.

  .text

# Each check sets one bit of a0 when the branch went the right way.
#define TAKEN(insn, ra_, rb_, bit) insn ra_, rb_, 1f; j 2f; 1: bseti a0, a0, bit; 2:
#define NOT_TAKEN(insn, ra_, rb_, bit) insn ra_, rb_, 2f; bseti a0, a0, bit; 2:

# uint64_t branch_checks(void): expected 0xfff
  .globl branch_checks
branch_checks:
  li a0, 0
  li t0, -1
  li t1, 1
  li t2, -1
  TAKEN(beq, t0, t2, 0)
  NOT_TAKEN(beq, t0, t1, 1)
  TAKEN(bne, t0, t1, 2)
  NOT_TAKEN(bne, t0, t2, 3)
  TAKEN(blt, t0, t1, 4)
  NOT_TAKEN(blt, t1, t0, 5)
  TAKEN(bge, t0, t2, 6)
  NOT_TAKEN(bge, t0, t1, 7)
  TAKEN(bltu, t1, t0, 8)
  NOT_TAKEN(bltu, t0, t1, 9)
  TAKEN(bgeu, t0, t1, 10)
  NOT_TAKEN(bgeu, t1, t0, 11)
  ret

# uint64_t jalr_low_bit_check(void): jalr clears bit 0 of the target, links
# the next pc, and with rd == rs1 uses the old rs1. Expected 0x5a.
  .globl jalr_low_bit_check
jalr_low_bit_check:
  .option push
  .option norvc
  li a0, 0
  la t0, 1f
  addi t0, t0, 1
10:
  jalr t1, 0(t0)
  j 9f
1:
  la t2, 10b
  addi t2, t2, 4
  bne t1, t2, 9f
  ori a0, a0, 0x02
  la t0, 2f
  addi t0, t0, 1
11:
  jalr t0, 0(t0)
  j 9f
2:
  la t2, 11b
  addi t2, t2, 4
  bne t0, t2, 9f
  ori a0, a0, 0x08
  la t0, 3f
12:
  jalr t1, 1(t0)
  j 9f
3:
  la t2, 12b
  addi t2, t2, 4
  bne t1, t2, 9f
  ori a0, a0, 0x50
9:
  ret
  .option pop

# uint64_t sp_compressed_checks(void): compressed instructions that use sp or
# control flow. Returns a bitmask, expected 0x3ff.
  .globl sp_compressed_checks
sp_compressed_checks:
  .option push
  .option rvc
  li a0, 0
  mv t2, sp
  c.addi16sp sp, -64
  sub t0, t2, sp
  li t1, 64
  bne t0, t1, 1f
  ori a0, a0, 0x1
1:
  c.addi4spn a1, sp, 24
  sub t0, a1, sp
  li t1, 24
  bne t0, t1, 1f
  ori a0, a0, 0x2
1:
  li t0, 0x0123456789abcdef
  c.sdsp t0, 8(sp)
  c.ldsp t1, 8(sp)
  bne t0, t1, 1f
  ori a0, a0, 0x4
1:
  c.lwsp t1, 8(sp)
  li t0, 0xffffffff89abcdef
  bne t0, t1, 1f
  ori a0, a0, 0x8
1:
  c.swsp t0, 16(sp)
  lwu t1, 16(sp)
  li t0, 0x89abcdef
  bne t0, t1, 1f
  ori a0, a0, 0x10
1:
  li a2, 0
  c.beqz a2, 1f
  j 2f
1:
  ori a0, a0, 0x20
2:
  c.bnez a2, 2f
  ori a0, a0, 0x40
2:
  c.j 1f
  j 2f
1:
  ori a0, a0, 0x80
2:
  la t0, 1f
  c.jr t0
  j 2f
1:
  ori a0, a0, 0x100
2:
  mv t2, ra
  la t0, 1f
10:
  c.jalr t0
  j 2f
1:
  la t1, 10b
  addi t1, t1, 2
  bne ra, t1, 2f
  ori a0, a0, 0x200
2:
  mv ra, t2
  c.addi16sp sp, 64
  ret
  .option pop
