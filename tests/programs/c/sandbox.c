// Escape attempts from the preopen (fd 3, "/sandbox"). Each attempt prints
// "blocked" or "OPENED" to stdout (and what it read, so a leak is visible),
// and the WASI errno to stderr: the test states which errno each must give.
// Raw WASI calls are used so that wasi-libc's own path handling is not what is tested.
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
uint16_t raw_path_open(uint32_t fd, uint32_t dirflags, const char *path, uint32_t path_len, uint32_t oflags,
                       uint64_t base, uint64_t inheriting, uint32_t fdflags, uint32_t *out);

// What wasi-libc asks for on open(O_RDWR): rights a preopen can pass on.
#define RIGHTS (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
                __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR)
static void report(const char *label, uint16_t err, uint32_t fd) {
  fprintf(stderr, "%s: errno %u\n", label, err);
  if (err) { printf("%s: blocked\n", label); return; }
  char buf[128] = {0};
  size_t n = 0;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  (void)__wasi_fd_read(fd, &iov, 1, &n);
  (void)__wasi_fd_close(fd);
  printf("%s: OPENED <%.*s>\n", label, (int)n, buf);
}

static void try_open(const char *label, const char *path, size_t len, uint32_t follow, uint32_t oflags) {
  uint32_t fd = 0;
  uint16_t err = raw_path_open(3, follow, path, (uint32_t)len, oflags, RIGHTS, RIGHTS, 0, &fd);
  report(label, err, fd);
}
#define OPEN(label, path, follow) try_open(label, path, strlen(path), follow, 0)

static void show(const char *label, uint16_t err) {
  fprintf(stderr, "%s: errno %u\n", label, err);
  printf("%s: %s\n", label, err ? "blocked" : "DONE");
}

int main(void) {
  __wasi_prestat_t pre;
  char name[32] = {0};
  if (__wasi_fd_prestat_get(3, &pre) || __wasi_fd_prestat_dir_name(3, (uint8_t *)name, pre.u.dir.pr_name_len)) {
    printf("no preopen at fd 3\n");
    return 1;
  }
  printf("preopen fd 3: %s\n", name);
  OPEN("inside.txt", "inside.txt", 1);
  OPEN("link_in (-> inside.txt)", "link_in", 1);
  OPEN("sub/../inside.txt", "sub/../inside.txt", 1);
  OPEN("..", "..", 1);
  OPEN("../outside/secret.txt", "../outside/secret.txt", 1);
  OPEN("sub/../../outside/secret.txt", "sub/../../outside/secret.txt", 1);
  OPEN("/etc/passwd", "/etc/passwd", 1);
  OPEN("link_out (-> ../outside/secret.txt)", "link_out", 1);
  OPEN("link_abs (-> absolute secret path)", "link_abs", 1);
  OPEN("link_dir_out/secret.txt (-> ../outside)", "link_dir_out/secret.txt", 1);
  OPEN("sub/link_up_twice (-> ../..)", "sub/link_up_twice/outside/secret.txt", 1);
  OPEN("loop1 (-> loop2 -> loop1)", "loop1", 1);
  try_open("inside.txt NUL x", "inside.txt\0x", 12, 1, 0);
  try_open("create ../outside/created.txt", "../outside/created.txt", 22, 1, __WASI_OFLAGS_CREAT);
  show("unlink ../outside/secret.txt", __wasi_path_unlink_file(3, "../outside/secret.txt"));
  show("rename inside.txt -> ../outside/moved.txt", __wasi_path_rename(3, "inside.txt", 3, "../outside/moved.txt"));
  show("mkdir ../outside/newdir", __wasi_path_create_directory(3, "../outside/newdir"));
  __wasi_filestat_t fst;
  show("filestat ../outside/secret.txt", __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "../outside/secret.txt", &fst));
  show("filestat link_out", __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_out", &fst));
  show("link ../outside/secret.txt -> hard", __wasi_path_link(3, 0, "../outside/secret.txt", 3, "hard"));
  show("rmdir .", __wasi_path_remove_directory(3, "."));
  // libc with guest-absolute paths: "/sandbox/../outside" reaches the host as "../outside".
  FILE *f = fopen("/sandbox/../outside/secret.txt", "r");
  printf("fopen /sandbox/../outside/secret.txt: %s\n", f ? "OPENED" : "blocked");
  f = fopen("/etc/passwd", "r");
  printf("fopen /etc/passwd: %s\n", f ? "OPENED" : "blocked");
  return 0;
}
