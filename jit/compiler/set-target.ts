// The result of a binary op goes straight to the local the next instruction sets, when that
// local is cached in a register (one-instruction peek at `local.set`/`local.tee` in the body
// bytes; the validator checks that instruction when it comes). `x = x op y` then works in place
// (no copy of x), `t = a op b` computes into t's register, and a loop header that caches the
// local there needs no back-edge move. Counters, accumulators and loop temporaries are this.
// Likewise a value the function returns next is computed in rax/xmm0 (returnTarget).
import type { InstrReader } from '../frontend/instr-reader.js';
import { I32, I64, type ValType } from '../frontend/types.js';
import { resultsInSlots } from '../../abi/calling-convention.js';
import { isXmmType, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';
import { peekLeb, peeked } from './peek.js';

const OP_LOCAL_SET = 0x21, OP_LOCAL_TEE = 0x22;
/** i32.add..i32.rotr and i64.add..i64.rotr: 15 binary ops each, one opcode byte, no immediate */
const OP_I32_ADD = 0x6a, OP_I64_ADD = 0x7c, BINOPS = 15;

/**
 * The local the next instruction sets, if it has type t, is cached in a register and no entry
 * of the value stack but `skip1`/`skip2` (the op's operands) reads it: its old value is dead
 * once the op consumed those. -1 else (also for a bad index: only a non-match here).
 */
export function nextSetLocal(c: CodeGen, ir: InstrReader, t: ValType, skip1: number, skip2: number, at = ir.r.pos): number {
  const r = ir.r, b = r.buf;
  if (at >= r.end || (b[at] !== OP_LOCAL_SET && b[at] !== OP_LOCAL_TEE) || !peekLeb(b, at + 1, r.end)) return -1;
  const l = peeked.value;
  if (l >= c.numLocals || c.localTypes[l] !== t || c.cache.peek(l) < 0) return -1;
  const vs = c.vs;
  if (vs.localRefs > 0) {
    for (let k = 0; k < vs.sp; k++) if (k !== skip1 && k !== skip2 && vs.kind[k] === Kind.LOCAL && vs.lo[k] === l) return -1;
  }
  return l;
}

/**
 * L's old value is dead once the op reads it, so the op works in place in L's cache register
 * (no copy) when L is set next: `local.get L, x, op, local.set L`, or, two instructions ahead,
 * `local.get L, x, op, op2, local.set L` with op2 a plain binary op of the same integer type (one
 * opcode byte, no immediate; crc32's `crc >> 8`, then `^`, then `local.tee crc`).
 */
export function inPlaceForSet(c: CodeGen, ir: InstrReader, t: ValType): void {
  const vs = c.vs, li = vs.sp - 2;
  if (vs.kind[li] !== Kind.LOCAL) return;
  let l = nextSetLocal(c, ir, t, li, -1);
  if (l < 0 && (t === I32 || t === I64)) {
    const r = ir.r, p = r.pos, first = t === I32 ? OP_I32_ADD : OP_I64_ADD;
    if (p < r.end && r.buf[p] >= first && r.buf[p] < first + BINOPS) l = nextSetLocal(c, ir, t, li, -1, p + 1);
  }
  if (l === vs.lo[li]) vs.setReg(li, c.cache.release(l));
}

/**
 * Before a two-address op (`op lhs, rhs` overwrites lhs): when the next instruction sets a
 * cached local T, the left operand goes into T's register (in place when it is T itself)
 * instead of a fresh copy. Not when the right operand reads T (nextSetLocal skips only lhs).
 */
export function lhsToSetTarget(c: CodeGen, ir: InstrReader, t: ValType): void {
  const vs = c.vs, li = vs.sp - 2;
  if (vs.kind[li] === Kind.REG || vs.kind[li] === Kind.COND) return; // already a register the op may clobber
  const l = nextSetLocal(c, ir, t, li, -1);
  if (l < 0) {
    // Or the function returns the result: compute it in rax/xmm0 (in place when lhs is there).
    if (vs.kind[li] === Kind.LOCAL && c.cache.peek(vs.lo[li]) === 0 && c.cache.ownerOf(isXmmType(t) ? 16 : 0) === vs.lo[li]) {
      if (returnTarget(c, ir, t, li + 1) === 0) vs.setReg(li, 0);
      return;
    }
    if (returnTarget(c, ir, t, li + 1) !== 0) return;
    c.moveEntryToReg(li, 0);
    vs.setReg(li, 0);
    return;
  }
  if (vs.kind[li] === Kind.LOCAL && vs.lo[li] === l) { vs.setReg(li, c.cache.release(l)); return; }
  const r = c.cache.release(l);
  c.moveEntryToReg(li, r);
  vs.setReg(li, r);
}

const OP_RETURN = 0x0f, OP_END = 0x0b;

/**
 * The next instruction returns the value this op computes (`return`, or the function's own
 * `end`) in register 0 of t's class (rax/xmm0): claim that register for the result and return
 * 0, else -1. A local cached there is dead once the function returns, and so is every value
 * below the operands; `rhs` (a value-stack index, or -1) must not read the register (a
 * two-address op writes its destination before it reads its right operand).
 */
export function returnTarget(c: CodeGen, ir: InstrReader, t: ValType, rhs: number): number {
  const r = ir.r, b = r.buf, p = r.pos;
  if (p >= r.end || (b[p] !== OP_RETURN && (b[p] !== OP_END || c.depth !== 1))) return -1;
  const res = c.funcType.results;
  if (res.length !== 1 || res[0] !== t || resultsInSlots(res)) return -1;
  const xmm = isXmmType(t), vs = c.vs, owner = c.cache.ownerOf(xmm ? 16 : 0);
  if (rhs >= 0 && ((vs.kind[rhs] === Kind.LOCAL && owner >= 0 && vs.lo[rhs] === owner) || (vs.kind[rhs] === Kind.REG && vs.reg[rhs] === 0))) return -1;
  if (owner >= 0) { c.cache.release(owner); return 0; }
  if (!c.ra.isFree(xmm, 0)) return -1;
  c.ra.take(xmm, 0);
  return 0;
}
