// A known profile for the PC sampler: nearly all instructions run in spin_here.
#include "guest.h"

volatile unsigned long sink;

__attribute__((noinline)) void spin_here(unsigned long n) {
  unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) {
    acc = acc * 31 + i;
    __asm__ volatile("" : "+r"(acc));
  }
  sink = acc;
}

int main(void) {
  spin_here(1000000);
  putstr("spun\n");
  return 0;
}
