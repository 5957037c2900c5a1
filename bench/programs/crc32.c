/* Hashing: table-driven CRC-32 (IEEE) over a 1 MiB buffer, chained. Argument: passes. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static uint32_t table[256];

static uint32_t crc32(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 300;
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  if (crc32(0, (const unsigned char *)"123456789", 9) != 0xcbf43926u) { puts("crc32 self-check failed"); return 1; }
  size_t len = 1 << 20;
  unsigned char *buf = malloc(len);
  uint32_t seed = 7;
  for (size_t i = 0; i < len; i++) { seed = seed * 1664525u + 1013904223u; buf[i] = seed >> 24; }
  uint32_t crc = 0;
  for (int r = 0; r < passes; r++) {
    crc = crc32(crc, buf, len);
    buf[r & (len - 1)] ^= (unsigned char)crc;
  }
  printf("checksum: %08x\n", crc);
  free(buf);
  return 0;
}
