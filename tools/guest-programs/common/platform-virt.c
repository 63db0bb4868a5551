/* Console on the NS16550A UART, exit through the sifive,test syscon. */
#include "guest.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE (1u << 5)
#define UART_LSR_TEMT (1u << 6)
#define SYSCON_PASS 0x5555u
#define SYSCON_FAIL 0x3333u

void platform_putc(char c) {
  volatile uint8_t *uart = (volatile uint8_t *)UART0_BASE;
  while (!(uart[UART_LSR] & UART_LSR_THRE)) {
  }
  uart[UART_THR] = (uint8_t)c;
}

void platform_exit(unsigned code) {
  /* Let the last characters leave the transmitter: powering off drops whatever is still queued. */
  volatile uint8_t *uart = (volatile uint8_t *)UART0_BASE;
  while (!(uart[UART_LSR] & UART_LSR_TEMT)) {
  }
  volatile uint32_t *syscon = (volatile uint32_t *)SYSCON_BASE;
  *syscon = code == 0 ? SYSCON_PASS : ((code & 0xffff) << 16) | SYSCON_FAIL;
  for (;;) __asm__ volatile("wfi");
}
