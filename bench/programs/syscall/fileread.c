/* System-call heavy: read a file in small chunks with read(2), several passes. Arguments: path,
   passes, chunk size. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: fileread PATH [PASSES] [CHUNK]\n"); return 2; }
  const char *path = argv[1];
  int passes = argc > 2 ? atoi(argv[2]) : 4;
  int chunk = argc > 3 ? atoi(argv[3]) : 64;
  unsigned char buf[4096];
  if (chunk < 1 || chunk > 4096) chunk = 64;
  uint32_t h = 2166136261u;
  uint64_t total = 0, reads = 0;
  for (int p = 0; p < passes; p++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    for (;;) {
      ssize_t n = read(fd, buf, (size_t)chunk);
      if (n < 0) { perror("read"); return 1; }
      if (n == 0) break;
      reads++;
      total += (uint64_t)n;
      for (ssize_t i = 0; i < n; i += 16) h = (h ^ buf[i]) * 16777619u;
    }
    close(fd);
  }
  printf("reads: %llu\n", (unsigned long long)reads);
  printf("checksum: %llu %08x\n", (unsigned long long)total, h);
  return 0;
}
