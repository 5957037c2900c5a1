// Hand-assembled routines for the runtime and kernel tests (independent of the compiler). Each follows the
// ABI: stack-slot parameters at [rbp + 16 + 8*i], r15 = vmctx, r14 = memory base.
import { Assembler, AluOp, mem, type Gpr, type Label } from '../../backend-x64/index.js';
import { rax, rbp, rcx, rsp } from '../../backend-x64/index.js';
import { loadCode, imageFromAssembled, type LoadedCode } from '../../jit/runtime/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import type { CodeImage } from '../../abi/image.js';

export const param = (i: number): ReturnType<typeof mem> => mem(rbp, 16 + 8 * i);
export const vm = (field: keyof typeof VMCTX, extra = 0): ReturnType<typeof mem> => mem(15 as Gpr, VMCTX[field] + extra);

/**
 * Assembles several functions into one code image; each body runs between `push rbp; mov rbp, rsp`
 * and `mov rsp, rbp; pop rbp; ret`. `self` is the function's own entry label (for recursion).
 */
export function assembleImage(bodies: ((a: Assembler, self: Label) => void)[]): CodeImage {
  const a = new Assembler();
  const functions = bodies.map((body) => {
    a.align(16);
    const offset = a.offset;
    const self = a.newLabel();
    a.bind(self);
    a.push(rbp);
    a.movRR(64, rbp, rsp);
    body(a, self);
    a.movRR(64, rsp, rbp);
    a.pop(rbp);
    a.ret();
    return { offset, size: a.offset - offset, typeIndex: 0 };
  });
  return imageFromAssembled(a.finish(), functions);
}

/** assembleImage, loaded into executable memory. */
export function assemble(bodies: ((a: Assembler, self: Label) => void)[]): LoadedCode {
  return loadCode(assembleImage(bodies));
}

/**
 * Four functions using every relocation form a loader resolves (user space: code-memory.ts; the
 * kernel: kmod/kwasm_reloc.c): rel32 to a function of the image, rel32 to a runtime stub (through
 * the veneer island), abs64 to a runtime stub.
 */
export const RELOC_BODIES: ((a: Assembler) => void)[] = [
  // 0: (i32 x) -> i32 = f1(x) + 1, calling function 1 through a rel32 relocation
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
    a.callReloc(1);
    a.aluRI(AluOp.ADD, 32, rax, 1);
  },
  // 1: (i32 x) -> i32 = x * 3
  (a) => { a.movRM(32, rax, param(0)); a.imulRRI(32, rax, rax, 3); },
  // 2: traps "integer overflow" via rel32 to the stub
  (a) => { a.callReloc('trap:integerOverflow'); },
  // 3: traps "indirect call type mismatch" via an abs64 stub address
  (a) => { a.movImm64Reloc(rcx, 'trap:indirectCallTypeMismatch'); a.callR(rcx); },
];
