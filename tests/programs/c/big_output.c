// 10 MiB to stdout: 163840 lines of 64 bytes. Line i is its number in 10
// digits, a space, 52 letters 'a' + (i + j) % 26 for j = 0..51, and '\n'.
#include <stdio.h>

int main(void) {
  char line[65];
  for (int i = 0; i < 10 * 1024 * 1024 / 64; i++) {
    snprintf(line, sizeof line, "%010d ", i);
    for (int j = 0; j < 52; j++) line[11 + j] = 'a' + (i + j) % 26;
    line[63] = '\n';
    fwrite(line, 1, 64, stdout);
  }
  return 0;
}
