// The preview 1 socket calls on a --tcplisten listener (fd 3) and a connection accepted from it,
// driven by tests/cli/net.test.ts, which plays the client:
//   connect after "ready", send "ping"; on "go\n" send "abcd", 100 ms later "efgh";
//   on "fdw" send "fdr"; on EOF from us send "last" and close.
// One line per check on stdout: NAME errno=E [values].
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static __wasi_errno_t recv_flags(int fd, char *buf, size_t len, __wasi_riflags_t flags, size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  __wasi_roflags_t ro = 7;
  __wasi_errno_t e = __wasi_sock_recv(fd, &iov, 1, flags, n, &ro);
  if (e == 0 && ro != 0) line("roflags %u", ro);
  return e;
}

/* One FD_READ subscription on fd (with a 20 s clock next to it): the event's nbytes and flags. */
static void poll_read_event(const char *name, int fd) {
  __wasi_subscription_t subs[2] = {
    {.userdata = 1, .u = {.tag = __WASI_EVENTTYPE_FD_READ, .u = {.fd_read = {.file_descriptor = fd}}}},
    {.userdata = 2, .u = {.tag = __WASI_EVENTTYPE_CLOCK, .u = {.clock = {.id = __WASI_CLOCKID_MONOTONIC, .timeout = 20000000000ull}}}},
  };
  __wasi_event_t ev[2];
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, 2, &n);
  line("%s errno=%u n=%lu userdata=%llu type=%u nbytes=%llu hangup=%d", name, e, (unsigned long)n,
       (unsigned long long)ev[0].userdata, ev[0].type, (unsigned long long)ev[0].fd_readwrite.nbytes,
       (ev[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) != 0);
}

int main(void) {
  const char *lf = getenv("LISTEN_FDS");
  line("LISTEN_FDS=%s", lf ? lf : "(unset)");
  __wasi_fdstat_t st;
  __wasi_errno_t e = __wasi_fd_fdstat_get(3, &st);
  line("listener fdstat errno=%u filetype=%u flags=%u", e, st.fs_filetype, st.fs_flags);
  __wasi_fd_t fd = 99;
  line("accept-nonblock-empty errno=%u", __wasi_sock_accept(3, __WASI_FDFLAGS_NONBLOCK, &fd));
  line("accept-bad-flags errno=%u", __wasi_sock_accept(3, __WASI_FDFLAGS_APPEND, &fd));
  line("recv-on-closed errno=%u", recv_flags(99, (char[4]){0}, 4, 0, &(size_t){0}));
  line("ready");

  struct pollfd p = {.fd = 3, .events = POLLIN};
  line("poll-listener %d revents=%d", poll(&p, 1, 20000), p.revents);
  e = __wasi_sock_accept(3, 0, &fd);
  line("accept errno=%u", e);
  int c = fd;
  e = __wasi_fd_fdstat_get(c, &st);
  line("conn fdstat errno=%u filetype=%u flags=%u", e, st.fs_filetype, st.fs_flags);
  __wasi_filestat_t fst;
  e = __wasi_fd_filestat_get(c, &fst);
  line("conn filestat errno=%u filetype=%u", e, fst.filetype);

  // "ping" arrives: poll_oneoff says how much, a peek leaves it, a recv takes it
  poll_read_event("ping-event", c);
  char buf[64] = {0};
  size_t n = 0;
  e = recv_flags(c, buf, 4, __WASI_RIFLAGS_RECV_PEEK, &n);
  line("peek errno=%u n=%zu data=%.*s", e, n, (int)n, buf);
  memset(buf, 0, sizeof buf);
  e = recv_flags(c, buf, sizeof buf, 0, &n);
  line("recv errno=%u n=%zu data=%.*s", e, n, (int)n, buf);

  // non-blocking: nothing there is EAGAIN, not a wait
  fcntl(c, F_SETFL, O_NONBLOCK);
  e = __wasi_fd_fdstat_get(c, &st);
  line("nonblock fdstat flags=%u", st.fs_flags);
  e = recv_flags(c, buf, sizeof buf, 0, &n);
  line("recv-nonblock-empty errno=%u", e);
  ssize_t r = read(c, buf, sizeof buf);
  line("read-nonblock-empty r=%zd errno=%d", r, errno);
  fcntl(c, F_SETFL, 0);

  // WAITALL collects "abcd" + "efgh" sent 100 ms apart
  __wasi_ciovec_t go = {(const uint8_t *)"go\n", 3};
  e = __wasi_sock_send(c, &go, 1, 0, &n);
  line("send errno=%u n=%zu", e, n);
  memset(buf, 0, sizeof buf);
  e = recv_flags(c, buf, 8, __WASI_RIFLAGS_RECV_WAITALL, &n);
  line("waitall errno=%u n=%zu data=%.*s", e, n, (int)n, buf);

  // fd_write / fd_read on the socket
  r = write(c, "fdw", 3);
  line("fd_write r=%zd", r);
  memset(buf, 0, sizeof buf);
  r = read(c, buf, 3);
  line("fd_read r=%zd data=%.*s", r, (int)r, buf);

  // select(): nothing to read within 100 ms
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(c, &rs);
  struct timeval tv = {0, 100000};
  line("select-idle %d", select(c + 1, &rs, NULL, NULL, &tv));
  // and writable at once
  fd_set ws;
  FD_ZERO(&ws);
  FD_SET(c, &ws);
  tv = (struct timeval){1, 0};
  line("select-writable %d isset=%d", select(c + 1, NULL, &ws, NULL, &tv), FD_ISSET(c, &ws) != 0);

  // shutdown: bad "how" values, then our write side; the client answers "last" and closes
  line("shutdown-0 errno=%u", __wasi_sock_shutdown(c, 0));
  line("shutdown-4 errno=%u", __wasi_sock_shutdown(c, 4));
  line("shutdown-wr errno=%u", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR));
  memset(buf, 0, sizeof buf);
  e = recv_flags(c, buf, 4, __WASI_RIFLAGS_RECV_WAITALL, &n);
  line("recv-last errno=%u n=%zu data=%.*s", e, n, (int)n, buf);
  poll_read_event("eof-event", c);
  e = recv_flags(c, buf, sizeof buf, 0, &n);
  line("recv-eof errno=%u n=%zu", e, n);
  line("shutdown-rdwr errno=%u", __wasi_sock_shutdown(c, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
  line("close errno=%u", __wasi_fd_close(c));
  line("close-again errno=%u", __wasi_fd_close(c));

  // clocks: a relative and an absolute (realtime) deadline next to a listener nobody connects to
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned long long abs = (unsigned long long)now.tv_sec * 1000000000ull + now.tv_nsec + 50000000ull;
  __wasi_subscription_t subs[3] = {
    {.userdata = 7, .u = {.tag = __WASI_EVENTTYPE_FD_READ, .u = {.fd_read = {.file_descriptor = 3}}}},
    {.userdata = 8, .u = {.tag = __WASI_EVENTTYPE_CLOCK, .u = {.clock = {.id = __WASI_CLOCKID_REALTIME, .timeout = abs, .flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME}}}},
    {.userdata = 9, .u = {.tag = __WASI_EVENTTYPE_CLOCK, .u = {.clock = {.id = __WASI_CLOCKID_MONOTONIC, .timeout = 10000000000ull}}}},
  };
  __wasi_event_t ev[3];
  __wasi_size_t ne = 0;
  e = __wasi_poll_oneoff(subs, ev, 3, &ne);
  line("clock-abs errno=%u n=%lu userdata=%llu type=%u", e, (unsigned long)ne, (unsigned long long)ev[0].userdata, ev[0].type);
  return 0;
}
