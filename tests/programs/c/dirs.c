// Directory creation, listing (including one that needs several fd_readdir calls), removal.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOW(label, expr) do { long long v_ = (long long)(expr); \
  printf("%s: %lld%s%s\n", label, v_, v_ < 0 ? " errno=" : "", v_ < 0 ? strerror(errno) : ""); } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("opendir %s: %s\n", path, strerror(errno)); return; }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *s = malloc(300);
    snprintf(s, 300, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_REG ? "" : "?");
    if (n < 64) names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof(char *), cmp);
  printf("ls %s:", path);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

static void touch(const char *path, const char *data) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) { printf("create %s: %s\n", path, strerror(errno)); return; }
  write(fd, data, strlen(data));
  close(fd);
}

int main(void) {
  list("/sandbox/pre");
  struct stat st;
  SHOW("stat pre/x.txt", stat("/sandbox/pre/x.txt", &st));
  printf("x.txt size=%lld\n", (long long)st.st_size);
  SHOW("mkdir d", mkdir("/sandbox/d", 0755));
  SHOW("mkdir d again", mkdir("/sandbox/d", 0755));
  SHOW("mkdir d/sub", mkdir("/sandbox/d/sub", 0755));
  SHOW("mkdir in missing parent", mkdir("/sandbox/nope/x", 0755));
  touch("/sandbox/d/a.txt", "a");
  touch("/sandbox/d/b.txt", "bb");
  list("/sandbox/d");
  SHOW("stat d", stat("/sandbox/d", &st));
  printf("d is dir=%d\n", S_ISDIR(st.st_mode));
  SHOW("rmdir non-empty", rmdir("/sandbox/d"));
  SHOW("rmdir file", rmdir("/sandbox/d/a.txt"));
  SHOW("opendir file", opendir("/sandbox/d/a.txt") ? 0 : -1);

  // Enough entries that one fd_readdir buffer cannot hold them all.
  mkdir("/sandbox/many", 0755);
  char path[128];
  for (int i = 0; i < 300; i++) {
    snprintf(path, sizeof path, "/sandbox/many/file-with-a-longish-name-%04d", i);
    touch(path, "");
  }
  DIR *d = opendir("/sandbox/many");
  int count = 0, seen[300] = {0};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int k;
    if (sscanf(e->d_name, "file-with-a-longish-name-%d", &k) == 1 && k >= 0 && k < 300 && !seen[k]) { seen[k] = 1; count++; }
  }
  closedir(d);
  printf("many: %d distinct of 300\n", count);
  for (int i = 0; i < 300; i++) {
    snprintf(path, sizeof path, "/sandbox/many/file-with-a-longish-name-%04d", i);
    unlink(path);
  }
  SHOW("rmdir many", rmdir("/sandbox/many"));
  SHOW("unlink d/a.txt", unlink("/sandbox/d/a.txt"));
  SHOW("unlink d/b.txt", unlink("/sandbox/d/b.txt"));
  SHOW("rmdir d/sub", rmdir("/sandbox/d/sub"));
  list("/sandbox/d");
  list("/sandbox");
  return 0;
}
