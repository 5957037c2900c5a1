// File create/read/write/seek/stat under the preopen /sandbox.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOW(label, expr) do { long long v_ = (long long)(expr); \
  printf("%s: %lld%s%s\n", label, v_, v_ < 0 ? " errno=" : "", v_ < 0 ? strerror(errno) : ""); } while (0)

int main(void) {
  char buf[128];
  int fd = open("/sandbox/f.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  printf("open: %s\n", fd >= 0 ? "ok" : strerror(errno));
  SHOW("write", write(fd, "hello file\n", 11));
  SHOW("tell", lseek(fd, 0, SEEK_CUR));
  SHOW("seek set 6", lseek(fd, 6, SEEK_SET));
  memset(buf, 0, sizeof buf);
  SHOW("read 4", read(fd, buf, 4));
  printf("read data: <%s>\n", buf);
  SHOW("seek end -5", lseek(fd, -5, SEEK_END));
  SHOW("seek negative", lseek(fd, -100, SEEK_SET));
  SHOW("pwrite", pwrite(fd, "XY", 2, 0));
  memset(buf, 0, sizeof buf);
  SHOW("pread", pread(fd, buf, 5, 0));
  printf("pread data: <%s>\n", buf);
  SHOW("tell after pread", lseek(fd, 0, SEEK_CUR));
  struct stat st;
  SHOW("fstat", fstat(fd, &st));
  printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  SHOW("ftruncate 4", ftruncate(fd, 4));
  fstat(fd, &st);
  printf("size after truncate=%lld\n", (long long)st.st_size);
  SHOW("seek 100", lseek(fd, 100, SEEK_SET));
  SHOW("write Z", write(fd, "Z", 1));
  fstat(fd, &st);
  printf("size after sparse write=%lld\n", (long long)st.st_size);
  memset(buf, 1, sizeof buf);
  SHOW("pread hole", pread(fd, buf, 3, 50));
  printf("hole bytes=%d,%d,%d\n", buf[0], buf[1], buf[2]);
  SHOW("fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  SHOW("fsync", fsync(fd));
  SHOW("fdatasync", fdatasync(fd));
  struct timespec times[2] = {{1000000000, 0}, {1234567890, 0}};
  SHOW("futimens", futimens(fd, times));
  fstat(fd, &st);
  printf("atime=%lld mtime=%lld\n", (long long)st.st_atim.tv_sec, (long long)st.st_mtim.tv_sec);
  SHOW("close", close(fd));
  SHOW("close again", close(fd));

  fd = open("/sandbox/f.txt", O_WRONLY | O_APPEND);
  SHOW("append write", write(fd, "+", 1));
  close(fd);
  SHOW("stat", stat("/sandbox/f.txt", &st));
  printf("size after append=%lld\n", (long long)st.st_size);

  fd = open("/sandbox/f.txt", O_RDONLY);
  SHOW("write to read-only fd", write(fd, "x", 1));
  SHOW("read all", read(fd, buf, sizeof buf));
  printf("first=%c%c last=%c\n", buf[0], buf[1], buf[101]);
  SHOW("read at eof", read(fd, buf, sizeof buf));
  close(fd);

  SHOW("open missing", open("/sandbox/missing.txt", O_RDONLY));
  SHOW("open excl existing", open("/sandbox/f.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
  SHOW("open dir for write", open("/sandbox", O_WRONLY));
  SHOW("open file as dir", open("/sandbox/f.txt", O_RDONLY | O_DIRECTORY));
  SHOW("seek stdout", lseek(1, 0, SEEK_CUR));
  SHOW("bad fd read", read(77, buf, 1));
  return 0;
}
