/* System-call heavy: many small write(2)s to /dev/null. Arguments: path (default /dev/null), count, size. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/dev/null";
  long count = argc > 2 ? atol(argv[2]) : 2000000;
  int size = argc > 3 ? atoi(argv[3]) : 16;
  char buf[256];
  if (size < 1 || size > 256) size = 16;
  for (int i = 0; i < size; i++) buf[i] = (char)('a' + i % 26);
  int fd = open(path, O_WRONLY);
  if (fd < 0) { perror(path); return 1; }
  uint64_t total = 0;
  for (long i = 0; i < count; i++) {
    ssize_t w = write(fd, buf, (size_t)size);
    if (w != size) { perror("write"); return 1; }
    total += (uint64_t)w;
  }
  close(fd);
  printf("checksum: %llu\n", (unsigned long long)total);
  return 0;
}
