// Float instructions with exact wasm semantics: arithmetic straight from SSE; min/max with NaN
// propagation and -0 < +0 (minss/maxss alone get both wrong); nearest/ceil/floor/trunc via
// roundss/roundsd; abs/neg/copysign as bit masks from the constant pool; compares whose
// unordered case (PF) is handled explicitly.
import { AluOp, Cond, RoundMode, SseOp, type Mem } from '../../backend-x64/index.js';
import { F32, F64, I32 } from '../frontend/types.js';
import { memAware, on } from './emitters.js';
import { G, Rhs, X, XS, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';
import type { InstrReader } from '../frontend/instr-reader.js';
import { lhsToSetTarget } from './set-target.js';

type Fp = 32 | 64;
const tOf = (fp: Fp): number => (fp === 32 ? F32 : F64);
const SIGN32 = 0x80000000n, SIGN64 = 0x8000000000000000n;

function signMask(c: CodeGen, fp: Fp): Mem {
  return fp === 32 ? c.asm.const128(SIGN32 | (SIGN32 << 32n), SIGN32 | (SIGN32 << 32n)) : c.asm.const128(SIGN64, SIGN64);
}
function absMask(c: CodeGen, fp: Fp): Mem {
  const m32 = 0x7fffffffn | (0x7fffffffn << 32n);
  return fp === 32 ? c.asm.const128(m32, m32) : c.asm.const128(0x7fffffffffffffffn, 0x7fffffffffffffffn);
}

function binop(op32: SseOp, op64: SseOp, fp: Fp): (c: CodeGen, ir: InstrReader) => void {
  const op = fp === 32 ? op32 : op64;
  return (c, ir) => {
    lhsToSetTarget(c, ir, tOf(fp));
    const o = c.popBinary(0);
    if (o.rhs === Rhs.MEM) c.asm.sseRM(op, X(o.lhs), o.mem);
    else c.asm.sseRR(op, X(o.lhs), X(o.reg));
    c.releaseRhs(o, true);
    c.pushReg(tOf(fp), o.lhs);
  };
}

function minmax(isMin: boolean, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popReg();
    const l = c.popReg();
    const ucom = fp === 32 ? SseOp.UCOMISS : SseOp.UCOMISD;
    const nan = a.newLabel(), ne = a.newLabel(), done = a.newLabel();
    a.sseRR(ucom, X(l), X(r));
    a.jcc(Cond.P, nan);
    a.jcc(Cond.NE, ne);
    // Equal operands: only +0/-0 differ; OR of the bits picks -0 for min, AND picks +0 for max.
    a.sseRR(isMin ? (fp === 32 ? SseOp.ORPS : SseOp.ORPD) : (fp === 32 ? SseOp.ANDPS : SseOp.ANDPD), X(l), X(r));
    a.jmp(done);
    a.bind(nan);
    // Either is NaN: an add propagates a (quieted) NaN.
    a.sseRR(fp === 32 ? SseOp.ADDSS : SseOp.ADDSD, X(l), X(r));
    a.jmp(done);
    a.bind(ne);
    a.sseRR(isMin ? (fp === 32 ? SseOp.MINSS : SseOp.MINSD) : (fp === 32 ? SseOp.MAXSS : SseOp.MAXSD), X(l), X(r));
    a.bind(done);
    c.freeReg(F64, r);
    c.pushReg(tOf(fp), l);
  };
}

function copysign(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popReg();
    const l = c.popReg();
    a.sseRR(SseOp.MOVAPS, XS, X(r));
    a.sseRM(SseOp.ANDPS, XS, signMask(c, fp));
    a.sseRM(SseOp.ANDPS, X(l), absMask(c, fp));
    a.sseRR(SseOp.ORPS, X(l), XS);
    c.freeReg(F64, r);
    c.pushReg(tOf(fp), l);
  };
}

function unaryMask(isAbs: boolean, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popReg();
    if (isAbs) c.asm.sseRM(SseOp.ANDPS, X(r), absMask(c, fp));
    else c.asm.sseRM(SseOp.XORPS, X(r), signMask(c, fp));
    c.pushReg(tOf(fp), r);
  };
}

function round(mode: RoundMode, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popReg();
    c.asm.roundRR(fp, X(r), X(r), mode);
    c.pushReg(tOf(fp), r);
  };
}

function sqrt(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popReg();
    c.asm.sseRR(fp === 32 ? SseOp.SQRTSS : SseOp.SQRTSD, X(r), X(r));
    c.pushReg(tOf(fp), r);
  };
}

function freeRead(c: CodeGen, r: number, rOwned: boolean, l: number, lOwned: boolean): void {
  if (rOwned) c.freeReg(F64, r);
  if (lOwned) c.freeReg(F64, l);
}

const EQ = 0, NE = 1, LT = 2, GT = 3, LE = 4, GE = 5;
/**
 * Float compares. ucomis sets ZF,PF,CF = 1,1,1 for unordered; "above" (CF=0 and ZF=0) and
 * "above or equal" (CF=0) are false for NaN, so gt/ge compare (a, b) and lt/le compare (b, a)
 * and stay fusable flags. eq/ne need ZF and PF together, materialised with two setcc.
 */
function fcompare(rel: number, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const ucom = fp === 32 ? SseOp.UCOMISS : SseOp.UCOMISD;
    // ucomis only reads: cached locals are compared in place (popRead pins them).
    const r = c.popRead(), rOwned = c.popReadOwned;
    const l = c.popRead(), lOwned = c.popReadOwned;
    if (rel === GT || rel === GE) {
      a.sseRR(ucom, X(l), X(r));
      freeRead(c, r, rOwned, l, lOwned);
      c.pushCond(rel === GT ? Cond.A : Cond.AE);
      return;
    }
    if (rel === LT || rel === LE) {
      a.sseRR(ucom, X(r), X(l));
      freeRead(c, r, rOwned, l, lOwned);
      c.pushCond(rel === LT ? Cond.A : Cond.AE);
      return;
    }
    a.sseRR(ucom, X(l), X(r));
    freeRead(c, r, rOwned, l, lOwned);
    const d = c.allocReg(false);
    // eq: ZF=1 and PF=0; ne: ZF=0 or PF=1.
    a.setcc(rel === EQ ? Cond.E : Cond.NE, G(d));
    a.setcc(rel === EQ ? Cond.NP : Cond.P, G(11));
    a.aluRR(rel === EQ ? AluOp.AND : AluOp.OR, 8, G(d), G(11));
    a.movzxRR(32, 8, G(d), G(d));
    c.pushReg(I32, d);
  };
}

export function registerFloat(): void {
  on('f32.const', (c, ir) => c.vs.pushConst(F32, ir.i32, 0));
  on('f64.const', (c, ir) => c.vs.pushConst(F64, ir.lo, ir.hi));
  for (const [p, fp] of [['f32', 32], ['f64', 64]] as const) {
    ([['eq', EQ], ['ne', NE], ['lt', LT], ['gt', GT], ['le', LE], ['ge', GE]] as const).forEach(([n, rel]) => on(`${p}.${n}`, fcompare(rel, fp)));
    on(`${p}.abs`, unaryMask(true, fp));
    on(`${p}.neg`, unaryMask(false, fp));
    on(`${p}.ceil`, round(RoundMode.CEIL, fp));
    on(`${p}.floor`, round(RoundMode.FLOOR, fp));
    on(`${p}.trunc`, round(RoundMode.TRUNC, fp));
    on(`${p}.nearest`, round(RoundMode.NEAREST, fp));
    on(`${p}.sqrt`, sqrt(fp));
    on(`${p}.add`, binop(SseOp.ADDSS, SseOp.ADDSD, fp));
    on(`${p}.sub`, binop(SseOp.SUBSS, SseOp.SUBSD, fp));
    on(`${p}.mul`, binop(SseOp.MULSS, SseOp.MULSD, fp));
    on(`${p}.div`, binop(SseOp.DIVSS, SseOp.DIVSD, fp));
    for (const n of ['add', 'sub', 'mul', 'div']) memAware(`${p}.${n}`);
    on(`${p}.min`, minmax(true, fp));
    on(`${p}.max`, minmax(false, fp));
    on(`${p}.copysign`, copysign(fp));
  }
}
