/*
 * An echo server: every byte a client sends comes back, on many connections at once, from one
 * single-threaded poll() loop. A client that half-closes gets the rest of its echo, then EOF.
 *
 * Built with: clang-14 --target=wasm32-wasi -O2 -fuse-ld=lld -Wl,-z,stack-size=1048576 -o examples/echo.wasm examples/echo.c
 * Run:        ./bin/kwasm-jit.js run --tcplisten 127.0.0.1:7000 examples/echo.wasm
 * Natively:   gcc -O2 -o echo examples/echo.c && ./echo 127.0.0.1:7000
 */
#include "net.h" /* first: it sets _GNU_SOURCE natively */
#include <poll.h>

#define MAX_CONNS 4096
#define BUF 4096

struct conn {
  int fd;
  size_t len, off; /* bytes read and not yet echoed: buf[off..len) */
  int eof;         /* the client half-closed: echo what is left, then close */
  char *buf;
};

static struct pollfd pfd[MAX_CONNS + 1]; /* [0] is the listener */
static struct conn conns[MAX_CONNS + 1];
static int n = 1;

static void drop(int i) {
  close(conns[i].fd);
  free(conns[i].buf);
  n--;
  conns[i] = conns[n];
  pfd[i] = pfd[n];
}

/* Reads what is there and echoes it; returns 0 when the connection is done. */
static int serve(int i) {
  struct conn *c = &conns[i];
  for (;;) {
    if (c->off < c->len) {
      ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, 0);
      if (w < 0) return errno == EAGAIN;
      c->off += w;
      if (c->off < c->len) return 1; /* the client reads slowly: wait for POLLOUT */
    }
    c->off = c->len = 0;
    if (c->eof) return 0;
    ssize_t r = recv(c->fd, c->buf, BUF, 0);
    if (r < 0) return errno == EAGAIN;
    if (r == 0) c->eof = 1;
    c->len = r;
  }
}

int main(int argc, char **argv) {
  int lfd = net_listener(argc > 1 ? argv[1] : NULL);
  if (lfd < 0) return 1;
  pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  for (;;) {
    /* a full table stops accepting: new clients wait in the listen backlog */
    pfd[0].events = n <= MAX_CONNS ? POLLIN : 0;
    if (poll(pfd, n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 1;
    }
    for (int i = n - 1; i >= 1; i--) {
      if (!pfd[i].revents) continue;
      if (!serve(i)) drop(i);
      else pfd[i].events = conns[i].off < conns[i].len ? POLLOUT : POLLIN;
    }
    if (pfd[0].revents & POLLIN) {
      while (n <= MAX_CONNS) {
        int fd = net_accept(lfd);
        if (fd < 0) break;
        char *buf = malloc(BUF);
        if (!buf) { close(fd); break; }
        conns[n] = (struct conn){.fd = fd, .buf = buf};
        pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
        n++;
      }
    }
  }
}
