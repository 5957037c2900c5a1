/* Floating point: Mandelbrot set bitmap (Benchmarks Game rules, 50 iterations), hashed. Argument: size. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4000;
  uint32_t hash = 2166136261u;
  uint64_t inside = 0;
  for (int y = 0; y < n; y++) {
    double ci = 2.0 * y / n - 1.0;
    unsigned bits = 0;
    int bit = 0;
    for (int x = 0; x < n; x++) {
      double cr = 2.0 * x / n - 1.5;
      double zr = 0, zi = 0, tr = 0, ti = 0;
      int i = 0;
      for (; i < 50 && tr + ti <= 4.0; i++) {
        zi = 2.0 * zr * zi + ci;
        zr = tr - ti + cr;
        tr = zr * zr;
        ti = zi * zi;
      }
      bits = (bits << 1) | (tr + ti <= 4.0);
      inside += (tr + ti <= 4.0);
      if (++bit == 8 || x == n - 1) {
        bits <<= (8 - bit);
        hash = (hash ^ (bits & 0xff)) * 16777619u;
        bits = 0; bit = 0;
      }
    }
  }
  printf("inside: %llu\n", (unsigned long long)inside);
  printf("checksum: %08x\n", hash);
  return 0;
}
