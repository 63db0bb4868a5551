/* Directed checks for RV64IM, Zba/Zbb/Zbs and the C extension. */
#include "guest.h"

#define RR(op, a, b) \
  ({ uint64_t r_; __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b))); r_; })
#define RI(op, a, imm) \
  ({ uint64_t r_; __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"((uint64_t)(a)), "i"(imm)); r_; })
#define R1(op, a) ({ uint64_t r_; __asm__ volatile(op " %0, %1" : "=r"(r_) : "r"((uint64_t)(a))); r_; })

#define IMIN64 0x8000000000000000ull
#define IMAX64 0x7fffffffffffffffull
#define ONES 0xffffffffffffffffull

static void check_mul_div(void) {
  CHECK("mul", RR("mul", 0x123456789abcdefull, 0xfedcba987654321ull), 0x22236d88fe5618cfull);
  CHECK("mulh neg*neg", RR("mulh", ONES, ONES), 0);
  CHECK("mulh min*min", RR("mulh", IMIN64, IMIN64), 0x4000000000000000ull);
  CHECK("mulh min*-1", RR("mulh", IMIN64, ONES), 0);
  CHECK("mulh -2*3", RR("mulh", -2ll, 3), ONES);
  CHECK("mulhu max", RR("mulhu", ONES, ONES), 0xfffffffffffffffeull);
  CHECK("mulhu", RR("mulhu", 0x123456789abcdefull, 0xfedcba987654321ull), 0x121fa00ad77d74ull);
  CHECK("mulhsu -1*max", RR("mulhsu", ONES, ONES), ONES);
  CHECK("mulhsu 1*max", RR("mulhsu", 1, ONES), 0);
  CHECK("mulhsu min*2", RR("mulhsu", IMIN64, 2), ONES);
  CHECK("mulhsu min*max", RR("mulhsu", IMIN64, ONES), 0x8000000000000000ull);
  CHECK("mulw", RR("mulw", 0x7fffffff, 2), 0xfffffffffffffffeull);
  CHECK("mulw hi ignored", RR("mulw", 0xabcdef0000000003ull, 0x1234567800000005ull), 15);

  CHECK("div", RR("div", -7ll, 2), -3ll);
  CHECK("div by 0", RR("div", 42, 0), ONES);
  CHECK("div overflow", RR("div", IMIN64, ONES), IMIN64);
  CHECK("divu", RR("divu", ONES, 3), 0x5555555555555555ull);
  CHECK("divu by 0", RR("divu", 42, 0), ONES);
  CHECK("rem", RR("rem", -7ll, 2), -1ll);
  CHECK("rem neg divisor", RR("rem", 7, -2ll), 1);
  CHECK("rem by 0", RR("rem", -42ll, 0), -42ll);
  CHECK("rem overflow", RR("rem", IMIN64, ONES), 0);
  CHECK("remu", RR("remu", ONES, 10), 5);
  CHECK("remu by 0", RR("remu", ONES, 0), ONES);
  CHECK("divw", RR("divw", 0xffffffff80000000ull, 0xffffffffull), 0xffffffff80000000ull);
  CHECK("divw by 0", RR("divw", 5, 0), ONES);
  CHECK("divw sext", RR("divw", 0x00000000fffffff9ull, 2), -3ll);
  CHECK("divuw", RR("divuw", 0xfffffffeull, 2), 0x7fffffff);
  CHECK("divuw sext", RR("divuw", 0xfffffffeull, 1), 0xfffffffffffffffeull);
  CHECK("divuw by 0", RR("divuw", 7, 0), ONES);
  CHECK("remw", RR("remw", 0xfffffff9ull, 2), ONES);
  CHECK("remw overflow", RR("remw", 0x80000000ull, ONES), 0);
  CHECK("remw by 0", RR("remw", 0x80000001ull, 0), 0xffffffff80000001ull);
  CHECK("remuw", RR("remuw", 0xffffffffull, 10), 5);
  CHECK("remuw by 0", RR("remuw", 0x80000001ull, 0), 0xffffffff80000001ull);
}

static void check_alu(void) {
  CHECK("add wrap", RR("add", IMAX64, 1), IMIN64);
  CHECK("sub", RR("sub", 0, 1), ONES);
  CHECK("addw sext", RR("addw", 0x7fffffff, 1), 0xffffffff80000000ull);
  CHECK("addw hi ignored", RR("addw", 0x1234567800000001ull, 0xabcdef0000000001ull), 2);
  CHECK("subw", RR("subw", 0, 1), ONES);
  CHECK("addiw", RI("addiw", 0xffffffffull, 0), ONES);
  CHECK("addiw wrap", RI("addiw", 0x7fffffffull, 1), 0xffffffff80000000ull);
  CHECK("sll", RR("sll", 1, 63), IMIN64);
  CHECK("sll masks to 6 bits", RR("sll", 1, 64 + 4), 16);
  CHECK("srl", RR("srl", IMIN64, 63), 1);
  CHECK("sra", RR("sra", IMIN64, 63), ONES);
  CHECK("sllw", RR("sllw", 1, 31), 0xffffffff80000000ull);
  CHECK("sllw masks to 5 bits", RR("sllw", 1, 32 + 3), 8);
  CHECK("srlw", RR("srlw", 0xffffffff80000000ull, 31), 1);
  CHECK("srlw zero shift sext", RR("srlw", 0x80000000ull, 0), 0xffffffff80000000ull);
  CHECK("sraw", RR("sraw", 0x80000000ull, 4), 0xfffffffff8000000ull);
  CHECK("slli", RI("slli", 3, 62), 0xc000000000000000ull);
  CHECK("srli", RI("srli", ONES, 60), 15);
  CHECK("srai", RI("srai", IMIN64, 60), 0xfffffffffffffff8ull);
  CHECK("slliw", RI("slliw", 0x1, 31), 0xffffffff80000000ull);
  CHECK("srliw", RI("srliw", ONES, 28), 15);
  CHECK("sraiw", RI("sraiw", 0x80000000ull, 31), ONES);
  CHECK("slt", RR("slt", ONES, 0), 1);
  CHECK("sltu", RR("sltu", ONES, 0), 0);
  CHECK("slti", RI("slti", IMIN64, -1), 1);
  CHECK("sltiu -1 imm", RI("sltiu", 5, -1), 1);
  CHECK("sltiu seqz", RI("sltiu", 0, 1), 1);
  CHECK("xori not", RI("xori", 0x1234, -1), ~0x1234ull);
  CHECK("andi sext imm", RI("andi", ONES, -2048), 0xfffffffffffff800ull);
  CHECK("ori", RI("ori", 0, 0x7ff), 0x7ff);
  uint64_t r;
  __asm__ volatile("lui %0, 0x80000" : "=r"(r));
  CHECK("lui sext", r, 0xffffffff80000000ull);
  __asm__ volatile(".option push\n.option norvc\n1: auipc %0, 0\nla t0, 1b\nsub %0, %0, t0\n.option pop"
                   : "=r"(r)::"t0");
  CHECK("auipc", r, 0);
}

static void check_loads(void) {
  static volatile uint64_t word = 0x8081828384858687ull;
  volatile void *p = &word;
  uint64_t r;
  __asm__ volatile("lb %0, 0(%1)" : "=r"(r) : "r"(p));
  CHECK("lb sext", r, 0xffffffffffffff87ull);
  __asm__ volatile("lbu %0, 7(%1)" : "=r"(r) : "r"(p));
  CHECK("lbu", r, 0x80);
  __asm__ volatile("lh %0, 2(%1)" : "=r"(r) : "r"(p));
  CHECK("lh sext", r, 0xffffffffffff8485ull);
  __asm__ volatile("lhu %0, 6(%1)" : "=r"(r) : "r"(p));
  CHECK("lhu", r, 0x8081);
  __asm__ volatile("lw %0, 4(%1)" : "=r"(r) : "r"(p));
  CHECK("lw sext", r, 0xffffffff80818283ull);
  __asm__ volatile("lwu %0, 4(%1)" : "=r"(r) : "r"(p));
  CHECK("lwu", r, 0x80818283ull);
  __asm__ volatile("ld %0, 0(%1)" : "=r"(r) : "r"(p));
  CHECK("ld", r, 0x8081828384858687ull);
  __asm__ volatile("addi t0, %1, 8\nld %0, -8(t0)" : "=r"(r) : "r"(p) : "t0");
  CHECK("ld negative offset", r, 0x8081828384858687ull);
  __asm__ volatile("sb %1, 1(%0)\nsh %1, 2(%0)\nsw %1, 4(%0)" ::"r"(p), "r"(0x1122334455667788ull) : "memory");
  CHECK("sb/sh/sw", word, 0x5566778877888887ull);
}

static void check_bitmanip(void) {
  CHECK("sh1add", RR("sh1add", 3, 10), 16);
  CHECK("sh2add", RR("sh2add", 3, 10), 22);
  CHECK("sh3add", RR("sh3add", ONES, 10), 2);
  CHECK("add.uw", RR("add.uw", 0xffffffff80000000ull, 1), 0x80000001ull);
  CHECK("sh1add.uw", RR("sh1add.uw", 0xffffffff80000000ull, 0), 0x100000000ull);
  CHECK("sh2add.uw", RR("sh2add.uw", 0x1ffffffffull, 4), 0x400000000ull);
  CHECK("sh3add.uw", RR("sh3add.uw", 0x100000002ull, 1), 17);
  CHECK("slli.uw", RI("slli.uw", 0xffffffff80000001ull, 4), 0x800000010ull);
  CHECK("andn", RR("andn", 0xff, 0x0f), 0xf0);
  CHECK("orn", RR("orn", 0, ONES), 0);
  CHECK("xnor", RR("xnor", 0xf0, 0xff), 0xfffffffffffffff0ull);
  CHECK("clz", R1("clz", 1), 63);
  CHECK("clz 0", R1("clz", 0), 64);
  CHECK("clzw", R1("clzw", 0xffffffff00000001ull), 31);
  CHECK("clzw 0", R1("clzw", 0xffffffff00000000ull), 32);
  CHECK("ctz", R1("ctz", IMIN64), 63);
  CHECK("ctz 0", R1("ctz", 0), 64);
  CHECK("ctzw 0", R1("ctzw", 0xffffffff00000000ull), 32);
  CHECK("cpop", R1("cpop", ONES), 64);
  CHECK("cpopw", R1("cpopw", 0xffffffff0000000full), 4);
  CHECK("max", RR("max", ONES, 1), 1);
  CHECK("maxu", RR("maxu", ONES, 1), ONES);
  CHECK("min", RR("min", IMIN64, IMAX64), IMIN64);
  CHECK("minu", RR("minu", IMIN64, IMAX64), IMAX64);
  CHECK("sext.b", R1("sext.b", 0x80), 0xffffffffffffff80ull);
  CHECK("sext.h", R1("sext.h", 0x12348000), 0xffffffffffff8000ull);
  CHECK("zext.h", R1("zext.h", ONES), 0xffff);
  CHECK("rol", RR("rol", IMIN64 | 1, 1), 3);
  CHECK("ror", RR("ror", 3, 1), IMIN64 | 1);
  CHECK("rori", RI("rori", 0x1234, 8), 0x3400000000000012ull);
  CHECK("rolw", RR("rolw", 0x80000001ull, 1), 3);
  CHECK("rorw", RR("rorw", 1, 1), 0xffffffff80000000ull);
  CHECK("roriw", RI("roriw", 0x12345678, 4), 0xffffffff81234567ull);
  CHECK("orc.b", R1("orc.b", 0x0001000080000010ull), 0x00ff0000ff0000ffull);
  CHECK("rev8", R1("rev8", 0x0102030405060708ull), 0x0807060504030201ull);
  CHECK("bset", RR("bset", 0, 63 + 64), IMIN64);
  CHECK("bseti", RI("bseti", 1, 40), 0x10000000001ull);
  CHECK("bclr", RR("bclr", ONES, 0), ONES - 1);
  CHECK("bclri", RI("bclri", ONES, 63), IMAX64);
  CHECK("binv", RR("binv", 0, 5), 32);
  CHECK("binvi", RI("binvi", 32, 5), 0);
  CHECK("bext", RR("bext", IMIN64, 63), 1);
  CHECK("bexti", RI("bexti", 0xf0, 3), 0);
}

extern uint64_t branch_checks(void);
extern uint64_t jalr_low_bit_check(void);
extern uint64_t sp_compressed_checks(void);

/* Compressed forms only take x8-x15 in some slots: pin operands to a1/a2. */
#define C1(insn, init) \
  ({ register uint64_t r_ __asm__("a1") = (init); __asm__ volatile(".option push\n.option rvc\n" insn "\n.option pop" : "+r"(r_)); r_; })
#define C2(insn, init, src) \
  ({ register uint64_t r_ __asm__("a1") = (init); register uint64_t s_ __asm__("a2") = (src); \
     __asm__ volatile(".option push\n.option rvc\n" insn "\n.option pop" : "+r"(r_) : "r"(s_)); r_; })

static void check_compressed(void) {
  CHECK("c.li", C1("c.li a1, -32", 0), -32ll);
  CHECK("c.lui", C1("c.lui a1, 0xfffe0", 0), 0xfffffffffffe0000ull);
  CHECK("c.addi", C1("c.addi a1, -1", 0), ONES);
  CHECK("c.addiw", C1("c.addiw a1, 1", 0x7fffffffull), 0xffffffff80000000ull);
  CHECK("c.addiw sext.w", C1("c.addiw a1, 0", 0x1ffffffffull), ONES);
  CHECK("c.slli", C1("c.slli a1, 63", 1), IMIN64);
  CHECK("c.srli", C1("c.srli a1, 32", ONES), 0xffffffffull);
  CHECK("c.srai", C1("c.srai a1, 32", IMIN64), 0xffffffff80000000ull);
  CHECK("c.andi", C1("c.andi a1, -16", ONES), 0xfffffffffffffff0ull);
  CHECK("c.mv", C2("c.mv a1, a2", 1, 2), 2);
  CHECK("c.add", C2("c.add a1, a2", 1, 2), 3);
  CHECK("c.sub", C2("c.sub a1, a2", 1, 2), ONES);
  CHECK("c.xor", C2("c.xor a1, a2", 0xff, 0x0f), 0xf0);
  CHECK("c.or", C2("c.or a1, a2", 0xf0, 0x0f), 0xff);
  CHECK("c.and", C2("c.and a1, a2", 0xf0, 0x3c), 0x30);
  CHECK("c.addw", C2("c.addw a1, a2", 0x7fffffff, 1), 0xffffffff80000000ull);
  CHECK("c.subw", C2("c.subw a1, a2", 0, 0x100000001ull), ONES);
  static uint64_t mem[2] = {0x8000000180000002ull, 0};
  CHECK("c.ld", C2("c.ld a1, 0(a2)", 0, (uint64_t)mem), mem[0]);
  CHECK("c.lw sext", C2("c.lw a1, 4(a2)", 0, (uint64_t)mem), 0xffffffff80000001ull);
  C2("c.sd a1, 8(a2)", 0x1122334455667788ull, (uint64_t)mem);
  C2("c.sw a1, 8(a2)", 0xaabbccddull, (uint64_t)mem);
  CHECK("c.sd then c.sw", mem[1], 0x11223344aabbccddull);
  CHECK("compressed sp/control flow", sp_compressed_checks(), 0x3ff);
}

static void check_control_flow(void) {
  CHECK("branches", branch_checks(), 0xfff);
  CHECK("jalr", jalr_low_bit_check(), 0x5a);
}

int main(void) {
  check_mul_div();
  check_alu();
  check_loads();
  check_bitmanip();
  check_control_flow();
  check_compressed();
  finish("isa-int");
}
