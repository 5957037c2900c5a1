/*
 * A small HTTP/1.1 server: GET and HEAD of the files under ROOT, keep-alive and pipelining, many
 * connections at once from one single-threaded poll() loop. 400 for a malformed request (or one
 * whose head exceeds 8 KiB), 404 for a missing file, 405 for any other method (its body is read
 * and discarded, so the connection stays usable). Files are sent in 16 KiB pieces as the client
 * takes them: a connection holds its 8 KiB request buffer and nothing else.
 *
 * Built with clang-14 flags: --target=wasm32-wasi -O2 -fuse-ld=lld -Wall -Werror -Wl,-z,stack-size=1048576
 *   (compiled, then linked without -O, by tests/programs/wasi-clang.ts, so an installed wasm-opt
 *   cannot rewrite it; tests/cli/examples.test.ts fails if the committed httpd.wasm is stale)
 * Run:        ./bin/kwasm-jit.js run --tcplisten 127.0.0.1:8080 --dir examples/www::/www examples/httpd.wasm /www
 * Natively:   gcc -O2 -o httpd examples/httpd.c && ./httpd examples/www 127.0.0.1:8080
 */
#include "net.h" /* first: it sets _GNU_SOURCE natively */
#include <strings.h>
#include <sys/stat.h>

#define HEAD_MAX 8192
#define CHUNK 16384

struct conn {
  int fd;
  char *in;          /* request bytes received and not yet handled */
  size_t inlen;
  char out[512];     /* response head, then the file */
  size_t outlen, outoff;
  int file;          /* file being sent (-1: none) */
  off_t fileoff, fileleft;
  long long discard; /* request body bytes still to skip (a 405 with a body) */
  int close_after;   /* Connection: close, HTTP/1.0, or an error: close once sent */
};

static struct conn conns[NET_MAX_CONNS + 1];
static const char *root;
static char chunk[CHUNK];

static const char *content_type(const char *path) {
  static const char *types[][2] = {
    {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"}, {".js", "text/javascript"},
    {".json", "application/json"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
    {".svg", "image/svg+xml"}, {".wasm", "application/wasm"},
  };
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (!strcmp(dot, types[i][0])) return types[i][1];
  return "application/octet-stream";
}

static int conn_open(int i, int fd) {
  char *in = malloc(HEAD_MAX + 1);
  if (!in) return 0;
  conns[i] = (struct conn){.fd = fd, .in = in, .file = -1};
  return 1;
}

static void conn_free(int i) {
  if (conns[i].file >= 0) close(conns[i].file);
  free(conns[i].in);
}

static void conn_move(int to, int from) { conns[to] = conns[from]; }
static int conn_wants_out(int i) { return conns[i].outoff < conns[i].outlen || conns[i].fileleft > 0; }

static void respond(struct conn *c, int status, const char *reason, const char *type, long long length, const char *extra) {
  c->outlen = snprintf(c->out, sizeof c->out,
                       "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\nContent-Type: %s\r\n%s%s\r\n", status, reason,
                       length, type, extra, c->close_after ? "Connection: close\r\n" : "");
  c->outoff = 0;
}

static void error(struct conn *c, int status, const char *reason, const char *extra) {
  char body[64];
  int len = snprintf(body, sizeof body, "%d %s\n", status, reason);
  respond(c, status, reason, "text/plain; charset=utf-8", len, extra);
  if (c->outlen + len < sizeof c->out) {
    memcpy(c->out + c->outlen, body, len);
    c->outlen += len;
  }
}

/* The header value of `name` in head[0..len) (lines end in \r\n), or NULL. */
static const char *header(const char *head, const char *name, size_t *vlen) {
  size_t nl = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (!strncasecmp(line, name, nl) && line[nl] == ':') {
      const char *v = line + nl + 1, *end = strstr(v, "\r\n");
      while (*v == ' ' || *v == '\t') v++;
      *vlen = end - v;
      return v;
    }
  }
  return NULL;
}

/* Handles the complete request head in[0..headlen); sets up the response. */
static void handle(struct conn *c, size_t headlen) {
  char *head = c->in;
  head[headlen - 2] = 0; /* the head as a string, ending in the last header's \r\n */
  char method[16], target[1024], version[16];
  int used = 0;
  if (sscanf(head, "%15[A-Z] %1023[^ \r\n] HTTP/%15[0-9.]%n", method, target, version, &used) != 3 ||
      strncmp(head + used, "\r\n", 2) || target[0] != '/' || (strcmp(version, "1.1") && strcmp(version, "1.0"))) {
    c->close_after = 1;
    error(c, 400, "Bad Request", "");
    return;
  }
  size_t vlen;
  const char *v = header(head, "Connection", &vlen);
  if (!strcmp(version, "1.0") ? !(v && !strncasecmp(v, "keep-alive", vlen)) : (v && !strncasecmp(v, "close", vlen)))
    c->close_after = 1;
  if (header(head, "Transfer-Encoding", &vlen)) { /* chunked bodies: not supported */
    c->close_after = 1;
    error(c, 400, "Bad Request", "");
    return;
  }
  v = header(head, "Content-Length", &vlen);
  long long body = 0;
  if (v) {
    char *end;
    body = strtoll(v, &end, 10);
    if (end != v + vlen || body < 0) {
      c->close_after = 1;
      error(c, 400, "Bad Request", "");
      return;
    }
  }
  int get = !strcmp(method, "GET"), head_only = !strcmp(method, "HEAD");
  if (!get && !head_only) {
    c->discard = body;
    error(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
    return;
  }
  if (body) { /* GET with a body: nobody does that; refuse instead of guessing */
    c->close_after = 1;
    error(c, 400, "Bad Request", "");
    return;
  }
  char *q = strchr(target, '?');
  if (q) *q = 0;
  if (strstr(target, "/..") || strstr(target, "//")) {
    error(c, 404, "Not Found", "");
    return;
  }
  char path[1200];
  snprintf(path, sizeof path, "%s%s%s", root, target, target[strlen(target) - 1] == '/' ? "index.html" : "");
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    error(c, 404, "Not Found", "");
    return;
  }
  respond(c, 200, "OK", content_type(path), (long long)st.st_size, "");
  if (head_only || st.st_size == 0) {
    close(fd);
    return;
  }
  c->file = fd;
  c->fileoff = 0;
  c->fileleft = st.st_size;
}

/* Moves the connection on as far as it can without blocking; returns 0 when it is done. */
static int conn_serve(int i) {
  struct conn *c = &conns[i];
  for (;;) {
    /* 1. send what is pending: the head, then the file */
    while (c->outoff < c->outlen || c->fileleft > 0) {
      if (c->outoff == c->outlen) {
        ssize_t r = pread(c->file, chunk, c->fileleft < CHUNK ? c->fileleft : CHUNK, c->fileoff);
        if (r <= 0) return 0; /* the file shrank under us: end the connection */
        ssize_t w = send(c->fd, chunk, r, 0);
        if (w < 0) return errno == EAGAIN;
        c->fileoff += w;
        c->fileleft -= w;
        if (w < r) return 1;
        continue;
      }
      ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, 0);
      if (w < 0) return errno == EAGAIN;
      c->outoff += w;
      if (c->outoff < c->outlen) return 1;
    }
    if (c->file >= 0) {
      close(c->file);
      c->file = -1;
    }
    c->outoff = c->outlen = 0;
    if (c->close_after) return 0;
    /* 2. skip a request body we do not want */
    if (c->discard > 0 && c->inlen > 0) {
      size_t k = c->inlen < (unsigned long long)c->discard ? c->inlen : (size_t)c->discard;
      memmove(c->in, c->in + k, c->inlen - k);
      c->inlen -= k;
      c->discard -= k;
    }
    /* 3. a complete request head already buffered (pipelining)? */
    if (c->discard == 0 && c->inlen > 0) {
      c->in[c->inlen] = 0;
      char *end = strstr(c->in, "\r\n\r\n");
      if (end) {
        size_t headlen = end + 4 - c->in;
        handle(c, headlen);
        memmove(c->in, c->in + headlen, c->inlen - headlen);
        c->inlen -= headlen;
        continue;
      }
      if (c->inlen >= HEAD_MAX) {
        c->close_after = 1;
        error(c, 400, "Bad Request", "");
        continue;
      }
    }
    /* 4. read more */
    ssize_t r = recv(c->fd, c->in + c->inlen, HEAD_MAX - c->inlen, 0);
    if (r < 0) return errno == EAGAIN;
    if (r == 0) return 0; /* the client is done (or left mid-request) */
    c->inlen += r;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: httpd ROOT [HOST:PORT]\n");
    return 2;
  }
  root = argv[1];
  int lfd = net_listener(argc > 2 ? argv[2] : NULL);
  return lfd < 0 ? 1 : net_serve(lfd);
}
