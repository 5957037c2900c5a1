// Calls that cannot succeed here must return an errno, never crash the runtime:
// sockets on a non-socket fd (fd 3, the preopened directory: stdio may well be
// sockets, which Node's spawn uses for pipes), closed fds, bad arguments. Errnos go to stderr
// (the test states them for our layer); stdout only says the program survived.
#include <stdio.h>
#include <wasi/api.h>

static void show(const char *label, __wasi_errno_t err) { fprintf(stderr, "%s: errno %u\n", label, err); }

int main(void) {
  char buf[8];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  __wasi_roflags_t ro;
  __wasi_fd_t fd;
  show("sock_recv(dir fd 3)", __wasi_sock_recv(3, &iov, 1, 0, &n, &ro));
  show("sock_send(dir fd 3)", __wasi_sock_send(3, &ciov, 1, 0, &n));
  show("sock_shutdown(dir fd 3)", __wasi_sock_shutdown(3, __WASI_SDFLAGS_RD));
  show("sock_accept(dir fd 3)", __wasi_sock_accept(3, 0, &fd));
  show("sock_recv(closed fd 99)", __wasi_sock_recv(99, &iov, 1, 0, &n, &ro));
  show("fd_write(closed fd 99)", __wasi_fd_write(99, &ciov, 1, &n));
  show("fd_seek(closed fd 9)", __wasi_fd_seek(9, 0, __WASI_WHENCE_SET, NULL));
  show("fd_advise(dir fd 3)", __wasi_fd_advise(3, 0, 0, __WASI_ADVICE_NORMAL));
  show("fd_prestat_get(stdout)", __wasi_fd_prestat_get(1, NULL));
  show("fd_renumber(99, 1)", __wasi_fd_renumber(99, 1));
  show("fd_read(iovec outside memory)", __wasi_fd_read(0, (const __wasi_iovec_t *)0xfffffff0u, 1, &n));
  printf("survived\n");
  return 0;
}
