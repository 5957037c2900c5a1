/* Dense matrix multiply (double, i-k-j order). Arguments: n, repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  int reps = argc > 2 ? atoi(argv[2]) : 4;
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = malloc(sizeof(double) * n * n);
  if (!a || !b || !c) { puts("out of memory"); return 1; }
  uint32_t seed = 12345;
  for (int i = 0; i < n * n; i++) {
    seed = seed * 1103515245u + 12345u;
    a[i] = (double)((seed >> 16) & 0x3ff) / 1024.0 - 0.5;
    seed = seed * 1103515245u + 12345u;
    b[i] = (double)((seed >> 16) & 0x3ff) / 1024.0 - 0.5;
  }
  double trace = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < n * n; i++) c[i] = 0;
    for (int i = 0; i < n; i++)
      for (int k = 0; k < n; k++) {
        double aik = a[i * n + k];
        for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
      }
    for (int i = 0; i < n; i++) trace += c[i * n + i];
    a[r % (n * n)] += c[(r * 7) % (n * n)]; /* make each repetition depend on the previous */
  }
  double sum = 0;
  for (int i = 0; i < n * n; i++) sum += c[i];
  printf("checksum: %.6f %.6f\n", sum, trace);
  free(a); free(b); free(c);
  return 0;
}
