/* Recursive calls: naive Fibonacci. Argument: n. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

/* noinline keeps gcc and clang from unrolling the recursion into itself: every level is a call. */
__attribute__((noinline)) static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 38;
  uint32_t r = fib(n);
  printf("fib(%u) = %u\n", n, r);
  printf("checksum: %u\n", r);
  return 0;
}
