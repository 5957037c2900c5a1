// A store far beyond linear memory must trap (memory is at most 4 GiB and this
// program's is a few pages), after the first line has been flushed.
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv) {
  (void)argv;
  printf("before the trap\n");
  fflush(stdout);
  volatile int *p = (volatile int *)(uintptr_t)(0xfffffff0u - (unsigned)argc);
  *p = 42;
  printf("after the trap\n");
  return 0;
}
