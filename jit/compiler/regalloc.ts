// On-the-fly register allocation over two free masks, built from abi/regs.ts: r14/r15 (pinned),
// rsp/rbp (frame) and the scratch pair r11/xmm15 (the MacroAssembler's temporaries) are never
// allocatable. When a class runs out, the caller spills the oldest register value (the one
// deepest in the value stack: the one needed last), as Liftoff does.
import { ALLOCATABLE_GPRS, ALLOCATABLE_XMMS } from '../../abi/regs.js';
import { Vt, type ValType } from '../frontend/types.js';

export { SCRATCH_GPR, SCRATCH_XMM } from '../../abi/regs.js';

/** The register class of a value type: f32, f64 and v128 live in XMM registers, the rest in GPRs. */
export const isXmmType = (t: ValType): boolean => t === Vt.F32 || t === Vt.F64 || t === Vt.V128;

/** The index of the lowest set bit of a non-zero register mask. */
export const lowestBit = (m: number): number => 31 - Math.clz32(m & -m);

const ALLOC_GPR_MASK = ALLOCATABLE_GPRS.reduce((m, r) => m | (1 << r), 0);
const ALLOC_XMM_MASK = ALLOCATABLE_XMMS.reduce((m, r) => m | (1 << r), 0);

export class RegAlloc {
  gprFree = ALLOC_GPR_MASK;
  xmmFree = ALLOC_XMM_MASK;

  reset(): void {
    this.gprFree = ALLOC_GPR_MASK;
    this.xmmFree = ALLOC_XMM_MASK;
  }

  /** Lowest free register of the class, or -1. */
  tryAlloc(isXmm: boolean): number {
    const m = isXmm ? this.xmmFree : this.gprFree;
    if (m === 0) return -1;
    const r = lowestBit(m);
    if (isXmm) this.xmmFree &= ~(1 << r); else this.gprFree &= ~(1 << r);
    return r;
  }

  freeCount(isXmm: boolean): number {
    // Population count without a loop: asked at every first read of a local (entryToReg).
    let m = isXmm ? this.xmmFree : this.gprFree;
    m -= (m >>> 1) & 0x55555555;
    m = (m & 0x33333333) + ((m >>> 2) & 0x33333333);
    return Math.imul((m + (m >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }

  isFree(isXmm: boolean, r: number): boolean {
    return ((isXmm ? this.xmmFree : this.gprFree) & (1 << r)) !== 0;
  }

  take(isXmm: boolean, r: number): void {
    if (isXmm) this.xmmFree &= ~(1 << r); else this.gprFree &= ~(1 << r);
  }

  free(isXmm: boolean, r: number): void {
    if (isXmm) { if (ALLOC_XMM_MASK & (1 << r)) this.xmmFree |= 1 << r; }
    else if (ALLOC_GPR_MASK & (1 << r)) this.gprFree |= 1 << r;
  }
}
