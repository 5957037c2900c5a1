/* System-call heavy: many small write(2)s to standard output, which the bench runner connects to a
   pipe it drains. The checksum goes to standard error. Arguments: count, size. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000000;
  int size = argc > 2 ? atoi(argv[2]) : 16;
  char buf[256];
  if (size < 1 || size > 256) size = 16;
  for (int i = 0; i < size - 1; i++) buf[i] = (char)('a' + i % 26);
  buf[size - 1] = '\n';
  uint64_t total = 0;
  for (long i = 0; i < count; i++) {
    size_t done = 0;
    while (done < (size_t)size) {
      ssize_t w = write(1, buf + done, (size_t)size - done);
      if (w <= 0) { perror("write"); return 1; }
      done += (size_t)w;
    }
    total += done;
  }
  fprintf(stderr, "checksum: %llu\n", (unsigned long long)total);
  return 0;
}
