/* String processing: generate text, tokenize, count words in a hash table, transform and search
   with the C string functions. Arguments: words per round, rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <ctype.h>

static const char *syll[] = {"ka", "lo", "mir", "ta", "ven", "su", "dor", "el", "qua", "ri", "bon", "ex", "zu", "pa", "thi", "ng"};

struct entry { const char *word; uint32_t len, count; };

static uint32_t rng(uint32_t *s) { *s = *s * 1103515245u + 12345u; return *s >> 16; }

static uint32_t hash(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

int main(int argc, char **argv) {
  int words = argc > 1 ? atoi(argv[1]) : 200000;
  int rounds = argc > 2 ? atoi(argv[2]) : 10;
  size_t cap = (size_t)words * 16 + 1;
  char *text = malloc(cap), *copy = malloc(cap), *out = malloc(cap);
  uint32_t tableSize = 1u << 16;
  struct entry *table = malloc(sizeof(struct entry) * tableSize);
  uint64_t sum = 0;
  uint32_t seed = 2024;
  for (int r = 0; r < rounds; r++) {
    /* 1. generate: words of 1-4 syllables separated by spaces, sentences end with ". " */
    size_t len = 0;
    for (int w = 0; w < words; w++) {
      int ns = 1 + rng(&seed) % 4;
      for (int s = 0; s < ns; s++) {
        const char *sy = syll[rng(&seed) % 16];
        size_t sl = strlen(sy);
        memcpy(text + len, sy, sl);
        len += sl;
      }
      if (rng(&seed) % 11 == 0) text[len++] = '.';
      text[len++] = ' ';
    }
    text[len] = 0;
    /* 2. tokenize a copy with strtok and count words in an open-addressing table */
    memset(table, 0, sizeof(struct entry) * tableSize);
    strcpy(copy, text);
    uint32_t unique = 0, maxCount = 0;
    for (char *tok = strtok(copy, " ."); tok; tok = strtok(NULL, " .")) {
      size_t tl = strlen(tok);
      uint32_t i = hash(tok, tl) & (tableSize - 1);
      while (table[i].word && (table[i].len != tl || memcmp(table[i].word, tok, tl) != 0)) i = (i + 1) & (tableSize - 1);
      if (!table[i].word) { table[i].word = tok; table[i].len = (uint32_t)tl; unique++; }
      if (++table[i].count > maxCount) maxCount = table[i].count;
    }
    /* 3. transform: capitalise sentence starts, reverse every word */
    size_t o = 0;
    int startSentence = 1;
    for (size_t i = 0; i < len;) {
      size_t j = i;
      while (j < len && text[j] != ' ' && text[j] != '.') j++;
      for (size_t k = j; k > i; k--) out[o++] = text[k - 1];
      if (startSentence && j > i) out[o - (j - i)] = (char)toupper((unsigned char)out[o - (j - i)]);
      startSentence = 0;
      while (j < len && (text[j] == ' ' || text[j] == '.')) { if (text[j] == '.') startSentence = 1; out[o++] = text[j++]; }
      i = j;
    }
    out[o] = 0;
    /* 4. search: count occurrences of a few patterns with strstr */
    static const char *pat[] = {"akim", "dor", "Ta", "lo.", "zuzu"};
    uint32_t hits = 0;
    for (int p = 0; p < 5; p++)
      for (const char *q = strstr(out, pat[p]); q; q = strstr(q + 1, pat[p])) hits++;
    sum = sum * 1000003 + unique * 7919u + maxCount * 31u + hits + hash(out, o);
  }
  printf("checksum: %llu\n", (unsigned long long)sum);
  free(text); free(copy); free(out); free(table);
  return 0;
}
