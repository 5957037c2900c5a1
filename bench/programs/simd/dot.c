/* SIMD kernel: int16 and float dot products over 64 KiB vectors, repeated. wasm builds with
 * -msimd128 use wasm_simd128.h (i32x4.dot_i16x8_s, f32x4 mul/add); native builds use the plain
 * loops, which gcc -O2 -ftree-vectorize vectorizes. Argument: passes. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 32768

static int16_t a[N], b[N];
static float fa[N], fb[N];

static int32_t dot16(const int16_t *x, const int16_t *y) {
#ifdef __wasm_simd128__
  v128_t acc0 = wasm_i32x4_splat(0), acc1 = acc0;
  for (int i = 0; i < N; i += 16) {
    acc0 = wasm_i32x4_add(acc0, wasm_i32x4_dot_i16x8(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    acc1 = wasm_i32x4_add(acc1, wasm_i32x4_dot_i16x8(wasm_v128_load(x + i + 8), wasm_v128_load(y + i + 8)));
  }
  v128_t acc = wasm_i32x4_add(acc0, acc1);
  return wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
#else
  int32_t s = 0;
  for (int i = 0; i < N; i++) s += x[i] * y[i];
  return s;
#endif
}

/* Four partial sums in lane order, so both builds add in the same order (float addition is not associative). */
static float dotf(const float *x, const float *y) {
#ifdef __wasm_simd128__
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < N; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
  return (wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) + (wasm_f32x4_extract_lane(acc, 2) + wasm_f32x4_extract_lane(acc, 3));
#else
  float s[4] = {0, 0, 0, 0};
  for (int i = 0; i < N; i += 4)
    for (int k = 0; k < 4; k++) s[k] += x[i + k] * y[i + k];
  return (s[0] + s[1]) + (s[2] + s[3]);
#endif
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 20000;
  uint32_t seed = 1;
  for (int i = 0; i < N; i++) {
    seed = seed * 1664525u + 1013904223u;
    a[i] = (int16_t)(seed >> 16);
    b[i] = (int16_t)seed >> 4;
    fa[i] = (float)(int16_t)(seed >> 8) / 256.0f;
    fb[i] = (float)(i & 255) / 64.0f - 2.0f;
  }
  uint32_t h = 0;
  for (int p = 0; p < passes; p++) {
    int32_t d = dot16(a, b);
    float f = dotf(fa, fb);
    uint32_t fbits;
    __builtin_memcpy(&fbits, &f, 4);
    h = h * 31u + (uint32_t)d + fbits;
    a[p & (N - 1)] ^= (int16_t)h;
    fa[p & (N - 1)] += 0.5f;
  }
  printf("checksum: %08x\n", h);
  return 0;
}
