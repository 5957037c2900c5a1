/* A switch-dispatched bytecode interpreter (stack machine with locals) running a nested-loop
   program built at run time. Argument: outer iteration count. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, AND, SHL, SHR, MOD, LT, JZ, JMP, DUP, POP, INC, HALT };

static int32_t code[256];
static int pc;
static void emit(int32_t op) { code[pc++] = op; }
static void emit2(int32_t op, int32_t arg) { code[pc++] = op; code[pc++] = arg; }

static uint32_t run(const int32_t *c, int32_t *locals) {
  uint32_t stack[64];
  int sp = 0, ip = 0;
  for (;;) {
    int32_t op = c[ip++];
    switch (op) {
      case PUSH: stack[sp++] = (uint32_t)c[ip++]; break;
      case LOAD: stack[sp++] = (uint32_t)locals[c[ip++]]; break;
      case STORE: locals[c[ip++]] = (int32_t)stack[--sp]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case AND: sp--; stack[sp - 1] &= stack[sp]; break;
      case SHL: sp--; stack[sp - 1] <<= (stack[sp] & 31); break;
      case SHR: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
      case MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
      case LT: sp--; stack[sp - 1] = (int32_t)stack[sp - 1] < (int32_t)stack[sp]; break;
      case JZ: { int32_t t = c[ip++]; if (stack[--sp] == 0) ip = t; break; }
      case JMP: ip = c[ip]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case POP: sp--; break;
      case INC: locals[c[ip]] += 1; ip++; break;
      case HALT: return stack[sp - 1];
      default: return 0xdeadbeef;
    }
  }
}

int main(int argc, char **argv) {
  int32_t n = argc > 1 ? atoi(argv[1]) : 20000;
  /* locals: 0 = i, 1 = j, 2 = acc, 3 = n, 4 = inner bound */
  pc = 0;
  emit2(PUSH, 0); emit2(STORE, 0);
  emit2(PUSH, 1); emit2(STORE, 2);
  int outer = pc;
  emit2(LOAD, 0); emit2(LOAD, 3); emit(LT); int exitJump = pc; emit2(JZ, 0);
  emit2(PUSH, 0); emit2(STORE, 1);
  int inner = pc;
  emit2(LOAD, 1); emit2(LOAD, 4); emit(LT); int innerExit = pc; emit2(JZ, 0);
  /* acc = ((acc * 31) ^ (i + j)) + ((acc >> 7) & 255) + (j % 7) */
  emit2(LOAD, 2); emit2(PUSH, 31); emit(MUL);
  emit2(LOAD, 0); emit2(LOAD, 1); emit(ADD); emit(XOR);
  emit2(LOAD, 2); emit2(PUSH, 7); emit(SHR); emit2(PUSH, 255); emit(AND); emit(ADD);
  emit2(LOAD, 1); emit2(PUSH, 7); emit(MOD); emit(ADD);
  emit(DUP); emit(POP);
  emit2(STORE, 2);
  emit2(INC, 1); emit2(JMP, inner);
  code[innerExit + 1] = pc;
  emit2(INC, 0); emit2(JMP, outer);
  code[exitJump + 1] = pc;
  emit2(LOAD, 2); emit(HALT);

  int32_t locals[8] = {0, 0, 0, n, 1000, 0, 0, 0};
  uint32_t r = run(code, locals);
  printf("checksum: %08x\n", r);
  return 0;
}
