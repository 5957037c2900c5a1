// sock_recv/sock_send on stdio when the embedder hands the program connected
// sockets (the test harness spawns it with socketpairs, as Node does for pipes).
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

int main(void) {
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(0, &st) || st.fs_filetype != __WASI_FILETYPE_SOCKET_STREAM) {
    printf("stdin is not a socket here\n");
    return 1;
  }
  char buf[64] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  __wasi_roflags_t ro = 1;
  __wasi_errno_t err = __wasi_sock_recv(0, &iov, 1, __WASI_RIFLAGS_RECV_WAITALL, &n, &ro);
  const char *msg = "sent with sock_send\n";
  __wasi_ciovec_t ciov = {(const uint8_t *)msg, strlen(msg)};
  __wasi_size_t sent = 0;
  __wasi_errno_t err2 = __wasi_sock_send(1, &ciov, 1, 0, &sent);
  printf("recv: errno=%d n=%lu roflags=%d data=<%s>\n", err, n, ro, buf);
  printf("send: errno=%d n=%lu\n", err2, sent);
  fflush(stdout);
  __wasi_fd_t fd;
  fprintf(stderr, "sock_shutdown(stdout): errno %u\n", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
  fprintf(stderr, "sock_accept(stdin): errno %u\n", __wasi_sock_accept(0, 0, &fd));
  fprintf(stderr, "sock_recv peek: errno %u\n", __wasi_sock_recv(0, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &ro));
  return 0;
}
