/* Sorting: hand-written quicksort (median of three, insertion sort for short ranges). Arguments: n, repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static void insertion(int32_t *a, int lo, int hi) {
  for (int i = lo + 1; i <= hi; i++) {
    int32_t v = a[i];
    int j = i - 1;
    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void swap(int32_t *a, int i, int j) { int32_t t = a[i]; a[i] = a[j]; a[j] = t; }

static void quicksort(int32_t *a, int lo, int hi) {
  while (hi - lo > 16) {
    int mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    int32_t pivot = a[mid];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    /* recurse into the smaller half, loop on the larger: bounded stack depth */
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
  insertion(a, lo, hi);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000000;
  int reps = argc > 2 ? atoi(argv[2]) : 8;
  int32_t *a = malloc(sizeof(int32_t) * n);
  uint64_t sum = 0;
  uint32_t seed = 99;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < n; i++) { seed = seed * 1103515245u + 12345u; a[i] = (int32_t)(seed ^ (seed >> 15)) % 1000000; }
    quicksort(a, 0, n - 1);
    for (int i = 1; i < n; i++) if (a[i - 1] > a[i]) { puts("not sorted"); return 1; }
    for (int i = 0; i < n; i += 97) sum = sum * 1000003 + (uint32_t)a[i];
  }
  printf("checksum: %llu\n", (unsigned long long)sum);
  free(a);
  return 0;
}
