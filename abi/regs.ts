// Register roles shared by compiled code, the trampolines and the kernel module.
//
// Numbers are the hardware encodings (the low 3 bits go in ModRM/SIB, bit 3 in REX),
// so this file does not depend on backend-x64's naming and can be mirrored in C.

export const GPR = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
} as const;
export type GprName = keyof typeof GPR;

/** vmctx pointer; pinned for the whole time wasm code of one instance runs. */
export const VMCTX_REG = GPR.r15;
/** linear memory 0 base; pinned; never moves because memory is a fixed reservation. */
export const MEMBASE_REG = GPR.r14;

/** Registers wasm code may allocate (everything except rsp, rbp and the pinned pair). */
export const ALLOCATABLE_GPRS: readonly number[] = [
  GPR.rax, GPR.rcx, GPR.rdx, GPR.rbx, GPR.rsi, GPR.rdi,
  GPR.r8, GPR.r9, GPR.r10, GPR.r11, GPR.r12, GPR.r13,
];

/**
 * Host (System V) callee-saved registers. The entry trampoline saves these on the host stack
 * before switching to the wasm stack, which is why wasm code may treat them as caller-saved.
 */
export const SYSV_CALLEE_SAVED: readonly number[] = [GPR.rbx, GPR.rbp, GPR.r12, GPR.r13, GPR.r14, GPR.r15];

/** Integer single result register and float single result register (xmm0). */
export const RESULT_GPR = GPR.rax;
export const RESULT_XMM = 0;

/** Runtime-stub argument registers (see calling-convention.ts). */
export const HOSTCALL_INDEX_REG = GPR.rax;
export const HOSTCALL_SLOTS_REG = GPR.rcx;
