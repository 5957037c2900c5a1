// Scalar/packed SSE operations as packed numbers: mandatory prefix in the top
// byte, opcode in the low 24 bits (see encoding.ts). A table entry is the
// whole encoding recipe, so `Assembler.sseRR(SseOp.ADDSD, d, s)` is a single
// `rr` call with no lookup.
const op = (pfx: number, opc: number): number => pfx * 0x1000000 + opc;

/** Two-operand `xmm, xmm/mem` SSE instructions (ModRM.reg = destination). */
export const SseOp = {
  MOVSS: op(0xf3, 0x0f10), MOVSD: op(0xf2, 0x0f10),
  MOVAPS: op(0, 0x0f28), MOVAPD: op(0x66, 0x0f28),
  MOVUPS: op(0, 0x0f10), MOVDQU: op(0xf3, 0x0f6f),
  MOVQ: op(0xf3, 0x0f7e), // movq xmm, xmm/m64 (zeroes the upper half)
  ADDSS: op(0xf3, 0x0f58), ADDSD: op(0xf2, 0x0f58),
  SUBSS: op(0xf3, 0x0f5c), SUBSD: op(0xf2, 0x0f5c),
  MULSS: op(0xf3, 0x0f59), MULSD: op(0xf2, 0x0f59),
  DIVSS: op(0xf3, 0x0f5e), DIVSD: op(0xf2, 0x0f5e),
  SQRTSS: op(0xf3, 0x0f51), SQRTSD: op(0xf2, 0x0f51),
  MINSS: op(0xf3, 0x0f5d), MINSD: op(0xf2, 0x0f5d),
  MAXSS: op(0xf3, 0x0f5f), MAXSD: op(0xf2, 0x0f5f),
  UCOMISS: op(0, 0x0f2e), UCOMISD: op(0x66, 0x0f2e),
  CVTSS2SD: op(0xf3, 0x0f5a), CVTSD2SS: op(0xf2, 0x0f5a),
  ANDPS: op(0, 0x0f54), ANDPD: op(0x66, 0x0f54),
  ANDNPS: op(0, 0x0f55), ANDNPD: op(0x66, 0x0f55),
  ORPS: op(0, 0x0f56), ORPD: op(0x66, 0x0f56),
  XORPS: op(0, 0x0f57), XORPD: op(0x66, 0x0f57),
  PXOR: op(0x66, 0x0fef),
} as const;
export type SseOp = (typeof SseOp)[keyof typeof SseOp];

/** Stores `mem <- xmm` (ModRM.reg = source). */
export const SseStore = {
  MOVSS: op(0xf3, 0x0f11), MOVSD: op(0xf2, 0x0f11),
  MOVAPS: op(0, 0x0f29), MOVAPD: op(0x66, 0x0f29),
  MOVUPS: op(0, 0x0f11), MOVDQU: op(0xf3, 0x0f7f),
  MOVQ: op(0x66, 0x0fd6), MOVD: op(0x66, 0x0f7e),
} as const;
export type SseStore = (typeof SseStore)[keyof typeof SseStore];

/** SSE4.1 rounding-mode immediates for roundss/roundsd (bit 3 suppresses the inexact exception). */
export const RoundMode = {
  NEAREST: 0x8, // wasm f*.nearest (ties to even)
  FLOOR: 0x9,
  CEIL: 0xa,
  TRUNC: 0xb,
} as const;
export type RoundMode = (typeof RoundMode)[keyof typeof RoundMode];

export function ssePrefix(o: number): number {
  return Math.floor(o / 0x1000000);
}
export function sseOpcode(o: number): number {
  return o % 0x1000000;
}

const p66 = (opc: number): number => op(0x66, opc);

/**
 * 128-bit packed operations (SSE2, SSSE3, SSE4.1, SSE4.2), same `xmm, xmm/m128` form and packing
 * as SseOp, so `sseRR`/`sseRM` take them too. Wasm SIMD's baseline: every opcode here is what
 * V8 and Cranelift emit without AVX; the CPU check (cpu-features.ts) makes sure they exist.
 */
export const SimdOp = {
  MOVDQA: p66(0x0f6f), MOVDQU: op(0xf3, 0x0f6f),
  PADDB: p66(0x0ffc), PADDW: p66(0x0ffd), PADDD: p66(0x0ffe), PADDQ: p66(0x0fd4),
  PSUBB: p66(0x0ff8), PSUBW: p66(0x0ff9), PSUBD: p66(0x0ffa), PSUBQ: p66(0x0ffb),
  PADDSB: p66(0x0fec), PADDSW: p66(0x0fed), PADDUSB: p66(0x0fdc), PADDUSW: p66(0x0fdd),
  PSUBSB: p66(0x0fe8), PSUBSW: p66(0x0fe9), PSUBUSB: p66(0x0fd8), PSUBUSW: p66(0x0fd9),
  PMULLW: p66(0x0fd5), PMULLD: p66(0x0f3840), PMULUDQ: p66(0x0ff4), PMULDQ: p66(0x0f3828),
  PMULHW: p66(0x0fe5), PMULHUW: p66(0x0fe4), PMULHRSW: p66(0x0f380b),
  PMADDWD: p66(0x0ff5), PMADDUBSW: p66(0x0f3804),
  PAND: p66(0x0fdb), PANDN: p66(0x0fdf), POR: p66(0x0feb), PXOR: p66(0x0fef),
  PCMPEQB: p66(0x0f74), PCMPEQW: p66(0x0f75), PCMPEQD: p66(0x0f76), PCMPEQQ: p66(0x0f3829),
  PCMPGTB: p66(0x0f64), PCMPGTW: p66(0x0f65), PCMPGTD: p66(0x0f66), PCMPGTQ: p66(0x0f3837),
  PMINSB: p66(0x0f3838), PMINSW: p66(0x0fea), PMINSD: p66(0x0f3839),
  PMINUB: p66(0x0fda), PMINUW: p66(0x0f383a), PMINUD: p66(0x0f383b),
  PMAXSB: p66(0x0f383c), PMAXSW: p66(0x0fee), PMAXSD: p66(0x0f383d),
  PMAXUB: p66(0x0fde), PMAXUW: p66(0x0f383e), PMAXUD: p66(0x0f383f),
  PAVGB: p66(0x0fe0), PAVGW: p66(0x0fe3),
  PABSB: p66(0x0f381c), PABSW: p66(0x0f381d), PABSD: p66(0x0f381e),
  PSHUFB: p66(0x0f3800),
  PACKSSWB: p66(0x0f63), PACKUSWB: p66(0x0f67), PACKSSDW: p66(0x0f6b), PACKUSDW: p66(0x0f382b),
  PUNPCKLBW: p66(0x0f60), PUNPCKLWD: p66(0x0f61), PUNPCKLDQ: p66(0x0f62), PUNPCKLQDQ: p66(0x0f6c),
  PUNPCKHBW: p66(0x0f68), PUNPCKHWD: p66(0x0f69), PUNPCKHDQ: p66(0x0f6a), PUNPCKHQDQ: p66(0x0f6d),
  PMOVSXBW: p66(0x0f3820), PMOVSXWD: p66(0x0f3823), PMOVSXDQ: p66(0x0f3825),
  PMOVZXBW: p66(0x0f3830), PMOVZXWD: p66(0x0f3833), PMOVZXDQ: p66(0x0f3835),
  PSLLW: p66(0x0ff1), PSLLD: p66(0x0ff2), PSLLQ: p66(0x0ff3),
  PSRAW: p66(0x0fe1), PSRAD: p66(0x0fe2),
  PSRLW: p66(0x0fd1), PSRLD: p66(0x0fd2), PSRLQ: p66(0x0fd3),
  PTEST: p66(0x0f3817),
  ADDPS: op(0, 0x0f58), ADDPD: p66(0x0f58), SUBPS: op(0, 0x0f5c), SUBPD: p66(0x0f5c),
  MULPS: op(0, 0x0f59), MULPD: p66(0x0f59), DIVPS: op(0, 0x0f5e), DIVPD: p66(0x0f5e),
  SQRTPS: op(0, 0x0f51), SQRTPD: p66(0x0f51),
  MINPS: op(0, 0x0f5d), MINPD: p66(0x0f5d), MAXPS: op(0, 0x0f5f), MAXPD: p66(0x0f5f),
  ANDPS: op(0, 0x0f54), ANDNPS: op(0, 0x0f55), ORPS: op(0, 0x0f56), XORPS: op(0, 0x0f57),
  CVTDQ2PS: op(0, 0x0f5b), CVTTPS2DQ: op(0xf3, 0x0f5b), CVTDQ2PD: op(0xf3, 0x0fe6), CVTTPD2DQ: p66(0x0fe6),
  CVTPS2PD: op(0, 0x0f5a), CVTPD2PS: p66(0x0f5a),
  MOVHLPS: op(0, 0x0f12), MOVLHPS: op(0, 0x0f16), MOVDDUP: op(0xf2, 0x0f12),
  UNPCKLPD: p66(0x0f14), UNPCKLPS: op(0, 0x0f14),
} as const;
export type SimdOp = (typeof SimdOp)[keyof typeof SimdOp];

/** `xmm, xmm/m128, imm8` operations. */
export const SimdImmOp = {
  PSHUFD: p66(0x0f70), PSHUFLW: op(0xf2, 0x0f70), PSHUFHW: op(0xf3, 0x0f70),
  SHUFPS: op(0, 0x0fc6), CMPPS: op(0, 0x0fc2), CMPPD: p66(0x0fc2),
  PBLENDW: p66(0x0f3a0e), PALIGNR: p66(0x0f3a0f),
  ROUNDPS: p66(0x0f3a08), ROUNDPD: p66(0x0f3a09), INSERTPS: p66(0x0f3a21),
} as const;
export type SimdImmOp = (typeof SimdImmOp)[keyof typeof SimdImmOp];

/** Shifts by an immediate (`66 0F 71/72/73 /digit ib`): opcode and ModRM.reg digit. */
export const SimdShiftImm = {
  PSRLW: [0x0f71, 2], PSRAW: [0x0f71, 4], PSLLW: [0x0f71, 6],
  PSRLD: [0x0f72, 2], PSRAD: [0x0f72, 4], PSLLD: [0x0f72, 6],
  PSRLQ: [0x0f73, 2], PSRLDQ: [0x0f73, 3], PSLLQ: [0x0f73, 6], PSLLDQ: [0x0f73, 7],
} as const;
export type SimdShiftImm = (typeof SimdShiftImm)[keyof typeof SimdShiftImm];

/** cmpps/cmppd predicates. */
export const FpCmp = { EQ: 0, LT: 1, LE: 2, UNORD: 3, NEQ: 4, NLT: 5, NLE: 6, ORD: 7 } as const;

/** Lane width in bytes for pextr/pinsr (1 = b, 2 = w, 4 = d, 8 = q). */
export type LaneBytes = 1 | 2 | 4 | 8;
