// Sleeps 60 s (poll_oneoff with one clock); net.test.ts gives it a listener it never accepts on.
#include <unistd.h>

int main(void) {
  sleep(60);
  return 0;
}
