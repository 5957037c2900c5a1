// Public surface of the x86-64 backend.
export * from './registers.js';
export * from './operands.js';
export * from './labels.js';
export * from './sse.js';
export { CodeBuffer } from './code-buffer.js';
export { Assembler, AluOp, ShiftOp, UnaryOp, BitOp, type Reloc, type AssembledCode } from './assembler.js';
export { initDisasm, disassemble, disassembleSync, decode, type DisasmOptions, type DecodedInsn } from './disasm.js';
