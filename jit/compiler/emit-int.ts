// Integer instructions: constants, ALU ops with immediates folded, compares producing flags
// (COND), shifts/rotates through cl, division with explicit zero and overflow checks, bit counts
// and sign extension.
import { AluOp, BitOp, Cond, NO_BASE, NO_INDEX, ShiftOp, UnaryOp, rcx, type Gpr } from '../../backend-x64/index.js';
import { TrapCode } from '../../abi/traps.js';
import type { InstrReader } from '../frontend/instr-reader.js';
import { Vt } from '../frontend/types.js';
import { inPlaceForSet, lhsToSetTarget, nextSetLocal, returnTarget } from './set-target.js';
import { addrAware, condAware, memAware, on } from './emitters.js';
import { R11, RAX, RDX, Rhs, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';
import { addToAddr, aluBits, scaledIndex } from './scaled-index.js';

type Size = 32 | 64;
const typeOf = (s: Size): number => (s === 32 ? Vt.I32 : Vt.I64);

/** The top is a constant usable as a (sign-extended) imm32 for an operation of this size. */
function topImm(c: CodeGen, size: Size): boolean {
  const vs = c.vs, i = vs.sp - 1;
  return vs.kind[i] === Kind.CONST && (size === 32 || vs.hi[i] === vs.lo[i] >> 31);
}

/**
 * Local l is in a cache register, loaded into one first when a second register stays free for
 * the result (as CodeGen.entryToReg caches a local's first read).
 */
function cachedOrCache(c: CodeGen, l: number): boolean {
  if (c.cache.peek(l) >= 0) return true;
  return c.ra.freeCount(false) >= 2 && c.cacheLocalForRead(l) >= 0;
}

/**
 * `local + imm`, `local - imm`, `local + x` where the local is cached in a register: one
 * `lea dst, [cache + imm | x]` instead of copying the cache register and adding (the cache
 * register must survive, so `add` could not work in place). A 32-bit lea truncates the 64-bit
 * sum, as i32.add wraps, and zeroes the upper half, as i32 registers keep it. False when the
 * operands do not have that shape (the caller emits the plain sequence).
 */
function leaAdd(c: CodeGen, ir: InstrReader, op: AluOp, size: Size): boolean {
  const vs = c.vs, i = vs.sp - 1, li = i - 1;
  if (vs.kind[li] !== Kind.LOCAL || !cachedOrCache(c, vs.lo[li])) return false;
  const k = vs.kind[i];
  let disp = 0, index: number = NO_INDEX, owned: Gpr | -1 = -1;
  if (topImm(c, size)) {
    if (op === AluOp.SUB && vs.lo[i] === -0x80000000) return false; // -imm does not fit
    disp = op === AluOp.ADD ? vs.lo[i] : -vs.lo[i];
  } else if (op !== AluOp.ADD) {
    return false;
  } else if (k === Kind.REG) {
    owned = c.gprOf(i);
    index = owned;
  } else if (k === Kind.LOCAL && c.cache.peek(vs.lo[i]) >= 0) {
    index = c.cachedLocal(vs.lo[i]);
    c.pinned |= 1 << index; // GPR cache registers: bits 0..15
  } else {
    return false;
  }
  const base = c.cachedLocal(vs.lo[li]);
  c.pinned |= 1 << base;
  // The local the next instruction sets takes the result in its own register (its old value
  // is dead; a loop header caching it there needs no back-edge move).
  const target = nextSetLocal(c, ir, typeOf(size), li, i);
  vs.drop();
  vs.drop();
  // Else an owned rhs register becomes the result (x + local), else a fresh one (allocating
  // may evict, but not the pinned cache registers).
  let d: Gpr;
  const ret = target >= 0 ? -1 : returnTarget(c, ir, typeOf(size), -1); // lea reads before it writes
  if (target >= 0 || ret >= 0) {
    d = target >= 0 ? c.releaseCachedGpr(target) : RAX;
    if (owned !== -1) c.freeGpr(owned); // read by the lea below; nothing allocates in between
  } else {
    d = owned !== -1 ? owned : c.allocGpr();
  }
  const m = c.leaMem;
  m.base = base; m.index = index; m.shift = 0; m.disp = disp;
  c.asm.lea(size, d, m);
  c.pushReg(typeOf(size), d);
  return true;
}

/**
 * `local & 0xff` / `local & 0xffff` with the local cached in a register: one `movzx dst, src8/16`
 * instead of copying the cache register (it must survive) and masking the copy. A 32-bit movzx
 * zeroes the upper half too, so it serves i64.and as well. False for any other shape.
 */
function zeroExtendAnd(c: CodeGen, size: Size): boolean {
  const vs = c.vs, i = vs.sp - 1, li = i - 1;
  if (vs.kind[i] !== Kind.CONST || vs.kind[li] !== Kind.LOCAL || c.cache.peek(vs.lo[li]) < 0) return false;
  const m = vs.lo[i];
  if ((m !== 0xff && m !== 0xffff) || (size === 64 && vs.hi[i] !== 0)) return false;
  vs.drop();
  const src = c.popReadGpr(); // the cache register, pinned for this instruction
  const d = c.allocGpr();
  c.asm.movzxRR(32, m === 0xff ? 8 : 16, d, src);
  c.pushReg(typeOf(size), d);
  return true;
}

/** i32.eqz, i64.eqz, and the i32 condition consumers br_if, if, select (no immediate after select) */
const OP_I32_EQZ = 0x45, OP_I64_EQZ = 0x50, OP_BR_IF = 0x0d, OP_IF = 0x04, OP_SELECT = 0x1b;

/**
 * `x & imm` whose only use is a zero test (the next instruction is eqz, or for i32 br_if, if or
 * select): one `test x, imm` reading x in place, a COND meaning "x & imm != 0" for that user
 * (collatz's `x & 1 ? 3x + 1 : x >> 1` was `mov r, x ; and r, 1 ; test r, r ; cmov`). The COND
 * stands for a value that is not 0/1, which only a zero test may consume: hence the peek.
 */
function andForTest(c: CodeGen, ir: InstrReader, size: Size): boolean {
  const r = ir.r;
  if (r.pos >= r.end || !topImm(c, size)) return false;
  const next = r.buf[r.pos];
  if (size === 64 ? next !== OP_I64_EQZ : next !== OP_I32_EQZ && next !== OP_BR_IF && next !== OP_IF && next !== OP_SELECT) return false;
  const vs = c.vs, imm = vs.lo[vs.sp - 1];
  vs.drop();
  const x = c.popReadGpr();
  c.asm.testRI(size, x, imm);
  if (c.popReadOwned) c.freeGpr(x);
  c.pushCond(Cond.NE);
  return true;
}

function alu(op: AluOp, size: Size): (c: CodeGen, ir: InstrReader) => void {
  const leaShape = op === AluOp.ADD || op === AluOp.SUB;
  const emit = (c: CodeGen, ir: InstrReader): void => {
    const a = c.asm;
    inPlaceForSet(c, ir, typeOf(size));
    if (leaShape && leaAdd(c, ir, op, size)) return;
    if (op === AluOp.AND && (zeroExtendAnd(c, size) || andForTest(c, ir, size))) return;
    lhsToSetTarget(c, ir, typeOf(size));
    const o = c.popBinaryGpr(size);
    if (o.rhs === Rhs.IMM) a.aluRI(op, size, o.lhs, o.imm);
    else if (o.rhs === Rhs.MEM) a.aluRM(op, size, o.lhs, o.mem);
    else a.aluRR(op, size, o.lhs, o.reg);
    c.releaseRhs(o, false);
    c.pushReg(typeOf(size), o.lhs);
  };
  if (size === 64) return emit;
  return (c, ir) => {
    if (c.addrPending && op === AluOp.ADD && addToAddr(c)) return;
    const bits = aluBits(c, op); // the operands' bounds, read before they are popped
    emit(c, ir);
    c.vs.bits[c.vs.sp - 1] = bits;
  };
}

/** x * 3, 5, 9 as `lea d, [x + x*2^shift]` (1-2 cycles against imul's 3): shift by multiplier. */
const LEA_MUL: Readonly<Record<number, number>> = { 3: 1, 5: 2, 9: 3 };

function mul(size: Size): (c: CodeGen, ir: InstrReader) => void {
  return (c, ir) => {
    const a = c.asm;
    lhsToSetTarget(c, ir, typeOf(size));
    const o = c.popBinaryGpr(size);
    const leaShift = o.rhs === Rhs.IMM ? LEA_MUL[o.imm] : undefined;
    if (leaShift !== undefined) {
      const m = c.leaMem; // the 32-bit lea wraps as i32.mul does and zeroes the upper half
      m.base = o.lhs; m.index = o.lhs; m.shift = leaShift; m.disp = 0;
      a.lea(size, o.lhs, m);
    } else if (o.rhs === Rhs.IMM) a.imulRRI(size, o.lhs, o.lhs, o.imm);
    else if (o.rhs === Rhs.MEM) a.imulRM(size, o.lhs, o.mem);
    else a.imulRR(size, o.lhs, o.reg);
    c.releaseRhs(o, false);
    c.pushReg(typeOf(size), o.lhs);
  };
}

function compare(cc: Cond, size: Size): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm, vs = c.vs;
    const top = vs.sp - 1;
    if (topImm(c, size) || vs.kind[top] === Kind.REG || (vs.kind[top] === Kind.LOCAL && c.cache.peek(vs.lo[top]) >= 0)) {
      // A compare only reads its operands: cached locals are compared in place (pinned), no copy.
      let imm = 0, r: Gpr | -1 = -1, rOwned = true;
      if (vs.kind[top] === Kind.CONST) { imm = vs.lo[top]; vs.drop(); } else { r = c.popReadGpr(); rOwned = c.popReadOwned; }
      const l = c.popReadGpr(), owned = c.popReadOwned;
      if (r === -1) a.aluRI(AluOp.CMP, size, l, imm);
      else { a.aluRR(AluOp.CMP, size, l, r); if (rOwned) c.freeGpr(r); }
      if (owned) c.freeGpr(l);
      c.pushCond(cc);
      return;
    }
    const o = c.popBinaryGpr(size);
    if (o.rhs === Rhs.IMM) a.aluRI(AluOp.CMP, size, o.lhs, o.imm);
    else if (o.rhs === Rhs.MEM) a.aluRM(AluOp.CMP, size, o.lhs, o.mem);
    else a.aluRR(AluOp.CMP, size, o.lhs, o.reg);
    c.releaseRhs(o, false);
    c.freeGpr(o.lhs);
    c.pushCond(cc);
  };
}

function eqz(size: Size): (c: CodeGen) => void {
  return (c) => {
    if (c.topKind() === Kind.COND) {
      // eqz of a flags value is the negated condition: no code at all.
      const vs = c.vs, i = vs.sp - 1;
      vs.reg[i] = c.negate(vs.reg[i] as Cond);
      return;
    }
    const r = c.popReadGpr();
    c.asm.testRR(size, r, r);
    if (c.popReadOwned) c.freeGpr(r);
    c.pushCond(Cond.E);
  };
}

function shift(op: ShiftOp, size: Size): (c: CodeGen, ir: InstrReader) => void {
  return (c, ir) => {
    const a = c.asm, vs = c.vs;
    if (vs.kind[vs.sp - 1] === Kind.CONST) {
      if (size === 32 && op === ShiftOp.SHL && scaledIndex(c, ir)) return;
      inPlaceForSet(c, ir, typeOf(size));
      const n = vs.lo[vs.sp - 1] & (size - 1);
      const li = vs.sp - 2;
      // x >>> n is below 2^(bits - n) (ValueStack.bits)
      const bits = size === 32 && op === ShiftOp.SHR ? Math.max(0, vs.bitsOf(li) - n) : 32;
      if (op === ShiftOp.SHL && n >= 1 && n <= 3 && vs.kind[li] === Kind.LOCAL && cachedOrCache(c, vs.lo[li])) {
        // A cached local shifted into a new register: `lea dst, [x*2^n]` (x + x for n = 1)
        // instead of copying the cache register and shifting the copy.
        const src = c.cachedLocal(vs.lo[li]);
        c.pinned |= 1 << src;
        vs.drop();
        vs.drop();
        const d = c.allocGpr(), m = c.leaMem;
        m.base = n === 1 ? src : NO_BASE; m.index = src; m.shift = n === 1 ? 0 : n; m.disp = 0;
        a.lea(size, d, m);
        c.pushReg(typeOf(size), d);
        return;
      }
      vs.drop();
      const l = c.popGpr();
      if (n !== 0) a.shiftRI(op, size, l, n);
      c.pushReg(typeOf(size), l);
      vs.bits[vs.sp - 1] = bits;
      return;
    }
    c.claimGpr(rcx);
    c.popTo(rcx);
    const l = c.popGpr();
    a.shiftRCl(op, size, l);
    c.freeGpr(rcx);
    c.pushReg(typeOf(size), l);
  };
}

const DIV = 0, REM = 1;
function division(kind: number, signed: boolean, size: Size): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    c.claimGpr(RAX);
    c.claimGpr(RDX);
    const r = c.popGpr();
    c.popTo(RAX);
    a.testRR(size, r, r);
    a.jcc(Cond.E, c.trapLabel(TrapCode.integerDivideByZero));
    if (signed) {
      const normal = a.newLabel(), done = a.newLabel();
      a.aluRI(AluOp.CMP, size, r, -1);
      a.jcc(Cond.NE, normal);
      if (kind === DIV) {
        // INT_MIN / -1 overflows (x86 would raise #DE, reported as a divide by zero).
        if (size === 32) a.aluRI(AluOp.CMP, 32, RAX, 0x80000000);
        else { a.movRI(64, R11, -(2n ** 63n)); a.aluRR(AluOp.CMP, 64, RAX, R11); }
        a.jcc(Cond.E, c.trapLabel(TrapCode.integerOverflow));
        a.unaryR(UnaryOp.NEG, size, RAX);
      } else {
        // x rem -1 is 0 for every x (and idiv would fault on INT_MIN).
        a.movRI(32, RDX, 0);
      }
      a.jmp(done);
      a.bind(normal);
      if (size === 32) a.cdq(); else a.cqo();
      a.unaryR(UnaryOp.IDIV, size, r);
      a.bind(done);
    } else {
      a.movRI(32, RDX, 0);
      a.unaryR(UnaryOp.DIV, size, r);
    }
    c.freeGpr(r);
    if (kind === DIV) { c.freeGpr(RDX); c.pushReg(typeOf(size), RAX); }
    else { c.freeGpr(RAX); c.pushReg(typeOf(size), RDX); }
  };
}

/** clz via bsr (lzcnt is not on every x86-64 CPU: on those it silently decodes as bsr). */
function clz(size: Size): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popGpr();
    a.bitRR(BitOp.BSR, size, r, r);
    a.movRI(32, R11, size === 32 ? 63 : 127);
    a.cmovRR(Cond.E, size, r, R11);
    a.aluRI(AluOp.XOR, size, r, size - 1);
    c.pushReg(typeOf(size), r);
  };
}

function ctz(size: Size): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popGpr();
    a.bitRR(BitOp.BSF, size, r, r);
    a.movRI(32, R11, size);
    a.cmovRR(Cond.E, size, r, R11);
    c.pushReg(typeOf(size), r);
  };
}

function popcnt(size: Size): (c: CodeGen) => void {
  return (c) => {
    const r = c.popGpr();
    c.asm.bitRR(BitOp.POPCNT, size, r, r);
    c.pushReg(typeOf(size), r);
  };
}

function signExt(dst: Size, src: 8 | 16 | 32): (c: CodeGen) => void {
  return (c) => {
    const r = c.popGpr();
    c.asm.movsxRR(dst, src, r, r);
    c.pushReg(typeOf(dst), r);
  };
}

const CMP_CONDS: readonly (readonly [string, Cond])[] = [
  ['eq', Cond.E], ['ne', Cond.NE], ['lt_s', Cond.L], ['lt_u', Cond.B], ['gt_s', Cond.G],
  ['gt_u', Cond.A], ['le_s', Cond.LE], ['le_u', Cond.BE], ['ge_s', Cond.GE], ['ge_u', Cond.AE],
];

export function registerInt(): void {
  on('i32.const', (c, ir) => c.vs.pushConst(Vt.I32, ir.i32, 0));
  addrAware('i32.const'); // pushed above an ADDR entry, for the i32.add that adds it (scaled-index.ts)
  addrAware('i32.add');
  on('i64.const', (c, ir) => c.vs.pushConst(Vt.I64, ir.lo, ir.hi));
  on('i32.eqz', eqz(32));
  on('i64.eqz', eqz(64));
  condAware('i32.eqz');
  condAware('i64.eqz');
  for (const [p, size] of [['i32', 32], ['i64', 64]] as const) {
    CMP_CONDS.forEach(([rel, cc]) => { on(`${p}.${rel}`, compare(cc, size)); memAware(`${p}.${rel}`); });
    for (const n of ['add', 'sub', 'mul', 'and', 'or', 'xor']) memAware(`${p}.${n}`);
    on(`${p}.clz`, clz(size));
    on(`${p}.ctz`, ctz(size));
    on(`${p}.popcnt`, popcnt(size));
    on(`${p}.add`, alu(AluOp.ADD, size));
    on(`${p}.sub`, alu(AluOp.SUB, size));
    on(`${p}.mul`, mul(size));
    on(`${p}.div_s`, division(DIV, true, size));
    on(`${p}.div_u`, division(DIV, false, size));
    on(`${p}.rem_s`, division(REM, true, size));
    on(`${p}.rem_u`, division(REM, false, size));
    on(`${p}.and`, alu(AluOp.AND, size));
    on(`${p}.or`, alu(AluOp.OR, size));
    on(`${p}.xor`, alu(AluOp.XOR, size));
    on(`${p}.shl`, shift(ShiftOp.SHL, size));
    on(`${p}.shr_s`, shift(ShiftOp.SAR, size));
    on(`${p}.shr_u`, shift(ShiftOp.SHR, size));
    on(`${p}.rotl`, shift(ShiftOp.ROL, size));
    on(`${p}.rotr`, shift(ShiftOp.ROR, size));
  }
  on('i32.extend8_s', signExt(32, 8));
  on('i32.extend16_s', signExt(32, 16));
  on('i64.extend8_s', signExt(64, 8));
  on('i64.extend16_s', signExt(64, 16));
  on('i64.extend32_s', signExt(64, 32));
  // i32.wrap_i64: the 32-bit mov clears the upper half (i32 registers keep it zero).
  on('i32.wrap_i64', (c) => { const r = c.popGpr(); c.asm.movRR(32, r, r); c.pushReg(Vt.I32, r); });
  on('i64.extend_i32_s', (c) => { const r = c.popGpr(); c.asm.movsxRR(64, 32, r, r); c.pushReg(Vt.I64, r); });
  on('i64.extend_i32_u', (c) => { const r = c.popGpr(); c.asm.movRR(32, r, r); c.pushReg(Vt.I64, r); });
}
