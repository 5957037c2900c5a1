// Register roles shared by compiled code, the trampolines and the kernel module. The compiler's
// register allocator (jit/compiler/regalloc.ts) takes its register sets from here.
//
// Numbers are the hardware encodings (the low 3 bits go in ModRM/SIB, bit 3 in REX),
// so this file does not depend on backend-x64's naming and can be mirrored in C.

export const GPR = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
} as const;

/** vmctx pointer; pinned for the whole time wasm code of one instance runs. */
export const VMCTX_REG = GPR.r15;
/** linear memory 0 base; pinned; never moves because memory is a fixed reservation. */
export const MEMBASE_REG = GPR.r14;

/**
 * Scratch registers of compiled code, never allocated: the MacroAssembler's temporaries
 * (memory-to-memory moves, 64-bit immediates, float masks), so no emitter has to ask for one.
 */
export const SCRATCH_GPR = GPR.r11;
export const SCRATCH_XMM = 15;

/** GPRs wasm code allocates: all but rsp, rbp (frame chain), the pinned pair and the scratch. */
export const ALLOCATABLE_GPRS: readonly number[] = [
  GPR.rax, GPR.rcx, GPR.rdx, GPR.rbx, GPR.rsi, GPR.rdi,
  GPR.r8, GPR.r9, GPR.r10, GPR.r12, GPR.r13,
];
/** XMM registers wasm code allocates: xmm0..xmm14 (xmm15 is the scratch). */
export const ALLOCATABLE_XMMS: readonly number[] = Array.from({ length: 15 }, (_, i) => i);

/**
 * Host (System V) callee-saved registers, in the order the entry trampoline pushes them on the
 * host stack before switching to the wasm stack, which is why wasm code may treat them as
 * caller-saved.
 */
export const SYSV_CALLEE_SAVED: readonly number[] = [GPR.rbp, GPR.rbx, GPR.r12, GPR.r13, GPR.r14, GPR.r15];
