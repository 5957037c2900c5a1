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
  type LaneBytes, type Mem,
} from '../../backend-x64/index.js';
import { F32, F64, I32, I64, V128 } from '../frontend/types.js';
import { on } from './emitters.js';
import { ADDR_OPERAND, address } from './emit-memory.js';
import { G, X, XS, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';

const V = V128;
const S = (sub: number): number => 0xfd00 + sub;

/** A 128-bit pool constant with every lane of `bits` bits equal to `v`. */
function splatConst(c: CodeGen, bits: 8 | 16 | 32 | 64, v: bigint): Mem {
  let q = 0n;
  const m = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < 64; i += bits) q |= (v & m) << BigInt(i);
  return c.asm.const128(q, q);
}

/** Pop a v128 only read by the instruction; `readOwned` says whether the caller frees it. */
let readOwned = true;
function popRead(c: CodeGen): number {
  const r = c.popRead();
  readOwned = c.popReadOwned;
  return r;
}
function doneRead(c: CodeGen, r: number, owned: boolean): void { if (owned) c.freeReg(V, r); }

/** all-ones into r */
function ones(c: CodeGen, r: number): void { c.asm.sseRR(SimdOp.PCMPEQD, X(r), X(r)); }
function not(c: CodeGen, r: number): void { ones(c, XS); c.asm.sseRR(SimdOp.PXOR, X(r), XS); }

// ---- generic shapes -------------------------------------------------------------------------

const Shape = { bin: 0, swap: 1, binNot: 2, swapNot: 3 } as const;
type Shape = (typeof Shape)[keyof typeof Shape];

function binary(op: SimdOp, shape: Shape): (c: CodeGen) => void {
  return (c) => {
    if (shape === Shape.bin || shape === Shape.binNot) {
      const b = popRead(c), bo = readOwned;
      const a = c.popReg();
      c.asm.sseRR(op, X(a), X(b));
      doneRead(c, b, bo);
      if (shape === Shape.binNot) not(c, a);
      c.pushReg(V, a);
    } else {
      const b = c.popReg();
      const a = popRead(c), ao = readOwned;
      c.asm.sseRR(op, X(b), X(a));
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
      const b = popRead(c), bo = readOwned;
      const a = c.popReg();
      c.asm.simdRRI(op, X(a), X(b), pred);
      doneRead(c, b, bo);
      c.pushReg(V, a);
    } else {
      const b = c.popReg();
      const a = popRead(c), ao = readOwned;
      c.asm.simdRRI(op, X(b), X(a), pred);
      doneRead(c, a, ao);
      c.pushReg(V, b);
    }
  };
}

/** Unsigned a >= b as max_u(a, b) == a (le: min_u); `negate` gives lt / gt. */
function ucmp(minmax: SimdOp, eq: SimdOp, negate: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm;
    const b = popRead(c), bo = readOwned;
    const a = c.popReg();
    a0.sseRR(SimdOp.MOVDQA, XS, X(a));
    a0.sseRR(minmax, XS, X(b));
    a0.sseRR(eq, X(a), XS);
    doneRead(c, b, bo);
    if (negate) not(c, a);
    c.pushReg(V, a);
  };
}

/** Unary in place on an owned register. */
function unary(f: (c: CodeGen, r: number) => void): (c: CodeGen) => void {
  return (c) => {
    const r = c.popReg();
    f(c, r);
    c.pushReg(V, r);
  };
}
const unaryOp = (op: SimdOp): ((c: CodeGen) => void) => unary((c, r) => c.asm.sseRR(op, X(r), X(r)));
const unaryMem = (op: SimdOp, m: (c: CodeGen) => Mem): ((c: CodeGen) => void) => unary((c, r) => c.asm.sseRM(op, X(r), m(c)));

/** 0 - x */
function neg(sub: SimdOp): (c: CodeGen) => void {
  return unary((c, r) => {
    const a = c.asm;
    a.sseRR(SimdOp.PXOR, XS, XS);
    a.sseRR(sub, XS, X(r));
    a.sseRR(SimdOp.MOVDQA, X(r), XS);
  });
}

/** Move the high 64 bits to the low half (for the *_high widenings). */
function high(c: CodeGen, r: number): void { c.asm.simdRRI(SimdImmOp.PSHUFD, X(r), X(r), 0xee); }

function extend(op: SimdOp, hi: boolean): (c: CodeGen) => void {
  return unary((c, r) => { if (hi) high(c, r); c.asm.sseRR(op, X(r), X(r)); });
}

/** Extended multiply: widen both (low or high half) then multiply. */
function extmul(widen: SimdOp, mul: SimdOp, hi: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm;
    const b = popRead(c), bo = readOwned;
    const a = c.popReg();
    if (hi) { high(c, a); a0.simdRRI(SimdImmOp.PSHUFD, XS, X(b), 0xee); } else a0.sseRR(SimdOp.MOVDQA, XS, X(b));
    a0.sseRR(widen, X(a), X(a));
    a0.sseRR(widen, XS, XS);
    a0.sseRR(mul, X(a), XS);
    doneRead(c, b, bo);
    c.pushReg(V, a);
  };
}

/** i64x2 extended multiply: dwords 0,1 (or 2,3) to the even positions, then pmuldq/pmuludq. */
function extmul64(signed: boolean, hi: boolean): (c: CodeGen) => void {
  return (c) => {
    const a0 = c.asm, sel = hi ? 0xfa : 0x50;
    const b = popRead(c), bo = readOwned;
    const a = c.popReg();
    a0.simdRRI(SimdImmOp.PSHUFD, X(a), X(a), sel);
    a0.simdRRI(SimdImmOp.PSHUFD, XS, X(b), sel);
    a0.sseRR(signed ? SimdOp.PMULDQ : SimdOp.PMULUDQ, X(a), XS);
    doneRead(c, b, bo);
    c.pushReg(V, a);
  };
}

// ---- constants, splats, lanes -----------------------------------------------------------------

function v128Const(c: CodeGen, bytes: Uint8Array): void {
  const a = c.asm, r = c.allocReg(true);
  let allZero = true, allOnes = true;
  for (let i = 0; i < 16; i++) { if (bytes[i] !== 0) allZero = false; if (bytes[i] !== 0xff) allOnes = false; }
  if (allZero) a.sseRR(SimdOp.PXOR, X(r), X(r));
  else if (allOnes) ones(c, r);
  else {
    let lo = 0n, hi = 0n;
    for (let i = 7; i >= 0; i--) { lo = (lo << 8n) | BigInt(bytes[i]); hi = (hi << 8n) | BigInt(bytes[i + 8]); }
    a.sseRM(SimdOp.MOVDQU, X(r), a.const128(lo, hi));
  }
  c.pushReg(V, r);
}

/** i8/i16/i32/i64 splat from a GPR value. */
function splatInt(bytes: LaneBytes): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const g = c.popRead(), go = c.popReadOwned;
    const r = c.allocReg(true);
    a.movToXmm(bytes === 8 ? 64 : 32, X(r), G(g));
    if (go) c.freeGpr(g);
    splatLow(c, r, bytes);
    c.pushReg(V, r);
  };
}

/** Broadcast lane 0 of r (a lane of `bytes` bytes) to every lane. */
function splatLow(c: CodeGen, r: number, bytes: LaneBytes): void {
  const a = c.asm;
  switch (bytes) {
    case 1: a.sseRR(SimdOp.PXOR, XS, XS); a.sseRR(SimdOp.PSHUFB, X(r), XS); break;
    case 2: a.simdRRI(SimdImmOp.PSHUFLW, X(r), X(r), 0); a.simdRRI(SimdImmOp.PSHUFD, X(r), X(r), 0); break;
    case 4: a.simdRRI(SimdImmOp.PSHUFD, X(r), X(r), 0); break;
    case 8: a.simdRRI(SimdImmOp.PSHUFD, X(r), X(r), 0x44); break;
  }
}

function splatFloat(bytes: 4 | 8): (c: CodeGen) => void {
  return unary((c, r) => splatLow(c, r, bytes));
}

function extractInt(bytes: LaneBytes, signed: boolean, result: number): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const v = popRead(c), vo = readOwned;
    const d = c.allocReg(false);
    if (ir.lane === 0 && bytes >= 4) a.movFromXmm(bytes === 8 ? 64 : 32, G(d), X(v));
    else a.pextrRR(bytes, G(d), X(v), ir.lane);
    if (signed) a.movsxRR(32, bytes === 1 ? 8 : 16, G(d), G(d));
    doneRead(c, v, vo);
    c.pushReg(result, d);
  };
}

function extractFloat(bytes: 4 | 8): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const v = popRead(c), vo = readOwned;
    const d = c.allocReg(true);
    if (ir.lane === 0) a.sseRR(SseOp.MOVAPS, X(d), X(v));
    else if (bytes === 4) a.simdRRI(SimdImmOp.PSHUFD, X(d), X(v), ir.lane);
    else a.simdRRI(SimdImmOp.PSHUFD, X(d), X(v), 0xee);
    doneRead(c, v, vo);
    c.pushReg(bytes === 4 ? F32 : F64, d);
  };
}

function replaceInt(bytes: LaneBytes): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const g = c.popRead(), go = c.popReadOwned;
    const v = c.popReg();
    c.asm.pinsrRR(bytes, X(v), G(g), ir.lane);
    if (go) c.freeGpr(g);
    c.pushReg(V, v);
  };
}

function replaceFloat(bytes: 4 | 8): (c: CodeGen, ir: { lane: number }) => void {
  return (c, ir) => {
    const a = c.asm;
    const f = c.popRead(), fo = c.popReadOwned;
    const v = c.popReg();
    if (bytes === 4) a.simdRRI(SimdImmOp.INSERTPS, X(v), X(f), ir.lane << 4);
    else if (ir.lane === 0) a.sseRR(SseOp.MOVSD, X(v), X(f));
    else a.sseRR(SimdOp.MOVLHPS, X(v), X(f));
    if (fo) c.freeReg(bytes === 4 ? F32 : F64, f);
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
      let r: number;
      if (fromB === 0) { c.dropTop(); r = c.popReg(); } else { r = c.popReg(); c.dropTop(); }
      a.simdRRI(SimdImmOp.PSHUFD, X(r), X(r), imm);
      c.pushReg(V, r);
    } else if (fromB === 12) {
      const b = popRead(c), bo = readOwned;
      const r = c.popReg();
      a.simdRRI(SimdImmOp.SHUFPS, X(r), X(b), imm);
      doneRead(c, b, bo);
      c.pushReg(V, r);
    } else {
      const b = c.popReg();
      const r = popRead(c), ro = readOwned;
      a.simdRRI(SimdImmOp.SHUFPS, X(b), X(r), imm);
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
  const b = c.popReg();
  const r = c.popReg();
  if (useA) a.sseRM(SimdOp.PSHUFB, X(r), a.const128(lo1, hi1));
  if (useB) a.sseRM(SimdOp.PSHUFB, X(b), a.const128(lo2, hi2));
  if (!useA) a.sseRR(SimdOp.MOVDQA, X(r), X(b));
  else if (useB) a.sseRR(SimdOp.POR, X(r), X(b));
  c.freeReg(V, b);
  c.pushReg(V, r);
}

function swizzle(c: CodeGen): void {
  const a = c.asm;
  const idx = popRead(c), io = readOwned;
  const r = c.popReg();
  // Indices >= 16 must select 0: saturating + 0x70 sets bit 7 for them (pshufb's zero bit).
  a.sseRR(SimdOp.MOVDQA, XS, X(idx));
  a.sseRM(SimdOp.PADDUSB, XS, splatConst(c, 8, 0x70n));
  a.sseRR(SimdOp.PSHUFB, X(r), XS);
  doneRead(c, idx, io);
  c.pushReg(V, r);
}

// ---- tests and masks --------------------------------------------------------------------------

function anyTrue(c: CodeGen): void {
  const v = popRead(c), vo = readOwned;
  c.asm.sseRR(SimdOp.PTEST, X(v), X(v));
  doneRead(c, v, vo);
  c.pushCond(Cond.NE);
}

function allTrue(eq: SimdOp): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const v = popRead(c), vo = readOwned;
    a.sseRR(SimdOp.PXOR, XS, XS);
    a.sseRR(eq, XS, X(v));
    a.sseRR(SimdOp.PTEST, XS, XS);
    doneRead(c, v, vo);
    c.pushCond(Cond.E);
  };
}

function bitmask(bytes: LaneBytes): (c: CodeGen) => void {
  return (c) => {
    const a = c.asm;
    const v = popRead(c), vo = readOwned;
    const d = c.allocReg(false);
    switch (bytes) {
      case 1: a.pmovmskb(G(d), X(v)); break;
      case 2:
        a.sseRR(SimdOp.MOVDQA, XS, X(v));
        a.sseRR(SimdOp.PACKSSWB, XS, XS);
        a.pmovmskb(G(d), XS);
        a.shiftRI(ShiftOp.SHR, 32, G(d), 8);
        break;
      case 4: a.movmsk(32, G(d), X(v)); break;
      case 8: a.movmsk(64, G(d), X(v)); break;
    }
    doneRead(c, v, vo);
    c.pushReg(I32, d);
  };
}

function bitselect(c: CodeGen): void {
  const a = c.asm;
  const m = popRead(c), mo = readOwned;
  const v2 = popRead(c), v2o = readOwned;
  const v1 = c.popReg();
  // (v1 & m) | (v2 & ~m) = ((v1 ^ v2) & m) ^ v2
  a.sseRR(SimdOp.PXOR, X(v1), X(v2));
  a.sseRR(SimdOp.PAND, X(v1), X(m));
  a.sseRR(SimdOp.PXOR, X(v1), X(v2));
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
    let n = 0, t = -1;
    if (constCount) { n = vs.lo[top] & (bits - 1); c.dropTop(); }
    else {
      const g = c.popReg();
      a.aluRI(AluOp.AND, 32, G(g), bits - 1);
      // i8 shr widens to words and shifts them by n + 8
      if (bits === 8 && kind !== 'shl') a.aluRI(AluOp.ADD, 32, G(g), 8);
      t = c.allocReg(true);
      a.movToXmm(32, X(t), G(g));
      c.freeGpr(g);
    }
    const v = c.popReg();
    if (bits === 8) shift8(c, kind, v, n, t);
    else if (kind === 'shr_s' && bits === 64) {
      // (x >>> n ^ m) - m with m = sign bit >>> n
      a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 64, 1n << 63n));
      if (t < 0) { a.simdShiftRI(SimdShiftImm.PSRLQ, XS, n); a.simdShiftRI(SimdShiftImm.PSRLQ, X(v), n); }
      else { a.sseRR(SimdOp.PSRLQ, XS, X(t)); a.sseRR(SimdOp.PSRLQ, X(v), X(t)); }
      a.sseRR(SimdOp.PXOR, X(v), XS);
      a.sseRR(SimdOp.PSUBQ, X(v), XS);
    } else if (t < 0) {
      if (n !== 0) a.simdShiftRI(SHIFT_IMM[key], X(v), n);
    } else a.sseRR(SHIFT_REG[key], X(v), X(t));
    if (t >= 0) c.freeReg(V, t);
    c.pushReg(V, v);
  };
}

function shift8(c: CodeGen, kind: ShiftKind, v: number, n: number, t: number): void {
  const a = c.asm;
  if (kind === 'shl') {
    // Clear the bits that would cross into the next byte, then shift words.
    if (t < 0) {
      if (n === 0) return;
      a.sseRM(SimdOp.PAND, X(v), splatConst(c, 8, BigInt(0xff >> n)));
      a.simdShiftRI(SimdShiftImm.PSLLW, X(v), n);
      return;
    }
    // mask bytes 0xff >> n: all-ones words >> (n + 8), packed to bytes
    ones(c, XS);
    a.simdShiftRI(SimdShiftImm.PSRLW, XS, 8);
    a.sseRR(SimdOp.PSRLW, XS, X(t));
    a.sseRR(SimdOp.PACKUSWB, XS, XS);
    a.sseRR(SimdOp.PAND, X(v), XS);
    a.sseRR(SimdOp.PSLLW, X(v), X(t));
    return;
  }
  // Each byte doubled into a word (b << 8 | b), shifted by n + 8, packed back.
  const signed = kind === 'shr_s';
  a.sseRR(SimdOp.MOVDQA, XS, X(v));
  a.sseRR(SimdOp.PUNPCKHBW, XS, XS);
  a.sseRR(SimdOp.PUNPCKLBW, X(v), X(v));
  if (t < 0) {
    const op = signed ? SimdShiftImm.PSRAW : SimdShiftImm.PSRLW;
    a.simdShiftRI(op, XS, n + 8);
    a.simdShiftRI(op, X(v), n + 8);
  } else {
    const op = signed ? SimdOp.PSRAW : SimdOp.PSRLW;
    a.sseRR(op, XS, X(t));
    a.sseRR(op, X(v), X(t));
  }
  a.sseRR(signed ? SimdOp.PACKSSWB : SimdOp.PACKUSWB, X(v), XS);
}

// ---- integer sequences ---------------------------------------------------------------------------

function i64x2Mul(c: CodeGen): void {
  const a = c.asm;
  const b = popRead(c), bo = readOwned;
  const r = c.popReg();
  const t = c.allocReg(true);
  // lo(a)*lo(b) + ((hi(a)*lo(b) + lo(a)*hi(b)) << 32)
  a.sseRR(SimdOp.MOVDQA, XS, X(r));
  a.simdShiftRI(SimdShiftImm.PSRLQ, XS, 32);
  a.sseRR(SimdOp.PMULUDQ, XS, X(b));
  a.sseRR(SimdOp.MOVDQA, X(t), X(b));
  a.simdShiftRI(SimdShiftImm.PSRLQ, X(t), 32);
  a.sseRR(SimdOp.PMULUDQ, X(t), X(r));
  a.sseRR(SimdOp.PADDQ, XS, X(t));
  a.simdShiftRI(SimdShiftImm.PSLLQ, XS, 32);
  a.sseRR(SimdOp.PMULUDQ, X(r), X(b));
  a.sseRR(SimdOp.PADDQ, X(r), XS);
  c.freeReg(V, t);
  doneRead(c, b, bo);
  c.pushReg(V, r);
}

function i64x2Abs(c: CodeGen, r: number): void {
  const a = c.asm;
  a.simdRRI(SimdImmOp.PSHUFD, XS, X(r), 0xf5); // high dwords in both halves of each lane
  a.simdShiftRI(SimdShiftImm.PSRAD, XS, 31);
  a.sseRR(SimdOp.PXOR, X(r), XS);
  a.sseRR(SimdOp.PSUBQ, X(r), XS);
}

function popcnt(c: CodeGen, r: number): void {
  const a = c.asm;
  const t = c.allocReg(true);
  const low4 = splatConst(c, 8, 0x0fn);
  const lut = a.const128(0x0302020102010100n, 0x0403030203020201n);
  a.sseRR(SimdOp.MOVDQA, XS, X(r));
  a.simdShiftRI(SimdShiftImm.PSRLW, XS, 4);
  a.sseRM(SimdOp.PAND, XS, low4);
  a.sseRM(SimdOp.PAND, X(r), low4);
  a.sseRM(SimdOp.MOVDQU, X(t), lut);
  a.sseRR(SimdOp.PSHUFB, X(t), X(r));
  a.sseRM(SimdOp.MOVDQU, X(r), lut);
  a.sseRR(SimdOp.PSHUFB, X(r), XS);
  a.sseRR(SimdOp.PADDB, X(r), X(t));
  c.freeReg(V, t);
}

function q15mulr(c: CodeGen): void {
  const a = c.asm;
  const b = popRead(c), bo = readOwned;
  const r = c.popReg();
  a.sseRR(SimdOp.PMULHRSW, X(r), X(b));
  // 0x8000 * 0x8000 gives 0x8000; the saturated answer is 0x7fff.
  a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 16, 0x8000n));
  a.sseRR(SimdOp.PCMPEQW, XS, X(r));
  a.sseRR(SimdOp.PXOR, X(r), XS);
  doneRead(c, b, bo);
  c.pushReg(V, r);
}

function extaddPairwise(c: CodeGen, r: number, kind: 'i8s' | 'i8u' | 'i16s' | 'i16u'): void {
  const a = c.asm;
  switch (kind) {
    case 'i8s': // pmaddubsw: unsigned first operand (ones) times signed second
      a.sseRM(SimdOp.MOVDQU, XS, splatConst(c, 8, 1n));
      a.sseRR(SimdOp.PMADDUBSW, XS, X(r));
      a.sseRR(SimdOp.MOVDQA, X(r), XS);
      break;
    case 'i8u': a.sseRM(SimdOp.PMADDUBSW, X(r), splatConst(c, 8, 1n)); break;
    case 'i16s': a.sseRM(SimdOp.PMADDWD, X(r), splatConst(c, 16, 1n)); break;
    case 'i16u': // bias to signed, add pairs, unbias (2 * 0x8000)
      a.sseRM(SimdOp.PXOR, X(r), splatConst(c, 16, 0x8000n));
      a.sseRM(SimdOp.PMADDWD, X(r), splatConst(c, 16, 1n));
      a.sseRM(SimdOp.PADDD, X(r), splatConst(c, 32, 0x10000n));
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
    const b = c.popReg();
    const a = popRead(c), ao = readOwned;
    a0.sseRR(SimdOp.MOVDQA, XS, X(a));
    a0.sseRR(mm, XS, X(b)); // XS = a op b (x86: b when unordered or equal)
    a0.sseRR(mm, X(b), X(a)); // b = b op a
    if (isMax) {
      a0.sseRR(SimdOp.XORPS, X(b), XS); // where they differ (NaN, +-0)
      a0.sseRR(SimdOp.ORPS, XS, X(b)); // propagate NaN
      a0.sseRR(is64 ? SimdOp.SUBPD : SimdOp.SUBPS, XS, X(b)); // +0 over -0, quiet NaN
    } else {
      a0.sseRR(SimdOp.ORPS, XS, X(b)); // -0 over +0, NaN propagates
    }
    a0.simdRRI(cmp, X(b), XS, FpCmp.UNORD); // b = NaN lanes
    if (!isMax) a0.sseRR(SimdOp.ORPS, XS, X(b));
    a0.simdShiftRI(nanShift, X(b), is64 ? 13 : 10); // keep sign/exponent/quiet bit: canonical NaN
    a0.sseRR(SimdOp.ANDNPS, X(b), XS);
    doneRead(c, a, ao);
    c.pushReg(V, b);
  };
}

/** pmin(a, b) = b < a ? b : a, which is minps with b as the destination (pmax: maxps). */
function pminmax(op: SimdOp): (c: CodeGen) => void { return binary(op, Shape.swap); }

function truncSatF32S(c: CodeGen, r: number): void {
  const a = c.asm;
  a.sseRR(SimdOp.MOVDQA, XS, X(r));
  a.simdRRI(SimdImmOp.CMPPS, XS, XS, FpCmp.EQ); // not-NaN lanes
  a.sseRR(SimdOp.ANDPS, X(r), XS); // NaN -> 0
  a.sseRR(SimdOp.PXOR, XS, X(r)); // sign bit set where x >= 0 (the mask ^ x)
  a.sseRR(SimdOp.CVTTPS2DQ, X(r), X(r)); // overflow -> 0x80000000
  a.sseRR(SimdOp.PAND, XS, X(r));
  a.simdShiftRI(SimdShiftImm.PSRAD, XS, 31); // positive overflow lanes
  a.sseRR(SimdOp.PXOR, X(r), XS); // 0x80000000 -> 0x7fffffff there
}

function truncSatF32U(c: CodeGen, r: number): void {
  const a = c.asm;
  const t = c.allocReg(true);
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.MAXPS, X(r), XS); // NaN and negatives -> 0
  ones(c, XS);
  a.simdShiftRI(SimdShiftImm.PSRLD, XS, 1);
  a.sseRR(SimdOp.CVTDQ2PS, XS, XS); // 2^31 as float
  a.sseRR(SimdOp.MOVDQA, X(t), X(r));
  a.sseRR(SimdOp.SUBPS, X(t), XS); // x - 2^31
  a.simdRRI(SimdImmOp.CMPPS, XS, X(t), FpCmp.LE); // x - 2^31 >= 2^31: overflow
  a.sseRR(SimdOp.CVTTPS2DQ, X(t), X(t));
  a.sseRR(SimdOp.PXOR, X(t), XS);
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.PMAXSD, X(t), XS);
  a.sseRR(SimdOp.CVTTPS2DQ, X(r), X(r));
  a.sseRR(SimdOp.PADDD, X(r), X(t));
  c.freeReg(V, t);
}

function convertU32ToF32(c: CodeGen, r: number): void {
  const a = c.asm;
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.simdRRI(SimdImmOp.PBLENDW, XS, X(r), 0x55); // low 16 bits of each lane
  a.sseRR(SimdOp.PSUBD, X(r), XS); // high 16 bits
  a.sseRR(SimdOp.CVTDQ2PS, XS, XS); // exact
  a.simdShiftRI(SimdShiftImm.PSRLD, X(r), 1);
  a.sseRR(SimdOp.CVTDQ2PS, X(r), X(r));
  a.sseRR(SimdOp.ADDPS, X(r), X(r));
  a.sseRR(SimdOp.ADDPS, X(r), XS);
}

function truncSatF64SZero(c: CodeGen, r: number): void {
  const a = c.asm;
  a.sseRR(SimdOp.MOVDQA, XS, X(r));
  a.simdRRI(SimdImmOp.CMPPD, XS, XS, FpCmp.EQ);
  a.sseRM(SimdOp.ANDPS, XS, a.const128(0x41dfffffffc00000n, 0x41dfffffffc00000n)); // 2147483647.0
  a.sseRR(SimdOp.MINPD, X(r), XS); // NaN -> 0, clamp above
  a.sseRR(SimdOp.CVTTPD2DQ, X(r), X(r)); // below -> 0x80000000; upper lanes 0
}

function truncSatF64UZero(c: CodeGen, r: number): void {
  const a = c.asm;
  a.sseRR(SimdOp.PXOR, XS, XS);
  a.sseRR(SimdOp.MAXPD, X(r), XS); // NaN, negatives -> 0
  a.sseRM(SimdOp.MINPD, X(r), a.const128(0x41efffffffe00000n, 0x41efffffffe00000n)); // 4294967295.0
  a.simdRRI(SimdImmOp.ROUNDPD, X(r), X(r), RoundMode.TRUNC);
  a.sseRM(SimdOp.ADDPD, X(r), a.const128(0x4330000000000000n, 0x4330000000000000n)); // + 2^52: integer in the low dword
  a.simdRRI(SimdImmOp.SHUFPS, X(r), XS, 0x88);
}

function convertLowU32ToF64(c: CodeGen, r: number): void {
  const a = c.asm;
  // 2^52 + u as a double: high dword 0x43300000 over u, minus 2^52
  a.sseRM(SimdOp.UNPCKLPS, X(r), splatConst(c, 32, 0x43300000n));
  a.sseRM(SimdOp.SUBPD, X(r), a.const128(0x4330000000000000n, 0x4330000000000000n));
}

// ---- memory ----------------------------------------------------------------------------------------

type Ir = { memOffset: number; lane: number };

/** A load into a fresh XMM register: `f(dst, [addr])`. */
function load(f: (c: CodeGen, d: number, m: Mem) => void): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const reg = address(c, ir.memOffset >>> 0);
    const d = c.allocReg(true);
    f(c, d, ADDR_OPERAND);
    if (reg >= 0) c.freeGpr(reg);
    c.pushReg(V, d);
  };
}
const loadOp = (op: SimdOp | SseOp): ((c: CodeGen, ir: Ir) => void) => load((c, d, m) => c.asm.sseRM(op, X(d), m));

function loadSplat(bytes: LaneBytes): (c: CodeGen, ir: Ir) => void {
  return load((c, d, m) => {
    const a = c.asm;
    if (bytes === 8) { a.sseRM(SimdOp.MOVDDUP, X(d), m); return; }
    if (bytes === 4) a.sseRM(SseOp.MOVSS, X(d), m);
    else a.pinsrRM(bytes, X(d), m, 0);
    splatLow(c, d, bytes);
  });
}

function loadLane(bytes: LaneBytes): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const v = c.popReg();
    const reg = address(c, ir.memOffset >>> 0);
    c.asm.pinsrRM(bytes, X(v), ADDR_OPERAND, ir.lane);
    if (reg >= 0) c.freeGpr(reg);
    c.pushReg(V, v);
  };
}

function storeLane(bytes: LaneBytes | 16): (c: CodeGen, ir: Ir) => void {
  return (c, ir) => {
    const v = popRead(c), vo = readOwned;
    const reg = address(c, ir.memOffset >>> 0);
    if (bytes === 16) c.asm.sseMR(SseStore.MOVDQU, ADDR_OPERAND, X(v));
    else c.asm.pextrMR(bytes, ADDR_OPERAND, X(v), ir.lane);
    if (reg >= 0) c.freeGpr(reg);
    doneRead(c, v, vo);
  };
}

// ---- the table ---------------------------------------------------------------------------------------

const INT_CMP: [number, SimdOp, SimdOp, SimdOp, SimdOp, SimdOp, SimdOp][] = [
  // first opcode, eq, gt_s, min_s, max_s, min_u, max_u
  [0x23, SimdOp.PCMPEQB, SimdOp.PCMPGTB, SimdOp.PMINSB, SimdOp.PMAXSB, SimdOp.PMINUB, SimdOp.PMAXUB],
  [0x2d, SimdOp.PCMPEQW, SimdOp.PCMPGTW, SimdOp.PMINSW, SimdOp.PMAXSW, SimdOp.PMINUW, SimdOp.PMAXUW],
  [0x37, SimdOp.PCMPEQD, SimdOp.PCMPGTD, SimdOp.PMINSD, SimdOp.PMAXSD, SimdOp.PMINUD, SimdOp.PMAXUD],
];

/** Binary ops that are one instruction (a = a op b), by sub-opcode. */
const BIN: [number, SimdOp][] = [
  [0x4e, SimdOp.PAND], [0x50, SimdOp.POR], [0x51, SimdOp.PXOR],
  [0x65, SimdOp.PACKSSWB], [0x66, SimdOp.PACKUSWB],
  [0x6e, SimdOp.PADDB], [0x6f, SimdOp.PADDSB], [0x70, SimdOp.PADDUSB],
  [0x71, SimdOp.PSUBB], [0x72, SimdOp.PSUBSB], [0x73, SimdOp.PSUBUSB],
  [0x76, SimdOp.PMINSB], [0x77, SimdOp.PMINUB], [0x78, SimdOp.PMAXSB], [0x79, SimdOp.PMAXUB], [0x7b, SimdOp.PAVGB],
  [0x85, SimdOp.PACKSSDW], [0x86, SimdOp.PACKUSDW],
  [0x8e, SimdOp.PADDW], [0x8f, SimdOp.PADDSW], [0x90, SimdOp.PADDUSW],
  [0x91, SimdOp.PSUBW], [0x92, SimdOp.PSUBSW], [0x93, SimdOp.PSUBUSW],
  [0x95, SimdOp.PMULLW], [0x96, SimdOp.PMINSW], [0x97, SimdOp.PMINUW], [0x98, SimdOp.PMAXSW], [0x99, SimdOp.PMAXUW],
  [0x9b, SimdOp.PAVGW],
  [0xae, SimdOp.PADDD], [0xb1, SimdOp.PSUBD], [0xb5, SimdOp.PMULLD],
  [0xb6, SimdOp.PMINSD], [0xb7, SimdOp.PMINUD], [0xb8, SimdOp.PMAXSD], [0xb9, SimdOp.PMAXUD], [0xba, SimdOp.PMADDWD],
  [0xce, SimdOp.PADDQ], [0xd1, SimdOp.PSUBQ], [0xd6, SimdOp.PCMPEQQ],
  [0xe4, SimdOp.ADDPS], [0xe5, SimdOp.SUBPS], [0xe6, SimdOp.MULPS], [0xe7, SimdOp.DIVPS],
  [0xf0, SimdOp.ADDPD], [0xf1, SimdOp.SUBPD], [0xf2, SimdOp.MULPD], [0xf3, SimdOp.DIVPD],
];

const ROUND: [number, SimdImmOp, number][] = [
  [0x67, SimdImmOp.ROUNDPS, RoundMode.CEIL], [0x68, SimdImmOp.ROUNDPS, RoundMode.FLOOR],
  [0x69, SimdImmOp.ROUNDPS, RoundMode.TRUNC], [0x6a, SimdImmOp.ROUNDPS, RoundMode.NEAREST],
  [0x74, SimdImmOp.ROUNDPD, RoundMode.CEIL], [0x75, SimdImmOp.ROUNDPD, RoundMode.FLOOR],
  [0x7a, SimdImmOp.ROUNDPD, RoundMode.TRUNC], [0x94, SimdImmOp.ROUNDPD, RoundMode.NEAREST],
];

const SIGN32 = 0x80000000n, SIGN64 = 1n << 63n;

export function registerSimd(): void {
  // memory
  on(S(0x00), loadOp(SimdOp.MOVDQU));
  on(S(0x01), loadOp(SimdOp.PMOVSXBW)); on(S(0x02), loadOp(SimdOp.PMOVZXBW));
  on(S(0x03), loadOp(SimdOp.PMOVSXWD)); on(S(0x04), loadOp(SimdOp.PMOVZXWD));
  on(S(0x05), loadOp(SimdOp.PMOVSXDQ)); on(S(0x06), loadOp(SimdOp.PMOVZXDQ));
  on(S(0x07), loadSplat(1)); on(S(0x08), loadSplat(2)); on(S(0x09), loadSplat(4)); on(S(0x0a), loadSplat(8));
  on(S(0x0b), storeLane(16));
  on(S(0x54), loadLane(1)); on(S(0x55), loadLane(2)); on(S(0x56), loadLane(4)); on(S(0x57), loadLane(8));
  on(S(0x58), storeLane(1)); on(S(0x59), storeLane(2)); on(S(0x5a), storeLane(4)); on(S(0x5b), storeLane(8));
  on(S(0x5c), loadOp(SseOp.MOVSS)); on(S(0x5d), loadOp(SseOp.MOVQ));
  // constants, shuffles, splats, lanes
  on(S(0x0c), (c, ir) => v128Const(c, ir.v128));
  on(S(0x0d), (c, ir) => shuffle(c, ir.v128));
  on(S(0x0e), swizzle);
  on(S(0x0f), splatInt(1)); on(S(0x10), splatInt(2)); on(S(0x11), splatInt(4)); on(S(0x12), splatInt(8));
  on(S(0x13), splatFloat(4)); on(S(0x14), splatFloat(8));
  on(S(0x15), extractInt(1, true, I32)); on(S(0x16), extractInt(1, false, I32)); on(S(0x17), replaceInt(1));
  on(S(0x18), extractInt(2, true, I32)); on(S(0x19), extractInt(2, false, I32)); on(S(0x1a), replaceInt(2));
  on(S(0x1b), extractInt(4, false, I32)); on(S(0x1c), replaceInt(4));
  on(S(0x1d), extractInt(8, false, I64)); on(S(0x1e), replaceInt(8));
  on(S(0x1f), extractFloat(4)); on(S(0x20), replaceFloat(4));
  on(S(0x21), extractFloat(8)); on(S(0x22), replaceFloat(8));
  // integer compares: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u
  for (const [first, eq, gt, , , minu, maxu] of INT_CMP) {
    on(S(first), binary(eq, Shape.bin));
    on(S(first + 1), binary(eq, Shape.binNot));
    on(S(first + 2), binary(gt, Shape.swap));
    on(S(first + 3), ucmp(maxu, eq, true));
    on(S(first + 4), binary(gt, Shape.bin));
    on(S(first + 5), ucmp(minu, eq, true));
    on(S(first + 6), binary(gt, Shape.binNot));
    on(S(first + 7), ucmp(minu, eq, false));
    on(S(first + 8), binary(gt, Shape.swapNot));
    on(S(first + 9), ucmp(maxu, eq, false));
  }
  // i64x2 compares: eq (table) ne lt_s gt_s le_s ge_s
  on(S(0xd7), binary(SimdOp.PCMPEQQ, Shape.binNot));
  on(S(0xd8), binary(SimdOp.PCMPGTQ, Shape.swap));
  on(S(0xd9), binary(SimdOp.PCMPGTQ, Shape.bin));
  on(S(0xda), binary(SimdOp.PCMPGTQ, Shape.binNot));
  on(S(0xdb), binary(SimdOp.PCMPGTQ, Shape.swapNot));
  // float compares: eq ne lt gt le ge
  for (const [first, op] of [[0x41, SimdImmOp.CMPPS], [0x47, SimdImmOp.CMPPD]] as const) {
    on(S(first), fcmp(op, FpCmp.EQ, false));
    on(S(first + 1), fcmp(op, FpCmp.NEQ, false));
    on(S(first + 2), fcmp(op, FpCmp.LT, false));
    on(S(first + 3), fcmp(op, FpCmp.LT, true));
    on(S(first + 4), fcmp(op, FpCmp.LE, false));
    on(S(first + 5), fcmp(op, FpCmp.LE, true));
  }
  for (const [sub, op] of BIN) on(S(sub), binary(op, Shape.bin));
  // bitwise
  on(S(0x4d), unary(not));
  on(S(0x4f), binary(SimdOp.PANDN, Shape.swap)); // a & ~b = pandn b, a
  on(S(0x52), bitselect);
  on(S(0x53), anyTrue);
  // lane tests and masks
  on(S(0x63), allTrue(SimdOp.PCMPEQB)); on(S(0x83), allTrue(SimdOp.PCMPEQW));
  on(S(0xa3), allTrue(SimdOp.PCMPEQD)); on(S(0xc3), allTrue(SimdOp.PCMPEQQ));
  on(S(0x64), bitmask(1)); on(S(0x84), bitmask(2)); on(S(0xa4), bitmask(4)); on(S(0xc4), bitmask(8));
  // integer unary
  on(S(0x60), unaryOp(SimdOp.PABSB)); on(S(0x80), unaryOp(SimdOp.PABSW)); on(S(0xa0), unaryOp(SimdOp.PABSD));
  on(S(0xc0), unary(i64x2Abs));
  on(S(0x61), neg(SimdOp.PSUBB)); on(S(0x81), neg(SimdOp.PSUBW)); on(S(0xa1), neg(SimdOp.PSUBD)); on(S(0xc1), neg(SimdOp.PSUBQ));
  on(S(0x62), unary(popcnt));
  on(S(0x7c), unary((c, r) => extaddPairwise(c, r, 'i8s'))); on(S(0x7d), unary((c, r) => extaddPairwise(c, r, 'i8u')));
  on(S(0x7e), unary((c, r) => extaddPairwise(c, r, 'i16s'))); on(S(0x7f), unary((c, r) => extaddPairwise(c, r, 'i16u')));
  on(S(0x82), q15mulr);
  // widening
  on(S(0x87), extend(SimdOp.PMOVSXBW, false)); on(S(0x88), extend(SimdOp.PMOVSXBW, true));
  on(S(0x89), extend(SimdOp.PMOVZXBW, false)); on(S(0x8a), extend(SimdOp.PMOVZXBW, true));
  on(S(0xa7), extend(SimdOp.PMOVSXWD, false)); on(S(0xa8), extend(SimdOp.PMOVSXWD, true));
  on(S(0xa9), extend(SimdOp.PMOVZXWD, false)); on(S(0xaa), extend(SimdOp.PMOVZXWD, true));
  on(S(0xc7), extend(SimdOp.PMOVSXDQ, false)); on(S(0xc8), extend(SimdOp.PMOVSXDQ, true));
  on(S(0xc9), extend(SimdOp.PMOVZXDQ, false)); on(S(0xca), extend(SimdOp.PMOVZXDQ, true));
  on(S(0x9c), extmul(SimdOp.PMOVSXBW, SimdOp.PMULLW, false)); on(S(0x9d), extmul(SimdOp.PMOVSXBW, SimdOp.PMULLW, true));
  on(S(0x9e), extmul(SimdOp.PMOVZXBW, SimdOp.PMULLW, false)); on(S(0x9f), extmul(SimdOp.PMOVZXBW, SimdOp.PMULLW, true));
  on(S(0xbc), extmul(SimdOp.PMOVSXWD, SimdOp.PMULLD, false)); on(S(0xbd), extmul(SimdOp.PMOVSXWD, SimdOp.PMULLD, true));
  on(S(0xbe), extmul(SimdOp.PMOVZXWD, SimdOp.PMULLD, false)); on(S(0xbf), extmul(SimdOp.PMOVZXWD, SimdOp.PMULLD, true));
  on(S(0xdc), extmul64(true, false)); on(S(0xdd), extmul64(true, true));
  on(S(0xde), extmul64(false, false)); on(S(0xdf), extmul64(false, true));
  on(S(0xd5), i64x2Mul);
  // shifts
  const SH: [number, 8 | 16 | 32 | 64][] = [[0x6b, 8], [0x8b, 16], [0xab, 32], [0xcb, 64]];
  for (const [first, bits] of SH) {
    on(S(first), shift('shl', bits)); on(S(first + 1), shift('shr_s', bits)); on(S(first + 2), shift('shr_u', bits));
  }
  // float unary
  on(S(0xe0), unaryMem(SimdOp.ANDPS, (c) => splatConst(c, 32, SIGN32 - 1n)));
  on(S(0xe1), unaryMem(SimdOp.XORPS, (c) => splatConst(c, 32, SIGN32)));
  on(S(0xe3), unaryOp(SimdOp.SQRTPS));
  on(S(0xec), unaryMem(SimdOp.ANDPS, (c) => splatConst(c, 64, SIGN64 - 1n)));
  on(S(0xed), unaryMem(SimdOp.XORPS, (c) => splatConst(c, 64, SIGN64)));
  on(S(0xef), unaryOp(SimdOp.SQRTPD));
  for (const [sub, op, mode] of ROUND) on(S(sub), unary((c, r) => c.asm.simdRRI(op, X(r), X(r), mode)));
  on(S(0xe8), fminmax(false, false)); on(S(0xe9), fminmax(true, false));
  on(S(0xf4), fminmax(false, true)); on(S(0xf5), fminmax(true, true));
  on(S(0xea), pminmax(SimdOp.MINPS)); on(S(0xeb), pminmax(SimdOp.MAXPS));
  on(S(0xf6), pminmax(SimdOp.MINPD)); on(S(0xf7), pminmax(SimdOp.MAXPD));
  // conversions
  on(S(0x5e), unaryOp(SimdOp.CVTPD2PS));
  on(S(0x5f), unaryOp(SimdOp.CVTPS2PD));
  on(S(0xf8), unary(truncSatF32S)); on(S(0xf9), unary(truncSatF32U));
  on(S(0xfa), unaryOp(SimdOp.CVTDQ2PS)); on(S(0xfb), unary(convertU32ToF32));
  on(S(0xfc), unary(truncSatF64SZero)); on(S(0xfd), unary(truncSatF64UZero));
  on(S(0xfe), unaryOp(SimdOp.CVTDQ2PD)); on(S(0xff), unary(convertLowU32ToF64));
}
