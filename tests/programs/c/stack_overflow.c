// Unbounded recursion through a volatile function pointer (so it cannot become a
// loop) must exhaust the wasm call stack and trap.
#include <stdio.h>

static unsigned down(unsigned n);
static unsigned (*volatile next)(unsigned) = down;

static unsigned down(unsigned n) { return n == 0 ? 0 : next(n - 1) + 1; }

int main(void) {
  printf("recursing\n");
  fflush(stdout);
  printf("depth %u\n", next(4000000000u));
  return 0;
}
