// random_get: two draws differ, and a 1 MiB draw has every byte value close to 1/256 of the time.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  unsigned char a[256], b[256];
  if (getentropy(a, sizeof a) || getentropy(b, sizeof b)) { printf("getentropy failed\n"); return 1; }
  printf("two draws differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
  size_t n = 1 << 20;
  unsigned char *big = calloc(n, 1);
  printf("random_get 1MiB: errno=%d\n", __wasi_random_get(big, n));
  unsigned counts[256] = {0};
  for (size_t i = 0; i < n; i++) counts[big[i]]++;
  // Expected 4096 per value, sd = 64; 8 sd either way is never hit by a real generator.
  unsigned lo = 4096 - 512, hi = 4096 + 512, ok = 1;
  for (int v = 0; v < 256; v++) if (counts[v] < lo || counts[v] > hi) ok = 0;
  printf("byte histogram uniform: %s\n", ok ? "yes" : "no");
  return 0;
}
