/* Sv39/Sv48 paging from S-mode: page sizes, permissions, A/D, SUM, MXR, sfence.vma, fence.i. */
#include "guest.h"

#define PAGE_SIZE 4096ul
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define SATP_SV39 (8ul << 60)
#define SATP_SV48 (9ul << 60)

typedef uint64_t pte_t;

static pte_t sv39_root[512] __attribute__((aligned(4096)));
static pte_t table_l1[512] __attribute__((aligned(4096)));
static pte_t table_l0[512] __attribute__((aligned(4096)));
static pte_t sv48_root[512] __attribute__((aligned(4096)));
static pte_t sv48_l2_high[512] __attribute__((aligned(4096)));
static uint8_t pages[12][PAGE_SIZE] __attribute__((aligned(4096)));

/* Physical 2 MiB region for the megapage test, clear of the program image. */
#define MEGAPAGE_PA 0x82000000ul

/* Virtual layout: L0 slots under VA 0x4000_0000. */
#define VA_BASE 0x40000000ul
#define SLOT_VA(i) (VA_BASE + (i) * PAGE_SIZE)
enum {
  SLOT_AD = 0,       /* RW, A and D clear: hardware sets them */
  SLOT_RO = 1,       /* R */
  SLOT_XO = 2,       /* X only, holds code */
  SLOT_INVALID = 3,  /* V = 0 */
  SLOT_USER = 4,     /* RW + U */
  SLOT_WO = 5,       /* W without R: reserved encoding */
  SLOT_USER_X = 6,   /* X + U, holds code */
  SLOT_REMAP = 7,    /* RW, retargeted for the sfence.vma check */
  SLOT_CODE_X = 8,   /* X alias of pages[8] */
  SLOT_CODE_W = 9,   /* RW alias of pages[8] */
  SLOT_NONLEAF = 10, /* pointer PTE at level 0: invalid */
};
#define VA_MEGA (VA_BASE + 0x200000ul)
#define VA_MEGA_MISALIGNED (VA_BASE + 0x400000ul)
#define VA_GIGA_ALIAS 0xc0000000ul          /* 1 GiB leaf onto PA 0x8000_0000 */
#define VA_NEGATIVE 0xffffffc000000000ul    /* Sv39 root slot 256, sign-extended */
#define VA_SV39_NONCANONICAL 0x0000004000000000ul
#define VA_SV48_HIGH 0x0000100000000000ul   /* Sv48 root slot 32 */
#define VA_SV48_TERA 0x0000008000000000ul   /* Sv48 root slot 1: 512 GiB leaf onto PA 0 */

#define INSN_RET 0x00008067u
#define INSN_LI_A0(imm) (0x00000513u | ((uint32_t)(imm) << 20))

static pte_t leaf(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags | PTE_V; }
static pte_t pointer(const void *table) { return (((uint64_t)table >> 12) << 10) | PTE_V; }

static void sfence_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

static void build_tables(void) {
  memset(sv39_root, 0, sizeof sv39_root);
  memset(table_l1, 0, sizeof table_l1);
  memset(table_l0, 0, sizeof table_l0);
  sv39_root[1] = pointer(table_l1);
  sv39_root[2] = leaf(0x80000000ul, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
  sv39_root[3] = leaf(0x80000000ul, PTE_R | PTE_W | PTE_A | PTE_D);
  sv39_root[256] = leaf(0x80000000ul, PTE_R | PTE_A);
  table_l1[0] = pointer(table_l0);
  table_l1[1] = leaf(MEGAPAGE_PA, PTE_R | PTE_W | PTE_A | PTE_D);
  table_l1[2] = leaf(MEGAPAGE_PA + 0x1000, PTE_R | PTE_W | PTE_A | PTE_D);
  table_l0[SLOT_AD] = leaf((uint64_t)pages[SLOT_AD], PTE_R | PTE_W);
  table_l0[SLOT_RO] = leaf((uint64_t)pages[SLOT_RO], PTE_R | PTE_A);
  table_l0[SLOT_XO] = leaf((uint64_t)pages[SLOT_XO], PTE_X | PTE_A);
  table_l0[SLOT_INVALID] = leaf((uint64_t)pages[SLOT_INVALID], PTE_R) & ~PTE_V;
  table_l0[SLOT_USER] = leaf((uint64_t)pages[SLOT_USER], PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
  table_l0[SLOT_WO] = leaf((uint64_t)pages[SLOT_WO], PTE_W | PTE_A | PTE_D);
  table_l0[SLOT_USER_X] = leaf((uint64_t)pages[SLOT_USER_X], PTE_X | PTE_U | PTE_A);
  table_l0[SLOT_REMAP] = leaf((uint64_t)pages[SLOT_REMAP], PTE_R | PTE_W | PTE_A | PTE_D);
  table_l0[SLOT_CODE_X] = leaf((uint64_t)pages[8], PTE_X | PTE_A);
  table_l0[SLOT_CODE_W] = leaf((uint64_t)pages[8], PTE_R | PTE_W | PTE_A | PTE_D);
  table_l0[SLOT_NONLEAF] = pointer(pages[10]);

  memset(sv48_root, 0, sizeof sv48_root);
  memset(sv48_l2_high, 0, sizeof sv48_l2_high);
  sv48_root[0] = pointer(sv39_root); /* the Sv39 root doubles as the level-2 table */
  sv48_root[1] = leaf(0, PTE_R | PTE_W | PTE_A | PTE_D);
  sv48_root[32] = pointer(sv48_l2_high);
  sv48_l2_high[0] = leaf(0x80000000ul, PTE_R | PTE_W | PTE_A | PTE_D);
}

/* ---- S-mode probes; parameters in a global so run_in_mode's one argument picks the op ---- */

enum { OP_LOAD, OP_STORE, OP_EXEC, OP_SFENCE_LOAD, OP_SFENCE_ADDR_LOAD };
static volatile struct {
  uint64_t va;
  uint64_t value;
} probe;

#define NO_VALUE 0xdeadbeefdeadbeeful

static volatile struct {
  uint64_t count, cause, epc, tval;
} fault;

static int mmu_m_hook(trap_frame_t *f) {
  if (f->cause & CAUSE_INTERRUPT) return 0;
  fault.count++;
  fault.cause = f->cause;
  fault.epc = f->epc;
  fault.tval = f->tval;
  /* A fetch fault leaves epc at the target: resume at the caller instead. */
  if (f->cause == CAUSE_FETCH_PAGE_FAULT || f->cause == CAUSE_FETCH_ACCESS) f->epc = f->x[1];
  else f->epc += insn_length(f->epc);
  return 1;
}

__attribute__((noinline)) static long s_probe(long op) {
  register uint64_t value __asm__("a0") = NO_VALUE;
  uint64_t va = probe.va;
  switch (op) {
    case OP_SFENCE_LOAD:
      __asm__ volatile("sfence.vma" ::: "memory");
      __asm__ volatile("ld %0, 0(%1)" : "+r"(value) : "r"(va) : "memory");
      break;
    case OP_SFENCE_ADDR_LOAD:
      __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
      __asm__ volatile("ld %0, 0(%1)" : "+r"(value) : "r"(va) : "memory");
      break;
    case OP_LOAD:
      __asm__ volatile("ld %0, 0(%1)" : "+r"(value) : "r"(va) : "memory");
      break;
    case OP_STORE:
      __asm__ volatile("sd %0, 0(%1)" ::"r"(probe.value), "r"(va) : "memory");
      value = 0;
      break;
    case OP_EXEC:
      __asm__ volatile("jalr ra, 0(%1)" : "+r"(value) : "r"(va) : "ra", "memory");
      break;
  }
  return (long)value;
}

static uint64_t s_access(int op, uint64_t va, uint64_t value) {
  probe.va = va;
  probe.value = value;
  fault.count = 0;
  fault.cause = 0;
  fault.tval = 0;
  return (uint64_t)run_in_mode(MODE_S, s_probe, op);
}

static void expect_fault(const char *what, int op, uint64_t va, uint64_t cause) {
  s_access(op, va, 0x1234);
  CHECK(what, fault.count, 1);
  CHECK(what, fault.cause, cause);
  CHECK(what, fault.tval, va);
}

static void expect_ok(const char *what, int op, uint64_t va, uint64_t want) {
  uint64_t got = s_access(op, va, want);
  CHECK(what, fault.count, 0);
  if (op != OP_STORE) CHECK(what, got, want);
}

static void write_code(void *page, uint32_t imm) {
  uint32_t *code = page;
  code[0] = INSN_LI_A0(imm);
  code[1] = INSN_RET;
}

static void check_sv39(void) {
  printf("Sv39 translation and page sizes\n");
  build_tables();
  csr_write(satp, SATP_SV39 | ((uint64_t)sv39_root >> 12));
  sfence_all();
  CHECK("satp reads back Sv39", csr_read(satp) >> 60, 8);

  static volatile uint64_t anchor = 0x0123456789abcdeful;
  expect_ok("identity gigapage", OP_LOAD, (uint64_t)&anchor, anchor);
  expect_ok("1 GiB superpage alias", OP_LOAD, (uint64_t)&anchor - 0x80000000ul + VA_GIGA_ALIAS, anchor);
  expect_ok("negative canonical VA", OP_LOAD, (uint64_t)&anchor - 0x80000000ul + VA_NEGATIVE, anchor);
  expect_fault("non-canonical VA", OP_LOAD, VA_SV39_NONCANONICAL, CAUSE_LOAD_PAGE_FAULT);
  expect_fault("store to read-only 1 GiB page", OP_STORE, VA_NEGATIVE + 8, CAUSE_STORE_PAGE_FAULT);

  volatile uint64_t *mega = (volatile uint64_t *)(MEGAPAGE_PA + 0x1ff000);
  *mega = 0x2222;
  expect_ok("2 MiB superpage load", OP_LOAD, VA_MEGA + 0x1ff000, 0x2222);
  expect_ok("2 MiB superpage store", OP_STORE, VA_MEGA + 0x1ff008, 0x3333);
  CHECK("2 MiB store reached PA", mega[1], 0x3333);
  expect_fault("misaligned superpage", OP_LOAD, VA_MEGA_MISALIGNED, CAUSE_LOAD_PAGE_FAULT);

  ((volatile uint64_t *)pages[SLOT_RO])[1] = 0x4444;
  expect_ok("4 KiB load", OP_LOAD, SLOT_VA(SLOT_RO) + 8, 0x4444);
  expect_fault("store to read-only", OP_STORE, SLOT_VA(SLOT_RO) + 16, CAUSE_STORE_PAGE_FAULT);
  expect_fault("load from invalid PTE", OP_LOAD, SLOT_VA(SLOT_INVALID) + 24, CAUSE_LOAD_PAGE_FAULT);
  expect_fault("store to invalid PTE", OP_STORE, SLOT_VA(SLOT_INVALID), CAUSE_STORE_PAGE_FAULT);
  expect_fault("W without R is reserved", OP_LOAD, SLOT_VA(SLOT_WO), CAUSE_LOAD_PAGE_FAULT);
  expect_fault("pointer PTE at level 0", OP_LOAD, SLOT_VA(SLOT_NONLEAF), CAUSE_LOAD_PAGE_FAULT);
  expect_fault("fetch from non-executable", OP_EXEC, SLOT_VA(SLOT_RO), CAUSE_FETCH_PAGE_FAULT);
  expect_fault("fetch from invalid", OP_EXEC, SLOT_VA(SLOT_INVALID) + 0x40, CAUSE_FETCH_PAGE_FAULT);
  write_code(pages[SLOT_XO], 0x5a);
  __asm__ volatile("fence.i");
  expect_ok("fetch from execute-only", OP_EXEC, SLOT_VA(SLOT_XO), 0x5a);
  expect_fault("load from execute-only (MXR=0)", OP_LOAD, SLOT_VA(SLOT_XO), CAUSE_LOAD_PAGE_FAULT);
}

static void check_accessed_dirty(void) {
  printf("A/D bits set by hardware\n");
  pte_t *pte = &table_l0[SLOT_AD];
  CHECK("A/D start clear", *pte & (PTE_A | PTE_D), 0);
  ((volatile uint64_t *)pages[SLOT_AD])[0] = 0x5555;
  expect_ok("load from A=0 page", OP_LOAD, SLOT_VA(SLOT_AD), 0x5555);
  CHECK("load sets A only", *pte & (PTE_A | PTE_D), PTE_A);
  expect_ok("store to D=0 page", OP_STORE, SLOT_VA(SLOT_AD) + 8, 0x6666);
  CHECK("store sets D", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
  CHECK("store landed", ((volatile uint64_t *)pages[SLOT_AD])[1], 0x6666);
  *pte &= ~(PTE_A | PTE_D);
  sfence_all();
  expect_ok("store to A=0 D=0 page", OP_STORE, SLOT_VA(SLOT_AD) + 16, 0x7777);
  CHECK("store sets A and D", *pte & (PTE_A | PTE_D), PTE_A | PTE_D);
  /* A faulting access must not set A. */
  table_l0[SLOT_RO] &= ~PTE_A;
  sfence_all();
  s_access(OP_STORE, SLOT_VA(SLOT_RO), 1);
  CHECK("faulting store leaves PTE", table_l0[SLOT_RO] & (PTE_A | PTE_D), 0);
  table_l0[SLOT_RO] |= PTE_A;
  sfence_all();
}

static void check_sum_mxr(void) {
  printf("SUM, MXR and U pages from S-mode\n");
  ((volatile uint64_t *)pages[SLOT_USER])[0] = 0x8888;
  write_code(pages[SLOT_USER_X], 0x77);
  __asm__ volatile("fence.i");
  csr_clear(mstatus, MSTATUS_SUM | MSTATUS_MXR);
  expect_fault("S load from U page, SUM=0", OP_LOAD, SLOT_VA(SLOT_USER), CAUSE_LOAD_PAGE_FAULT);
  expect_fault("S store to U page, SUM=0", OP_STORE, SLOT_VA(SLOT_USER), CAUSE_STORE_PAGE_FAULT);
  csr_set(mstatus, MSTATUS_SUM);
  expect_ok("S load from U page, SUM=1", OP_LOAD, SLOT_VA(SLOT_USER), 0x8888);
  expect_ok("S store to U page, SUM=1", OP_STORE, SLOT_VA(SLOT_USER) + 8, 0x9999);
  expect_fault("S fetch from U page, SUM=1", OP_EXEC, SLOT_VA(SLOT_USER_X), CAUSE_FETCH_PAGE_FAULT);
  csr_clear(mstatus, MSTATUS_SUM);
  csr_set(mstatus, MSTATUS_MXR);
  uint64_t first_word = INSN_LI_A0(0x5a) | ((uint64_t)INSN_RET << 32);
  expect_ok("load from execute-only, MXR=1", OP_LOAD, SLOT_VA(SLOT_XO), first_word);
  expect_fault("MXR does not allow stores", OP_STORE, SLOT_VA(SLOT_XO), CAUSE_STORE_PAGE_FAULT);
  expect_fault("MXR does not lift SUM", OP_LOAD, SLOT_VA(SLOT_USER), CAUSE_LOAD_PAGE_FAULT);
  csr_clear(mstatus, MSTATUS_MXR);
}

static void check_sfence(void) {
  printf("sfence.vma\n");
  ((volatile uint64_t *)pages[SLOT_REMAP])[0] = 0xaaaa;
  ((volatile uint64_t *)pages[11])[0] = 0xbbbb;
  expect_ok("remap: before", OP_LOAD, SLOT_VA(SLOT_REMAP), 0xaaaa);
  table_l0[SLOT_REMAP] = leaf((uint64_t)pages[11], PTE_R | PTE_W | PTE_A | PTE_D);
  /* Without a fence the old translation may or may not be used: not checked. */
  expect_ok("remap: after sfence.vma by address", OP_SFENCE_ADDR_LOAD, SLOT_VA(SLOT_REMAP), 0xbbbb);
  table_l0[SLOT_REMAP] = leaf((uint64_t)pages[SLOT_REMAP], PTE_R | PTE_W | PTE_A | PTE_D);
  expect_ok("remap back: after global sfence.vma", OP_SFENCE_LOAD, SLOT_VA(SLOT_REMAP), 0xaaaa);
  table_l0[SLOT_REMAP] = 0;
  expect_fault("unmapped after sfence.vma", OP_SFENCE_LOAD, SLOT_VA(SLOT_REMAP), CAUSE_LOAD_PAGE_FAULT);
}

static uint32_t smc_buffer[64] __attribute__((aligned(64)));

static void check_self_modifying_code(void) {
  printf("self-modifying code with fence.i\n");
  long (*fn)(void) = (long (*)(void))(uintptr_t)smc_buffer;
  write_code(smc_buffer, 1);
  __asm__ volatile("fence.i" ::: "memory");
  CHECK("M-mode: first version", fn(), 1);
  write_code(smc_buffer, 2);
  __asm__ volatile("fence.i" ::: "memory");
  CHECK("M-mode: rewritten", fn(), 2);
  for (uint32_t i = 3; i < 8; i++) {
    smc_buffer[0] = INSN_LI_A0(i);
    __asm__ volatile("fence.i" ::: "memory");
    CHECK("M-mode: rewrite loop", fn(), i);
  }
  /* Through the MMU: execute via an X alias, rewrite via a W alias of the same page. */
  write_code(pages[8], 0x11);
  __asm__ volatile("fence.i" ::: "memory");
  expect_ok("S: execute X alias", OP_EXEC, SLOT_VA(SLOT_CODE_X), 0x11);
  expect_ok("S: store new code through W alias", OP_STORE, SLOT_VA(SLOT_CODE_W),
            INSN_LI_A0(0x22) | ((uint64_t)INSN_RET << 32));
  __asm__ volatile("fence.i" ::: "memory");
  expect_ok("S: execute rewritten code", OP_EXEC, SLOT_VA(SLOT_CODE_X), 0x22);
}

static void check_sv48(void) {
  printf("Sv48\n");
  csr_write(satp, SATP_SV48 | ((uint64_t)sv48_root >> 12));
  sfence_all();
  if (csr_read(satp) >> 60 != 9) {
    printf("FAIL Sv48 not supported (satp mode reads %lu)\n", csr_read(satp) >> 60);
    check_failures++;
    return;
  }
  static volatile uint64_t anchor = 0xfedcba9876543210ul;
  uint64_t off = (uint64_t)&anchor - 0x80000000ul;
  expect_ok("Sv48: identity through the shared level-2 table", OP_LOAD, (uint64_t)&anchor, anchor);
  expect_ok("Sv48: 1 GiB leaf above the Sv39 range", OP_LOAD, VA_SV48_HIGH + off, anchor);
  expect_ok("Sv48: 512 GiB leaf", OP_LOAD, VA_SV48_TERA + (uint64_t)&anchor, anchor);
  expect_ok("Sv48: VA non-canonical in Sv39 is valid", OP_LOAD, VA_SV39_NONCANONICAL + off, anchor);
  expect_fault("Sv48: non-canonical VA", OP_LOAD, 0x0000800000000000ul, CAUSE_LOAD_PAGE_FAULT);
  expect_fault("Sv48: unmapped root slot", OP_LOAD, 0x0000010000000000ul, CAUSE_LOAD_PAGE_FAULT);
  expect_ok("Sv48: 4 KiB page via 4 levels", OP_LOAD, SLOT_VA(SLOT_RO) + 8, 0x4444);
  csr_write(satp, 0);
  sfence_all();
}

int main(void) {
  pmp_allow_all();
  m_trap_hook = mmu_m_hook;
  check_sv39();
  check_accessed_dirty();
  check_sum_mxr();
  check_sfence();
  check_self_modifying_code();
  check_sv48();
  finish("isa-mmu");
}
