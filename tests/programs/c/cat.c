// stdin to stdout, byte for byte, until end of file.
#include <unistd.h>

int main(void) {
  static char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) return 2;
    if (n == 0) return 0;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(1, buf + done, n - done);
      if (w <= 0) return 3;
      done += w;
    }
  }
}
