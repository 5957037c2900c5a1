/* 64-bit integer loops: Collatz sequence lengths for 1..n. Argument: n. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? (uint64_t)atoll(argv[1]) : 3000000;
  uint64_t sum = 0, best = 0, bestAt = 0;
  for (uint64_t i = 1; i <= n; i++) {
    uint64_t x = i, steps = 0;
    while (x != 1) {
      x = (x & 1) ? 3 * x + 1 : x >> 1;
      steps++;
    }
    sum += steps;
    if (steps > best) { best = steps; bestAt = i; }
  }
  printf("longest: %llu steps from %llu\n", (unsigned long long)best, (unsigned long long)bestAt);
  printf("checksum: %llu\n", (unsigned long long)(sum ^ (best << 40) ^ bestAt));
  return 0;
}
