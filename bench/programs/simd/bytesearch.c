/* SIMD kernel: find every occurrence of a byte in a 1 MiB buffer (memchr-style: compare 16
 * bytes, bitmask, count trailing zeros), for a rotating needle. wasm builds with -msimd128 use
 * wasm_simd128.h (i8x16.eq, i8x16.bitmask); native builds use the plain loop. Argument: passes. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN (1 << 20)

static uint8_t buf[LEN];

/* Sum of the positions of `c` (and how many), so every match is visited in order. */
static uint64_t scan(const uint8_t *p, uint8_t c, uint32_t *count) {
  uint64_t sum = 0;
  uint32_t n = 0;
#ifdef __wasm_simd128__
  v128_t needle = wasm_i8x16_splat((int8_t)c);
  for (uint32_t i = 0; i < LEN; i += 16) {
    uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), needle));
    while (m) {
      sum += i + __builtin_ctz(m);
      n++;
      m &= m - 1;
    }
  }
#else
  for (uint32_t i = 0; i < LEN; i++)
    if (p[i] == c) { sum += i; n++; }
#endif
  *count = n;
  return sum;
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 3000;
  uint32_t seed = 3;
  for (uint32_t i = 0; i < LEN; i++) {
    seed = seed * 1664525u + 1013904223u;
    /* mostly letters: the needles are rare, as in text search */
    buf[i] = (uint8_t)('a' + (seed >> 24) % 26);
    if ((seed & 0xfff) == 0) buf[i] = (uint8_t)(seed >> 12);
  }
  uint64_t h = 0;
  for (int p = 0; p < passes; p++) {
    uint32_t n;
    uint64_t s = scan(buf, (uint8_t)(p * 37), &n);
    h = h * 1000003u + s + n;
  }
  printf("checksum: %016llx\n", (unsigned long long)h);
  return 0;
}
