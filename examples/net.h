/*
 * What the example servers (echo.c, httpd.c) need beyond POSIX, the same source built natively
 * (gcc, glibc) and for WASI (clang --target=wasm32-wasi, wasi-libc):
 *
 * - the listening socket: under WASI it is preopened by the runtime (`kwasm-jit run --tcplisten
 *   HOST:PORT` gives fd 3 and LISTEN_FDS=1); natively, HOST:PORT from the command line is bound
 *   here (or fd 3 is taken when LISTEN_FDS is set, systemd style);
 * - accepting: wasi-libc (2022) has no accept(), so WASI calls sock_accept directly.
 * Every accepted socket is non-blocking: the servers are single-threaded poll() loops.
 */
#ifndef EXAMPLES_NET_H
#define EXAMPLES_NET_H

#ifndef __wasi__
#define _GNU_SOURCE /* accept4 */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __wasi__
#include <wasi/api.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#endif

/* The listening socket: fd 3 when LISTEN_FDS is set, else HOST:PORT bound here (native only). */
static int net_listener(const char *addr) {
#ifndef __wasi__
  /* a client that leaves mid-response makes send() fail with EPIPE, not kill the server (WASI
   * has no signals: sock_send answers PIPE there) */
  signal(SIGPIPE, SIG_IGN);
#endif
  const char *n = getenv("LISTEN_FDS");
  if (n && atoi(n) >= 1) {
    fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK);
    return 3;
  }
#ifdef __wasi__
  (void)addr;
  fprintf(stderr, "no listening socket: run with kwasm-jit run --tcplisten HOST:PORT\n");
  return -1;
#else
  if (!addr) {
    fprintf(stderr, "no listening socket: give HOST:PORT\n");
    return -1;
  }
  char host[64];
  const char *colon = strrchr(addr, ':');
  if (!colon || colon - addr >= (long)sizeof host) return -1;
  memcpy(host, addr, colon - addr);
  host[colon - addr] = 0;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
  if (inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &sa.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0) {
    perror(addr);
    return -1;
  }
  return fd;
#endif
}

/* One waiting connection, non-blocking; -1 with errno EAGAIN when none waits. */
static int net_accept(int lfd) {
#ifdef __wasi__
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_sock_accept(lfd, __WASI_FDFLAGS_NONBLOCK, &fd);
  if (e) {
    errno = e;
    return -1;
  }
  return (int)fd;
#else
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
#endif
}


/*
 * The poll() loop both servers run. The server defines, for the connection in slot i (slots
 * 1..NET_MAX_CONNS; slot 0 is the listener):
 *   conn_open(i, fd)    a new connection: set up its state (0 refuses it; net.h closes fd)
 *   conn_serve(i)       move it on as far as possible without blocking (0: it is done)
 *   conn_wants_out(i)   whether it waits to write (poll POLLOUT) rather than to read
 *   conn_free(i)        free its state (net.h closes the socket)
 *   conn_move(to, from) move slot `from`'s state to `to` (slots stay dense)
 * A full table stops accepting: new clients wait in the listen backlog.
 */
#include <poll.h>
#define NET_MAX_CONNS 4096
static int conn_open(int i, int fd);
static int conn_serve(int i);
static int conn_wants_out(int i);
static void conn_free(int i);
static void conn_move(int to, int from);

static int net_serve(int lfd) {
  static struct pollfd pfd[NET_MAX_CONNS + 1];
  int n = 1;
  pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  for (;;) {
    pfd[0].events = n <= NET_MAX_CONNS ? POLLIN : 0;
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 1;
    }
    for (int i = n - 1; i >= 1; i--) { /* downwards: a dropped slot takes an already served one */
      if (!pfd[i].revents) continue;
      if (conn_serve(i)) {
        pfd[i].events = conn_wants_out(i) ? POLLOUT : POLLIN;
        continue;
      }
      conn_free(i);
      close(pfd[i].fd);
      n--;
      pfd[i] = pfd[n];
      conn_move(i, n);
    }
    while ((pfd[0].revents & POLLIN) && n <= NET_MAX_CONNS) {
      int fd = net_accept(lfd);
      if (fd < 0) break;
      if (!conn_open(n, fd)) {
        close(fd);
        break;
      }
      pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
  }
}

#endif
