// Race guest B (issue #12.2, after /work/shared/bugs/race_victim.c): works under "d/"
// while race_swap.c swaps "d" for a symlink to ../canary. Every operation must land
// inside the grant or fail; anything that changes canary/ is a sandbox escape.
// Usage: race_victim MAX_ITERATIONS SECONDS MODE
//   MODE 0: open O_TRUNC, 1: open O_CREAT (+ unlink), 2: mkdir (+ rmdir), 3: unlink,
//   4: all four in turn. Prints how many of each succeeded.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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
  int mode = argc > 3 ? atoi(argv[3]) : 0;
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
  return 0;
}
