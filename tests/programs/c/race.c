// The two guests of the issue #12.2 race (after /work/shared/bugs/race_swap.c and
// race_victim.c), both granted the same directory; tests/wasi/race.test.ts runs them
// at the same time. Anything that changes canary/ (outside the grant) is an escape.
//
//   race swap MAX_ITERATIONS SECONDS
//     keeps swapping the entry "d" between a real directory and a symlink to ../canary.
//   race victim MAX_ITERATIONS SECONDS MODE
//     works under "d/": MODE 0 open O_TRUNC, 1 open O_CREAT (+ unlink), 2 mkdir (+ rmdir),
//     3 unlink, 4 all four in turn; prints how many of each succeeded.
// Each stops after MAX_ITERATIONS or SECONDS, whichever comes first.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void swap(long n, double end) {
  if (symlink("../canary", "d_evil") != 0) perror("symlink d_evil");
  long swaps = 0;
  for (long i = 0; i < n && now() < end; i++) {
    if (rename("d", "d_real") == 0) swaps++;
    rename("d_evil", "d");
    rename("d", "d_evil");
    rename("d_real", "d");
  }
  printf("swaps %ld\n", swaps);
}

static void victim(long n, double end, int mode) {
  long done[4] = {0, 0, 0, 0}, iterations = 0;
  char name[64];
  for (long i = 0; i < n && now() < end; i++, iterations++) {
    int op = mode == 4 ? (int)(i % 4) : mode;
    if (op == 0) {
      int fd = open("d/victim.txt", O_WRONLY | O_TRUNC);
      if (fd >= 0) { done[op]++; close(fd); }
    } else if (op == 1) {
      snprintf(name, sizeof name, "d/created_%ld", i % 50);
      int fd = open(name, O_WRONLY | O_CREAT, 0644);
      if (fd >= 0) { done[op]++; close(fd); unlink(name); }
    } else if (op == 2) {
      if (mkdir("d/newdir", 0755) == 0) { done[op]++; rmdir("d/newdir"); }
    } else {
      int fd = open("d/victim2.txt", O_WRONLY | O_CREAT, 0644);
      if (fd >= 0) close(fd);
      if (unlink("d/victim2.txt") == 0) done[op]++;
    }
  }
  printf("iterations %ld truncated %ld created %ld mkdir %ld unlinked %ld\n", iterations, done[0], done[1], done[2], done[3]);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: race swap|victim MAX_ITERATIONS SECONDS [MODE]\n"); return 2; }
  long n = atol(argv[2]);
  double end = now() + atof(argv[3]);
  if (strcmp(argv[1], "swap") == 0) swap(n, end);
  else victim(n, end, argc > 4 ? atoi(argv[4]) : 4);
  return 0;
}
