// Hand-assembled routines for the runtime tests (there is no wasm compiler yet). Each follows the
// ABI: stack-slot parameters at [rbp + 16 + 8*i], r15 = vmctx, r14 = memory base.
import { Assembler, mem, type Gpr, type Label } from '../../backend-x64/index.js';
import { rbp, rsp } from '../../backend-x64/index.js';
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
