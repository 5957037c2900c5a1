// Float instructions with exact wasm semantics: arithmetic straight from SSE; min/max with NaN
// propagation and -0 < +0 (minss/maxss alone get both wrong); nearest/ceil/floor/trunc via
// roundss/roundsd; abs/neg/copysign as bit masks from the constant pool; compares whose
// unordered case (PF) is handled explicitly.
import { AluOp, Cond, RoundMode, SseOp, type Mem, type Xmm } from '../../backend-x64/index.js';
import { F32, F64, I32 } from '../frontend/types.js';
import { memAware, on } from './emitters.js';
import { R11, Rhs, XS, type CodeGen } from './masm.js';
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
    const o = c.popBinaryXmm();
    if (o.rhs === Rhs.MEM) c.asm.sseRM(op, o.lhs, o.mem);
    else c.asm.sseRR(op, o.lhs, o.reg);
    c.releaseRhs(o, true);
    c.pushReg(tOf(fp), o.lhs);
  };
}

function minmax(isMin: boolean, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popXmm();
    const l = c.popXmm();
    const ucom = fp === 32 ? SseOp.UCOMISS : SseOp.UCOMISD;
    const nan = a.newLabel(), ne = a.newLabel(), done = a.newLabel();
    a.sseRR(ucom, l, r);
    a.jcc(Cond.P, nan);
    a.jcc(Cond.NE, ne);
    // Equal operands: only +0/-0 differ; OR of the bits picks -0 for min, AND picks +0 for max.
    a.sseRR(isMin ? (fp === 32 ? SseOp.ORPS : SseOp.ORPD) : (fp === 32 ? SseOp.ANDPS : SseOp.ANDPD), l, r);
    a.jmp(done);
    a.bind(nan);
    // Either is NaN: an add propagates a (quieted) NaN.
    a.sseRR(fp === 32 ? SseOp.ADDSS : SseOp.ADDSD, l, r);
    a.jmp(done);
    a.bind(ne);
    a.sseRR(isMin ? (fp === 32 ? SseOp.MINSS : SseOp.MINSD) : (fp === 32 ? SseOp.MAXSS : SseOp.MAXSD), l, r);
    a.bind(done);
    c.freeXmm(r);
    c.pushReg(tOf(fp), l);
  };
}

function copysign(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popXmm();
    const l = c.popXmm();
    a.sseRR(SseOp.MOVAPS, XS, r);
    a.sseRM(SseOp.ANDPS, XS, signMask(c, fp));
    a.sseRM(SseOp.ANDPS, l, absMask(c, fp));
    a.sseRR(SseOp.ORPS, l, XS);
    c.freeXmm(r);
    c.pushReg(tOf(fp), l);
  };
}

function unaryMask(isAbs: boolean, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popXmm();
    if (isAbs) c.asm.sseRM(SseOp.ANDPS, r, absMask(c, fp));
    else c.asm.sseRM(SseOp.XORPS, r, signMask(c, fp));
    c.pushReg(tOf(fp), r);
  };
}

function round(mode: RoundMode, fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popXmm();
    c.asm.roundRR(fp, r, r, mode);
    c.pushReg(tOf(fp), r);
  };
}

function sqrt(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popXmm();
    c.asm.sseRR(fp === 32 ? SseOp.SQRTSS : SseOp.SQRTSD, r, r);
    c.pushReg(tOf(fp), r);
  };
}

function freeRead(c: CodeGen, r: Xmm, rOwned: boolean, l: Xmm, lOwned: boolean): void {
  if (rOwned) c.freeXmm(r);
  if (lOwned) c.freeXmm(l);
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
    const r = c.popReadXmm(), rOwned = c.popReadOwned;
    const l = c.popReadXmm(), lOwned = c.popReadOwned;
    if (rel === GT || rel === GE) {
      a.sseRR(ucom, l, r);
      freeRead(c, r, rOwned, l, lOwned);
      c.pushCond(rel === GT ? Cond.A : Cond.AE);
      return;
    }
    if (rel === LT || rel === LE) {
      a.sseRR(ucom, r, l);
      freeRead(c, r, rOwned, l, lOwned);
      c.pushCond(rel === LT ? Cond.A : Cond.AE);
      return;
    }
    a.sseRR(ucom, l, r);
    freeRead(c, r, rOwned, l, lOwned);
    const d = c.allocGpr();
    // eq: ZF=1 and PF=0; ne: ZF=0 or PF=1.
    a.setcc(rel === EQ ? Cond.E : Cond.NE, d);
    a.setcc(rel === EQ ? Cond.NP : Cond.P, R11);
    a.aluRR(rel === EQ ? AluOp.AND : AluOp.OR, 8, d, R11);
    a.movzxRR(32, 8, d, d);
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
