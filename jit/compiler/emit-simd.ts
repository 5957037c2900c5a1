// 128-bit SIMD (0xFD prefix) on SSE2..SSE4.2, the baseline V8 and Cranelift use without AVX
// (cpu-features.ts checks it at startup). v128 values live in XMM registers and in 16-byte value
// slots (CodeGen's wide frames); they are never CONST entries.
//
// Most instructions are one packed op (`paddb a, b`): the tables map the opcode to the op and a
// shape (`bin`: a = a op b; `swap`: b = b op a, for andnot and reversed compares; `not`: the
// result complemented). The rest are short sequences after V8's SSE code generator, each in a
// small function here; xmm15 (XS) is the scratch register, a second temporary is allocated.
import {
  Cond, FpCmp, RoundMode, SimdImmOp, SimdOp, SimdShiftImm, SseOp, SseStore, ShiftOp, AluOp,
  type LaneBytes, type Mem, type Xmm,
} from '../../backend-x64/index.js';
import { F32, F64, I32, I64, V128 } from '../frontend/types.js';
import { on } from './emitters.js';
import { address } from './emit-memory.js';
import { XS, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';

const V = V128;

/** A 128-bit pool constant with every lane of `bits` bits equal to `v`. */
function splatConst(c: CodeGen, bits: 8 | 16 | 32 | 64, v: bigint): Mem {
  let q = 0n;
  const m = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < 64; i += bits) q |= (v & m) << BigInt(i);
  return c.asm.const128(q, q);
}

/** After an instruction that only read v128 register r (popReadXmm): free it if it was owned. */
function doneRead(c: CodeGen, r: Xmm, owned: boolean): void { if (owned) c.freeXmm(r); }

/** all-ones into r */
function ones(c: CodeGen, r: Xmm): void { c.asm.sseRR(SimdOp.PCMPEQD, r, r); }
function not(c: CodeGen, r: Xmm): void { ones(c, XS); c.asm.sseRR(SimdOp.PXOR, r, XS); }

// ---- generic shapes -------------------------------------------------------------------------

const enum Shape { bin = 0, swap = 1, binNot = 2, swapNot = 3 }

function binary(op: SimdOp, shape: Shape): (c: CodeGen) => void {
  return (c) => {
    if (shape === Shape.bin || shape === Shape.binNot) {
      const b = c.popReadXmm(), bo = c.popReadOwned;
      const a = c.popXmm();
      c.asm.sseRR(op, a, b);
      doneRead(c, b, bo);
      if (shape === Shape.binNot) not(c, a);
      c.pushReg(V, a);
    } else {
      const b = c.popXmm();
      const a = c.popReadXmm(), ao = c.popReadOwned;
      c.asm.sseRR(op, b, a);
      doneRead(c, a, ao);
      if (shape === Shape.swapNot) not(c, b);
      c.pushReg(V, b);
    }
  };
}

/** cmpps/cmppd with a predicate; `swap` compares b with a (gt = lt swapped). */
function fcmp(op: SimdImmOp, pred: number, swap: boolean): (c: CodeGen) => void {
  return (c) => {
    if (!swap) {
      const b = c.popReadXmm(), bo = c.popReadOwned;
      const a = c.popXmm();
      c.asm.simdRRI(op, a, b, pred);
      doneRead(c, b, bo);
      c.pushReg(V, a);
    } else {
      const b = c.popXmm();
      const a = c.popReadXmm(), ao = c.popReadOwned;
      c.asm.simdRRI(op, b, a, pred);
      doneRead(c, a, ao);
      c.pushReg(V, b);
    }
  };
}

/** Unsigned a >= b as max_u(a, b) == a (le: min_u); `negate` gives lt / gt. */
function ucmp(minmax: SimdOp, eq: SimdOp, negate: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm;
    const b = c.popReadXmm(), bo = c.popReadOwned;
    const a = c.popXmm();
    a0.sseRR(SimdOp.MOVDQA, XS, a);
    a0.sseRR(minmax, XS, b);
    a0.sseRR(eq, a, XS);
    doneRead(c, b, bo);
    if (negate) not(c, a);
    c.pushReg(V, a);
  };
}

/** Unary in place on an owned register. */
function unary(f: (c: CodeGen, r: Xmm) => void): (c: CodeGen) => void {
  return (c) => {
    const r = c.popXmm();
    f(c, r);
    c.pushReg(V, r);
  };
}
const unaryOp = (op: SimdOp): ((c: CodeGen) => void) => unary((c, r) => c.asm.sseRR(op, r, r));
const unaryMem = (op: SimdOp, m: (c: CodeGen) => Mem): ((c: CodeGen) => void) => unary((c, r) => c.asm.sseRM(op, r, m(c)));

/** 0 - x */
function neg(sub: SimdOp): (c: CodeGen) => void {
  return unary((c, r) => {
    const a = c.asm;
    a.sseRR(SimdOp.PXOR, XS, XS);
    a.sseRR(sub, XS, r);
    a.sseRR(SimdOp.MOVDQA, r, XS);
  });
}

/** Move the high 64 bits to the low half (for the *_high widenings). */
function high(c: CodeGen, r: Xmm): void { c.asm.simdRRI(SimdImmOp.PSHUFD, r, r, 0xee); }

function extend(op: SimdOp, hi: boolean): (c: CodeGen) => void {
  return unary((c, r) => { if (hi) high(c, r); c.asm.sseRR(op, r, r); });
}

/** Extended multiply: widen both (low or high half) then multiply. */
function extmul(widen: SimdOp, mul: SimdOp, hi: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm;
    const b = c.popReadXmm(), bo = c.popReadOwned;
    const a = c.popXmm();
    if (hi) { high(c, a); a0.simdRRI(SimdImmOp.PSHUFD, XS, b, 0xee); } else a0.sseRR(SimdOp.MOVDQA, XS, b);
    a0.sseRR(widen, a, a);
    a0.sseRR(widen, XS, XS);
    a0.sseRR(mul, a, XS);
    doneRead(c, b, bo);
    c.pushReg(V, a);
  };
}

/** i64x2 extended multiply: dwords 0,1 (or 2,3) to the even positions, then pmuldq/pmuludq. */
function extmul64(signed: boolean, hi: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm, sel = hi ? 0xfa : 0x50;
    const b = c.popReadXmm(), bo = c.popReadOwned;
    const a = c.popXmm();
    a0.simdRRI(SimdImmOp.PSHUFD, a, a, sel);
    a0.simdRRI(SimdImmOp.PSHUFD, XS, b, sel);
    a0.sseRR(signed ? SimdOp.PMULDQ : SimdOp.PMULUDQ, a, XS);
    doneRead(c, b, bo);
    c.pushReg(V, a);
  };
}

// ---- constants, splats, lanes -----------------------------------------------------------------

function v128Const(c: CodeGen, bytes: Uint8Array): void {
  const a = c.asm, r = c.allocXmm();
  let allZero = true, allOnes = true;
  for (let i = 0; i < 16; i++) { if (bytes[i] !== 0) allZero = false; if (bytes[i] !== 0xff) allOnes = false; }
  if (allZero) a.sseRR(SimdOp.PXOR, r, r);
  else if (allOnes) ones(c, r);
  else {
    let lo = 0n, hi = 0n;
    for (let i = 7; i >= 0; i--) { lo = (lo << 8n) | BigInt(bytes[i]); hi = (hi << 8n) | BigInt(bytes[i + 8]); }
    a.sseRM(SimdOp.MOVDQU, r, a.const128(lo, hi));
  }
  c.pushReg(V, r);
}

/** i8/i16/i32/i64 splat from a GPR value. */
function splatInt(bytes: LaneBytes): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const g = c.popReadGpr(), go = c.popReadOwned;
    const r = c.allocXmm();
    a.movToXmm(bytes === 8 ? 64 : 32, r, g);
    if (go) c.freeGpr(g);
    splatLow(c, r, bytes);
    c.pushReg(V, r);
  };
}

/** Broadcast lane 0 of r (a lane of `bytes` bytes) to every lane. */
function splatLow(c: CodeGen, r: Xmm, bytes: LaneBytes): void {
  const a = c.asm;
  switch (bytes) {
    case 1: a.sseRR(SimdOp.PXOR, XS, XS); a.sseRR(SimdOp.PSHUFB, r, XS); break;
    case 2: a.simdRRI(SimdImmOp.PSHUFLW, r, r, 0); a.simdRRI(SimdImmOp.PSHUFD, r, r, 0); break;
    case 4: a.simdRRI(SimdImmOp.PSHUFD, r, r, 0); break;
    case 8: a.simdRRI(SimdImmOp.PSHUFD, r, r, 0x44); break;
  }
}

function splatFloat(bytes: 4 | 8): (c: CodeGen) => void {
  return unary((c, r) => splatLow(c, r, bytes));
}

function extractInt(bytes: LaneBytes, signed: boolean, result: number): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const v = c.popReadXmm(), vo = c.popReadOwned;
    const d = c.allocGpr();
    if (ir.lane === 0 && bytes >= 4) a.movFromXmm(bytes === 8 ? 64 : 32, d, v);
    else a.pextrRR(bytes, d, v, ir.lane);
    if (signed) a.movsxRR(32, bytes === 1 ? 8 : 16, d, d);
    doneRead(c, v, vo);
    c.pushReg(result, d);
  };
}

function extractFloat(bytes: 4 | 8): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const v = c.popReadXmm(), vo = c.popReadOwned;
    const d = c.allocXmm();
    if (ir.lane === 0) a.sseRR(SseOp.MOVAPS, d, v);
    else if (bytes === 4) a.simdRRI(SimdImmOp.PSHUFD, d, v, ir.lane);
    else a.simdRRI(SimdImmOp.PSHUFD, d, v, 0xee);
    doneRead(c, v, vo);
    c.pushReg(bytes === 4 ? F32 : F64, d);
  };
}

function replaceInt(bytes: LaneBytes): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const g = c.popReadGpr(), go = c.popReadOwned;
    const v = c.popXmm();
    c.asm.pinsrRR(bytes, v, g, ir.lane);
    if (go) c.freeGpr(g);
    c.pushReg(V, v);
  };
}

function replaceFloat(bytes: 4 | 8): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const f = c.popReadXmm(), fo = c.popReadOwned;
    const v = c.popXmm();
    if (bytes === 4) a.simdRRI(SimdImmOp.INSERTPS, v, f, ir.lane << 4);
    else if (ir.lane === 0) a.sseRR(SseOp.MOVSD, v, f);
    else a.sseRR(SimdOp.MOVLHPS, v, f);
    if (fo) c.freeXmm(f);
    c.pushReg(V, v);
  };
}

/**
 * Shuffles that move whole dwords (each 4-byte group consecutive and aligned) are one pshufd
 * (lanes of one input) or shufps (low half from one input, high half from the other); -1 if the
 * pattern is not one of those, else the dword selector imm with bit 8 set when b is the low half.
 */
function dwordShuffle(lanes: Uint8Array): number {
  let imm = 0, fromB = 0;
  for (let k = 0; k < 4; k++) {
    const l0 = lanes[4 * k];
    if ((l0 & 3) !== 0 || lanes[4 * k + 1] !== l0 + 1 || lanes[4 * k + 2] !== l0 + 2 || lanes[4 * k + 3] !== l0 + 3) return -1;
    const d = l0 >> 2;
    imm |= (d & 3) << (2 * k);
    if (d >= 4) fromB |= 1 << k;
  }
  // 0 / 15: one input (pshufd); 12: a then b, 3: b then a (shufps)
  if (fromB === 0 || fromB === 15 || fromB === 12) return imm | (fromB << 8);
  if (fromB === 3) return imm | (fromB << 8);
  return -1;
}

function shuffle(c: CodeGen, lanes: Uint8Array): void {
  const a = c.asm;
  const dw = dwordShuffle(lanes);
  if (dw >= 0) {
    const imm = dw & 0xff, fromB = dw >> 8;
    if (fromB === 0 || fromB === 15) {
      let r: Xmm;
      if (fromB === 0) { c.dropTop(); r = c.popXmm(); } else { r = c.popXmm(); c.dropTop(); }
      a.simdRRI(SimdImmOp.PSHUFD, r, r, imm);
      c.pushReg(V, r);
    } else if (fromB === 12) {
      const b = c.popReadXmm(), bo = c.popReadOwned;
      const r = c.popXmm();
      a.simdRRI(SimdImmOp.SHUFPS, r, b, imm);
      doneRead(c, b, bo);
      c.pushReg(V, r);
    } else {
      const b = c.popXmm();
      const r = c.popReadXmm(), ro = c.popReadOwned;
      a.simdRRI(SimdImmOp.SHUFPS, b, r, imm);
      doneRead(c, r, ro);
      c.pushReg(V, b);
    }
    return;
  }
  let lo1 = 0n, hi1 = 0n, lo2 = 0n, hi2 = 0n, useA = false, useB = false;
  for (let i = 15; i >= 0; i--) {
    const l = lanes[i];
    const m1 = l < 16 ? BigInt(l) : 0x80n, m2 = l >= 16 ? BigInt(l - 16) : 0x80n;
    if (l < 16) useA = true; else useB = true;
    if (i >= 8) { hi1 = (hi1 << 8n) | m1; hi2 = (hi2 << 8n) | m2; } else { lo1 = (lo1 << 8n) | m1; lo2 = (lo2 << 8n) | m2; }
  }
  const b = c.popXmm();
  const r = c.popXmm();
  if (useA) a.sseRM(SimdOp.PSHUFB, r, a.const128(lo1, hi1));
  if (useB) a.sseRM(SimdOp.PSHUFB, b, a.const128(lo2, hi2));
  if (!useA) a.sseRR(SimdOp.MOVDQA, r, b);
  else if (useB) a.sseRR(SimdOp.POR, r, b);
  c.freeXmm(b);
  c.pushReg(V, r);
}

function swizzle(c: CodeGen): void {
  const a = c.asm;
  const idx = c.popReadXmm(), io = c.popReadOwned;
  const r = c.popXmm();
  // Indices >= 16 must select 0: saturating + 0x70 sets bit 7 for them (pshufb's zero bit).
  a.sseRR(SimdOp.MOVDQA, XS, idx);
  a.sseRM(SimdOp.PADDUSB, XS, splatConst(c, 8, 0x70n));
  a.sseRR(SimdOp.PSHUFB, r, XS);
  doneRead(c, idx, io);
  c.pushReg(V, r);
}

// ---- tests and masks --------------------------------------------------------------------------

function anyTrue(c: CodeGen): void {
  const v = c.popReadXmm(), vo = c.popReadOwned;
  c.asm.sseRR(SimdOp.PTEST, v, v);
  doneRead(c, v, vo);
  c.pushCond(Cond.NE);
}

function allTrue(eq: SimdOp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const v = c.popReadXmm(), vo = c.popReadOwned;
    a.sseRR(SimdOp.PXOR, XS, XS);
    a.sseRR(eq, XS, v);
    a.sseRR(SimdOp.PTEST, XS, XS);
    doneRead(c, v, vo);
    c.pushCond(Cond.E);
  };
}

function bitmask(bytes: LaneBytes): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const v = c.popReadXmm(), vo = c.popReadOwned;
    const d = c.allocGpr();
    switch (bytes) {
      case 1: a.pmovmskb(d, v); break;
      case 2:
        a.sseRR(SimdOp.MOVDQA, XS, v);
        a.sseRR(SimdOp.PACKSSWB, XS, XS);
        a.pmovmskb(d, XS);
        a.shiftRI(ShiftOp.SHR, 32, d, 8);
        break;
      case 4: a.movmsk(32, d, v); break;
      case 8: a.movmsk(64, d, v); break;
    }
    doneRead(c, v, vo);
    c.pushReg(I32, d);
  };
}

function bitselect(c: CodeGen): void {
  const a = c.asm;
  const m = c.popReadXmm(), mo = c.popReadOwned;
  const v2 = c.popReadXmm(), v2o = c.popReadOwned;
  const v1 = c.popXmm();
  // (v1 & m) | (v2 & ~m) = ((v1 ^ v2) & m) ^ v2
  a.sseRR(SimdOp.PXOR, v1, v2);
  a.sseRR(SimdOp.PAND, v1, m);
  a.sseRR(SimdOp.PXOR, v1, v2);
  doneRead(c, v2, v2o);
  doneRead(c, m, mo);
  c.pushReg(V, v1);
}

// ---- shifts --------------------------------------------------------------------------------------

const SHIFT_REG: Record<string, SimdOp> = {
  shl16: SimdOp.PSLLW, shr_s16: SimdOp.PSRAW, shr_u16: SimdOp.PSRLW,
  shl32: SimdOp.PSLLD, shr_s32: SimdOp.PSRAD, shr_u32: SimdOp.PSRLD,
  shl64: SimdOp.PSLLQ, shr_u64: SimdOp.PSRLQ,
};
const SHIFT_IMM: Record<string, SimdShiftImm> = {
  shl16: SimdShiftImm.PSLLW, shr_s16: SimdShiftImm.PSRAW, shr_u16: SimdShiftImm.PSRLW,
  shl32: SimdShiftImm.PSLLD, shr_s32: SimdShiftImm.PSRAD, shr_u32: SimdShiftImm.PSRLD,
  shl64: SimdShiftImm.PSLLQ, shr_u64: SimdShiftImm.PSRLQ,
};

type ShiftKind = 'shl' | 'shr_s' | 'shr_u';

/**
 * Lane shifts by an i32 count taken modulo the lane width. A constant count uses the immediate
 * forms; otherwise the masked count goes into an XMM register. i8x16 (no byte shifts in SSE) and
 * i64x2.shr_s (no psraq) are built from word/quadword shifts.
 */
function shift(kind: ShiftKind, bits: 8 | 16 | 32 | 64): (c: CodeGen) => void {
  const key = `${kind}${bits}`;
  return (c) => {
    const a = c.asm, vs = c.vs, top = vs.sp - 1;
    const constCount = vs.kind[top] === Kind.CONST;
    let n = 0, t: Xmm | -1 = -1;
    if (constCount) { n = vs.lo[top] & (bits - 1); c.dropTop(); }
    else {
      const g = c.popGpr();
      a.aluRI(AluOp.AND, 32, g, bits - 1);
      // i8 shr widens to words and shifts them by n + 8
      if (bits === 8 && kind !== 'shl') a.aluRI(AluOp.ADD, 32, g, 8);
      t = c.allocXmm();
      a.movToXmm(32, t, g);
      c.freeGpr(g);
    }
    const v = c.popXmm();
    if (bits === 8) shift8(c, kind, v, n, t);
    else if (kind === 'shr_s' && bits === 64) {
      // (x >>> n ^ m) - m with m = sign bit >>> n
      a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 64, 1n << 63n));
      if (t === -1) { a.simdShiftRI(SimdShiftImm.PSRLQ, XS, n); a.simdShiftRI(SimdShiftImm.PSRLQ, v, n); }
      else { a.sseRR(SimdOp.PSRLQ, XS, t); a.sseRR(SimdOp.PSRLQ, v, t); }
      a.sseRR(SimdOp.PXOR, v, XS);
      a.sseRR(SimdOp.PSUBQ, v, XS);
    } else if (t === -1) {
      if (n !== 0) a.simdShiftRI(SHIFT_IMM[key], v, n);
    } else a.sseRR(SHIFT_REG[key], v, t);
    if (t !== -1) c.freeXmm(t);
    c.pushReg(V, v);
  };
}

function shift8(c: CodeGen, kind: ShiftKind, v: Xmm, n: number, t: Xmm | -1): void {
  const a = c.asm;
  if (kind === 'shl') {
    // Clear the bits that would cross into the next byte, then shift words.
    if (t === -1) {
      if (n === 0) return;
      a.sseRM(SimdOp.PAND, v, splatConst(c, 8, BigInt(0xff >> n)));
      a.simdShiftRI(SimdShiftImm.PSLLW, v, n);
      return;
    }
    // mask bytes 0xff >> n: all-ones words >> (n + 8), packed to bytes
    ones(c, XS);
    a.simdShiftRI(SimdShiftImm.PSRLW, XS, 8);
    a.sseRR(SimdOp.PSRLW, XS, t);
    a.sseRR(SimdOp.PACKUSWB, XS, XS);
    a.sseRR(SimdOp.PAND, v, XS);
    a.sseRR(SimdOp.PSLLW, v, t);
    return;
  }
  // Each byte doubled into a word (b << 8 | b), shifted by n + 8, packed back.
  const signed = kind === 'shr_s';
  a.sseRR(SimdOp.MOVDQA, XS, v);
  a.sseRR(SimdOp.PUNPCKHBW, XS, XS);
  a.sseRR(SimdOp.PUNPCKLBW, v, v);
  if (t === -1) {
    const op = signed ? SimdShiftImm.PSRAW : SimdShiftImm.PSRLW;
    a.simdShiftRI(op, XS, n + 8);
    a.simdShiftRI(op, v, n + 8);
  } else {
    const op = signed ? SimdOp.PSRAW : SimdOp.PSRLW;
    a.sseRR(op, XS, t);
    a.sseRR(op, v, t);
  }
  a.sseRR(signed ? SimdOp.PACKSSWB : SimdOp.PACKUSWB, v, XS);
}

// ---- integer sequences ---------------------------------------------------------------------------

function i64x2Mul(c: CodeGen): void {
  const a = c.asm;
  const b = c.popReadXmm(), bo = c.popReadOwned;
  const r = c.popXmm();
  const t = c.allocXmm();
  // lo(a)*lo(b) + ((hi(a)*lo(b) + lo(a)*hi(b)) << 32)
  a.sseRR(SimdOp.MOVDQA, XS, r);
  a.simdShiftRI(SimdShiftImm.PSRLQ, XS, 32);
  a.sseRR(SimdOp.PMULUDQ, XS, b);
  a.sseRR(SimdOp.MOVDQA, t, b);
  a.simdShiftRI(SimdShiftImm.PSRLQ, t, 32);
  a.sseRR(SimdOp.PMULUDQ, t, r);
  a.sseRR(SimdOp.PADDQ, XS, t);
  a.simdShiftRI(SimdShiftImm.PSLLQ, XS, 32);
  a.sseRR(SimdOp.PMULUDQ, r, b);
  a.sseRR(SimdOp.PADDQ, r, XS);
  c.freeXmm(t);
  doneRead(c, b, bo);
  c.pushReg(V, r);
}

function i64x2Abs(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  a.simdRRI(SimdImmOp.PSHUFD, XS, r, 0xf5); // high dwords in both halves of each lane
  a.simdShiftRI(SimdShiftImm.PSRAD, XS, 31);
  a.sseRR(SimdOp.PXOR, r, XS);
  a.sseRR(SimdOp.PSUBQ, r, XS);
}

function popcnt(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  const t = c.allocXmm();
  const low4 = splatConst(c, 8, 0x0fn);
  const lut = a.const128(0x0302020102010100n, 0x0403030203020201n);
  a.sseRR(SimdOp.MOVDQA, XS, r);
  a.simdShiftRI(SimdShiftImm.PSRLW, XS, 4);
  a.sseRM(SimdOp.PAND, XS, low4);
  a.sseRM(SimdOp.PAND, r, low4);
  a.sseRM(SimdOp.MOVDQU, t, lut);
  a.sseRR(SimdOp.PSHUFB, t, r);
  a.sseRM(SimdOp.MOVDQU, r, lut);
  a.sseRR(SimdOp.PSHUFB, r, XS);
  a.sseRR(SimdOp.PADDB, r, t);
  c.freeXmm(t);
}

function q15mulr(c: CodeGen): void {
  const a = c.asm;
  const b = c.popReadXmm(), bo = c.popReadOwned;
  const r = c.popXmm();
  a.sseRR(SimdOp.PMULHRSW, r, b);
  // 0x8000 * 0x8000 gives 0x8000; the saturated answer is 0x7fff.
  a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 16, 0x8000n));
  a.sseRR(SimdOp.PCMPEQW, XS, r);
  a.sseRR(SimdOp.PXOR, r, XS);
  doneRead(c, b, bo);
  c.pushReg(V, r);
}

function extaddPairwise(c: CodeGen, r: Xmm, kind: 'i8s' | 'i8u' | 'i16s' | 'i16u'): void {
  const a = c.asm;
  switch (kind) {
    case 'i8s': // pmaddubsw: unsigned first operand (ones) times signed second
      a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 8, 1n));
      a.sseRR(SimdOp.PMADDUBSW, XS, r);
      a.sseRR(SimdOp.MOVDQA, r, XS);
      break;
    case 'i8u': a.sseRM(SimdOp.PMADDUBSW, r, splatConst(c, 8, 1n)); break;
    case 'i16s': a.sseRM(SimdOp.PMADDWD, r, splatConst(c, 16, 1n)); break;
    case 'i16u': // bias to signed, add pairs, unbias (2 * 0x8000)
      a.sseRM(SimdOp.PXOR, r, splatConst(c, 16, 0x8000n));
      a.sseRM(SimdOp.PMADDWD, r, splatConst(c, 16, 1n));
      a.sseRM(SimdOp.PADDD, r, splatConst(c, 32, 0x10000n));
      break;
  }
}

// ---- float sequences -----------------------------------------------------------------------------

/** Wasm min/max (NaN propagating, -0 < +0) after V8's SSE sequences; the result is in b. */
function fminmax(isMax: boolean, is64: boolean): (c: CodeGen) => void {
  const mm = is64 ? (isMax ? SimdOp.MAXPD : SimdOp.MINPD) : (isMax ? SimdOp.MAXPS : SimdOp.MINPS);
  const cmp = is64 ? SimdImmOp.CMPPD : SimdImmOp.CMPPS;
  const nanShift = is64 ? SimdShiftImm.PSRLQ : SimdShiftImm.PSRLD;
  return (c) => {
    const a0 = c.asm;
    const b = c.popXmm();
    const a = c.popReadXmm(), ao = c.popReadOwned;
    a0.sseRR(SimdOp.MOVDQA, XS, a);
    a0.sseRR(mm, XS, b); // XS = a op b (x86: b when unordered or equal)
    a0.sseRR(mm, b, a); // b = b op a
    if (isMax) {
      a0.sseRR(SimdOp.XORPS, b, XS); // where they differ (NaN, +-0)
      a0.sseRR(SimdOp.ORPS, XS, b); // propagate NaN
      a0.sseRR(is64 ? SimdOp.SUBPD : SimdOp.SUBPS, XS, b); // +0 over -0, quiet NaN
    } else {
      a0.sseRR(SimdOp.ORPS, XS, b); // -0 over +0, NaN propagates
    }
    a0.simdRRI(cmp, b, XS, FpCmp.UNORD); // b = NaN lanes
    if (!isMax) a0.sseRR(SimdOp.ORPS, XS, b);
    a0.simdShiftRI(nanShift, b, is64 ? 13 : 10); // keep sign/exponent/quiet bit: canonical NaN
    a0.sseRR(SimdOp.ANDNPS, b, XS);
    doneRead(c, a, ao);
    c.pushReg(V, b);
  };
}

/** pmin(a, b) = b < a ? b : a, which is minps with b as the destination (pmax: maxps). */
function pminmax(op: SimdOp): (c: CodeGen) => void { return binary(op, Shape.swap); }

function truncSatF32S(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  a.sseRR(SimdOp.MOVDQA, XS, r);
  a.simdRRI(SimdImmOp.CMPPS, XS, XS, FpCmp.EQ); // not-NaN lanes
  a.sseRR(SimdOp.ANDPS, r, XS); // NaN -> 0
  a.sseRR(SimdOp.PXOR, XS, r); // sign bit set where x >= 0 (the mask ^ x)
  a.sseRR(SimdOp.CVTTPS2DQ, r, r); // overflow -> 0x80000000
  a.sseRR(SimdOp.PAND, XS, r);
  a.simdShiftRI(SimdShiftImm.PSRAD, XS, 31); // positive overflow lanes
  a.sseRR(SimdOp.PXOR, r, XS); // 0x80000000 -> 0x7fffffff there
}

function truncSatF32U(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  const t = c.allocXmm();
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.MAXPS, r, XS); // NaN and negatives -> 0
  ones(c, XS);
  a.simdShiftRI(SimdShiftImm.PSRLD, XS, 1);
  a.sseRR(SimdOp.CVTDQ2PS, XS, XS); // 2^31 as float
  a.sseRR(SimdOp.MOVDQA, t, r);
  a.sseRR(SimdOp.SUBPS, t, XS); // x - 2^31
  a.simdRRI(SimdImmOp.CMPPS, XS, t, FpCmp.LE); // x - 2^31 >= 2^31: overflow
  a.sseRR(SimdOp.CVTTPS2DQ, t, t);
  a.sseRR(SimdOp.PXOR, t, XS);
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.PMAXSD, t, XS);
  a.sseRR(SimdOp.CVTTPS2DQ, r, r);
  a.sseRR(SimdOp.PADDD, r, t);
  c.freeXmm(t);
}

function convertU32ToF32(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.simdRRI(SimdImmOp.PBLENDW, XS, r, 0x55); // low 16 bits of each lane
  a.sseRR(SimdOp.PSUBD, r, XS); // high 16 bits
  a.sseRR(SimdOp.CVTDQ2PS, XS, XS); // exact
  a.simdShiftRI(SimdShiftImm.PSRLD, r, 1);
  a.sseRR(SimdOp.CVTDQ2PS, r, r);
  a.sseRR(SimdOp.ADDPS, r, r);
  a.sseRR(SimdOp.ADDPS, r, XS);
}

function truncSatF64SZero(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  a.sseRR(SimdOp.MOVDQA, XS, r);
  a.simdRRI(SimdImmOp.CMPPD, XS, XS, FpCmp.EQ);
  a.sseRM(SimdOp.ANDPS, XS, a.const128(0x41dfffffffc00000n, 0x41dfffffffc00000n)); // 2147483647.0
  a.sseRR(SimdOp.MINPD, r, XS); // NaN -> 0, clamp above
  a.sseRR(SimdOp.CVTTPD2DQ, r, r); // below -> 0x80000000; upper lanes 0
}

function truncSatF64UZero(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.MAXPD, r, XS); // NaN, negatives -> 0
  a.sseRM(SimdOp.MINPD, r, a.const128(0x41efffffffe00000n, 0x41efffffffe00000n)); // 4294967295.0
  a.simdRRI(SimdImmOp.ROUNDPD, r, r, RoundMode.TRUNC);
  a.sseRM(SimdOp.ADDPD, r, a.const128(0x4330000000000000n, 0x4330000000000000n)); // + 2^52: integer in the low dword
  a.simdRRI(SimdImmOp.SHUFPS, r, XS, 0x88);
}

function convertLowU32ToF64(c: CodeGen, r: Xmm): void {
  const a = c.asm;
  // 2^52 + u as a double: high dword 0x43300000 over u, minus 2^52
  a.sseRM(SimdOp.UNPCKLPS, r, splatConst(c, 32, 0x43300000n));
  a.sseRM(SimdOp.SUBPD, r, a.const128(0x4330000000000000n, 0x4330000000000000n));
}

// ---- memory ----------------------------------------------------------------------------------------

type Ir = { memOffset: number; lane: number };

/** A load into a fresh XMM register: `f(dst, [addr])`. */
function load(f: (c: CodeGen, d: Xmm, m: Mem) => void): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const reg = address(c, ir.memOffset >>> 0);
    const d = c.allocXmm();
    f(c, d, c.addr);
    if (reg !== -1) c.freeGpr(reg);
    c.pushReg(V, d);
  };
}
const loadOp = (op: SimdOp | SseOp): ((c: CodeGen, ir: Ir) => void) => load((c, d, m) => c.asm.sseRM(op, d, m));

function loadSplat(bytes: LaneBytes): (c: CodeGen, ir: Ir) => void {
  return load((c, d, m) => {
    const a = c.asm;
    if (bytes === 8) { a.sseRM(SimdOp.MOVDDUP, d, m); return; }
    if (bytes === 4) a.sseRM(SseOp.MOVSS, d, m);
    else a.pinsrRM(bytes, d, m, 0);
    splatLow(c, d, bytes);
  });
}

function loadLane(bytes: LaneBytes): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const v = c.popXmm();
    const reg = address(c, ir.memOffset >>> 0);
    c.asm.pinsrRM(bytes, v, c.addr, ir.lane);
    if (reg !== -1) c.freeGpr(reg);
    c.pushReg(V, v);
  };
}

function storeLane(bytes: LaneBytes | 16): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const v = c.popReadXmm(), vo = c.popReadOwned;
    const reg = address(c, ir.memOffset >>> 0);
    if (bytes === 16) c.asm.sseMR(SseStore.MOVDQU, c.addr, v);
    else c.asm.pextrMR(bytes, c.addr, v, ir.lane);
    if (reg !== -1) c.freeGpr(reg);
    doneRead(c, v, vo);
  };
}

// ---- the table ---------------------------------------------------------------------------------------

const INT_CMP: [string, SimdOp, SimdOp, SimdOp, SimdOp, SimdOp, SimdOp][] = [
  // shape, eq, gt_s, min_s, max_s, min_u, max_u
  ['i8x16', SimdOp.PCMPEQB, SimdOp.PCMPGTB, SimdOp.PMINSB, SimdOp.PMAXSB, SimdOp.PMINUB, SimdOp.PMAXUB],
  ['i16x8', SimdOp.PCMPEQW, SimdOp.PCMPGTW, SimdOp.PMINSW, SimdOp.PMAXSW, SimdOp.PMINUW, SimdOp.PMAXUW],
  ['i32x4', SimdOp.PCMPEQD, SimdOp.PCMPGTD, SimdOp.PMINSD, SimdOp.PMAXSD, SimdOp.PMINUD, SimdOp.PMAXUD],
];

/** Binary ops that are one instruction (a = a op b), by sub-opcode. */
const BIN: [string, SimdOp][] = [
  ['v128.and', SimdOp.PAND], ['v128.or', SimdOp.POR], ['v128.xor', SimdOp.PXOR],
  ['i8x16.narrow_i16x8_s', SimdOp.PACKSSWB], ['i8x16.narrow_i16x8_u', SimdOp.PACKUSWB],
  ['i8x16.add', SimdOp.PADDB], ['i8x16.add_sat_s', SimdOp.PADDSB], ['i8x16.add_sat_u', SimdOp.PADDUSB],
  ['i8x16.sub', SimdOp.PSUBB], ['i8x16.sub_sat_s', SimdOp.PSUBSB], ['i8x16.sub_sat_u', SimdOp.PSUBUSB],
  ['i8x16.min_s', SimdOp.PMINSB], ['i8x16.min_u', SimdOp.PMINUB], ['i8x16.max_s', SimdOp.PMAXSB], ['i8x16.max_u', SimdOp.PMAXUB], ['i8x16.avgr_u', SimdOp.PAVGB],
  ['i16x8.narrow_i32x4_s', SimdOp.PACKSSDW], ['i16x8.narrow_i32x4_u', SimdOp.PACKUSDW],
  ['i16x8.add', SimdOp.PADDW], ['i16x8.add_sat_s', SimdOp.PADDSW], ['i16x8.add_sat_u', SimdOp.PADDUSW],
  ['i16x8.sub', SimdOp.PSUBW], ['i16x8.sub_sat_s', SimdOp.PSUBSW], ['i16x8.sub_sat_u', SimdOp.PSUBUSW],
  ['i16x8.mul', SimdOp.PMULLW], ['i16x8.min_s', SimdOp.PMINSW], ['i16x8.min_u', SimdOp.PMINUW], ['i16x8.max_s', SimdOp.PMAXSW], ['i16x8.max_u', SimdOp.PMAXUW],
  ['i16x8.avgr_u', SimdOp.PAVGW],
  ['i32x4.add', SimdOp.PADDD], ['i32x4.sub', SimdOp.PSUBD], ['i32x4.mul', SimdOp.PMULLD],
  ['i32x4.min_s', SimdOp.PMINSD], ['i32x4.min_u', SimdOp.PMINUD], ['i32x4.max_s', SimdOp.PMAXSD], ['i32x4.max_u', SimdOp.PMAXUD], ['i32x4.dot_i16x8_s', SimdOp.PMADDWD],
  ['i64x2.add', SimdOp.PADDQ], ['i64x2.sub', SimdOp.PSUBQ], ['i64x2.eq', SimdOp.PCMPEQQ],
  ['f32x4.add', SimdOp.ADDPS], ['f32x4.sub', SimdOp.SUBPS], ['f32x4.mul', SimdOp.MULPS], ['f32x4.div', SimdOp.DIVPS],
  ['f64x2.add', SimdOp.ADDPD], ['f64x2.sub', SimdOp.SUBPD], ['f64x2.mul', SimdOp.MULPD], ['f64x2.div', SimdOp.DIVPD],
];

const ROUND: [string, SimdImmOp, number][] = [
  ['f32x4.ceil', SimdImmOp.ROUNDPS, RoundMode.CEIL], ['f32x4.floor', SimdImmOp.ROUNDPS, RoundMode.FLOOR],
  ['f32x4.trunc', SimdImmOp.ROUNDPS, RoundMode.TRUNC], ['f32x4.nearest', SimdImmOp.ROUNDPS, RoundMode.NEAREST],
  ['f64x2.ceil', SimdImmOp.ROUNDPD, RoundMode.CEIL], ['f64x2.floor', SimdImmOp.ROUNDPD, RoundMode.FLOOR],
  ['f64x2.trunc', SimdImmOp.ROUNDPD, RoundMode.TRUNC], ['f64x2.nearest', SimdImmOp.ROUNDPD, RoundMode.NEAREST],
];

const SIGN32 = 0x80000000n, SIGN64 = 1n << 63n;

export function registerSimd(): void {
  // memory
  on('v128.load', loadOp(SimdOp.MOVDQU));
  on('v128.load8x8_s', loadOp(SimdOp.PMOVSXBW)); on('v128.load8x8_u', loadOp(SimdOp.PMOVZXBW));
  on('v128.load16x4_s', loadOp(SimdOp.PMOVSXWD)); on('v128.load16x4_u', loadOp(SimdOp.PMOVZXWD));
  on('v128.load32x2_s', loadOp(SimdOp.PMOVSXDQ)); on('v128.load32x2_u', loadOp(SimdOp.PMOVZXDQ));
  on('v128.load8_splat', loadSplat(1)); on('v128.load16_splat', loadSplat(2)); on('v128.load32_splat', loadSplat(4)); on('v128.load64_splat', loadSplat(8));
  on('v128.store', storeLane(16));
  on('v128.load8_lane', loadLane(1)); on('v128.load16_lane', loadLane(2)); on('v128.load32_lane', loadLane(4)); on('v128.load64_lane', loadLane(8));
  on('v128.store8_lane', storeLane(1)); on('v128.store16_lane', storeLane(2)); on('v128.store32_lane', storeLane(4)); on('v128.store64_lane', storeLane(8));
  on('v128.load32_zero', loadOp(SseOp.MOVSS)); on('v128.load64_zero', loadOp(SseOp.MOVQ));
  // constants, shuffles, splats, lanes
  on('v128.const', (c, ir) => v128Const(c, ir.v128));
  on('i8x16.shuffle', (c, ir) => shuffle(c, ir.v128));
  on('i8x16.swizzle', swizzle);
  on('i8x16.splat', splatInt(1)); on('i16x8.splat', splatInt(2)); on('i32x4.splat', splatInt(4)); on('i64x2.splat', splatInt(8));
  on('f32x4.splat', splatFloat(4)); on('f64x2.splat', splatFloat(8));
  on('i8x16.extract_lane_s', extractInt(1, true, I32)); on('i8x16.extract_lane_u', extractInt(1, false, I32)); on('i8x16.replace_lane', replaceInt(1));
  on('i16x8.extract_lane_s', extractInt(2, true, I32)); on('i16x8.extract_lane_u', extractInt(2, false, I32)); on('i16x8.replace_lane', replaceInt(2));
  on('i32x4.extract_lane', extractInt(4, false, I32)); on('i32x4.replace_lane', replaceInt(4));
  on('i64x2.extract_lane', extractInt(8, false, I64)); on('i64x2.replace_lane', replaceInt(8));
  on('f32x4.extract_lane', extractFloat(4)); on('f32x4.replace_lane', replaceFloat(4));
  on('f64x2.extract_lane', extractFloat(8)); on('f64x2.replace_lane', replaceFloat(8));
  // integer compares: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u
  for (const [p, eq, gt, , , minu, maxu] of INT_CMP) {
    on(`${p}.eq`, binary(eq, Shape.bin));
    on(`${p}.ne`, binary(eq, Shape.binNot));
    on(`${p}.lt_s`, binary(gt, Shape.swap));
    on(`${p}.lt_u`, ucmp(maxu, eq, true));
    on(`${p}.gt_s`, binary(gt, Shape.bin));
    on(`${p}.gt_u`, ucmp(minu, eq, true));
    on(`${p}.le_s`, binary(gt, Shape.binNot));
    on(`${p}.le_u`, ucmp(minu, eq, false));
    on(`${p}.ge_s`, binary(gt, Shape.swapNot));
    on(`${p}.ge_u`, ucmp(maxu, eq, false));
  }
  // i64x2 compares: eq (table) ne lt_s gt_s le_s ge_s
  on('i64x2.ne', binary(SimdOp.PCMPEQQ, Shape.binNot));
  on('i64x2.lt_s', binary(SimdOp.PCMPGTQ, Shape.swap));
  on('i64x2.gt_s', binary(SimdOp.PCMPGTQ, Shape.bin));
  on('i64x2.le_s', binary(SimdOp.PCMPGTQ, Shape.binNot));
  on('i64x2.ge_s', binary(SimdOp.PCMPGTQ, Shape.swapNot));
  // float compares: eq ne lt gt le ge
  for (const [p, op] of [['f32x4', SimdImmOp.CMPPS], ['f64x2', SimdImmOp.CMPPD]] as const) {
    on(`${p}.eq`, fcmp(op, FpCmp.EQ, false));
    on(`${p}.ne`, fcmp(op, FpCmp.NEQ, false));
    on(`${p}.lt`, fcmp(op, FpCmp.LT, false));
    on(`${p}.gt`, fcmp(op, FpCmp.LT, true));
    on(`${p}.le`, fcmp(op, FpCmp.LE, false));
    on(`${p}.ge`, fcmp(op, FpCmp.LE, true));
  }
  for (const [n, op] of BIN) on(n, binary(op, Shape.bin));
  // bitwise
  on('v128.not', unary(not));
  on('v128.andnot', binary(SimdOp.PANDN, Shape.swap)); // a & ~b = pandn b, a
  on('v128.bitselect', bitselect);
  on('v128.any_true', anyTrue);
  // lane tests and masks
  on('i8x16.all_true', allTrue(SimdOp.PCMPEQB)); on('i16x8.all_true', allTrue(SimdOp.PCMPEQW));
  on('i32x4.all_true', allTrue(SimdOp.PCMPEQD)); on('i64x2.all_true', allTrue(SimdOp.PCMPEQQ));
  on('i8x16.bitmask', bitmask(1)); on('i16x8.bitmask', bitmask(2)); on('i32x4.bitmask', bitmask(4)); on('i64x2.bitmask', bitmask(8));
  // integer unary
  on('i8x16.abs', unaryOp(SimdOp.PABSB)); on('i16x8.abs', unaryOp(SimdOp.PABSW)); on('i32x4.abs', unaryOp(SimdOp.PABSD));
  on('i64x2.abs', unary(i64x2Abs));
  on('i8x16.neg', neg(SimdOp.PSUBB)); on('i16x8.neg', neg(SimdOp.PSUBW)); on('i32x4.neg', neg(SimdOp.PSUBD)); on('i64x2.neg', neg(SimdOp.PSUBQ));
  on('i8x16.popcnt', unary(popcnt));
  on('i16x8.extadd_pairwise_i8x16_s', unary((c, r) => extaddPairwise(c, r, 'i8s'))); on('i16x8.extadd_pairwise_i8x16_u', unary((c, r) => extaddPairwise(c, r, 'i8u')));
  on('i32x4.extadd_pairwise_i16x8_s', unary((c, r) => extaddPairwise(c, r, 'i16s'))); on('i32x4.extadd_pairwise_i16x8_u', unary((c, r) => extaddPairwise(c, r, 'i16u')));
  on('i16x8.q15mulr_sat_s', q15mulr);
  // widening
  on('i16x8.extend_low_i8x16_s', extend(SimdOp.PMOVSXBW, false)); on('i16x8.extend_high_i8x16_s', extend(SimdOp.PMOVSXBW, true));
  on('i16x8.extend_low_i8x16_u', extend(SimdOp.PMOVZXBW, false)); on('i16x8.extend_high_i8x16_u', extend(SimdOp.PMOVZXBW, true));
  on('i32x4.extend_low_i16x8_s', extend(SimdOp.PMOVSXWD, false)); on('i32x4.extend_high_i16x8_s', extend(SimdOp.PMOVSXWD, true));
  on('i32x4.extend_low_i16x8_u', extend(SimdOp.PMOVZXWD, false)); on('i32x4.extend_high_i16x8_u', extend(SimdOp.PMOVZXWD, true));
  on('i64x2.extend_low_i32x4_s', extend(SimdOp.PMOVSXDQ, false)); on('i64x2.extend_high_i32x4_s', extend(SimdOp.PMOVSXDQ, true));
  on('i64x2.extend_low_i32x4_u', extend(SimdOp.PMOVZXDQ, false)); on('i64x2.extend_high_i32x4_u', extend(SimdOp.PMOVZXDQ, true));
  on('i16x8.extmul_low_i8x16_s', extmul(SimdOp.PMOVSXBW, SimdOp.PMULLW, false)); on('i16x8.extmul_high_i8x16_s', extmul(SimdOp.PMOVSXBW, SimdOp.PMULLW, true));
  on('i16x8.extmul_low_i8x16_u', extmul(SimdOp.PMOVZXBW, SimdOp.PMULLW, false)); on('i16x8.extmul_high_i8x16_u', extmul(SimdOp.PMOVZXBW, SimdOp.PMULLW, true));
  on('i32x4.extmul_low_i16x8_s', extmul(SimdOp.PMOVSXWD, SimdOp.PMULLD, false)); on('i32x4.extmul_high_i16x8_s', extmul(SimdOp.PMOVSXWD, SimdOp.PMULLD, true));
  on('i32x4.extmul_low_i16x8_u', extmul(SimdOp.PMOVZXWD, SimdOp.PMULLD, false)); on('i32x4.extmul_high_i16x8_u', extmul(SimdOp.PMOVZXWD, SimdOp.PMULLD, true));
  on('i64x2.extmul_low_i32x4_s', extmul64(true, false)); on('i64x2.extmul_high_i32x4_s', extmul64(true, true));
  on('i64x2.extmul_low_i32x4_u', extmul64(false, false)); on('i64x2.extmul_high_i32x4_u', extmul64(false, true));
  on('i64x2.mul', i64x2Mul);
  // shifts
  const SH: [string, 8 | 16 | 32 | 64][] = [['i8x16', 8], ['i16x8', 16], ['i32x4', 32], ['i64x2', 64]];
  for (const [p, bits] of SH) {
    on(`${p}.shl`, shift('shl', bits)); on(`${p}.shr_s`, shift('shr_s', bits)); on(`${p}.shr_u`, shift('shr_u', bits));
  }
  // float unary
  on('f32x4.abs', unaryMem(SimdOp.ANDPS, (c) => splatConst(c, 32, SIGN32 - 1n)));
  on('f32x4.neg', unaryMem(SimdOp.XORPS, (c) => splatConst(c, 32, SIGN32)));
  on('f32x4.sqrt', unaryOp(SimdOp.SQRTPS));
  on('f64x2.abs', unaryMem(SimdOp.ANDPS, (c) => splatConst(c, 64, SIGN64 - 1n)));
  on('f64x2.neg', unaryMem(SimdOp.XORPS, (c) => splatConst(c, 64, SIGN64)));
  on('f64x2.sqrt', unaryOp(SimdOp.SQRTPD));
  for (const [n, op, mode] of ROUND) on(n, unary((c, r) => c.asm.simdRRI(op, r, r, mode)));
  on('f32x4.min', fminmax(false, false)); on('f32x4.max', fminmax(true, false));
  on('f64x2.min', fminmax(false, true)); on('f64x2.max', fminmax(true, true));
  on('f32x4.pmin', pminmax(SimdOp.MINPS)); on('f32x4.pmax', pminmax(SimdOp.MAXPS));
  on('f64x2.pmin', pminmax(SimdOp.MINPD)); on('f64x2.pmax', pminmax(SimdOp.MAXPD));
  // conversions
  on('f32x4.demote_f64x2_zero', unaryOp(SimdOp.CVTPD2PS));
  on('f64x2.promote_low_f32x4', unaryOp(SimdOp.CVTPS2PD));
  on('i32x4.trunc_sat_f32x4_s', unary(truncSatF32S)); on('i32x4.trunc_sat_f32x4_u', unary(truncSatF32U));
  on('f32x4.convert_i32x4_s', unaryOp(SimdOp.CVTDQ2PS)); on('f32x4.convert_i32x4_u', unary(convertU32ToF32));
  on('i32x4.trunc_sat_f64x2_s_zero', unary(truncSatF64SZero)); on('i32x4.trunc_sat_f64x2_u_zero', unary(truncSatF64UZero));
  on('f64x2.convert_low_i32x4_s', unaryOp(SimdOp.CVTDQ2PD)); on('f64x2.convert_low_i32x4_u', unary(convertLowU32ToF64));
}
