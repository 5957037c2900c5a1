// Public surface of the x86-64 backend.
export * from './registers.js';
export * from './operands.js';
export * from './labels.js';
export * from './sse.js';
export { CodeBuffer } from './code-buffer.js';
export { Assembler, AluOp, ShiftOp, UnaryOp, BitOp, type AssembledCode, type AssembledPart } from './assembler.js';
// The disassembler (disasm.ts) is not re-exported: it loads capstone, which only
// `compile --disasm` and tests need; importing it from here put capstone into every `run`.
export { grow32, objectArray } from './arrays.js';
