// Conversions. Float -> int truncation uses cvttss2si/cvttsd2si, whose only failure value is
// the "integer indefinite" 0x80..0; that value sends us out of line to tell a real INT_MIN from
// NaN (trap "invalid conversion to integer"), overflow (trap "integer overflow"), or, for the
// saturating forms, to pick 0 / INT_MIN / INT_MAX. Unsigned forms use the 64-bit conversion
// (u32) or the 2^63 split (u64). Int -> float unsigned u64 uses the halve-and-double trick.
import { AluOp, Cond, ShiftOp, SseOp, type Gpr, type Label, type Xmm } from '../../backend-x64/index.js';
import { TrapCode } from '../../abi/traps.js';
import { F32, F64, I32, I64 } from '../frontend/types.js';
import { on } from './emitters.js';
import { R11, XS, type CodeGen } from './masm.js';

type Fp = 32 | 64;
type Isz = 32 | 64;

function fconst(c: CodeGen, fp: Fp, v: number): ReturnType<CodeGen['asm']['constF32']> {
  return fp === 32 ? c.asm.constF32(v) : c.asm.constF64(v);
}
const ucomOf = (fp: Fp): SseOp => (fp === 32 ? SseOp.UCOMISS : SseOp.UCOMISD);

/**
 * Signed truncation: cvttss2si/cvttsd2si, then only the failure value INT_MIN takes the slow
 * path (inline, behind a jump over it) that tells a real INT_MIN from NaN and overflow.
 */
function truncSigned(isz: Isz, fp: Fp, sat: boolean): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const x = c.popXmm();
    const r = c.allocGpr();
    const done = a.newLabel(), slow = a.newLabel();
    a.cvttfp2siRR(fp, isz, r, x);
    a.aluRI(AluOp.CMP, isz, r, 1); // OF set iff r == INT_MIN
    a.jcc(Cond.O, slow);
    a.bind(done);
    // slow path placed after a jump over it
    const after = a.newLabel();
    a.jmp(after);
    a.bind(slow);
    a.sseRR(ucomOf(fp), x, x);
    if (sat) {
      const notNan = a.newLabel();
      a.jcc(Cond.NP, notNan);
      a.movRI(32, r, 0);
      a.jmp(done);
      a.bind(notNan);
      a.sseRM(ucomOf(fp), x, fconst(c, fp, 0));
      a.jcc(Cond.B, done); // negative: INT_MIN is the saturated value already
      if (isz === 32) a.movRI(32, r, 0x7fffffff);
      else a.movRI(64, r, 0x7fffffffffffffffn);
      a.jmp(done);
    } else {
      a.jcc(Cond.P, c.trapLabel(TrapCode.invalidConversion));
      // Valid only when x truncates to INT_MIN: lower bound inclusive (or exclusive -2^31-1 for f64->i32).
      if (isz === 32 && fp === 64) {
        a.sseRM(ucomOf(fp), x, fconst(c, fp, -2147483649));
        a.jcc(Cond.BE, c.trapLabel(TrapCode.integerOverflow));
      } else {
        a.sseRM(ucomOf(fp), x, fconst(c, fp, -(2 ** (isz - 1))));
        a.jcc(Cond.B, c.trapLabel(TrapCode.integerOverflow));
      }
      a.sseRM(ucomOf(fp), x, fconst(c, fp, 0));
      a.jcc(Cond.AE, c.trapLabel(TrapCode.integerOverflow));
      a.jmp(done);
    }
    a.bind(after);
    c.freeXmm(x);
    c.pushReg(isz === 32 ? I32 : I64, r);
  };
}

function truncU32(fp: Fp, sat: boolean): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const x = c.popXmm();
    const r = c.allocGpr();
    const done = a.newLabel(), slow = a.newLabel(), after = a.newLabel();
    // Every valid input fits the signed 64-bit conversion; anything outside [0, 2^32) is slow.
    a.cvttfp2siRR(fp, 64, r, x);
    a.movRR(64, R11, r);
    a.shiftRI(ShiftOp.SHR, 64, R11, 32);
    a.jcc(Cond.NE, slow);
    a.bind(done);
    a.jmp(after);
    a.bind(slow);
    unsignedOutOfRange(c, fp, x, r, 32, sat, done);
    a.bind(after);
    c.freeXmm(x);
    c.pushReg(I32, r);
  };
}

/**
 * The slow path of an unsigned truncation, reached for NaN and for values outside the target
 * range: the saturating forms give 0 (NaN, negatives) or all ones (too large) and rejoin at
 * `done`; the trapping forms trap "invalid conversion" on NaN and "integer overflow" otherwise.
 */
function unsignedOutOfRange(c: CodeGen, fp: Fp, x: Xmm, r: Gpr, isz: Isz, sat: boolean, done: Label): void {
  const a = c.asm;
  if (sat) {
    const zero = a.newLabel();
    a.sseRM(ucomOf(fp), x, fconst(c, fp, 0));
    a.jcc(Cond.P, zero);
    a.jcc(Cond.BE, zero);
    a.movRI(isz, r, -1);
    a.jmp(done);
    a.bind(zero);
    a.movRI(32, r, 0);
    a.jmp(done);
  } else {
    a.sseRR(ucomOf(fp), x, x);
    a.jcc(Cond.P, c.trapLabel(TrapCode.invalidConversion));
    a.jmp(c.trapLabel(TrapCode.integerOverflow));
  }
}

function truncU64(fp: Fp, sat: boolean): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const x = c.popXmm();
    const r = c.allocGpr();
    const big = a.newLabel(), done = a.newLabel(), slow = a.newLabel(), after = a.newLabel();
    a.sseRM(ucomOf(fp), x, fconst(c, fp, 2 ** 63));
    a.jcc(Cond.AE, big);
    a.cvttfp2siRR(fp, 64, r, x); // NaN and x <= -1 give a negative result
    a.testRR(64, r, r);
    a.jcc(Cond.S, slow);
    a.jmp(done);
    a.bind(big);
    a.sseRR(SseOp.MOVAPS, XS, x);
    a.sseRM(fp === 32 ? SseOp.SUBSS : SseOp.SUBSD, XS, fconst(c, fp, 2 ** 63));
    a.cvttfp2siRR(fp, 64, r, XS);
    a.testRR(64, r, r);
    a.jcc(Cond.S, slow); // x >= 2^64
    a.movRI(64, R11, -(2n ** 63n));
    a.aluRR(AluOp.XOR, 64, r, R11);
    a.bind(done);
    a.jmp(after);
    a.bind(slow);
    // in (-1, 0) the fast path already produced 0; here x is NaN, <= -1 or >= 2^64
    unsignedOutOfRange(c, fp, x, r, 64, sat, done);
    a.bind(after);
    c.freeXmm(x);
    c.pushReg(I64, r);
  };
}

function convertS(fp: Fp, isz: Isz): (c: CodeGen) => void {
  return (c) => {
    const r = c.popGpr();
    const x = c.allocXmm();
    c.asm.sseRR(SseOp.XORPS, x, x); // break the false dependency on x's old contents
    c.asm.cvtsi2fpRR(fp, isz, x, r);
    c.freeGpr(r);
    c.pushReg(fp === 32 ? F32 : F64, x);
  };
}

function convertU32(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const r = c.popGpr();
    const x = c.allocXmm();
    c.asm.movRR(32, r, r);
    c.asm.sseRR(SseOp.XORPS, x, x);
    c.asm.cvtsi2fpRR(fp, 64, x, r); // zero-extended: exact as a signed 64-bit value
    c.freeGpr(r);
    c.pushReg(fp === 32 ? F32 : F64, x);
  };
}

function convertU64(fp: Fp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const r = c.popGpr();
    const x = c.allocXmm();
    const big = a.newLabel(), done = a.newLabel();
    a.sseRR(SseOp.XORPS, x, x);
    a.testRR(64, r, r);
    a.jcc(Cond.S, big);
    a.cvtsi2fpRR(fp, 64, x, r);
    a.jmp(done);
    a.bind(big);
    // halve with the low bit kept sticky (round-to-odd), convert, double: correctly rounded
    a.movRR(64, R11, r);
    a.shiftRI(ShiftOp.SHR, 64, R11, 1);
    a.aluRI(AluOp.AND, 64, r, 1);
    a.aluRR(AluOp.OR, 64, R11, r);
    a.cvtsi2fpRR(fp, 64, x, R11);
    a.sseRR(fp === 32 ? SseOp.ADDSS : SseOp.ADDSD, x, x);
    a.bind(done);
    c.freeGpr(r);
    c.pushReg(fp === 32 ? F32 : F64, x);
  };
}

function cvtFloat(toF64: boolean): (c: CodeGen) => void {
  return (c) => {
    const r = c.popXmm();
    c.asm.sseRR(toF64 ? SseOp.CVTSS2SD : SseOp.CVTSD2SS, r, r);
    c.pushReg(toF64 ? F64 : F32, r);
  };
}

function reinterpret(toInt: boolean, size: 32 | 64): (c: CodeGen) => void {
  return (c) => {
    if (toInt) {
      const s = c.popXmm(), d = c.allocGpr();
      c.asm.movFromXmm(size, d, s);
      c.freeXmm(s);
      c.pushReg(size === 32 ? I32 : I64, d);
    } else {
      const s = c.popGpr(), d = c.allocXmm();
      c.asm.movToXmm(size, d, s);
      c.freeGpr(s);
      c.pushReg(size === 32 ? F32 : F64, d);
    }
  };
}

export function registerConvert(): void {
  on('i32.trunc_f32_s', truncSigned(32, 32, false));
  on('i32.trunc_f32_u', truncU32(32, false));
  on('i32.trunc_f64_s', truncSigned(32, 64, false));
  on('i32.trunc_f64_u', truncU32(64, false));
  on('i64.trunc_f32_s', truncSigned(64, 32, false));
  on('i64.trunc_f32_u', truncU64(32, false));
  on('i64.trunc_f64_s', truncSigned(64, 64, false));
  on('i64.trunc_f64_u', truncU64(64, false));
  on('i32.trunc_sat_f32_s', truncSigned(32, 32, true));
  on('i32.trunc_sat_f32_u', truncU32(32, true));
  on('i32.trunc_sat_f64_s', truncSigned(32, 64, true));
  on('i32.trunc_sat_f64_u', truncU32(64, true));
  on('i64.trunc_sat_f32_s', truncSigned(64, 32, true));
  on('i64.trunc_sat_f32_u', truncU64(32, true));
  on('i64.trunc_sat_f64_s', truncSigned(64, 64, true));
  on('i64.trunc_sat_f64_u', truncU64(64, true));
  on('f32.convert_i32_s', convertS(32, 32));
  on('f32.convert_i32_u', convertU32(32));
  on('f32.convert_i64_s', convertS(32, 64));
  on('f32.convert_i64_u', convertU64(32));
  on('f32.demote_f64', cvtFloat(false));
  on('f64.convert_i32_s', convertS(64, 32));
  on('f64.convert_i32_u', convertU32(64));
  on('f64.convert_i64_s', convertS(64, 64));
  on('f64.convert_i64_u', convertU64(64));
  on('f64.promote_f32', cvtFloat(true));
  on('i32.reinterpret_f32', reinterpret(true, 32));
  on('i64.reinterpret_f64', reinterpret(true, 64));
  on('f32.reinterpret_i32', reinterpret(false, 32));
  on('f64.reinterpret_i64', reinterpret(false, 64));
}

export type { Label };
