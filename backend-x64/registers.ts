// Registers are plain small integers (0..15) so that the register allocator
// and the encoder can do arithmetic on them (`reg & 7`, `reg >> 3`) without
// unwrapping objects. The brands only keep GPRs and XMMs apart at compile time.

/** A general-purpose register number, 0..15 (rax..r15). */
export type Gpr = number & { readonly __brand: 'Gpr' };
/** An SSE register number, 0..15 (xmm0..xmm15). */
export type Xmm = number & { readonly __brand: 'Xmm' };
/** Operand size in bits. */
export type Size = 8 | 16 | 32 | 64;

export const rax = 0 as Gpr;
export const rcx = 1 as Gpr;
export const rdx = 2 as Gpr;
export const rbx = 3 as Gpr;
export const rsp = 4 as Gpr;
export const rbp = 5 as Gpr;
export const rsi = 6 as Gpr;
export const rdi = 7 as Gpr;
export const r8 = 8 as Gpr;
export const r9 = 9 as Gpr;
export const r10 = 10 as Gpr;
export const r11 = 11 as Gpr;
export const r12 = 12 as Gpr;
export const r13 = 13 as Gpr;
export const r14 = 14 as Gpr;
export const r15 = 15 as Gpr;

export const xmm0 = 0 as Xmm;
export const xmm1 = 1 as Xmm;
export const xmm2 = 2 as Xmm;
export const xmm3 = 3 as Xmm;
export const xmm4 = 4 as Xmm;
export const xmm5 = 5 as Xmm;
export const xmm6 = 6 as Xmm;
export const xmm7 = 7 as Xmm;
export const xmm8 = 8 as Xmm;
export const xmm9 = 9 as Xmm;
export const xmm10 = 10 as Xmm;
export const xmm11 = 11 as Xmm;
export const xmm12 = 12 as Xmm;
export const xmm13 = 13 as Xmm;
export const xmm14 = 14 as Xmm;
export const xmm15 = 15 as Xmm;

/** Checked conversion from an allocator's plain number. */
export function gpr(n: number): Gpr {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`not a GPR number: ${n}`);
  return n as Gpr;
}
/** Checked conversion from an allocator's plain number. */
export function xmm(n: number): Xmm {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`not an XMM number: ${n}`);
  return n as Xmm;
}

export const GPR_NAMES: Readonly<Record<Size, readonly string[]>> = {
  64: ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'],
  32: ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'],
  16: ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'],
  // With any REX prefix, byte registers 4..7 are spl/bpl/sil/dil (never ah/ch/dh/bh).
  8: ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'],
};

export function gprName(r: Gpr, size: Size = 64): string {
  return GPR_NAMES[size][r];
}
export function xmmName(r: Xmm): string {
  return `xmm${r}`;
}
