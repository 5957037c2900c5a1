// rename (plain, over an existing file, of a directory), unlink, symlink, readlink, hard links.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOW(label, expr) do { long long v_ = (long long)(expr); \
  printf("%s: %lld%s%s\n", label, v_, v_ < 0 ? " errno=" : "", v_ < 0 ? strerror(errno) : ""); } while (0)

static void put(const char *path, const char *data) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write(fd, data, strlen(data));
  close(fd);
}

static void cat(const char *path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("cat %s: %s\n", path, strerror(errno)); return; }
  read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("cat %s: <%s>\n", path, buf);
}

int main(void) {
  struct stat st;
  put("/sandbox/a.txt", "AAA");
  put("/sandbox/b.txt", "BBB");
  SHOW("rename a->c", rename("/sandbox/a.txt", "/sandbox/c.txt"));
  SHOW("stat a", stat("/sandbox/a.txt", &st));
  cat("/sandbox/c.txt");
  SHOW("rename c->b (replace)", rename("/sandbox/c.txt", "/sandbox/b.txt"));
  cat("/sandbox/b.txt");
  SHOW("rename missing", rename("/sandbox/nothing", "/sandbox/x"));
  SHOW("mkdir dir", mkdir("/sandbox/dir", 0755));
  put("/sandbox/dir/inner.txt", "inner");
  SHOW("rename dir->dir2", rename("/sandbox/dir", "/sandbox/dir2"));
  cat("/sandbox/dir2/inner.txt");
  SHOW("unlink dir2 (a directory)", unlink("/sandbox/dir2") < 0 ? -1 : 0);
  SHOW("unlink dir2/inner.txt", unlink("/sandbox/dir2/inner.txt"));
  SHOW("unlink again", unlink("/sandbox/dir2/inner.txt"));
  SHOW("rmdir dir2", rmdir("/sandbox/dir2"));
  put("/sandbox/target.txt", "TARGET");
  SHOW("symlink", symlink("target.txt", "/sandbox/ln"));
  char buf[64] = {0};
  SHOW("readlink", readlink("/sandbox/ln", buf, sizeof buf - 1));
  printf("link text: <%s>\n", buf);
  SHOW("lstat ln", lstat("/sandbox/ln", &st));
  printf("ln is symlink=%d\n", S_ISLNK(st.st_mode));
  SHOW("stat ln", stat("/sandbox/ln", &st));
  printf("ln target size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  cat("/sandbox/ln");
  SHOW("readlink of a file", readlink("/sandbox/target.txt", buf, sizeof buf));
  SHOW("link", link("/sandbox/target.txt", "/sandbox/hard.txt"));
  SHOW("stat hard", stat("/sandbox/hard.txt", &st));
  printf("nlink=%lld\n", (long long)st.st_nlink);
  SHOW("unlink ln", unlink("/sandbox/ln"));
  SHOW("stat target after unlinking link", stat("/sandbox/target.txt", &st));
  SHOW("symlink over existing", symlink("x", "/sandbox/hard.txt"));
  return 0;
}
