#include "guest.h"

volatile trap_hook_t m_trap_hook;
unsigned check_failures;
unsigned check_count;

void putstr(const char *s) {
  while (*s) platform_putc(*s++);
}

static void put_unsigned(uint64_t v, unsigned base, int width, char pad) {
  char buf[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  while (n < width) buf[n++] = pad;
  while (n) platform_putc(buf[--n]);
}

void print_hex64(uint64_t v) { put_unsigned(v, 16, 16, '0'); }

/* Supports %s %c %d %u %x %p with optional 0-padding width and l/ll sizes. */
void vprintf(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      platform_putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0;
    int is_long = 0;
    if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      is_long = 1;
      fmt++;
    }
    switch (*fmt) {
      case 's': {
        const char *s = va_arg(ap, const char *);
        putstr(s ? s : "(null)");
        break;
      }
      case 'c':
        platform_putc((char)va_arg(ap, int));
        break;
      case 'd': {
        int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
        if (v < 0) {
          platform_putc('-');
          put_unsigned(-(uint64_t)v, 10, width, pad);
        } else {
          put_unsigned((uint64_t)v, 10, width, pad);
        }
        break;
      }
      case 'u':
        put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad);
        break;
      case 'x':
        put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad);
        break;
      case 'p':
        putstr("0x");
        put_unsigned((uint64_t)va_arg(ap, void *), 16, 16, '0');
        break;
      case '%':
        platform_putc('%');
        break;
      default:
        platform_putc('?');
        break;
    }
  }
}

void printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

void guest_exit(int code) { platform_exit((unsigned)code); }

void check_u64(const char *what, uint64_t got, uint64_t expected) {
  check_count++;
  if (got != expected) {
    check_failures++;
    printf("FAIL %s: got 0x%016lx expected 0x%016lx\n", what, got, expected);
  }
}

void check_true(const char *what, int ok) {
  check_count++;
  if (!ok) {
    check_failures++;
    printf("FAIL %s\n", what);
  }
}

void finish(const char *program) {
  if (check_failures == 0) {
    printf("%s: %u checks\nPASS\n", program, check_count);
    platform_exit(0);
  }
  printf("%s: %u of %u checks failed\nFAIL\n", program, check_failures, check_count);
  platform_exit(check_failures > 0xff ? 0xff : check_failures);
}

void m_trap_dispatch(trap_frame_t *f) {
  int is_ecall = f->cause == CAUSE_USER_ECALL || f->cause == CAUSE_SUPERVISOR_ECALL ||
                 f->cause == CAUSE_MACHINE_ECALL;
  if (is_ecall && f->x[17] == MODE_EXIT_MAGIC) mode_return((long)f->x[11]);
  trap_hook_t hook = m_trap_hook;
  if (hook && hook(f)) return;
  printf("FAIL unexpected trap mcause=0x%lx mepc=0x%lx mtval=0x%lx mstatus=0x%lx\n", f->cause, f->epc,
         f->tval, f->status);
  platform_exit(0x7f);
}

void pmp_allow_all(void) {
  csr_write(pmpaddr0, ~0ull >> 10);
  csr_write(pmpcfg0, 0x1f); /* A = NAPOT, R, W, X */
}

unsigned insn_length(uint64_t pc) { return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2; }

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}
