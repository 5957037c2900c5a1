/* SIMD kernel: an image filter on an 8-bit 1024x1024 image, each inner pixel replaced by the
 * rounded average of its four neighbours, avg(avg(up, down), avg(left, right)) with round-half-up
 * averages (wasm's u8x16.avgr_u). wasm builds with -msimd128 use wasm_simd128.h; native builds
 * use the plain loops. Argument: passes. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define W 1024
#define H 1024

static uint8_t img[H][W], out[H][W];

static void filter(void) {
  for (int y = 1; y < H - 1; y++) {
#ifdef __wasm_simd128__
    int x = 1;
    for (; x + 16 <= W - 1; x += 16) {
      v128_t v = wasm_u8x16_avgr(wasm_v128_load(&img[y - 1][x]), wasm_v128_load(&img[y + 1][x]));
      v128_t h = wasm_u8x16_avgr(wasm_v128_load(&img[y][x - 1]), wasm_v128_load(&img[y][x + 1]));
      wasm_v128_store(&out[y][x], wasm_u8x16_avgr(v, h));
    }
    for (; x < W - 1; x++) {
#else
    for (int x = 1; x < W - 1; x++) {
#endif
      uint8_t v = (uint8_t)((img[y - 1][x] + img[y + 1][x] + 1) >> 1);
      uint8_t h = (uint8_t)((img[y][x - 1] + img[y][x + 1] + 1) >> 1);
      out[y][x] = (uint8_t)((v + h + 1) >> 1);
    }
  }
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 1000;
  uint32_t seed = 9;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      seed = seed * 1664525u + 1013904223u;
      img[y][x] = (uint8_t)((x * 3 + y * 5) ^ (seed >> 28));
    }
  for (int p = 0; p < passes; p++) {
    filter();
    /* feed the result back so no pass can be skipped */
    for (int y = 1; y < H - 1; y++) img[y][p & (W - 1)] = out[y][(p + 1) & (W - 1)];
  }
  uint32_t h = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) h = h * 131u + out[y][x];
  printf("checksum: %08x\n", h);
  return 0;
}
