/* Directed checks for the A extension: LR/SC and every AMO, word and doubleword. */
#include "guest.h"

static volatile uint64_t cell[2] __attribute__((aligned(64)));
static volatile uint64_t far_cell[2] __attribute__((aligned(4096)));

/* Runs `insn rd, rs2, (addr)` on a cell holding `init`; checks rd and memory. */
#define AMO(insn, init, src, want_rd, want_mem)                                               \
  do {                                                                                       \
    cell[0] = (init);                                                                        \
    cell[1] = 0x5a5a5a5a5a5a5a5aull;                                                         \
    uint64_t rd_;                                                                            \
    __asm__ volatile(insn " %0, %1, (%2)" : "=r"(rd_) : "r"((uint64_t)(src)), "r"(cell) : "memory"); \
    CHECK(insn " rd", rd_, want_rd);                                                         \
    CHECK(insn " mem", cell[0], want_mem);                                                   \
    CHECK(insn " neighbour untouched", cell[1], 0x5a5a5a5a5a5a5a5aull);                      \
  } while (0)

#define HI 0x1234567800000000ull

static void check_amo_d(void) {
  AMO("amoswap.d", 1, 2, 1, 2);
  AMO("amoadd.d", 0xffffffffffffffffull, 2, 0xffffffffffffffffull, 1);
  AMO("amoxor.d", 0xff00ull, 0x0ff0ull, 0xff00ull, 0xf0f0ull);
  AMO("amoand.d", 0xff00ull, 0x0ff0ull, 0xff00ull, 0x0f00ull);
  AMO("amoor.d", 0xff00ull, 0x0ff0ull, 0xff00ull, 0xfff0ull);
  AMO("amomin.d", 5, -3ll, 5, -3ll);
  AMO("amomin.d", -3ll, 5, -3ll, -3ll);
  AMO("amomax.d", 5, -3ll, 5, 5);
  AMO("amominu.d", 5, -3ll, 5, 5);
  AMO("amomaxu.d", 5, -3ll, 5, -3ll);
  AMO("amoadd.d.aq", 10, 20, 10, 30);
  AMO("amoswap.d.rl", 10, 20, 10, 20);
  AMO("amoor.d.aqrl", 1, 2, 1, 3);
}

static void check_amo_w(void) {
  /* Word AMOs act on the low word only, and rd is the sign-extended old word. */
  AMO("amoswap.w", HI | 0x80000000ull, 7, 0xffffffff80000000ull, HI | 7);
  AMO("amoadd.w", HI | 0xffffffffull, 2, 0xffffffffffffffffull, HI | 1);
  AMO("amoadd.w", HI | 0x7fffffffull, 1, 0x7fffffffull, HI | 0x80000000ull);
  AMO("amoxor.w", HI | 0xff00ull, 0xffffffff00000ff0ull, 0xff00ull, HI | 0xf0f0ull);
  AMO("amoand.w", HI | 0xffffffffull, 0x0f0f0f0full, 0xffffffffffffffffull, HI | 0x0f0f0f0full);
  AMO("amoor.w", HI | 0x80000000ull, 1, 0xffffffff80000000ull, HI | 0x80000001ull);
  AMO("amomin.w", HI | 5, 0xfffffffdull, 5, HI | 0xfffffffdull);
  AMO("amomax.w", HI | 5, 0xfffffffdull, 5, HI | 5);
  AMO("amominu.w", HI | 5, 0xfffffffdull, 5, HI | 5);
  AMO("amomaxu.w", HI | 5, 0xfffffffdull, 5, HI | 0xfffffffdull);
  /* Only the low 32 bits of rs2 take part in the comparison. */
  AMO("amomin.w", HI | 1, 0x0000000100000002ull, 1, HI | 1);
  AMO("amomaxu.w", HI | 0x80000000ull, 0xffffffff7fffffffull, 0xffffffff80000000ull, HI | 0x80000000ull);
}

static uint64_t lr_d(volatile uint64_t *p) {
  uint64_t v;
  __asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}

static uint64_t sc_d(volatile uint64_t *p, uint64_t v) {
  uint64_t r;
  __asm__ volatile("sc.d %0, %1, (%2)" : "=r"(r) : "r"(v), "r"(p) : "memory");
  return r;
}

static void check_lr_sc(void) {
  cell[0] = 41;
  CHECK("lr.d value", lr_d(cell), 41);
  CHECK("sc.d after lr.d succeeds", sc_d(cell, 42), 0);
  CHECK("sc.d stored", cell[0], 42);

  check_true("sc.d without reservation fails", sc_d(cell, 43) != 0);
  CHECK("failed sc.d leaves memory", cell[0], 42);

  lr_d(cell);
  CHECK("sc.d succeeds once", sc_d(cell, 44), 0);
  check_true("second sc.d fails", sc_d(cell, 45) != 0);
  CHECK("memory after second sc.d", cell[0], 44);

  lr_d(cell);
  cell[0] = 100;
  check_true("sc.d after an intervening store that changed the value fails", sc_d(cell, 46) != 0);
  CHECK("memory keeps the intervening store", cell[0], 100);

  lr_d(cell);
  far_cell[0] = 7;
  check_true("sc.d to another reservation set fails", sc_d(far_cell, 8) != 0);
  CHECK("far memory untouched", far_cell[0], 7);

  /* lr.w sign-extends; sc.w writes only the low word. */
  cell[0] = HI | 0x80000001ull;
  uint64_t v, r;
  __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(cell) : "memory");
  CHECK("lr.w sign-extends", v, 0xffffffff80000001ull);
  __asm__ volatile("sc.w %0, %1, (%2)" : "=r"(r) : "r"(0xffffffff00000005ull), "r"(cell) : "memory");
  CHECK("sc.w succeeds", r, 0);
  CHECK("sc.w writes the low word", cell[0], HI | 5);
  __asm__ volatile("lr.w.aq %0, (%1)\n sc.w.rl %0, %2, (%1)" : "=&r"(r) : "r"(cell), "r"(6ull) : "memory");
  CHECK("lr.w.aq/sc.w.rl", r, 0);
  CHECK("sc.w.rl stored", cell[0], HI | 6);

  /* The classic retry loop: atomic increment built from LR/SC. */
  cell[0] = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t tmp, fail;
    __asm__ volatile("1: lr.d %0, (%2)\n addi %0, %0, 3\n sc.d %1, %0, (%2)\n bnez %1, 1b"
                     : "=&r"(tmp), "=&r"(fail)
                     : "r"(cell)
                     : "memory");
  }
  CHECK("lr/sc increment loop", cell[0], 300);
}

int main(void) {
  check_amo_d();
  check_amo_w();
  check_lr_sc();
  finish("isa-atomic");
}
