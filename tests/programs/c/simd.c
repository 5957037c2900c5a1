// kwasm-cflags: -msimd128
// 128-bit SIMD from C: loops clang auto-vectorizes with -msimd128, and wasm_simd128.h
// intrinsics for what vectorizers rarely emit (float min/max NaN and -0 rules, saturating
// truncation, narrowing, swizzles, q15 multiply, extended multiplies, lane tests). Every value
// is printed as bits, so the output must equal V8's byte for byte.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <wasm_simd128.h>

#define N 1003

static int32_t ia[N], ib[N], ic[N];
static float fa[N], fb[N], fc[N];
static uint8_t img[64 * 64], out[64 * 64];
static int16_t sa[N], sb[N];

static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static void print_v(const char *name, v128_t v) {
  uint32_t w[4];
  wasm_v128_store(w, v);
  printf("%s: %08x %08x %08x %08x\n", name, w[0], w[1], w[2], w[3]);
}

// ---- auto-vectorized loops
__attribute__((noinline)) static void loops(void) {
  uint32_t seed = 12345;
  for (int i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    ia[i] = (int32_t)seed >> 7;
    ib[i] = (int32_t)(seed >> 13) - 40000;
    fa[i] = (float)(int32_t)(seed >> 9) / 1024.0f;
    fb[i] = (float)i * 0.37f - 100.0f;
    sa[i] = (int16_t)seed;
    sb[i] = (int16_t)(seed >> 16);
  }
  for (int i = 0; i < N; i++) ic[i] = ia[i] * 3 + (ib[i] >> 2) - (ia[i] & ib[i]);
  int64_t s = 0;
  for (int i = 0; i < N; i++) s += ic[i];
  printf("int loop: %lld\n", (long long)s);
  for (int i = 0; i < N; i++) fc[i] = fa[i] * 1.5f + fb[i];
  uint32_t h = 0;
  for (int i = 0; i < N; i++) h = h * 31u + fbits(fc[i]);
  printf("saxpy: %08x\n", h);
  int32_t mx = INT32_MIN, mn = INT32_MAX;
  for (int i = 0; i < N; i++) { mx = ia[i] > mx ? ia[i] : mx; mn = ib[i] < mn ? ib[i] : mn; }
  printf("max/min: %d %d\n", mx, mn);
  int32_t dot = 0;
  for (int i = 0; i < N; i++) dot += sa[i] * sb[i];
  printf("dot16: %d\n", dot);
  int cnt = 0;
  for (int i = 0; i < N; i++) cnt += ia[i] > ib[i];
  printf("count gt: %d\n", cnt);
  // 3x3 box blur on bytes (widening adds, narrowing stores)
  for (int i = 0; i < 64 * 64; i++) img[i] = (uint8_t)(i * 7 + (i >> 6) * 13);
  for (int y = 1; y < 63; y++)
    for (int x = 1; x < 63; x++) {
      int acc = 0;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) acc += img[(y + dy) * 64 + x + dx];
      out[y * 64 + x] = (uint8_t)(acc / 9);
    }
  h = 0;
  for (int i = 0; i < 64 * 64; i++) h = h * 131u + out[i];
  printf("blur: %08x\n", h);
}

// ---- intrinsics
static int32_t dot_i16(const int16_t *a, const int16_t *b, int n) {
  v128_t acc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 8 <= n; i += 8) acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  int32_t s = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

static int find_byte(const uint8_t *p, int n, uint8_t c) {
  v128_t needle = wasm_i8x16_splat((int8_t)c);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), needle));
    if (m) return i + __builtin_ctz(m);
  }
  for (; i < n; i++) if (p[i] == c) return i;
  return -1;
}

int main(void) {
  loops();
  printf("dot intrinsics: %d\n", dot_i16(sa, sb, N));
  uint8_t hay[200];
  for (int i = 0; i < 200; i++) hay[i] = (uint8_t)(i * 3);
  printf("find: %d %d %d\n", find_byte(hay, 200, 3 * 77), find_byte(hay, 200, 1), find_byte(hay, 200, 0));

  float nan = __builtin_nanf("");
  v128_t x = wasm_f32x4_make(-0.0f, 1.5f, nan, -INFINITY);
  v128_t y = wasm_f32x4_make(0.0f, -2.5f, 3.0f, 7.0f);
  print_v("f32x4.min", wasm_f32x4_min(x, y));
  print_v("f32x4.max", wasm_f32x4_max(x, y));
  print_v("f32x4.pmin", wasm_f32x4_pmin(x, y));
  print_v("f32x4.pmax", wasm_f32x4_pmax(x, y));
  print_v("f32x4.nearest", wasm_f32x4_nearest(wasm_f32x4_make(2.5f, -3.5f, 0.49999997f, -0.5f)));
  print_v("f32x4.floor", wasm_f32x4_floor(wasm_f32x4_make(2.5f, -3.5f, -0.0f, 1e30f)));
  print_v("i32x4.trunc_sat_s", wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_make(3e9f, -3e9f, nan, -7.9f)));
  print_v("i32x4.trunc_sat_u", wasm_u32x4_trunc_sat_f32x4(wasm_f32x4_make(3e9f, -3e9f, nan, 5e9f)));
  print_v("f32x4.convert_u", wasm_f32x4_convert_u32x4(wasm_i32x4_make(-1, 0x80000001, 16777217, 7)));
  v128_t d = wasm_f64x2_make(-0.0, __builtin_nan(""));
  v128_t e = wasm_f64x2_make(0.0, 1.0);
  print_v("f64x2.min", wasm_f64x2_min(d, e));
  print_v("f64x2.max", wasm_f64x2_max(e, d));
  print_v("i32x4.trunc_sat_f64_u_zero", wasm_u32x4_trunc_sat_f64x2_zero(wasm_f64x2_make(5e9, 4294967295.5)));
  print_v("f64x2.convert_low_u", wasm_f64x2_convert_low_u32x4(wasm_i32x4_make(-1, 3, 0, 0)));
  printf("f64 lane: %016llx\n", (unsigned long long)dbits(wasm_f64x2_extract_lane(wasm_f64x2_promote_low_f32x4(x), 1)));
  v128_t w = wasm_i16x8_make(32767, -32768, 100, -100, 0x7f00, -1, 300, -300);
  print_v("i8x16.narrow_s", wasm_i8x16_narrow_i16x8(w, w));
  print_v("u8x16.narrow", wasm_u8x16_narrow_i16x8(w, w));
  print_v("q15mulr", wasm_i16x8_q15mulr_sat(w, wasm_i16x8_make(-32768, -32768, 2, 3, 4, 5, 6, 7)));
  print_v("extmul_high_u", wasm_u32x4_extmul_high_u16x8(w, w));
  print_v("i64x2.extmul_low_s", wasm_i64x2_extmul_low_i32x4(wasm_i32x4_make(-3, 0x7fffffff, 1, 1), wasm_i32x4_make(5, 0x7fffffff, 1, 1)));
  v128_t bytes = wasm_i8x16_make(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -1);
  print_v("popcnt", wasm_i8x16_popcnt(bytes));
  print_v("swizzle", wasm_i8x16_swizzle(bytes, wasm_i8x16_make(15, 14, 16, 100, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
  print_v("shuffle", wasm_i8x16_shuffle(bytes, w, 31, 0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14));
  print_v("i8x16.shr_s", wasm_i8x16_shr(bytes, 9));
  print_v("i64x2.shr_s", wasm_i64x2_shr(wasm_i64x2_make(-12345678901234LL, 99), 65));
  print_v("i64x2.mul", wasm_i64x2_mul(wasm_i64x2_make(0x123456789LL, -7), wasm_i64x2_make(0x987654321LL, 3)));
  print_v("avgr", wasm_u8x16_avgr(bytes, wasm_i8x16_splat(-1)));
  printf("all_true: %d %d any_true: %d bitmask: %x\n", wasm_i32x4_all_true(wasm_i32x4_make(1, 2, 3, 4)),
         wasm_i16x8_all_true(w), wasm_v128_any_true(wasm_i64x2_make(0, 0)), wasm_i16x8_bitmask(w));
  return 0;
}
