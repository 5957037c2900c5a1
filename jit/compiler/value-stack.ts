// The compiler's abstract value stack (Winch's `Val`, Liftoff's `VarState`): one entry per wasm
// operand, kept in parallel typed arrays so pushing allocates nothing. An entry says where the
// value is *now*; code is only emitted when an instruction needs it somewhere else (lazy
// materialisation):
//   CONST  the bits are known at compile time (folded into immediates where x86 allows; never
//          a v128, whose constants are loaded from the pool at once)
//   REG    in a register (GPR for i32/i64/refs, XMM for f32/f64/v128)
//   LOCAL  equal to a local variable; reading it reads the local's frame slot
//   STACK  spilled to its canonical frame slot, which is fixed by the entry's height
//   COND   an i32 boolean that is still only in EFLAGS (a compare fused with br_if/if/select)
//   MEM    a load not yet emitted (i32/i64/f32/f64.load): [r14 + index*2^shift + disp]; only
//          ever the top entry, consumed by the next instruction as a memory operand or materialised
//   ADDR   an i32 equal to (index << shift) + disp that no instruction has computed yet, known
//          not to wrap at 32 bits; made only when the next instructions are `i32.const, i32.add,
//          load`, which fold it into the load's addressing mode (emit-int's scaledIndex)
//
// `bits` bounds an i32 entry's value: it is below 2^bits (32 when nothing is known; a CONST's
// bound is read off its value, see bitsOf). Emitters that know more (a byte load, a mask, a
// right shift) lower it on the entry they push; the bound travels with the value when the entry
// moves between register, slot and local, and a new push starts again from 32.
import { Vt, type ValType } from '../frontend/types.js';

export const enum Kind { CONST = 0, REG = 1, LOCAL = 2, STACK = 3, COND = 4, MEM = 5, ADDR = 6 }

/** A MEM entry without index register. */
export const NO_REG = 0xff;

export class ValueStack {
  kind = new Uint8Array(0);
  type = new Uint8Array(0);
  /** REG: register number; COND: the x86 condition code that means "true"; MEM: index register or NO_REG; ADDR: index register (owned). */
  reg = new Uint8Array(0);
  /**
   * CONST: low/high 32 bits (i32 and f32 in lo). LOCAL: local index in lo. MEM: disp in lo; in hi
   * bit 0 = the entry owns its index register, bits 1-2 = the index's shift. ADDR: disp in lo, shift in hi.
   */
  lo = new Int32Array(0);
  hi = new Int32Array(0);
  /** i32 entries: the value is below 2^bits (see the header). */
  bits = new Uint8Array(0);
  sp = 0;
  /** Number of LOCAL entries: local.set can skip its scan when this is zero. */
  localRefs = 0;

  constructor() {
    this.resize(64); // grown later: stored twice so V8 never takes them for constants (reader.ts, GROWN_FIELDS)
  }

  private grow(): void { this.resize(this.kind.length * 2); }

  private resize(n: number): void {
    const k = new Uint8Array(n); k.set(this.kind); this.kind = k;
    const t = new Uint8Array(n); t.set(this.type); this.type = t;
    const r = new Uint8Array(n); r.set(this.reg); this.reg = r;
    const l = new Int32Array(n); l.set(this.lo); this.lo = l;
    const h = new Int32Array(n); h.set(this.hi); this.hi = h;
    const b = new Uint8Array(n); b.set(this.bits); this.bits = b;
  }

  private slot(t: ValType, k: Kind): number {
    if (this.sp === this.kind.length) this.grow();
    const i = this.sp++;
    this.kind[i] = k;
    this.type[i] = t;
    this.bits[i] = 32;
    return i;
  }

  pushConst(t: ValType, lo: number, hi: number): void {
    const i = this.slot(t, Kind.CONST);
    this.lo[i] = lo;
    this.hi[i] = hi;
  }
  pushReg(t: ValType, r: number): void { this.reg[this.slot(t, Kind.REG)] = r; }
  pushLocal(t: ValType, local: number): void {
    this.lo[this.slot(t, Kind.LOCAL)] = local;
    this.localRefs++;
  }
  pushStack(t: ValType): void { this.slot(t, Kind.STACK); }
  pushCond(cc: number): void { this.reg[this.slot(0x7f, Kind.COND)] = cc; }
  pushMem(t: ValType, index: number, disp: number, owned: boolean, shift: number): void {
    const i = this.slot(t, Kind.MEM);
    this.reg[i] = index < 0 ? NO_REG : index;
    this.lo[i] = disp;
    this.hi[i] = (owned ? 1 : 0) | (shift << 1);
  }
  /** An i32 (index << shift) + disp below 2^bits, index an owned register (see ADDR). */
  pushAddr(index: number, shift: number, disp: number, bits: number): void {
    const i = this.slot(Vt.I32, Kind.ADDR);
    this.reg[i] = index;
    this.lo[i] = disp;
    this.hi[i] = shift;
    this.bits[i] = bits;
  }

  /** Entry i (an i32) is below 2^bitsOf(i). */
  bitsOf(i: number): number {
    return this.kind[i] === Kind.CONST ? 32 - Math.clz32(this.lo[i]) : this.bits[i];
  }

  /** Index of the entry `depth` below the top (0 = top). */
  at(depth: number): number { return this.sp - 1 - depth; }

  /** Forget the top entry (the caller has taken care of its register). */
  drop(): void {
    const i = --this.sp;
    if (this.kind[i] === Kind.LOCAL) this.localRefs--;
  }

  /** Rewrite entry i to live in its canonical slot. */
  setStack(i: number): void {
    if (this.kind[i] === Kind.LOCAL) this.localRefs--;
    this.kind[i] = Kind.STACK;
  }
  setReg(i: number, r: number): void {
    if (this.kind[i] === Kind.LOCAL) this.localRefs--;
    this.kind[i] = Kind.REG;
    this.reg[i] = r;
  }
}
