// Prints argv and the environment (sorted, so the order the host passes them in does not matter).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=<%s>\n", i, argv[i]);
  int n = 0;
  while (environ[n]) n++;
  char **sorted = malloc(sizeof(char *) * (n + 1));
  memcpy(sorted, environ, sizeof(char *) * n);
  qsort(sorted, n, sizeof(char *), cmp);
  printf("envc=%d\n", n);
  for (int i = 0; i < n; i++) printf("env <%s>\n", sorted[i]);
  const char *g = getenv("GREETING");
  printf("getenv(GREETING)=<%s>\n", g ? g : "(null)");
  printf("getenv(MISSING)=%s\n", getenv("MISSING") ? "set" : "(null)");
  return 0;
}
