// The ABI shared by compiled code, the user-space runtime and the kernel module (see
// docs/abi.md). kernel-loader/kmod/kwasm_abi.h is generated from these files.
export * from './vmctx.js';
export * from './traps.js';
export * from './regs.js';
export * from './calling-convention.js';
export * from './image.js';
export * from './globals.js';
