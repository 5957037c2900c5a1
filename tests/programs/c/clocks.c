// Clocks, sleeping through poll_oneoff (relative and absolute), poll() on an fd, sched_yield.
// argv[1] is the host's wall-clock time in seconds when the test started the program.
// Sleeps are checked to 1 ms less than asked: the reference (node:wasi, on libuv
// timers with millisecond granularity and a cached loop time) wakes up to ~1 ms
// early. Exact lower bounds for our layer are in clock_abstime.c and wasi.test.ts.
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasi/api.h>

static long long now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long long host = argc > 1 ? atoll(argv[1]) : 0;
  long long real = now_ns(CLOCK_REALTIME) / 1000000000LL;
  printf("realtime within 60s of host: %s\n", llabs(real - host) <= 60 ? "yes" : "no");
  long long t0 = now_ns(CLOCK_MONOTONIC);
  long long t1 = now_ns(CLOCK_MONOTONIC);
  printf("monotonic non-decreasing: %s\n", t1 >= t0 ? "yes" : "no");
  struct timespec res;
  printf("getres monotonic: %s\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0) ? "ok" : "bad");
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  long long t2 = now_ns(CLOCK_MONOTONIC);
  printf("nanosleep 30ms slept >= 29ms: %s\n", t2 - t1 >= 29000000LL ? "yes" : "no");
  printf("nanosleep 30ms slept < 2s: %s\n", t2 - t1 < 2000000000LL ? "yes" : "no");

  __wasi_timestamp_t t;
  printf("clock_time_get(99): errno=%d\n", __wasi_clock_time_get(99, 1, &t));
  __wasi_subscription_t sub = {0};
  __wasi_event_t ev;
  __wasi_size_t nev = 0;
  printf("zero subscriptions: errno=%d\n", __wasi_poll_oneoff(&sub, &ev, 0, &nev));

  struct pollfd p = {1, POLLOUT, 0};
  int r = poll(&p, 1, 1000);
  printf("poll(stdout, POLLOUT): %d revents&POLLOUT=%d\n", r, (p.revents & POLLOUT) != 0);
  long long t3 = now_ns(CLOCK_MONOTONIC);
  r = poll(NULL, 0, 25);
  long long t4 = now_ns(CLOCK_MONOTONIC);
  printf("poll(no fds, 25ms): %d waited>=24ms=%s\n", r, t4 - t3 >= 24000000LL ? "yes" : "no");
  printf("cputime positive: %s\n", now_ns(CLOCK_PROCESS_CPUTIME_ID) > 0 ? "yes" : "no");
  printf("sched_yield: %d\n", sched_yield());
  return 0;
}
