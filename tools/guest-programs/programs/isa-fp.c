/* F and D extensions.
 * Part 1: directed cases whose results follow from IEEE 754 and the RISC-V spec.
 * Part 2: every operation over edge-value operand grids and all five rounding
 * modes, folded into one hash per operation. The expected hashes come from
 * QEMU (`make regen-fp` writes programs/isa-fp-expected.h); with FP_VERBOSE each
 * case is printed, so two runs can be diffed line by line. */
#include "guest.h"

enum { RNE, RTZ, RDN, RUP, RMM };
#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

#define BOX(bits) (0xffffffff00000000ull | (uint32_t)(bits))

typedef enum {
  FADD_S, FSUB_S, FMUL_S, FDIV_S, FSQRT_S, FMIN_S, FMAX_S, FSGNJ_S, FSGNJN_S, FSGNJX_S,
  FEQ_S, FLT_S, FLE_S, FCLASS_S, FMADD_S, FMSUB_S, FNMADD_S, FNMSUB_S,
  FCVT_W_S, FCVT_WU_S, FCVT_L_S, FCVT_LU_S, FCVT_S_W, FCVT_S_WU, FCVT_S_L, FCVT_S_LU, FMV_X_W, FMV_W_X,
  FADD_D, FSUB_D, FMUL_D, FDIV_D, FSQRT_D, FMIN_D, FMAX_D, FSGNJ_D, FSGNJN_D, FSGNJX_D,
  FEQ_D, FLT_D, FLE_D, FCLASS_D, FMADD_D, FMSUB_D, FNMADD_D, FNMSUB_D,
  FCVT_W_D, FCVT_WU_D, FCVT_L_D, FCVT_LU_D, FCVT_D_W, FCVT_D_WU, FCVT_D_L, FCVT_D_LU, FMV_X_D, FMV_D_X,
  FCVT_S_D, FCVT_D_S, OP_COUNT
} fp_op_t;

static const char *const op_names[OP_COUNT] = {
  "fadd.s", "fsub.s", "fmul.s", "fdiv.s", "fsqrt.s", "fmin.s", "fmax.s", "fsgnj.s", "fsgnjn.s", "fsgnjx.s",
  "feq.s", "flt.s", "fle.s", "fclass.s", "fmadd.s", "fmsub.s", "fnmadd.s", "fnmsub.s",
  "fcvt.w.s", "fcvt.wu.s", "fcvt.l.s", "fcvt.lu.s", "fcvt.s.w", "fcvt.s.wu", "fcvt.s.l", "fcvt.s.lu",
  "fmv.x.w", "fmv.w.x",
  "fadd.d", "fsub.d", "fmul.d", "fdiv.d", "fsqrt.d", "fmin.d", "fmax.d", "fsgnj.d", "fsgnjn.d", "fsgnjx.d",
  "feq.d", "flt.d", "fle.d", "fclass.d", "fmadd.d", "fmsub.d", "fnmadd.d", "fnmsub.d",
  "fcvt.w.d", "fcvt.wu.d", "fcvt.l.d", "fcvt.lu.d", "fcvt.d.w", "fcvt.d.wu", "fcvt.d.l", "fcvt.d.lu",
  "fmv.x.d", "fmv.d.x", "fcvt.s.d", "fcvt.d.s",
};

/* Operands are raw 64-bit register images moved in with fmv.d.x, so single
 * operands can be NaN-boxed or deliberately not. */
#define A2(insn) \
  __asm__ volatile("fmv.d.x ft1, %1\n fmv.d.x ft2, %2\n " insn "\n fmv.x.d %0, ft0" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2")
#define A3(insn)                                                                                   \
  __asm__ volatile("fmv.d.x ft1, %1\n fmv.d.x ft2, %2\n fmv.d.x ft3, %3\n " insn "\n fmv.x.d %0, ft0" \
                   : "=r"(r) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3")
#define TO_INT(insn) __asm__ volatile("fmv.d.x ft1, %1\n " insn : "=r"(r) : "r"(a) : "ft1")
#define CMP(insn) __asm__ volatile("fmv.d.x ft1, %1\n fmv.d.x ft2, %2\n " insn : "=r"(r) : "r"(a), "r"(b) : "ft1", "ft2")
#define FROM_INT(insn) __asm__ volatile(insn "\n fmv.x.d %0, ft0" : "=r"(r) : "r"(a) : "ft0")

static uint64_t execute(fp_op_t op, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t r = 0;
  switch (op) {
    case FADD_S: A2("fadd.s ft0, ft1, ft2, dyn"); break;
    case FSUB_S: A2("fsub.s ft0, ft1, ft2, dyn"); break;
    case FMUL_S: A2("fmul.s ft0, ft1, ft2, dyn"); break;
    case FDIV_S: A2("fdiv.s ft0, ft1, ft2, dyn"); break;
    case FSQRT_S: A2("fsqrt.s ft0, ft1, dyn"); break;
    case FMIN_S: A2("fmin.s ft0, ft1, ft2"); break;
    case FMAX_S: A2("fmax.s ft0, ft1, ft2"); break;
    case FSGNJ_S: A2("fsgnj.s ft0, ft1, ft2"); break;
    case FSGNJN_S: A2("fsgnjn.s ft0, ft1, ft2"); break;
    case FSGNJX_S: A2("fsgnjx.s ft0, ft1, ft2"); break;
    case FEQ_S: CMP("feq.s %0, ft1, ft2"); break;
    case FLT_S: CMP("flt.s %0, ft1, ft2"); break;
    case FLE_S: CMP("fle.s %0, ft1, ft2"); break;
    case FCLASS_S: TO_INT("fclass.s %0, ft1"); break;
    case FMADD_S: A3("fmadd.s ft0, ft1, ft2, ft3, dyn"); break;
    case FMSUB_S: A3("fmsub.s ft0, ft1, ft2, ft3, dyn"); break;
    case FNMADD_S: A3("fnmadd.s ft0, ft1, ft2, ft3, dyn"); break;
    case FNMSUB_S: A3("fnmsub.s ft0, ft1, ft2, ft3, dyn"); break;
    case FCVT_W_S: TO_INT("fcvt.w.s %0, ft1, dyn"); break;
    case FCVT_WU_S: TO_INT("fcvt.wu.s %0, ft1, dyn"); break;
    case FCVT_L_S: TO_INT("fcvt.l.s %0, ft1, dyn"); break;
    case FCVT_LU_S: TO_INT("fcvt.lu.s %0, ft1, dyn"); break;
    case FCVT_S_W: FROM_INT("fcvt.s.w ft0, %1, dyn"); break;
    case FCVT_S_WU: FROM_INT("fcvt.s.wu ft0, %1, dyn"); break;
    case FCVT_S_L: FROM_INT("fcvt.s.l ft0, %1, dyn"); break;
    case FCVT_S_LU: FROM_INT("fcvt.s.lu ft0, %1, dyn"); break;
    case FMV_X_W: TO_INT("fmv.x.w %0, ft1"); break;
    case FMV_W_X: FROM_INT("fmv.w.x ft0, %1"); break;
    case FADD_D: A2("fadd.d ft0, ft1, ft2, dyn"); break;
    case FSUB_D: A2("fsub.d ft0, ft1, ft2, dyn"); break;
    case FMUL_D: A2("fmul.d ft0, ft1, ft2, dyn"); break;
    case FDIV_D: A2("fdiv.d ft0, ft1, ft2, dyn"); break;
    case FSQRT_D: A2("fsqrt.d ft0, ft1, dyn"); break;
    case FMIN_D: A2("fmin.d ft0, ft1, ft2"); break;
    case FMAX_D: A2("fmax.d ft0, ft1, ft2"); break;
    case FSGNJ_D: A2("fsgnj.d ft0, ft1, ft2"); break;
    case FSGNJN_D: A2("fsgnjn.d ft0, ft1, ft2"); break;
    case FSGNJX_D: A2("fsgnjx.d ft0, ft1, ft2"); break;
    case FEQ_D: CMP("feq.d %0, ft1, ft2"); break;
    case FLT_D: CMP("flt.d %0, ft1, ft2"); break;
    case FLE_D: CMP("fle.d %0, ft1, ft2"); break;
    case FCLASS_D: TO_INT("fclass.d %0, ft1"); break;
    case FMADD_D: A3("fmadd.d ft0, ft1, ft2, ft3, dyn"); break;
    case FMSUB_D: A3("fmsub.d ft0, ft1, ft2, ft3, dyn"); break;
    case FNMADD_D: A3("fnmadd.d ft0, ft1, ft2, ft3, dyn"); break;
    case FNMSUB_D: A3("fnmsub.d ft0, ft1, ft2, ft3, dyn"); break;
    case FCVT_W_D: TO_INT("fcvt.w.d %0, ft1, dyn"); break;
    case FCVT_WU_D: TO_INT("fcvt.wu.d %0, ft1, dyn"); break;
    case FCVT_L_D: TO_INT("fcvt.l.d %0, ft1, dyn"); break;
    case FCVT_LU_D: TO_INT("fcvt.lu.d %0, ft1, dyn"); break;
    case FCVT_D_W: FROM_INT("fcvt.d.w ft0, %1"); break;
    case FCVT_D_WU: FROM_INT("fcvt.d.wu ft0, %1"); break;
    case FCVT_D_L: FROM_INT("fcvt.d.l ft0, %1, dyn"); break;
    case FCVT_D_LU: FROM_INT("fcvt.d.lu ft0, %1, dyn"); break;
    case FMV_X_D: TO_INT("fmv.x.d %0, ft1"); break;
    case FMV_D_X: FROM_INT("fmv.d.x ft0, %1"); break;
    case FCVT_S_D: A2("fcvt.s.d ft0, ft1, dyn"); break;
    case FCVT_D_S: A2("fcvt.d.s ft0, ft1"); break;
    default: break;
  }
  (void)b;
  (void)c;
  return r;
}

static unsigned last_flags;

static uint64_t run(fp_op_t op, int rm, uint64_t a, uint64_t b, uint64_t c) {
  __asm__ volatile("fsrm %0\n csrw fflags, zero" ::"r"((uint64_t)rm));
  uint64_t r = execute(op, a, b, c);
  uint64_t flags;
  __asm__ volatile("frflags %0" : "=r"(flags));
  last_flags = (unsigned)flags;
  return r;
}

static void expect(fp_op_t op, int rm, uint64_t a, uint64_t b, uint64_t c, uint64_t want, unsigned want_flags) {
  uint64_t got = run(op, rm, a, b, c);
  check_count++;
  if (got != want || last_flags != want_flags) {
    check_failures++;
    printf("FAIL %s rm=%d a=%016lx b=%016lx c=%016lx: got %016lx/%02x expected %016lx/%02x\n", op_names[op], rm,
           a, b, c, got, last_flags, want, want_flags);
  }
}

#define S_ONE BOX(0x3f800000)
#define S_TWO BOX(0x40000000)
#define S_THREE BOX(0x40400000)
#define S_QNAN BOX(0x7fc00000)
#define S_SNAN BOX(0x7f800001)
#define S_INF BOX(0x7f800000)
#define S_NINF BOX(0xff800000)
#define S_ZERO BOX(0)
#define S_NZERO BOX(0x80000000)
#define D_ONE 0x3ff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_MIN_NORMAL 0x0010000000000000ull
#define D_HALF 0x3fe0000000000000ull

static void directed(void) {
  expect(FADD_S, RNE, S_ONE, S_TWO, 0, S_THREE, 0);
  expect(FDIV_S, RNE, S_ONE, S_ZERO, 0, S_INF, DZ);
  expect(FDIV_S, RNE, S_ONE, S_NZERO, 0, S_NINF, DZ);
  expect(FDIV_S, RNE, S_ZERO, S_ZERO, 0, S_QNAN, NV);
  expect(FSQRT_S, RNE, BOX(0xbf800000), 0, 0, S_QNAN, NV);
  expect(FSQRT_S, RNE, S_NZERO, 0, 0, S_NZERO, 0);
  expect(FADD_S, RNE, S_INF, S_NINF, 0, S_QNAN, NV);
  expect(FADD_S, RNE, S_SNAN, S_ONE, 0, S_QNAN, NV);
  expect(FADD_S, RNE, BOX(0xffc12345), S_ONE, 0, S_QNAN, 0); /* NaN payloads are not propagated */
  expect(FADD_S, RDN, S_ONE, BOX(0xbf800000), 0, S_NZERO, 0); /* x - x = -0 only when rounding down */
  expect(FADD_S, RNE, S_ONE, BOX(0xbf800000), 0, S_ZERO, 0);
  expect(FMIN_S, RNE, S_NZERO, S_ZERO, 0, S_NZERO, 0);
  expect(FMAX_S, RNE, S_NZERO, S_ZERO, 0, S_ZERO, 0);
  expect(FMIN_S, RNE, S_QNAN, S_ONE, 0, S_ONE, 0);
  expect(FMIN_S, RNE, S_SNAN, S_ONE, 0, S_ONE, NV);
  expect(FMAX_S, RNE, S_QNAN, S_QNAN, 0, S_QNAN, 0);
  expect(FEQ_S, RNE, S_QNAN, S_ONE, 0, 0, 0);
  expect(FEQ_S, RNE, S_SNAN, S_ONE, 0, 0, NV);
  expect(FLT_S, RNE, S_QNAN, S_ONE, 0, 0, NV);
  expect(FLE_S, RNE, S_NZERO, S_ZERO, 0, 1, 0);
  expect(FLT_S, RNE, S_NZERO, S_ZERO, 0, 0, 0);
  expect(FCLASS_S, RNE, S_NINF, 0, 0, 1 << 0, 0);
  expect(FCLASS_S, RNE, BOX(0xbf800000), 0, 0, 1 << 1, 0);
  expect(FCLASS_S, RNE, BOX(0x80000001), 0, 0, 1 << 2, 0);
  expect(FCLASS_S, RNE, S_NZERO, 0, 0, 1 << 3, 0);
  expect(FCLASS_S, RNE, S_ZERO, 0, 0, 1 << 4, 0);
  expect(FCLASS_S, RNE, BOX(0x007fffff), 0, 0, 1 << 5, 0);
  expect(FCLASS_S, RNE, S_ONE, 0, 0, 1 << 6, 0);
  expect(FCLASS_S, RNE, S_INF, 0, 0, 1 << 7, 0);
  expect(FCLASS_S, RNE, S_SNAN, 0, 0, 1 << 8, 0);
  expect(FCLASS_S, RNE, S_QNAN, 0, 0, 1 << 9, 0);
  /* A single that is not NaN-boxed reads as the canonical NaN. */
  expect(FCLASS_S, RNE, 0x000000003f800000ull, 0, 0, 1 << 9, 0);
  expect(FADD_S, RNE, 0x000000003f800000ull, S_ONE, 0, S_QNAN, 0);
  expect(FSGNJ_S, RNE, 0x000000003f800000ull, S_ONE, 0, S_QNAN, 0);
  expect(FMV_X_W, RNE, 0x00000000bf800000ull, 0, 0, 0xffffffffbf800000ull, 0);
  expect(FMV_W_X, RNE, 0x123456783f800000ull, 0, 0, S_ONE, 0);
  expect(FSGNJN_S, RNE, S_ONE, S_ONE, 0, BOX(0xbf800000), 0);
  expect(FSGNJX_S, RNE, BOX(0xbf800000), BOX(0xbf800000), 0, S_ONE, 0);
  expect(FMADD_S, RNE, S_ONE, S_TWO, S_THREE, BOX(0x40a00000), 0);
  expect(FNMSUB_S, RNE, S_ONE, S_TWO, S_THREE, S_ONE, 0); /* -(1*2) + 3 */
  expect(FMADD_S, RNE, S_INF, S_ZERO, S_QNAN, S_QNAN, NV); /* inf * 0 is invalid even with a NaN addend */

  /* Conversions to integer: rounding, saturation and NV. 2.5 and -2.5 per mode. */
  static const int64_t from_2_5[5] = {2, 2, 2, 3, 3};
  static const int64_t from_m2_5[5] = {-2, -2, -3, -2, -3};
  for (int rm = RNE; rm <= RMM; rm++) {
    expect(FCVT_W_S, rm, BOX(0x40200000), 0, 0, (uint64_t)from_2_5[rm], NX);
    expect(FCVT_W_S, rm, BOX(0xc0200000), 0, 0, (uint64_t)from_m2_5[rm], NX);
    expect(FCVT_L_D, rm, 0x4004000000000000ull, 0, 0, (uint64_t)from_2_5[rm], NX);
    expect(FCVT_L_D, rm, 0xc004000000000000ull, 0, 0, (uint64_t)from_m2_5[rm], NX);
  }
  expect(FCVT_W_S, RNE, S_QNAN, 0, 0, 0x7fffffff, NV);
  expect(FCVT_W_S, RNE, S_NINF, 0, 0, 0xffffffff80000000ull, NV);
  expect(FCVT_W_S, RNE, BOX(0x4f000000), 0, 0, 0x7fffffff, NV); /* 2^31 */
  expect(FCVT_W_S, RNE, BOX(0xcf000000), 0, 0, 0xffffffff80000000ull, 0); /* -2^31 fits */
  expect(FCVT_WU_S, RNE, BOX(0xbf800000), 0, 0, 0, NV);
  expect(FCVT_WU_S, RTZ, BOX(0xbf000000), 0, 0, 0, NX); /* -0.5 truncates to 0 */
  expect(FCVT_WU_S, RNE, BOX(0x4f7fffff), 0, 0, 0xffffffffffffff00ull, 0); /* result is sign-extended */
  expect(FCVT_L_D, RNE, 0x43e0000000000000ull, 0, 0, 0x7fffffffffffffffull, NV); /* 2^63 */
  expect(FCVT_LU_D, RNE, D_QNAN, 0, 0, ~0ull, NV);
  expect(FCVT_LU_D, RNE, 0xfff0000000000000ull, 0, 0, 0, NV);
  expect(FCVT_WU_D, RNE, D_SNAN, 0, 0, ~0ull, NV);

  /* Conversions from integer. */
  expect(FCVT_S_W, RNE, 16777217, 0, 0, BOX(0x4b800000), NX);
  expect(FCVT_S_W, RUP, 16777217, 0, 0, BOX(0x4b800001), NX);
  expect(FCVT_S_WU, RNE, 0xffffffffull, 0, 0, BOX(0x4f800000), NX);
  expect(FCVT_S_W, RNE, 0x00000001ffffffffull, 0, 0, BOX(0xbf800000), 0); /* only the low word */
  expect(FCVT_D_L, RNE, 0x8000000000000000ull, 0, 0, 0xc3e0000000000000ull, 0);
  expect(FCVT_D_LU, RTZ, ~0ull, 0, 0, 0x43efffffffffffffull, NX);
  expect(FCVT_D_W, RNE, 0xffffffff80000000ull, 0, 0, 0xc1e0000000000000ull, 0);

  /* Between formats. */
  expect(FCVT_S_D, RNE, 0x7e37e43c8800759cull, 0, 0, S_INF, OF | NX); /* 1e300 */
  expect(FCVT_S_D, RTZ, 0x7e37e43c8800759cull, 0, 0, BOX(0x7f7fffff), OF | NX);
  expect(FCVT_S_D, RNE, D_SNAN, 0, 0, S_QNAN, NV);
  expect(FCVT_D_S, RNE, S_SNAN, 0, 0, D_QNAN, NV);
  expect(FCVT_D_S, RNE, S_ONE, 0, 0, D_ONE, 0);

  /* Double arithmetic, subnormals and underflow. */
  expect(FDIV_D, RNE, D_ONE, 0x4008000000000000ull, 0, 0x3fd5555555555555ull, NX);
  expect(FDIV_D, RUP, D_ONE, 0x4008000000000000ull, 0, 0x3fd5555555555556ull, NX);
  expect(FMUL_D, RNE, D_MIN_NORMAL, D_HALF, 0, 0x0008000000000000ull, 0); /* exact subnormal: no UF */
  expect(FMUL_D, RNE, 1, D_HALF, 0, 0, UF | NX);                         /* tie to even: zero */
  expect(FMUL_D, RUP, 1, D_HALF, 0, 1, UF | NX);
  expect(FMUL_D, RNE, 0x7fefffffffffffffull, 0x4000000000000000ull, 0, 0x7ff0000000000000ull, OF | NX);
  expect(FMUL_D, RTZ, 0x7fefffffffffffffull, 0x4000000000000000ull, 0, 0x7fefffffffffffffull, OF | NX);
  expect(FSQRT_D, RNE, 0x4000000000000000ull, 0, 0, 0x3ff6a09e667f3bcdull, NX);
  expect(FMIN_D, RNE, D_SNAN, D_QNAN, 0, D_QNAN, NV);
  expect(FMAX_D, RNE, 0x8000000000000000ull, 0, 0, 0, 0);
  expect(FSGNJN_D, RNE, D_ONE, D_ONE, 0, 0xbff0000000000000ull, 0);
  expect(FCLASS_D, RNE, 1, 0, 0, 1 << 5, 0);
  expect(FCLASS_D, RNE, D_SNAN, 0, 0, 1 << 8, 0);
  /* Fused: (1 + 2^-52) * (1 - 2^-52) - 1 = -2^-104 exactly, with no intermediate rounding. */
  expect(FMSUB_D, RNE, 0x3ff0000000000001ull, 0x3feffffffffffffeull, D_ONE, 0xb970000000000000ull, 0);
}

/* ---- Part 2: operand grids ---- */

static const uint32_t single_values[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x40200000, 0xc0200000, 0x3dcccccd, 0x7f7fffff,
  0x00800000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345,
  0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000, 0x4b800001, 0x3effffff, 0x34000000,
};
static const uint64_t double_values[] = {
  0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
  0x4004000000000000ull, 0xc004000000000000ull, 0x3fb999999999999aull, 0x7fefffffffffffffull,
  0x0010000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull, 0x7ff0000000000000ull,
  0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff0000000000001ull, 0xfff8000000012345ull,
  0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41f0000000000000ull, 0x43e0000000000000ull,
  0xc3e0000000000000ull, 0x43f0000000000000ull, 0x7e37e43c8800759cull, 0x01a56e1fc2f8f359ull,
  0x47efffffe0000000ull, 0x4170000010000000ull, 0x3ca0000000000000ull,
};
static const uint64_t int_values[] = {
  0, 1, ~0ull, 0x7fffffff, 0xffffffff80000000ull, 0xffffffffull, 0x7fffffffffffffffull,
  0x8000000000000000ull, 16777217, 0x20000001, 9007199254740993ull, 0x0123456789abcdefull, 0xfffffffffffffffdull,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NS COUNT(single_values)
#define ND COUNT(double_values)
#define NI COUNT(int_values)
/* The third operand of fused ops is drawn from this many leading values. */
#define N_ADDEND 8

typedef enum { K_BINARY, K_UNARY, K_TERNARY, K_FROM_INT, K_NO_RM_BINARY, K_NO_RM_UNARY } kind_t;

static kind_t kind_of(fp_op_t op) {
  switch (op) {
    case FSQRT_S: case FSQRT_D: case FCVT_W_S: case FCVT_WU_S: case FCVT_L_S: case FCVT_LU_S:
    case FCVT_W_D: case FCVT_WU_D: case FCVT_L_D: case FCVT_LU_D: case FCVT_S_D:
      return K_UNARY;
    case FCLASS_S: case FCLASS_D: case FMV_X_W: case FMV_X_D: case FCVT_D_S:
      return K_NO_RM_UNARY;
    case FMIN_S: case FMAX_S: case FSGNJ_S: case FSGNJN_S: case FSGNJX_S: case FEQ_S: case FLT_S: case FLE_S:
    case FMIN_D: case FMAX_D: case FSGNJ_D: case FSGNJN_D: case FSGNJX_D: case FEQ_D: case FLT_D: case FLE_D:
      return K_NO_RM_BINARY;
    case FMADD_S: case FMSUB_S: case FNMADD_S: case FNMSUB_S: case FMADD_D: case FMSUB_D: case FNMADD_D:
    case FNMSUB_D:
      return K_TERNARY;
    case FCVT_S_W: case FCVT_S_WU: case FCVT_S_L: case FCVT_S_LU: case FMV_W_X: case FCVT_D_W: case FCVT_D_WU:
    case FCVT_D_L: case FCVT_D_LU: case FMV_D_X:
      return K_FROM_INT;
    default:
      return K_BINARY;
  }
}

/* Single-precision operand i: NaN-boxed, except one extra value that is not. */
static int operand_count(fp_op_t op) {
  int is_double = (op >= FADD_D && op <= FMV_D_X) || op == FCVT_S_D;
  return is_double ? (int)ND : (int)NS + 1;
}

static uint64_t operand(fp_op_t op, int i) {
  int is_double = (op >= FADD_D && op <= FMV_D_X) || op == FCVT_S_D;
  if (is_double) return double_values[i];
  return i == (int)NS ? 0x000000003f800000ull : BOX(single_values[i]);
}

static uint64_t hash;
static void fold(uint64_t v) {
  for (int i = 0; i < 8; i++) {
    hash ^= (v >> (8 * i)) & 0xff;
    hash *= 0x100000001b3ull;
  }
}

static void record_case(fp_op_t op, int rm, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t r = run(op, rm, a, b, c);
  fold(r);
  fold(last_flags);
#ifdef FP_VERBOSE
  printf("%s %d %016lx %016lx %016lx -> %016lx %02x\n", op_names[op], rm, a, b, c, r, last_flags);
#endif
}

static uint64_t grid_hash(fp_op_t op) {
  hash = 0xcbf29ce484222325ull;
  kind_t kind = kind_of(op);
  int n = operand_count(op);
  int rms = (kind == K_NO_RM_BINARY || kind == K_NO_RM_UNARY) ? 1 : 5;
  for (int rm = 0; rm < rms; rm++) {
    switch (kind) {
      case K_FROM_INT:
        for (unsigned i = 0; i < NI; i++) record_case(op, rm, int_values[i], 0, 0);
        break;
      case K_UNARY:
      case K_NO_RM_UNARY:
        for (int i = 0; i < n; i++) record_case(op, rm, operand(op, i), 0, 0);
        break;
      case K_BINARY:
      case K_NO_RM_BINARY:
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++) record_case(op, rm, operand(op, i), operand(op, j), 0);
        break;
      case K_TERNARY:
        for (int i = 0; i < n; i++)
          for (int j = 0; j < n; j++)
            for (int k = 0; k < N_ADDEND; k++) record_case(op, rm, operand(op, i), operand(op, j), operand(op, k));
        break;
    }
  }
  return hash;
}

#ifndef FP_GENERATE
#include "isa-fp-expected.h"
#endif

int main(void) {
  directed();
#ifdef FP_GENERATE
  printf("/* BEGIN generated by `make regen-fp` from QEMU: per-operation grid hashes. */\n");
  printf("static const uint64_t expected_grid_hash[%d] = {\n", OP_COUNT);
  for (int op = 0; op < OP_COUNT; op++) printf("  0x%016lxull, /* %s */\n", grid_hash(op), op_names[op]);
  printf("};\n/* END */\n");
  finish("isa-fp-gen");
#else
  for (int op = 0; op < OP_COUNT; op++) {
    uint64_t h = grid_hash(op);
    check_count++;
    if (h != expected_grid_hash[op]) {
      check_failures++;
      printf("FAIL %s grid: hash %016lx expected %016lx (build isa-fp-verbose to list cases)\n", op_names[op], h,
             expected_grid_hash[op]);
    }
  }
  finish("isa-fp");
#endif
}
