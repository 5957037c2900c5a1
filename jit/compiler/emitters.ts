// The opcode-indexed emitter table. Each family file registers its handlers here; regular
// families (ALU ops, compares, loads/stores, float binops) register one generic emitter per
// table row instead of a switch case per opcode.
import type { InstrReader } from '../frontend/instr-reader.js';
import { NUM_CODES, codeOf } from '../frontend/opcodes.js';
import type { CodeGen } from './masm.js';

export type Emitter = (c: CodeGen, ir: InstrReader) => void;

export const EMIT: (Emitter | undefined)[] = new Array<Emitter | undefined>(NUM_CODES).fill(undefined);
/** Opcodes that consume a pending COND themselves (everything else materialises it first). */
export const COND_AWARE = new Uint8Array(NUM_CODES);

export function on(op: number, e: Emitter): void {
  EMIT[codeOf(op)] = e;
}
