// Stdio numbers reused for files: after close(0) the next open() gets fd 0, after close(1) the
// next one gets fd 1, and writes to "stdout" then land in that file, never in the old stdout.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char buf[64];
  printf("start\n");
  fflush(stdout);
  close(0);
  int fd = open("/sandbox/in.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  printf("reopened as fd %d\n", fd);
  printf("write fd 0: %d\n", (int)write(0, "data on fd 0\n", 13));
  printf("seek fd 0: %d\n", (int)lseek(0, 0, SEEK_SET));
  memset(buf, 0, sizeof buf);
  printf("read fd 0: %d <%s>\n", (int)read(0, buf, sizeof buf - 1), buf);
  printf("closing stdout\n");
  fflush(stdout);
  close(1);
  fd = open("/sandbox/out.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  printf("this line goes to out.txt, opened as fd %d\n", fd);
  fflush(stdout);
  fprintf(stderr, "stderr still works\n");
  return 0;
}
