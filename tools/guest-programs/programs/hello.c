#include "guest.h"

int main(void) {
  putstr("hello from monovisor guest\n");
  return 0;
}
