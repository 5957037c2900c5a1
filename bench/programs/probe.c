/* Not a benchmark: the tiny program the bench runner uses to check that a runner works at all
   (kwasm-jit is reported "not available" when this fails). */
#include <stdio.h>

int main(int argc, char **argv) {
  (void)argv;
  printf("checksum: kwasm-probe %d\n", argc);
  return 0;
}
