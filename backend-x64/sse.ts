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
