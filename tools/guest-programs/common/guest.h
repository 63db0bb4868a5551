/* Runtime for the bare-metal guest programs: console, exit, checks, traps, CSRs. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* QEMU virt / monovisor virt board. */
#define UART0_BASE 0x10000000UL
#define SYSCON_BASE 0x00100000UL
#define CLINT_BASE 0x02000000UL
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xbff8)

/* mcause / scause values. */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define CAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7

#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3UL << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS (3UL << 13)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM (1UL << 18)
#define MSTATUS_MXR (1UL << 19)

#define MODE_U 0
#define MODE_S 1
#define MODE_M 3

#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " STR(csr) : "=r"(v_)); v_; })
#define csr_write(csr, val) __asm__ volatile("csrw " STR(csr) ", %0" ::"rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " STR(csr) ", %0" ::"rK"((uint64_t)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " STR(csr) ", %0" ::"rK"((uint64_t)(val)) : "memory")

typedef struct trap_frame {
  uint64_t x[32];
  uint64_t epc;
  uint64_t cause;
  uint64_t tval;
  uint64_t status;
} trap_frame_t;

/* Returns nonzero when it handled the trap (possibly after editing the frame). */
typedef int (*trap_hook_t)(trap_frame_t *frame);
extern volatile trap_hook_t m_trap_hook;

/* Platform channel (UART + syscon, or HTIF), chosen at link time. */
void platform_putc(char c);
__attribute__((noreturn)) void platform_exit(unsigned code);

void putstr(const char *s);
void printf(const char *fmt, ...);
void vprintf(const char *fmt, va_list ap);
void print_hex64(uint64_t v);
__attribute__((noreturn)) void guest_exit(int code);

/* Self-checks: count failures; finish() prints PASS or FAIL and exits. */
extern unsigned check_failures;
extern unsigned check_count;
void check_u64(const char *what, uint64_t got, uint64_t expected);
#define CHECK(what, got, expected) check_u64((what), (uint64_t)(got), (uint64_t)(expected))
void check_true(const char *what, int ok);
__attribute__((noreturn)) void finish(const char *program);

long run_in_mode(long mode, long (*fn)(long), long arg);
__attribute__((noreturn)) void mode_return(long result);
extern char mode_exit_trampoline[];

/* S-mode entries from s-trap.S; programs that link it define s_trap_handler. */
extern char s_trap_entry[];
extern char s_trap_vectors[];
extern char s_trap_stack_top[];
extern volatile int64_t s_trap_slot;
void s_trap_handler(trap_frame_t *frame);

/* One NAPOT PMP entry over all of memory so S and U may access it. */
void pmp_allow_all(void);
/* Length of the instruction at pc (2 or 4), read through the current mapping. */
unsigned insn_length(uint64_t pc);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline uint64_t mmio_read64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_write64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

#endif
