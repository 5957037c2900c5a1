// Hand-assembled routines for the runtime and kernel tests (independent of the compiler). Each follows the
// ABI: stack-slot parameters at [rbp + 16 + 8*i], r15 = vmctx, r14 = memory base.
import { Assembler, AluOp, mem, type Gpr, type Label } from '../../backend-x64/index.js';
import { rax, rbp, rcx, rsp } from '../../backend-x64/index.js';
import { loadCode, type LoadedCode } from '../../jit/runtime/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { TrapCode } from '../../abi/traps.js';
import type { CodeImage } from '../../abi/image.js';

export const param = (i: number): ReturnType<typeof mem> => mem(rbp, 16 + 8 * i);
export const vm = (field: keyof typeof VMCTX, extra = 0): ReturnType<typeof mem> => mem(15 as Gpr, VMCTX[field] + extra);

/**
 * Assembles several functions into one code image; each body runs between `push rbp; mov rbp, rsp`
 * and `mov rsp, rbp; pop rbp; ret`. `self` is the function's own entry label (for recursion),
 * `entry[i]` function i's (direct calls inside the image are rel32 to a label, as compiled code's).
 */
export function assembleImage(bodies: ((a: Assembler, self: Label, entry: readonly Label[]) => void)[]): CodeImage {
  const a = new Assembler();
  const entry = bodies.map(() => a.newLabel());
  const functions = bodies.map((body, i) => {
    a.align(16);
    const offset = a.offset;
    const self = entry[i]!;
    a.bind(self);
    a.push(rbp);
    a.movRR(64, rbp, rsp);
    body(a, self, entry);
    a.movRR(64, rsp, rbp);
    a.pop(rbp);
    a.ret();
    return { offset, size: a.offset - offset, typeIndex: 0 };
  });
  return { code: a.finish().code, functions };
}

/** assembleImage, loaded into executable memory. */
export function assemble(bodies: ((a: Assembler, self: Label, entry: readonly Label[]) => void)[]): LoadedCode {
  return loadCode(assembleImage(bodies));
}

/**
 * Four functions reaching what compiled code reaches, the way it does (images carry no
 * relocations): another function of the image by a rel32 call to its label, and the runtime's
 * trap stubs through the vmctx, by `call [r15 + trapStubs + 8*code]` and through a register.
 * Run by tests/runtime/code.test.ts (user space) and tests/kernel/guest/image.guest.ts (ring 0).
 */
export const CALL_BODIES: ((a: Assembler, self: Label, entry: readonly Label[]) => void)[] = [
  // 0: (i32 x) -> i32 = f1(x) + 1, a direct call to function 1
  (a, _self, entry) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
    a.call(entry[1]!);
    a.aluRI(AluOp.ADD, 32, rax, 1);
  },
  // 1: (i32 x) -> i32 = x * 3
  (a) => { a.movRM(32, rax, param(0)); a.imulRRI(32, rax, rax, 3); },
  // 2: traps "integer overflow" through the vmctx's stub table
  (a) => { a.callM(vm('trapStubs', 8 * TrapCode.integerOverflow)); },
  // 3: traps "indirect call type mismatch": the stub's address loaded from the vmctx, called through rcx
  (a) => { a.movRM(64, rcx, vm('trapStubs', 8 * TrapCode.indirectCallTypeMismatch)); a.callR(rcx); },
];
