// poll_oneoff with an absolute deadline on the monotonic clock, 20 ms ahead,
// and a relative one on the realtime clock in the same call: the earlier (the
// absolute one) fires first.
#include <stdio.h>
#include <wasi/api.h>

int main(void) {
  __wasi_timestamp_t now, after;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now);
  __wasi_subscription_t sub[2] = {0};
  sub[0].userdata = 0x1234567890abcdefULL;
  sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[0].u.u.clock.timeout = now + 20000000ULL;
  sub[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  sub[1].userdata = 7;
  sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[1].u.u.clock.id = __WASI_CLOCKID_REALTIME;
  sub[1].u.u.clock.timeout = 5000000000ULL;
  __wasi_event_t ev[2];
  __wasi_size_t nev = 0;
  __wasi_errno_t err = __wasi_poll_oneoff(sub, ev, 2, &nev);
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &after);
  printf("abstime poll: errno=%d nevents=%lu userdata ok=%d type=%d error=%d\n", err, nev,
         ev[0].userdata == 0x1234567890abcdefULL, ev[0].type, ev[0].error);
  printf("waited >= 20ms: %s\n", after - now >= 20000000ULL ? "yes" : "no");
  printf("waited < 4s: %s\n", after - now < 4000000000ULL ? "yes" : "no");
  return 0;
}
