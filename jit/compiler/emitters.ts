// The emitter table, indexed by the opcode table's dense code (jit/frontend/opcodes.ts). Each
// family file registers its handlers by instruction name; regular families (ALU ops, compares,
// loads/stores, float binops) register one generic emitter per row instead of a switch case
// per opcode.
import type { InstrReader } from '../frontend/instr-reader.js';
import { NUM_CODES, codesNamed } from '../frontend/opcodes.js';
import type { CodeGen } from './masm.js';

export type Emitter = (c: CodeGen, ir: InstrReader) => void;

export const EMIT: (Emitter | undefined)[] = new Array<Emitter | undefined>(NUM_CODES).fill(undefined);
/** Opcodes that consume a pending COND themselves (everything else materialises it first). */
export const COND_AWARE = new Uint8Array(NUM_CODES);

/** Opcodes that take a pending load (a MEM top entry) as a memory operand or materialise it themselves. */
export const MEM_AWARE = new Uint8Array(NUM_CODES);

/**
 * Opcodes an ADDR entry (a scaled index not computed yet) may meet: the i32.const and i32.add
 * that add to it and the load that takes it as its addressing mode (emit-int's scaledIndex).
 */
export const ADDR_AWARE = new Uint8Array(NUM_CODES);

/** Register the emitter of the instruction `name` ('i32.add'; every encoding of that name). */
export function on(name: string, e: Emitter): void {
  for (const c of codesNamed(name)) {
    if (EMIT[c] !== undefined) throw new Error(`compiler: two emitters for ${name}`);
    EMIT[c] = e;
  }
}

/** The instruction `name` consumes a pending COND (a compare still in EFLAGS) itself. */
export function condAware(name: string): void {
  for (const c of codesNamed(name)) COND_AWARE[c] = 1;
}

/** The instruction `name` takes an ADDR entry (see ADDR_AWARE). */
export function addrAware(name: string): void {
  for (const c of codesNamed(name)) ADDR_AWARE[c] = 1;
}

/** The instruction `name` folds a pending load (see CodeGen.pushLoad) or materialises it itself. */
export function memAware(name: string): void {
  for (const c of codesNamed(name)) MEM_AWARE[c] = 1;
}
