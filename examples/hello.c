// The README's first command: a real WASI program run by `kwasm-jit run`.
//   ./bin/kwasm-jit.js run --dir examples::/ examples/hello.wasm [NAME]
// It greets NAME (argv[1], or $USER_NAME, or "world"), reads message.txt from the directory the
// host granted as "/", and shows that nothing outside that directory is reachable.
// Built with clang-14 flags: --target=wasm32-wasi -O2 -fuse-ld=lld -Wl,--strip-debug
// compiled and then linked without -O, so that an installed binaryen (wasm-opt) cannot rewrite it:
//   clang-14 --target=wasm32-wasi -O2 -c -o hello.o examples/hello.c
//   clang-14 --target=wasm32-wasi -fuse-ld=lld -Wl,--strip-debug -o examples/hello.wasm hello.o
// (tests/programs/wasi-clang.ts runs these two steps.)
// (tests/cli/examples.test.ts rebuilds it and fails if the committed hello.wasm is stale).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : getenv("USER_NAME");
  printf("hello, %s, from WebAssembly compiled by kwasm-jit\n", name ? name : "world");

  FILE *f = fopen("/message.txt", "r");
  if (!f) {
    printf("no /message.txt (%s): grant a directory with --dir HOST::/\n", strerror(errno));
    return 1;
  }
  char line[256];
  while (fgets(line, sizeof line, f)) printf("message.txt: %s", line);
  fclose(f);

  FILE *outside = fopen("/../../etc/passwd", "r");
  printf("/../../etc/passwd: %s\n", outside ? "OPENED (sandbox escape!)" : strerror(errno));
  return outside ? 2 : 0;
}
