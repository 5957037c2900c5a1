/*
 * An echo server: every byte a client sends comes back, on many connections at once, from one
 * single-threaded poll() loop. A client that half-closes gets the rest of its echo, then EOF.
 *
 * Built with clang-14 flags: --target=wasm32-wasi -O2 -fuse-ld=lld -Wall -Werror -Wl,-z,stack-size=1048576
 *   (compiled, then linked without -O, by tests/programs/wasi-clang.ts, so an installed wasm-opt
 *   cannot rewrite it; tests/cli/examples.test.ts fails if the committed echo.wasm is stale)
 * Run:        ./bin/kwasm-jit.js run --tcplisten 127.0.0.1:7000 examples/echo.wasm
 * Natively:   gcc -O2 -o echo examples/echo.c && ./echo 127.0.0.1:7000
 */
#include "net.h" /* first: it sets _GNU_SOURCE natively */

#define BUF 4096

struct conn {
  int fd;
  size_t len, off; /* bytes read and not yet echoed: buf[off..len) */
  int eof;         /* the client half-closed: echo what is left, then close */
  char *buf;
};

static struct conn conns[NET_MAX_CONNS + 1];

static int conn_open(int i, int fd) {
  char *buf = malloc(BUF);
  if (!buf) return 0;
  conns[i] = (struct conn){.fd = fd, .buf = buf};
  return 1;
}

static void conn_free(int i) { free(conns[i].buf); }
static void conn_move(int to, int from) { conns[to] = conns[from]; }
static int conn_wants_out(int i) { return conns[i].off < conns[i].len; }

/* Reads what is there and echoes it; returns 0 when the connection is done. */
static int conn_serve(int i) {
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
  return lfd < 0 ? 1 : net_serve(lfd);
}
