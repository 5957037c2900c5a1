// Table lookups `T[x]` with T at a constant address compile to `i32.load (i32.add (i32.shl x k) C)`.
// Computed as written that is `shl; add; mov r, [r14 + r]`: two ALU ops on the load's critical
// path (crc32's inner loop is this chain, byte after byte). x86 can take the whole sum as the
// load's addressing mode, `mov r, [r14 + x*2^k + C]`, but only when the 32-bit sum cannot wrap:
// the wasm address is (x << k) + C mod 2^32, the addressing mode adds in 64 bits. The value
// stack's bounds (ValueStack.bits: a byte load, a mask, a right shift) say when it cannot, so:
//   - `x; i32.const k; i32.shl` with k in 1..3, x below 2^b and b + k <= 32, followed (a peek at
//     the body bytes) by `i32.const C; i32.add; <load>` with (2^(b+k) - 1) + C < 2^32, pushes an
//     ADDR entry (x's register, shift k, disp 0) instead of shifting;
//   - i32.add of that entry and a constant adds the constant to its disp (checked again here);
//   - the load (emit-memory's address()) uses it as [r14 + x*2^k + disp + offset].
// The access is the same address as before, so out-of-bounds still faults in the guard region.
// Anything else that meets an ADDR entry computes it with one lea (CodeGen.materializeAddr).
import { AluOp } from '../../backend-x64/index.js';
import type { InstrReader } from '../frontend/instr-reader.js';
import type { CodeGen } from './masm.js';
import { Kind } from './value-stack.js';
import { peekLeb, peeked } from './peek.js';

const OP_I32_CONST = 0x41, OP_I32_ADD = 0x6a;
/** i32.load (0x28) .. i64.load32_u (0x35): every load, each with a memarg */
const OP_FIRST_LOAD = 0x28, OP_LAST_LOAD = 0x35;
const MAX_DISP = 0x7fffffff, MAX_U32 = 0xffffffff;

/**
 * The bound (ValueStack.bits) of the i32 `lhs op rhs`, from the bounds of the top two entries:
 * `and` keeps the smaller, `or`/`xor` the larger, `add` one more bit; 32 for anything else.
 */
export function aluBits(c: CodeGen, op: AluOp): number {
  const vs = c.vs, a = vs.bitsOf(vs.sp - 2), b = vs.bitsOf(vs.sp - 1);
  switch (op) {
    case AluOp.AND: return Math.min(a, b);
    case AluOp.OR: case AluOp.XOR: return Math.max(a, b);
    case AluOp.ADD: return Math.min(32, Math.max(a, b) + 1);
    default: return 32;
  }
}

/** The constant C of `i32.const C; i32.add; <load>` at the reader's position, or -1. */
function constAddThenLoad(ir: InstrReader): number {
  const r = ir.r, b = r.buf;
  if (r.pos >= r.end || b[r.pos] !== OP_I32_CONST || !peekLeb(b, r.pos + 1, r.end)) return -1;
  const p = peeked.end, v = peeked.value;
  if ((b[p - 1] & 0x40) !== 0) return -1; // negative (sign bit of the last group): never foldable
  if (p + 1 >= r.end || b[p] !== OP_I32_ADD || b[p + 1] < OP_FIRST_LOAD || b[p + 1] > OP_LAST_LOAD) return -1;
  return v <= MAX_DISP ? v : -1;
}

/**
 * `x << k` (the top is the constant k) as an ADDR entry when a constant add and a load follow
 * and the sum cannot wrap (see the header). False when the shape does not match: the caller
 * shifts as usual.
 */
export function scaledIndex(c: CodeGen, ir: InstrReader): boolean {
  const vs = c.vs, i = vs.sp - 1, xi = i - 1;
  const k = vs.lo[i] & 31;
  if (k < 1 || k > 3 || vs.kind[xi] === Kind.CONST) return false;
  const b = vs.bits[xi] + k;
  if (b > 32) return false;
  const C = constAddThenLoad(ir);
  if (C < 0 || 2 ** b - 1 + C > MAX_U32) return false;
  vs.drop();
  const r = c.popGpr();
  vs.pushAddr(r, k, 0, b);
  c.addrPending = true;
  return true;
}

/**
 * i32.add of an ADDR entry and a constant (the top): the constant joins the entry's disp while
 * the sum provably does not wrap; else the entry is computed (lea) and the add emitted as usual.
 * True when folded.
 */
export function addToAddr(c: CodeGen): boolean {
  const vs = c.vs, i = vs.sp - 1, ai = i - 1;
  if (vs.kind[ai] === Kind.ADDR && vs.kind[i] === Kind.CONST) {
    const C = vs.lo[i] >>> 0, disp = vs.lo[ai] + C, max = 2 ** vs.bits[ai] - 1 + C;
    if (disp <= MAX_DISP && max <= MAX_U32) {
      vs.drop();
      vs.lo[ai] = disp;
      vs.bits[ai] = 32 - Math.clz32(max);
      return true;
    }
  }
  c.materializeAddr();
  return false;
}
