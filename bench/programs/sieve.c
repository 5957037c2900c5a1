/* Integer loops over a byte array: sieve of Eratosthenes. Arguments: limit, repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

int main(int argc, char **argv) {
  uint32_t limit = argc > 1 ? (uint32_t)atoi(argv[1]) : 10000000;
  uint32_t reps = argc > 2 ? (uint32_t)atoi(argv[2]) : 10;
  unsigned char *s = malloc(limit + 1);
  if (!s) { puts("out of memory"); return 1; }
  uint64_t total = 0;
  for (uint32_t r = 0; r < reps; r++) {
    uint32_t top = limit - r; /* vary the bound so no repetition can be skipped */
    memset(s, 1, top + 1);
    s[0] = s[1] = 0;
    for (uint32_t i = 2; (uint64_t)i * i <= top; i++)
      if (s[i])
        for (uint32_t j = i * i; j <= top; j += i) s[j] = 0;
    uint32_t count = 0;
    for (uint32_t i = 0; i <= top; i++) count += s[i];
    total = total * 31 + count;
  }
  printf("checksum: %llu\n", (unsigned long long)total);
  free(s);
  return 0;
}
