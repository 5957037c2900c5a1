// Exit codes: argv[1] is the code, argv[2] how to leave (return, exit, proc_exit).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  const char *how = argc > 2 ? argv[2] : "return";
  printf("leaving with %d by %s\n", code, how);
  fflush(stdout);
  if (!strcmp(how, "exit")) exit(code);
  if (!strcmp(how, "proc_exit")) __wasi_proc_exit((__wasi_exitcode_t)code);
  return code;
}
