/*
 * What one system call costs on this machine, for the cost model of `npm run bench:kernel`
 * (bench/results/kernel.md): the bare entry and exit (getppid), a poll(2) of one ready fd, and a
 * 64-byte write plus read on a socketpair, each timed over N calls (CLOCK_MONOTONIC). Built with
 * gcc -O2 by bench/kernel.ts and run on the host and inside the VM. Prints one JSON line, ns/call.
 * usage: syscall-cost N
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 0;
  int sv[2];
  char buf[64] = {0};
  if (n <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 2;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) syscall(SYS_getppid); /* syscall(): glibc may not cache, but be sure */
  double t1 = now_ns();
  if (write(sv[0], buf, 1) != 1) return 1;
  struct pollfd p = {.fd = sv[1], .events = POLLIN};
  for (long i = 0; i < n; i++)
    if (poll(&p, 1, 0) != 1) return 1;
  double t2 = now_ns();
  if (read(sv[1], buf, 1) != 1) return 1;
  for (long i = 0; i < n; i++)
    if (write(sv[0], buf, sizeof buf) != sizeof buf || read(sv[1], buf, sizeof buf) != sizeof buf) return 1;
  double t3 = now_ns();
  printf("{\"getppidNs\":%.1f,\"pollNs\":%.1f,\"writeReadNs\":%.1f}\n", (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n);
  return 0;
}
