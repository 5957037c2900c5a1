// Memory operands. A `Mem` is a tiny immutable record; the JIT can keep and
// reuse them (e.g. one per vmctx field) so that emitting an instruction with a
// memory operand allocates nothing.
import type { Gpr } from './registers.js';
import type { Label } from './labels.js';

/** `base` value meaning "no base register" (absolute `[disp32]` or `[index*s + disp32]`). */
export const NO_BASE = -1;
/** `base` value meaning RIP-relative. */
export const RIP = 16;
/** `index` value meaning "no index register". */
export const NO_INDEX = -1;
/** `label` value meaning "plain displacement, no label". */
export const NO_LABEL = -1;

export type Scale = 1 | 2 | 4 | 8;

export class Mem {
  constructor(
    /** 0..15, NO_BASE or RIP */
    readonly base: number,
    /** 0..15 except 4 (rsp cannot be an index), or NO_INDEX */
    readonly index: number,
    /** log2 of the scale, 0..3 */
    readonly shift: number,
    /** signed 32-bit displacement; for a label reference, the addend added to the label's address */
    readonly disp: number,
    /** RIP-relative target label, or NO_LABEL */
    readonly label: number,
  ) {}
}

function checkDisp(disp: number): void {
  if (!Number.isInteger(disp) || disp < -0x80000000 || disp > 0x7fffffff) {
    throw new RangeError(`displacement does not fit in a signed 32-bit field: ${disp}`);
  }
}

const SHIFT_OF: Readonly<Record<Scale, number>> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** `[base + disp]` */
export function mem(base: Gpr, disp = 0): Mem {
  checkDisp(disp);
  return new Mem(base, NO_INDEX, 0, disp, NO_LABEL);
}

/** `[base + index*scale + disp]`; pass `NO_BASE` as base for `[index*scale + disp32]`. */
export function memIdx(base: Gpr | typeof NO_BASE, index: Gpr, scale: Scale = 1, disp = 0): Mem {
  checkDisp(disp);
  // SIB index 100 means "no index", so rsp can never be an index register.
  if (index === 4) throw new RangeError('rsp cannot be used as an index register');
  const shift = SHIFT_OF[scale];
  if (shift === undefined) throw new RangeError(`bad scale ${scale}`);
  return new Mem(base, index, shift, disp, NO_LABEL);
}

/** `[disp32]` with no base and no index (SIB form; absolute address in the low 2 GiB). */
export function memAbs(disp: number): Mem {
  checkDisp(disp);
  return new Mem(NO_BASE, NO_INDEX, 0, disp, NO_LABEL);
}

/** `[rip + label + addend]`: resolved when the label is bound (or at finish() for pool labels). */
export function ripRel(label: Label, addend = 0): Mem {
  checkDisp(addend);
  return new Mem(RIP, NO_INDEX, 0, addend, label);
}

/** `[rip + disp]` with a raw displacement measured from the end of the instruction. */
export function ripDisp(disp: number): Mem {
  checkDisp(disp);
  return new Mem(RIP, NO_INDEX, 0, disp, NO_LABEL);
}
