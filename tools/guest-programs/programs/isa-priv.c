/* Privileged architecture: traps, delegation, xRET, interrupts, WFI, counters. */
#include "guest.h"

typedef struct trap_record {
  uint64_t count;
  uint64_t cause;
  uint64_t epc;
  uint64_t tval;
  uint64_t status; /* mstatus/sstatus as seen by the handler */
} trap_record_t;

static volatile trap_record_t m_seen, s_seen;

static void record(volatile trap_record_t *r, const trap_frame_t *f) {
  r->count++;
  r->cause = f->cause;
  r->epc = f->epc;
  r->tval = f->tval;
  r->status = f->status;
}

static int priv_m_hook(trap_frame_t *f) {
  record(&m_seen, f);
  if (f->cause & CAUSE_INTERRUPT) {
    uint64_t irq = f->cause & ~CAUSE_INTERRUPT;
    if (irq == IRQ_M_TIMER) mmio_write64(CLINT_MTIMECMP, ~0ull);
    else if (irq == IRQ_M_SOFT) mmio_write32(CLINT_MSIP, 0);
    else return 0;
    return 1;
  }
  f->epc += insn_length(f->epc);
  return 1;
}

void s_trap_handler(trap_frame_t *f) {
  record(&s_seen, f);
  if (f->cause & CAUSE_INTERRUPT) {
    if ((f->cause & ~CAUSE_INTERRUPT) == IRQ_S_SOFT) {
      csr_clear(sip, 1u << IRQ_S_SOFT);
      return;
    }
    printf("FAIL unexpected S interrupt scause=0x%lx\n", f->cause);
    guest_exit(0x7e);
  }
  f->epc += insn_length(f->epc);
}

static void reset_records(void) {
  memset((void *)&m_seen, 0, sizeof m_seen);
  memset((void *)&s_seen, 0, sizeof s_seen);
}

/* ---- functions run in lower modes through run_in_mode() ---- */

/* Labels mark the exact instruction that traps so epc can be checked. */
extern char illegal_insn_at[], illegal_c_insn_at[], ecall_at[], ebreak_at[], csr_in_u_at[];

__attribute__((noinline, noclone)) static long do_illegal(long arg) {
  (void)arg;
  __asm__ volatile(".option push\n.option norvc\n.globl illegal_insn_at\nillegal_insn_at: .word 0x12345677\n.option pop");
  return 1;
}

__attribute__((noinline, noclone)) static long do_illegal_compressed(long arg) {
  (void)arg;
  __asm__ volatile(".globl illegal_c_insn_at\nillegal_c_insn_at: .half 0x0000");
  return 2;
}

__attribute__((noinline, noclone)) static long do_ecall(long arg) {
  register long a0 __asm__("a0") = arg;
  register long a7 __asm__("a7") = 0;
  __asm__ volatile(".option push\n.option norvc\n.globl ecall_at\necall_at: ecall\n.option pop"
                   : "+r"(a0)
                   : "r"(a7)
                   : "memory");
  return a0 + 1;
}

__attribute__((noinline, noclone)) static long do_ebreak(long arg) {
  (void)arg;
  __asm__ volatile(".option push\n.option norvc\n.globl ebreak_at\nebreak_at: ebreak\n.option pop");
  return 3;
}

__attribute__((noinline, noclone)) static long do_read_mstatus(long arg) {
  (void)arg;
  register uint64_t v __asm__("a0") = 0x77;
  __asm__ volatile(".option push\n.option norvc\n.globl csr_in_u_at\ncsr_in_u_at: csrr a0, mstatus\n.option pop"
                   : "+r"(v));
  return (long)v;
}

__attribute__((noinline, noclone)) static long do_mret(long arg) {
  (void)arg;
  __asm__ volatile("mret");
  return 5;
}

__attribute__((noinline, noclone)) static long do_sret_in_u(long arg) {
  (void)arg;
  __asm__ volatile("sret");
  return 6;
}

__attribute__((noinline, noclone)) static long do_read_counters(long which) {
  uint64_t v = 0;
  if (which == 0) __asm__ volatile("rdcycle %0" : "=r"(v));
  else if (which == 1) __asm__ volatile("rdtime %0" : "=r"(v));
  else __asm__ volatile("rdinstret %0" : "=r"(v));
  return (long)v;
}

static long return_arg(long arg) { return arg * 2; }

static uint64_t mpp_of(uint64_t status) { return (status & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT; }

static void expect_m_trap(const char *what, long mode, long (*fn)(long), uint64_t cause, const char *at,
                          uint64_t tval) {
  reset_records();
  run_in_mode(mode, fn, 0);
  printf("  %s: mcause=%lu mepc=%p mtval=0x%lx\n", what, m_seen.cause, (void *)m_seen.epc, m_seen.tval);
  CHECK(what, m_seen.count, 1);
  CHECK(what, m_seen.cause, cause);
  CHECK(what, m_seen.epc, (uint64_t)at);
  /* ebreak may report 0 or the pc in mtval; QEMU 7.2 reports 0. */
  if (cause == CAUSE_BREAKPOINT) check_true(what, m_seen.tval == 0 || m_seen.tval == tval);
  else CHECK(what, m_seen.tval, tval);
  CHECK(what, mpp_of(m_seen.status), (uint64_t)mode);
}

static void check_exceptions_in_m(void) {
  printf("exceptions taken in M\n");
  for (long mode = 0; mode <= 3; mode += (mode == 1 ? 2 : 1)) {
    expect_m_trap("illegal instruction", mode, do_illegal, CAUSE_ILLEGAL_INSTRUCTION, illegal_insn_at, 0x12345677);
    expect_m_trap("illegal compressed 0x0000", mode, do_illegal_compressed, CAUSE_ILLEGAL_INSTRUCTION,
                  illegal_c_insn_at, 0);
    expect_m_trap("ebreak", mode, do_ebreak, CAUSE_BREAKPOINT, ebreak_at, (uint64_t)ebreak_at);
  }
  reset_records();
  CHECK("ecall from U result", run_in_mode(MODE_U, do_ecall, 10), 11);
  CHECK("ecall from U cause", m_seen.cause, CAUSE_USER_ECALL);
  CHECK("ecall from U mepc", m_seen.epc, (uint64_t)ecall_at);
  CHECK("ecall mtval", m_seen.tval, 0);
  reset_records();
  run_in_mode(MODE_S, do_ecall, 0);
  CHECK("ecall from S cause", m_seen.cause, CAUSE_SUPERVISOR_ECALL);
  reset_records();
  do_ecall(0);
  CHECK("ecall from M cause", m_seen.cause, CAUSE_MACHINE_ECALL);
  CHECK("ecall from M mepc", m_seen.epc, (uint64_t)ecall_at);

  expect_m_trap("csrr mstatus in U", MODE_U, do_read_mstatus, CAUSE_ILLEGAL_INSTRUCTION, csr_in_u_at,
                0x30002573 /* csrr a0, mstatus */);
  reset_records();
  CHECK("csrr mstatus in S is illegal", (run_in_mode(MODE_S, do_read_mstatus, 0), m_seen.cause),
        CAUSE_ILLEGAL_INSTRUCTION);
  reset_records();
  run_in_mode(MODE_U, do_mret, 0);
  CHECK("mret in U is illegal", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
  reset_records();
  run_in_mode(MODE_S, do_mret, 0);
  CHECK("mret in S is illegal", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
  reset_records();
  run_in_mode(MODE_U, do_sret_in_u, 0);
  CHECK("sret in U is illegal", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);

  /* Accesses outside RAM and devices raise access faults with the address in mtval. */
  reset_records();
  volatile uint64_t *hole = (volatile uint64_t *)0x88000000ull;
  uint64_t v = 0;
  __asm__ volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop" : "+r"(v) : "r"(hole));
  CHECK("load access fault cause", m_seen.cause, CAUSE_LOAD_ACCESS);
  CHECK("load access fault mtval", m_seen.tval, (uint64_t)hole);
  reset_records();
  __asm__ volatile(".option push\n.option norvc\nsd zero, 8(%0)\n.option pop" ::"r"(hole) : "memory");
  CHECK("store access fault cause", m_seen.cause, CAUSE_STORE_ACCESS);
  CHECK("store access fault mtval", m_seen.tval, (uint64_t)hole + 8);
}

static void check_misaligned(void) {
  printf("misaligned accesses\n");
  static volatile uint64_t buf[4] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull, 0, 0};
  volatile uint8_t *p = (volatile uint8_t *)buf;
  uint64_t v;
  /* QEMU 7.2 and monovisor perform misaligned loads and stores in hardware. */
  reset_records();
  __asm__ volatile("ld %0, 3(%1)" : "=r"(v) : "r"(p));
  CHECK("misaligned ld", v, 0x0a09080706050403ull);
  __asm__ volatile("lw %0, 7(%1)" : "=r"(v) : "r"(p));
  CHECK("misaligned lw across 8 bytes", v, 0x0a090807);
  __asm__ volatile("lhu %0, 1(%1)" : "=r"(v) : "r"(p));
  CHECK("misaligned lhu", v, 0x0201);
  __asm__ volatile("sd %0, 17(%1)" ::"r"(0x8877665544332211ull), "r"(p) : "memory");
  CHECK("misaligned sd low", buf[2], 0x7766554433221100ull);
  CHECK("misaligned sd high", buf[3], 0x88);
  CHECK("misaligned loads/stores do not trap", m_seen.count, 0);
  /* AMOs and LR must be naturally aligned: they raise misaligned exceptions. */
  reset_records();
  __asm__ volatile(".option push\n.option norvc\namoadd.w %0, %1, (%2)\n.option pop"
                   : "=r"(v) : "r"(1ull), "r"(p + 2) : "memory");
  /* The spec says store/AMO misaligned (6); QEMU 7.2 reports load misaligned (4). */
  check_true("misaligned amoadd.w cause", m_seen.cause == CAUSE_MISALIGNED_STORE ||
                                              m_seen.cause == CAUSE_MISALIGNED_LOAD);
  CHECK("misaligned amoadd.w mtval", m_seen.tval, (uint64_t)(p + 2));
  reset_records();
  __asm__ volatile(".option push\n.option norvc\nlr.d %0, (%1)\n.option pop" : "=r"(v) : "r"(p + 4) : "memory");
  CHECK("misaligned lr.d cause", m_seen.cause, CAUSE_MISALIGNED_LOAD);
  CHECK("misaligned lr.d mtval", m_seen.tval, (uint64_t)(p + 4));
}

static void check_delegation(void) {
  printf("delegation to S\n");
  csr_write(stvec, s_trap_entry);
  csr_write(sscratch, s_trap_stack_top);
  csr_write(medeleg, (1u << CAUSE_ILLEGAL_INSTRUCTION) | (1u << CAUSE_BREAKPOINT) | (1u << CAUSE_USER_ECALL));
  reset_records();
  run_in_mode(MODE_U, do_illegal, 0);
  CHECK("delegated illegal: not seen by M", m_seen.count, 0);
  CHECK("delegated illegal: S count", s_seen.count, 1);
  CHECK("delegated illegal: scause", s_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
  CHECK("delegated illegal: sepc", s_seen.epc, (uint64_t)illegal_insn_at);
  CHECK("delegated illegal: stval", s_seen.tval, 0x12345677);
  CHECK("delegated illegal: SPP = U", s_seen.status & MSTATUS_SPP, 0);
  CHECK("direct stvec entry", s_trap_slot, -1);

  reset_records();
  CHECK("delegated ecall from U result", run_in_mode(MODE_U, do_ecall, 20), 21);
  CHECK("delegated ecall from U scause", s_seen.cause, CAUSE_USER_ECALL);
  CHECK("delegated ecall from U sepc", s_seen.epc, (uint64_t)ecall_at);

  reset_records();
  run_in_mode(MODE_S, do_ebreak, 0);
  CHECK("delegated ebreak from S scause", s_seen.cause, CAUSE_BREAKPOINT);
  CHECK("delegated ebreak from S: SPP = S", s_seen.status & MSTATUS_SPP, MSTATUS_SPP);
  CHECK("delegated ebreak from S: M not involved", m_seen.count, 0);

  /* Traps taken in M-mode are never delegated. */
  reset_records();
  do_illegal(0);
  CHECK("illegal in M stays in M", m_seen.count, 1);
  CHECK("illegal in M: S not involved", s_seen.count, 0);

  /* S ecall (cause 9) is not delegated here, so it reaches M. */
  reset_records();
  run_in_mode(MODE_S, do_ecall, 0);
  CHECK("ecall from S not delegated", m_seen.cause, CAUSE_SUPERVISOR_ECALL);

  /* Vectored stvec: exceptions still go to the base. */
  csr_write(stvec, (uint64_t)s_trap_vectors | 1);
  reset_records();
  s_trap_slot = 99;
  run_in_mode(MODE_U, do_illegal, 0);
  CHECK("vectored stvec: exception enters slot 0", s_trap_slot, 0);
  csr_write(stvec, s_trap_entry);
  csr_write(medeleg, 0);
}

static long s_software_interrupt(long arg) {
  (void)arg;
  csr_set(sie, 1u << IRQ_S_SOFT);
  csr_set(sip, 1u << IRQ_S_SOFT);
  csr_set(sstatus, MSTATUS_SIE);
  for (int i = 0; i < 100 && !s_seen.count; i++) __asm__ volatile("nop");
  csr_clear(sstatus, MSTATUS_SIE);
  return (long)s_seen.count;
}

static void check_s_interrupts(void) {
  printf("S software interrupt, direct and vectored\n");
  csr_write(sscratch, s_trap_stack_top);
  csr_write(mideleg, 1u << IRQ_S_SOFT);
  CHECK("mideleg SSIP writable", csr_read(mideleg) & (1u << IRQ_S_SOFT), 1u << IRQ_S_SOFT);
  csr_write(stvec, s_trap_entry);
  reset_records();
  CHECK("SSI taken in S", run_in_mode(MODE_S, s_software_interrupt, 0), 1);
  CHECK("SSI scause", s_seen.cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
  CHECK("SSI direct entry", s_trap_slot, -1);
  CHECK("SSI: SPIE holds old SIE", s_seen.status & MSTATUS_SPIE, MSTATUS_SPIE);
  CHECK("SSI: SIE cleared in handler", s_seen.status & MSTATUS_SIE, 0);
  CHECK("SSI: M not involved", m_seen.count, 0);

  csr_write(stvec, (uint64_t)s_trap_vectors | 1);
  reset_records();
  CHECK("SSI vectored taken", run_in_mode(MODE_S, s_software_interrupt, 0), 1);
  CHECK("SSI vectored slot", s_trap_slot, IRQ_S_SOFT);
  csr_write(stvec, s_trap_entry);
  csr_write(sie, 0);
  csr_write(mideleg, 0);
}

extern char mret_target[], sret_target[];

__attribute__((noinline, noclone)) static long sret_check(long arg) {
  (void)arg;
  uint64_t before;
  csr_write(sepc, sret_target);
  csr_set(sstatus, MSTATUS_SPP | MSTATUS_SPIE);
  csr_clear(sstatus, MSTATUS_SIE);
  __asm__ volatile("sret\n.globl sret_target\nsret_target:\ncsrr %0, sstatus" : "=r"(before)::"memory");
  long ok = 0;
  ok |= (before & MSTATUS_SIE) ? 1 : 0;   /* SIE = old SPIE */
  ok |= (before & MSTATUS_SPIE) ? 2 : 0;  /* SPIE = 1 */
  ok |= (before & MSTATUS_SPP) ? 0 : 4;   /* SPP = U */
  csr_clear(sstatus, MSTATUS_SIE);
  return ok;
}

static void check_xret(void) {
  printf("mret/sret status updates\n");
  uint64_t after;
  csr_clear(mstatus, MSTATUS_MIE | MSTATUS_MPP);
  csr_set(mstatus, MSTATUS_MPIE | (3ul << MSTATUS_MPP_SHIFT) | MSTATUS_MPRV);
  csr_write(mepc, mret_target);
  __asm__ volatile("mret\n.globl mret_target\nmret_target:\ncsrr %0, mstatus" : "=r"(after)::"memory");
  CHECK("mret to M: MIE = old MPIE", after & MSTATUS_MIE, MSTATUS_MIE);
  CHECK("mret: MPIE = 1", after & MSTATUS_MPIE, MSTATUS_MPIE);
  CHECK("mret: MPP = U", mpp_of(after), MODE_U);
  CHECK("mret to M keeps MPRV", after & MSTATUS_MPRV, MSTATUS_MPRV);
  csr_clear(mstatus, MSTATUS_MIE | MSTATUS_MPRV);

  /* Not checked: priv 1.12 says mret to S/U clears MPRV, QEMU 7.2 keeps it. */

  reset_records();
  CHECK("run_in_mode(U) returns", run_in_mode(MODE_U, return_arg, 21), 42);
  CHECK("run_in_mode(S) returns", run_in_mode(MODE_S, return_arg, 5), 10);
  CHECK("sret: SIE/SPIE/SPP", run_in_mode(MODE_S, sret_check, 0), 7);
  /* In U, MIE holds the MPIE that mret consumed; a trap copies it back to MPIE. */
  csr_clear(mstatus, MSTATUS_MPIE);
  run_in_mode(MODE_U, do_ebreak, 0);
  CHECK("trap from U: MPIE = MIE in U (0)", m_seen.status & MSTATUS_MPIE, 0);
  csr_set(mstatus, MSTATUS_MPIE);
  run_in_mode(MODE_U, do_ebreak, 0);
  CHECK("trap from U: MPIE = MIE in U (1)", m_seen.status & MSTATUS_MPIE, MSTATUS_MPIE);
}

static void check_m_interrupts(void) {
  printf("CLINT timer and software interrupts, wfi\n");
  uint64_t now = mmio_read64(CLINT_MTIME);
  uint64_t later = mmio_read64(CLINT_MTIME);
  check_true("mtime advances", later >= now);

  /* A due mtimecmp raises MTIP; a far one clears it. */
  mmio_write64(CLINT_MTIMECMP, 0);
  check_true("MTIP pending when mtimecmp <= mtime", (csr_read(mip) >> IRQ_M_TIMER) & 1);
  mmio_write64(CLINT_MTIMECMP, ~0ull);
  CHECK("MTIP clear when mtimecmp is far", (csr_read(mip) >> IRQ_M_TIMER) & 1, 0);

  /* Timer interrupt taken through wfi with MIE set. */
  reset_records();
  csr_write(mie, 1u << IRQ_M_TIMER);
  mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 20000);
  csr_set(mstatus, MSTATUS_MIE);
  for (int i = 0; i < 1000000 && !m_seen.count; i++) __asm__ volatile("wfi");
  csr_clear(mstatus, MSTATUS_MIE);
  CHECK("timer interrupt taken", m_seen.count, 1);
  CHECK("timer mcause", m_seen.cause, CAUSE_INTERRUPT | IRQ_M_TIMER);
  CHECK("timer: MPIE = 1 in handler", m_seen.status & MSTATUS_MPIE, MSTATUS_MPIE);
  CHECK("timer: MPP = M", mpp_of(m_seen.status), MODE_M);
  check_true("timer fired no earlier than mtimecmp", mmio_read64(CLINT_MTIME) >= later + 20000);

  /* wfi wakes on a pending enabled interrupt even with MIE clear, and no trap is taken. */
  reset_records();
  mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 20000);
  int spins = 0;
  while (!((csr_read(mip) >> IRQ_M_TIMER) & 1) && spins < 1000000) {
    __asm__ volatile("wfi");
    spins++;
  }
  check_true("wfi woke with MTIP pending", (csr_read(mip) >> IRQ_M_TIMER) & 1);
  CHECK("no trap with MIE clear", m_seen.count, 0);
  mmio_write64(CLINT_MTIMECMP, ~0ull);

  /* Machine software interrupt through msip. */
  reset_records();
  csr_write(mie, 1u << IRQ_M_SOFT);
  mmio_write32(CLINT_MSIP, 1);
  check_true("MSIP pending", (csr_read(mip) >> IRQ_M_SOFT) & 1);
  CHECK("msip reads back", mmio_read32(CLINT_MSIP), 1);
  csr_set(mstatus, MSTATUS_MIE);
  __asm__ volatile("nop");
  csr_clear(mstatus, MSTATUS_MIE);
  CHECK("software interrupt taken", m_seen.count, 1);
  CHECK("software mcause", m_seen.cause, CAUSE_INTERRUPT | IRQ_M_SOFT);
  CHECK("MSIP cleared by handler", (csr_read(mip) >> IRQ_M_SOFT) & 1, 0);

  /* M interrupts preempt U-mode even with MIE clear. */
  reset_records();
  mmio_write32(CLINT_MSIP, 1);
  run_in_mode(MODE_U, return_arg, 0);
  CHECK("MSI taken from U with MIE=0", m_seen.cause, CAUSE_INTERRUPT | IRQ_M_SOFT);
  CHECK("MSI from U: MPP = U", mpp_of(m_seen.status), MODE_U);
  csr_write(mie, 0);
}

static void check_counters(void) {
  printf("counters and counter-enable gating\n");
  uint64_t c0 = csr_read(cycle), i0 = csr_read(instret), t0 = csr_read(time);
  for (volatile int i = 0; i < 1000; i++) {
  }
  uint64_t c1 = csr_read(cycle), i1 = csr_read(instret), t1 = csr_read(time);
  check_true("cycle advances", c1 > c0);
  check_true("instret advances", i1 > i0);
  check_true("time does not go back", t1 >= t0);
  check_true("mcycle readable", csr_read(mcycle) >= c1);
  check_true("minstret readable", csr_read(minstret) >= i1);

  const char *names[3] = {"cycle", "time", "instret"};
  for (long which = 0; which < 3; which++) {
    uint64_t bit = 1u << which;
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
    reset_records();
    run_in_mode(MODE_S, do_read_counters, which);
    printf("  %s\n", names[which]);
    CHECK("S read with mcounteren=0 is illegal", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
    reset_records();
    csr_write(mcounteren, bit);
    run_in_mode(MODE_S, do_read_counters, which);
    CHECK("S read with mcounteren bit set", m_seen.count, 0);
    run_in_mode(MODE_U, do_read_counters, which);
    CHECK("U read with scounteren=0 is illegal", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
    reset_records();
    csr_write(scounteren, bit);
    run_in_mode(MODE_U, do_read_counters, which);
    CHECK("U read with both bits set", m_seen.count, 0);
    csr_write(mcounteren, 0);
    run_in_mode(MODE_U, do_read_counters, which);
    CHECK("U read needs mcounteren too", m_seen.cause, CAUSE_ILLEGAL_INSTRUCTION);
  }
  csr_write(mcounteren, 0);
  csr_write(scounteren, 0);
}

int main(void) {
  pmp_allow_all();
  m_trap_hook = priv_m_hook;
  CHECK("misa has S and U", (csr_read(misa) >> 18 & 1) & (csr_read(misa) >> 20 & 1), 1);
  check_exceptions_in_m();
  check_misaligned();
  check_delegation();
  check_s_interrupts();
  check_xret();
  check_m_interrupts();
  check_counters();
  finish("isa-priv");
}
