/* Allocation-heavy: binary trees (Benchmarks Game) with malloc/free per node. Argument: max depth. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

struct node { struct node *left, *right; };

static struct node *make(int depth) {
  struct node *n = malloc(sizeof *n);
  if (!n) { puts("out of memory"); exit(1); }
  if (depth > 0) { n->left = make(depth - 1); n->right = make(depth - 1); }
  else n->left = n->right = NULL;
  return n;
}

static uint32_t check(const struct node *n) { return 1 + (n->left ? check(n->left) + check(n->right) : 0); }

static void release(struct node *n) {
  if (n->left) { release(n->left); release(n->right); }
  free(n);
}

int main(int argc, char **argv) {
  int maxDepth = argc > 1 ? atoi(argv[1]) : 16;
  if (maxDepth < 6) maxDepth = 6;
  uint64_t sum = 0;
  struct node *stretch = make(maxDepth + 1);
  printf("stretch tree of depth %d\t check: %u\n", maxDepth + 1, check(stretch));
  sum += check(stretch);
  release(stretch);
  struct node *longLived = make(maxDepth);
  for (int d = 4; d <= maxDepth; d += 2) {
    uint32_t iterations = 1u << (maxDepth - d + 4), c = 0;
    for (uint32_t i = 0; i < iterations; i++) {
      struct node *t = make(d);
      c += check(t);
      release(t);
    }
    printf("%u\t trees of depth %d\t check: %u\n", iterations, d, c);
    sum = sum * 31 + c;
  }
  printf("long lived tree of depth %d\t check: %u\n", maxDepth, check(longLived));
  sum = sum * 31 + check(longLived);
  release(longLived);
  printf("checksum: %llu\n", (unsigned long long)sum);
  return 0;
}
