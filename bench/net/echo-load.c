/*
 * Echo load generator for `npm run bench:net`: C connections to 127.0.0.1:PORT, each sending a
 * SIZE-byte message and waiting for all of it to come back, again and again for MS milliseconds
 * (one outstanding message per connection). Prints one JSON line: round trips per second and
 * p50/p99 round-trip latency in microseconds. Built with gcc -O2 by bench/net.ts.
 * usage: echo-load PORT CONNECTIONS SIZE MS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int port = atoi(argv[1]), c = atoi(argv[2]), size = atoi(argv[3]), ms = atoi(argv[4]);
  struct pollfd *p = calloc(c, sizeof *p);
  size_t *got = calloc(c, sizeof *got);
  double *sent_at = calloc(c, sizeof *sent_at);
  char *msg = malloc(size), *buf = malloc(size);
  memset(msg, 'x', size);
  size_t cap = 1 << 22, n = 0;
  float *lat = malloc(cap * sizeof *lat);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  for (int i = 0; i < c; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("connect"); return 1; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p[i] = (struct pollfd){.fd = fd, .events = POLLIN};
    sent_at[i] = now_us();
    if (write(fd, msg, size) != size) { perror("write"); return 1; }
  }
  double start = now_us(), end = start + ms * 1e3;
  while (now_us() < end) {
    if (poll(p, c, 100) < 0) return 1;
    for (int i = 0; i < c; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      ssize_t r = read(p[i].fd, buf, size - got[i]);
      if (r <= 0) { fprintf(stderr, "connection %d closed\n", i); return 1; }
      got[i] += r;
      if (got[i] < (size_t)size) continue;
      double t = now_us();
      if (n < cap) lat[n] = t - sent_at[i];
      n++;
      got[i] = 0;
      sent_at[i] = t;
      if (write(p[i].fd, msg, size) != size) { perror("write"); return 1; }
    }
  }
  double secs = (now_us() - start) / 1e6;
  size_t k = n < cap ? n : cap;
  qsort(lat, k, sizeof *lat, cmp);
  printf("{\"rps\":%.1f,\"p50us\":%.1f,\"p99us\":%.1f,\"n\":%zu}\n", n / secs, k ? lat[k / 2] : 0.0, k ? lat[(size_t)(k * 0.99)] : 0.0, n);
  return 0;
}
