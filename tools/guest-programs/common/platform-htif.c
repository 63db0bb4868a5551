/* Console and exit through the HTIF tohost/fromhost mailbox (spike, riscv-tests). */
#include "guest.h"

__attribute__((section(".tohost"), aligned(8))) volatile uint64_t tohost;
__attribute__((section(".tohost"), aligned(8))) volatile uint64_t fromhost;

#define HTIF_DEV_CONSOLE 1ull
#define HTIF_CMD_PUTCHAR 1ull

/* The host clears tohost once it has taken a command; never overwrite a pending one. */
static void htif_send(uint64_t cmd) {
  while (tohost) fromhost = 0;
  tohost = cmd;
}

void platform_putc(char c) { htif_send(HTIF_DEV_CONSOLE << 56 | HTIF_CMD_PUTCHAR << 48 | (uint8_t)c); }

void platform_exit(unsigned code) {
  htif_send(((uint64_t)code << 1) | 1);
  for (;;) __asm__ volatile("wfi");
}
