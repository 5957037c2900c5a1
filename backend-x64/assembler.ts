// The x86-64 assembler used by the JIT: one method per mnemonic family, sizes
// explicit, operands as plain register numbers / Mem records / immediates.
//
// Naming: the suffix tells the operand kinds, destination first:
//   RR reg,reg  RI reg,imm  RM reg,[mem]  MR [mem],reg  MI [mem],imm
// (e.g. `movRM(64, rax, mem(rbp, 16))` is `mov rax, qword ptr [rbp + 16]`).
// Registers are numbers, so a register and an immediate cannot be told apart
// at run time; separate methods also keep every call site monomorphic.
//
// Branch sizes: a jump to an already-bound (backward) label uses rel8 when it
// fits and rel32 otherwise. A jump to a not-yet-bound (forward) label always
// uses rel32, which is correct without a second pass; `jmpShort`/`jccShort`
// request rel8 explicitly for forward jumps known to be short, and bind()
// throws if such a jump ends up out of range. (V8 and Winch do the same.)
import { Encoder, W, BYTE_REG, BYTE_RM } from './encoding.js';
import type { Gpr, Xmm, Size } from './registers.js';
import { Mem, ripRel } from './operands.js';
import { type Label, type Cond } from './labels.js';
import { SseOp, SseStore, RoundMode, ssePrefix, sseOpcode, type SimdOp, type SimdImmOp, type SimdShiftImm, type LaneBytes } from './sse.js';

/** pextrb/pextrd/pextrq and pinsrb/pinsrw/pinsrd/pinsrq opcodes by lane bytes (pextrw has 0F3A15 for memory). */
const PEXTR: Readonly<Record<LaneBytes, number>> = { 1: 0x0f3a14, 2: 0x0f3a15, 4: 0x0f3a16, 8: 0x0f3a16 };
const PINSR: Readonly<Record<LaneBytes, number>> = { 1: 0x0f3a20, 2: 0x0fc4, 4: 0x0f3a22, 8: 0x0f3a22 };

/** The classic ALU group, value = ModRM.reg extension / opcode row. */
export const enum AluOp { ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7 }

/** Shift/rotate group (C1/D1/D3 /ext). */
export const enum ShiftOp { ROL = 0, ROR = 1, SHL = 4, SHR = 5, SAR = 7 }

/** One-operand groups: value = opcode (non-byte form) * 8 + ModRM.reg extension. */
export const enum UnaryOp {
  INC = 0xff * 8 + 0, DEC = 0xff * 8 + 1,
  NOT = 0xf7 * 8 + 2, NEG = 0xf7 * 8 + 3,
  MUL = 0xf7 * 8 + 4, IMUL = 0xf7 * 8 + 5, // rdx:rax = rax * r/m
  DIV = 0xf7 * 8 + 6, IDIV = 0xf7 * 8 + 7, // rax, rdx = rdx:rax / r/m
}

/** Bit-scan/count instructions `reg, r/m` (mandatory prefix * 2^24 + opcode). */
export const enum BitOp {
  LZCNT = 0xf3 * 0x1000000 + 0x0fbd,
  TZCNT = 0xf3 * 0x1000000 + 0x0fbc,
  POPCNT = 0xf3 * 0x1000000 + 0x0fb8,
  BSF = 0x0fbc,
  BSR = 0x0fbd,
}

export interface AssembledCode {
  /** Machine code followed by the constant pool. */
  code: Uint8Array;
  /** Where instructions end and the constant pool (data) begins. */
  codeSize: number;
  /** Label id -> offset (-1 if never bound). */
  labelOffsets: Int32Array;
  /** Offset -> name of every named bound label (for the disassembler; built when first read). */
  readonly labelNames: Map<number, string>;
}

interface PoolEntry { label: Label; size: 4 | 8 | 16; lo: bigint; hi: bigint; ref: Mem; }

/**
 * Code assembled apart from the image it ends up in (a range of functions compiled by a worker
 * thread), then appended to the image's Assembler with `appendPart`: position-independent except
 * for the references it lists, so placing it at a 16-aligned offset gives the bytes the same
 * functions would have had if assembled in place.
 */
export interface AssembledPart {
  /** Machine code only; the part's constant pool is merged into the receiving Assembler's. */
  code: Uint8Array;
  /** References to labels the part did not bind, as (label, field offset, end offset, field size). */
  fixups: Int32Array;
  /** The part's constant pool entries in first-use order (their labels appear in `fixups`). */
  pool: { label: number; key: string; size: 4 | 8 | 16; lo: bigint; hi: bigint }[];
  /** Named labels the part bound (for the disassembler): offsets and names, in label order. */
  nameOffsets: Int32Array;
  names: string[];
}

// Intel's recommended multi-byte NOPs, 1..9 bytes.
const NOPS: readonly (readonly number[])[] = [
  [],
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
  [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

const f32View = new DataView(new ArrayBuffer(8));

/** Immediate value as the signed value of `size` bits; range-checked so that a wrong constant fails loudly. */
function immOf(size: Size, v: number): number {
  if (!Number.isInteger(v)) throw new RangeError(`immediate is not an integer: ${v}`);
  switch (size) {
    case 8:
      if (v < -0x80 || v > 0xff) break;
      return (v << 24) >> 24;
    case 16:
      if (v < -0x8000 || v > 0xffff) break;
      return (v << 16) >> 16;
    case 32:
      if (v < -0x80000000 || v > 0xffffffff) break;
      return v | 0;
    case 64:
      // 64-bit operations take a 32-bit immediate that the CPU sign-extends.
      if (v < -0x80000000 || v > 0x7fffffff) break;
      return v;
  }
  throw new RangeError(`immediate ${v} does not fit a ${size}-bit operation`);
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`shift count ${n} is not an imm8`);
}

const isI8 = (v: number): boolean => v >= -128 && v <= 127;
/** Bytes of a full-size immediate for an operation of this size (64-bit ops use imm32). */
const immBytes = (size: Size): number => (size === 8 ? 1 : size === 16 ? 2 : 4);
const pfxOf = (size: Size): number => (size === 16 ? 0x66 : 0);
const wOf = (size: Size): number => (size === 64 ? W : 0);
/** Both ModRM operands are byte registers (only for 8-bit operations: REX for spl/bpl/sil/dil). */
const bytesOf = (size: Size): number => (size === 8 ? BYTE_REG | BYTE_RM : 0);

export class Assembler extends Encoder {
  private pool = new Map<string, PoolEntry>();
  private pool32 = new Map<number, Mem>(); // f32/bit-pattern fast lookups into `pool`
  private pool64 = new Map<number, Mem>(); // f64 values (not NaN, not +-0) into `pool`

  /** `initial`: a capacity, or the memory to start in (CodeBuffer). */
  constructor(initial: number | Uint8Array = 4096) {
    super(initial);
  }

  /**
   * Forget everything but keep the buffer: reuse one Assembler for many functions or parts.
   * `keepLabels`: labels [0, keepLabels) stay, unbound and unnamed (see Encoder.resetEncoder).
   */
  reset(keepLabels = 0): void {
    this.resetEncoder(keepLabels);
    this.pool.clear();
    this.pool32.clear();
    this.pool64.clear();
  }

  // ---- moves ------------------------------------------------------------------

  /** mov dst, src */
  movRR(size: Size, dst: Gpr, src: Gpr): void {
    this.rr(pfxOf(size), size === 8 ? 0x88 : 0x89, wOf(size) | bytesOf(size), src, dst);
  }

  /**
   * mov dst, imm with the shortest encoding: for 64-bit, an unsigned 32-bit
   * value uses `mov r32, imm32` (zero-extends), a signed 32-bit value uses
   * `mov r64, simm32`, anything else `movabs`.
   */
  movRI(size: Size, dst: Gpr, imm: number | bigint): void {
    if (size === 64) {
      // as its 32-bit halves: movRI64 picks the shortest form
      if (typeof imm === 'bigint') {
        const u = BigInt.asUintN(64, imm);
        this.movRI64(dst, Number(u & 0xffffffffn), Number(u >> 32n));
      } else {
        if (!Number.isSafeInteger(imm)) throw new RangeError(`immediate is not a safe integer: ${imm}`);
        this.movRI64(dst, imm >>> 0, Math.floor(imm / 0x100000000)); // two's complement halves, also for imm < 0
      }
      return;
    }
    if (typeof imm === 'bigint') imm = Number(BigInt.asIntN(size, imm));
    const v = immOf(size, imm);
    this.ro(pfxOf(size), size === 8 ? 0xb0 : 0xb8, size === 8 ? BYTE_RM : 0, dst);
    this.imm(v, immBytes(size));
  }

  /**
   * `mov dst, hi:lo` (64 bits given as 32-bit halves, each signed or unsigned) in its shortest
   * form: mov r32 (zero-extends), a sign-extended imm32, else movabs. No BigInt per constant (the
   * JIT's i64 constants arrive as halves); movRI(64, ...) comes here too.
   */
  movRI64(dst: Gpr, lo: number, hi: number): void {
    lo |= 0;
    hi |= 0;
    if (hi === 0) { this.ro(0, 0xb8, 0, dst); this.imm(lo, 4); return; } // mov r32, imm32 (zero-extends)
    if (hi === -1 && lo < 0) { this.rr(0, 0xc7, W, 0, dst); this.imm(lo, 4); return; } // sign-extended imm32
    this.ro(0, 0xb8, W, dst); // movabs
    this.emit32(lo);
    this.emit32(hi);
  }

  /** movabs dst, imm64: always the 10-byte form (patchable). Returns the offset of the imm64 field. */
  movImm64(dst: Gpr, imm: number | bigint): number {
    this.ro(0, 0xb8, W, dst);
    const at = this.pos;
    this.emit64(imm);
    return at;
  }

  /** mov dst, [m] */
  movRM(size: Size, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(size), size === 8 ? 0x8a : 0x8b, wOf(size) | (size === 8 ? BYTE_REG : 0), dst, m, 0);
  }

  /** mov [m], src */
  movMR(size: Size, m: Mem, src: Gpr): void {
    this.rm(pfxOf(size), size === 8 ? 0x88 : 0x89, wOf(size) | (size === 8 ? BYTE_REG : 0), src, m, 0);
  }

  /** mov [m], imm (64-bit stores sign-extend an imm32) */
  movMI(size: Size, m: Mem, imm: number): void {
    const v = immOf(size, imm);
    const n = immBytes(size);
    this.rm(pfxOf(size), size === 8 ? 0xc6 : 0xc7, wOf(size), 0, m, n);
    this.imm(v, n);
  }

  /** movzx dst, src (dst 16/32/64 bits, src 8/16). For a 32->64 zero extension use movRR(32, ...). */
  movzxRR(dstSize: 16 | 32 | 64, srcSize: 8 | 16, dst: Gpr, src: Gpr): void {
    this.rr(pfxOf(dstSize), srcSize === 8 ? 0x0fb6 : 0x0fb7, wOf(dstSize) | (srcSize === 8 ? BYTE_RM : 0), dst, src);
  }
  movzxRM(dstSize: 16 | 32 | 64, srcSize: 8 | 16, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(dstSize), srcSize === 8 ? 0x0fb6 : 0x0fb7, wOf(dstSize), dst, m, 0);
  }

  /** movsx/movsxd dst, src (srcSize 32 means movsxd, dst must be 64). */
  movsxRR(dstSize: 16 | 32 | 64, srcSize: 8 | 16 | 32, dst: Gpr, src: Gpr): void {
    if (srcSize === 32) { this.rr(0, 0x63, W, dst, src); return; }
    this.rr(pfxOf(dstSize), srcSize === 8 ? 0x0fbe : 0x0fbf, wOf(dstSize) | (srcSize === 8 ? BYTE_RM : 0), dst, src);
  }
  movsxRM(dstSize: 16 | 32 | 64, srcSize: 8 | 16 | 32, dst: Gpr, m: Mem): void {
    if (srcSize === 32) { this.rm(0, 0x63, W, dst, m, 0); return; }
    this.rm(pfxOf(dstSize), srcSize === 8 ? 0x0fbe : 0x0fbf, wOf(dstSize), dst, m, 0);
  }

  /** lea dst, [m] */
  lea(size: 16 | 32 | 64, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(size), 0x8d, wOf(size), dst, m, 0);
  }

  /** xchg a, b (uses the one-byte 90+r form when one operand is the accumulator). */
  xchgRR(size: Size, a: Gpr, b: Gpr): void {
    // 90 alone is NOP in 64-bit mode (it would not zero-extend eax), so xchg eax, eax keeps 87 /r.
    if (size !== 8 && (a === 0 || b === 0) && !(size === 32 && a === 0 && b === 0)) {
      this.ro(pfxOf(size), 0x90, wOf(size), a === 0 ? b : a);
      return;
    }
    this.rr(pfxOf(size), size === 8 ? 0x86 : 0x87, wOf(size) | bytesOf(size), b, a);
  }
  /** xchg [m], r (implicitly locked) */
  xchgMR(size: Size, m: Mem, r: Gpr): void {
    this.rm(pfxOf(size), size === 8 ? 0x86 : 0x87, wOf(size) | (size === 8 ? BYTE_REG : 0), r, m, 0);
  }

  // ---- integer arithmetic ------------------------------------------------------

  /** op dst, src  (add/or/adc/sbb/and/sub/xor/cmp) */
  aluRR(op: AluOp, size: Size, dst: Gpr, src: Gpr): void {
    this.rr(pfxOf(size), (op << 3) | (size === 8 ? 0 : 1), wOf(size) | bytesOf(size), src, dst);
  }
  /** op dst, [m] */
  aluRM(op: AluOp, size: Size, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(size), (op << 3) | (size === 8 ? 2 : 3), wOf(size) | (size === 8 ? BYTE_REG : 0), dst, m, 0);
  }
  /** op [m], src */
  aluMR(op: AluOp, size: Size, m: Mem, src: Gpr): void {
    this.rm(pfxOf(size), (op << 3) | (size === 8 ? 0 : 1), wOf(size) | (size === 8 ? BYTE_REG : 0), src, m, 0);
  }
  /** op dst, imm: imm8 sign-extended form when it fits, else the short accumulator form or imm32. */
  aluRI(op: AluOp, size: Size, dst: Gpr, imm: number): void {
    const v = immOf(size, imm);
    const pfx = pfxOf(size), w = wOf(size);
    if (size === 8) {
      if (dst === 0) this.op(0, (op << 3) | 4, 0);
      else this.rr(0, 0x80, BYTE_RM, op, dst);
      this.imm(v, 1);
    } else if (isI8(v)) {
      this.rr(pfx, 0x83, w, op, dst);
      this.imm(v, 1);
    } else {
      if (dst === 0) this.op(pfx, (op << 3) | 5, w);
      else this.rr(pfx, 0x81, w, op, dst);
      this.imm(v, immBytes(size));
    }
  }
  /**
   * op dst, imm32 with the 4-byte immediate always used, returning the immediate's offset, so a
   * value known only later (a frame size) can be patched in place with `patch32`.
   */
  aluRI32(op: AluOp, size: 32 | 64, dst: Gpr, imm: number): number {
    this.rr(pfxOf(size), 0x81, wOf(size), op, dst);
    const at = this.pos;
    this.imm(immOf(size, imm), 4);
    return at;
  }
  /** op [m], imm */
  aluMI(op: AluOp, size: Size, m: Mem, imm: number): void {
    const v = immOf(size, imm);
    if (size === 8) { this.rm(0, 0x80, 0, op, m, 1); this.imm(v, 1); return; }
    if (isI8(v)) { this.rm(pfxOf(size), 0x83, wOf(size), op, m, 1); this.imm(v, 1); return; }
    const n = immBytes(size);
    this.rm(pfxOf(size), 0x81, wOf(size), op, m, n);
    this.imm(v, n);
  }

  /** test a, b */
  testRR(size: Size, a: Gpr, b: Gpr): void {
    this.rr(pfxOf(size), size === 8 ? 0x84 : 0x85, wOf(size) | bytesOf(size), b, a);
  }
  /** test r, imm (there is no sign-extended imm8 form; the accumulator has a short one) */
  testRI(size: Size, r: Gpr, imm: number): void {
    const v = immOf(size, imm);
    if (r === 0) this.op(pfxOf(size), size === 8 ? 0xa8 : 0xa9, wOf(size));
    else this.rr(pfxOf(size), size === 8 ? 0xf6 : 0xf7, wOf(size) | (size === 8 ? BYTE_RM : 0), 0, r);
    this.imm(v, immBytes(size));
  }
  /** test [m], r */
  testMR(size: Size, m: Mem, r: Gpr): void {
    this.rm(pfxOf(size), size === 8 ? 0x84 : 0x85, wOf(size) | (size === 8 ? BYTE_REG : 0), r, m, 0);
  }
  /** test [m], imm */
  testMI(size: Size, m: Mem, imm: number): void {
    const v = immOf(size, imm);
    const n = immBytes(size);
    this.rm(pfxOf(size), size === 8 ? 0xf6 : 0xf7, wOf(size), 0, m, n);
    this.imm(v, n);
  }

  /** inc/dec/not/neg/mul/imul/div/idiv r */
  unaryR(op: UnaryOp, size: Size, r: Gpr): void {
    this.rr(pfxOf(size), size === 8 ? (op >> 3) - 1 : op >> 3, wOf(size) | (size === 8 ? BYTE_RM : 0), op & 7, r);
  }
  /** inc/dec/not/neg/mul/imul/div/idiv [m] */
  unaryM(op: UnaryOp, size: Size, m: Mem): void {
    this.rm(pfxOf(size), size === 8 ? (op >> 3) - 1 : op >> 3, wOf(size), op & 7, m, 0);
  }

  /** imul dst, src (two-operand, truncating) */
  imulRR(size: 16 | 32 | 64, dst: Gpr, src: Gpr): void {
    this.rr(pfxOf(size), 0x0faf, wOf(size), dst, src);
  }
  imulRM(size: 16 | 32 | 64, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(size), 0x0faf, wOf(size), dst, m, 0);
  }
  /** imul dst, src, imm */
  imulRRI(size: 16 | 32 | 64, dst: Gpr, src: Gpr, imm: number): void {
    const v = immOf(size, imm);
    if (isI8(v)) { this.rr(pfxOf(size), 0x6b, wOf(size), dst, src); this.imm(v, 1); return; }
    this.rr(pfxOf(size), 0x69, wOf(size), dst, src);
    this.imm(v, immBytes(size));
  }
  imulRMI(size: 16 | 32 | 64, dst: Gpr, m: Mem, imm: number): void {
    const v = immOf(size, imm);
    if (isI8(v)) { this.rm(pfxOf(size), 0x6b, wOf(size), dst, m, 1); this.imm(v, 1); return; }
    const n = immBytes(size);
    this.rm(pfxOf(size), 0x69, wOf(size), dst, m, n);
    this.imm(v, n);
  }

  /** cdq: edx = sign of eax (before 32-bit idiv) */
  cdq(): void { this.op(0, 0x99, 0); }
  /** cqo: rdx = sign of rax (before 64-bit idiv) */
  cqo(): void { this.op(0, 0x99, W); }

  /** shl/shr/sar/rol/ror r, imm (imm 1 uses the short D1 form; the CPU masks the count to 5/6 bits) */
  shiftRI(op: ShiftOp, size: Size, r: Gpr, imm: number): void {
    checkCount(imm);
    const base = size === 8 ? 0 : 1;
    if (imm === 1) { this.rr(pfxOf(size), 0xd0 | base, wOf(size) | (size === 8 ? BYTE_RM : 0), op, r); return; }
    this.rr(pfxOf(size), 0xc0 | base, wOf(size) | (size === 8 ? BYTE_RM : 0), op, r);
    this.imm(imm, 1);
  }
  /** shl/shr/sar/rol/ror r, cl */
  shiftRCl(op: ShiftOp, size: Size, r: Gpr): void {
    this.rr(pfxOf(size), size === 8 ? 0xd2 : 0xd3, wOf(size) | (size === 8 ? BYTE_RM : 0), op, r);
  }
  shiftMI(op: ShiftOp, size: Size, m: Mem, imm: number): void {
    checkCount(imm);
    const base = size === 8 ? 0 : 1;
    if (imm === 1) { this.rm(pfxOf(size), 0xd0 | base, wOf(size), op, m, 0); return; }
    this.rm(pfxOf(size), 0xc0 | base, wOf(size), op, m, 1);
    this.imm(imm, 1);
  }
  shiftMCl(op: ShiftOp, size: Size, m: Mem): void {
    this.rm(pfxOf(size), size === 8 ? 0xd2 : 0xd3, wOf(size), op, m, 0);
  }

  /** lzcnt/tzcnt/popcnt/bsf/bsr dst, src */
  bitRR(op: BitOp, size: 16 | 32 | 64, dst: Gpr, src: Gpr): void {
    const mp = ssePrefix(op);
    // 66 (operand size) must precede the mandatory F3 prefix.
    const pfx = size === 16 ? (mp ? 0x6600 | mp : 0x66) : mp;
    this.rr(pfx, sseOpcode(op), wOf(size), dst, src);
  }
  bitRM(op: BitOp, size: 16 | 32 | 64, dst: Gpr, m: Mem): void {
    const mp = ssePrefix(op);
    const pfx = size === 16 ? (mp ? 0x6600 | mp : 0x66) : mp;
    this.rm(pfx, sseOpcode(op), wOf(size), dst, m, 0);
  }

  /** bswap r (32/64) */
  bswap(size: 32 | 64, r: Gpr): void {
    this.ro(0, 0x0fc8, wOf(size), r);
  }

  /** setcc r8 */
  setcc(cond: Cond, r: Gpr): void {
    this.rr(0, 0x0f90 + cond, BYTE_RM, 0, r);
  }
  setccM(cond: Cond, m: Mem): void {
    this.rm(0, 0x0f90 + cond, 0, 0, m, 0);
  }

  /** cmovcc dst, src */
  cmovRR(cond: Cond, size: 16 | 32 | 64, dst: Gpr, src: Gpr): void {
    this.rr(pfxOf(size), 0x0f40 + cond, wOf(size), dst, src);
  }
  cmovRM(cond: Cond, size: 16 | 32 | 64, dst: Gpr, m: Mem): void {
    this.rm(pfxOf(size), 0x0f40 + cond, wOf(size), dst, m, 0);
  }

  // ---- stack, control flow -------------------------------------------------------

  push(r: Gpr): void { this.ro(0, 0x50, 0, r); }
  pop(r: Gpr): void { this.ro(0, 0x58, 0, r); }
  /** push a sign-extended imm8/imm32 (8 bytes on the stack) */
  pushImm(imm: number): void {
    const v = immOf(64, imm);
    if (isI8(v)) { this.op(0, 0x6a, 0); this.imm(v, 1); } else { this.op(0, 0x68, 0); this.imm(v, 4); }
  }
  pushM(m: Mem): void { this.rm(0, 0xff, 0, 6, m, 0); }
  popM(m: Mem): void { this.rm(0, 0x8f, 0, 0, m, 0); }

  ret(): void { this.op(0, 0xc3, 0); }

  /** jmp label: rel8 for a bound label in range, else rel32 (see the header comment). */
  jmp(label: Label): void {
    this.ensure(16);
    const t = this.labelPos[label];
    if (t >= 0 && t - (this.pos + 2) >= -128) {
      this.buf[this.pos++] = 0xeb;
      this.branchField(label, 1);
    } else {
      this.buf[this.pos++] = 0xe9;
      this.branchField(label, 4);
    }
  }
  /** jmp rel8, also to a forward label (bind() throws if it ends up farther than 127 bytes). */
  jmpShort(label: Label): void {
    this.ensure(16);
    this.buf[this.pos++] = 0xeb;
    this.branchField(label, 1);
  }
  /** jmp rel32, always (e.g. for a patchable jump). */
  jmpNear(label: Label): void {
    this.ensure(16);
    this.buf[this.pos++] = 0xe9;
    this.branchField(label, 4);
  }
  /** jcc label: rel8 for a bound label in range, else rel32. */
  jcc(cond: Cond, label: Label): void {
    this.ensure(16);
    const t = this.labelPos[label];
    if (t >= 0 && t - (this.pos + 2) >= -128) {
      this.buf[this.pos++] = 0x70 + cond;
      this.branchField(label, 1);
    } else {
      this.buf[this.pos++] = 0x0f;
      this.buf[this.pos++] = 0x80 + cond;
      this.branchField(label, 4);
    }
  }
  jccShort(cond: Cond, label: Label): void {
    this.ensure(16);
    this.buf[this.pos++] = 0x70 + cond;
    this.branchField(label, 1);
  }
  jccNear(cond: Cond, label: Label): void {
    this.ensure(16);
    this.buf[this.pos++] = 0x0f;
    this.buf[this.pos++] = 0x80 + cond;
    this.branchField(label, 4);
  }
  /** call label (rel32) */
  call(label: Label): void {
    this.ensure(16);
    this.buf[this.pos++] = 0xe8;
    this.branchField(label, 4);
  }
  jmpR(r: Gpr): void { this.rr(0, 0xff, 0, 4, r); }
  jmpM(m: Mem): void { this.rm(0, 0xff, 0, 4, m, 0); }
  callR(r: Gpr): void { this.rr(0, 0xff, 0, 2, r); }
  callM(m: Mem): void { this.rm(0, 0xff, 0, 2, m, 0); }

  // ---- data ------------------------------------------------------------------------

  /** 4 data bytes holding `label - base` (jump tables: base must already be bound). */
  dataLabelDelta32(label: Label, base: Label): void {
    const b = this.labelOffset(base);
    this.ensure(4);
    const at = this.pos;
    const t = this.isLabel(label) ? this.labelPos[label] : -1; // (addFixup throws for an unknown label)
    if (t >= 0) { this.patch32(at, t - b); this.pos = at + 4; return; }
    // The fixup adds (target - end); pre-loading (end - base) leaves target - base.
    this.patch32(at, at + 4 - b);
    this.pos = at + 4;
    this.addFixup(label, at, at + 4, 4, at + 4 - b);
  }

  // ---- misc ----------------------------------------------------------------------------

  ud2(): void { this.op(0, 0x0f0b, 0); }
  int3(): void { this.op(0, 0xcc, 0); }
  mfence(): void { this.ensure(3); this.emitBytes([0x0f, 0xae, 0xf0]); }
  /** rep movsb: copy rcx bytes from [rsi] to [rdi], direction from DF (memory.copy). */
  repMovsb(): void { this.ensure(2); this.emitBytes([0xf3, 0xa4]); }
  /** rep stosb: store al to rcx bytes at [rdi] (memory.fill). */
  repStosb(): void { this.ensure(2); this.emitBytes([0xf3, 0xaa]); }
  /** std / cld: set or clear the direction flag (backward copies for overlapping memory.copy). */
  std(): void { this.ensure(1); this.emitBytes([0xfd]); }
  cld(): void { this.ensure(1); this.emitBytes([0xfc]); }
  /** syscall: used only by the runtime's signal handler (it may not call libc). */
  syscall(): void { this.ensure(2); this.emitBytes([0x0f, 0x05]); }
  /** One NOP instruction of 1..9 bytes. */
  nop(n = 1): void {
    if (n < 1 || n > 9) throw new RangeError(`nop length ${n} not in 1..9`);
    this.emitBytes(NOPS[n]);
  }
  /** Pads with the fewest multi-byte NOPs up to a multiple of n (a power of two). */
  align(n: number): void {
    if (n <= 0 || (n & (n - 1)) !== 0) throw new RangeError(`alignment ${n} is not a power of two`);
    let pad = (n - (this.pos & (n - 1))) & (n - 1);
    while (pad > 0) { const k = pad > 9 ? 9 : pad; this.emitBytes(NOPS[k]); pad -= k; }
  }

  // ---- SSE ----------------------------------------------------------------------------

  /** op dst, src for the SseOp table (moves, arithmetic, compares, conversions, logic) */
  sseRR(op: SseOp | SimdOp, dst: Xmm, src: Xmm): void {
    this.rr(ssePrefix(op), sseOpcode(op), 0, dst, src);
  }
  /** op dst, [m] */
  sseRM(op: SseOp | SimdOp, dst: Xmm, m: Mem): void {
    this.rm(ssePrefix(op), sseOpcode(op), 0, dst, m, 0);
  }
  /** store [m], src (movss/movsd/movaps/movapd/movups/movdqu/movq/movd) */
  sseMR(op: SseStore, m: Mem, src: Xmm): void {
    this.rm(ssePrefix(op), sseOpcode(op), 0, src, m, 0);
  }
  /** cvtsi2ss/cvtsi2sd dst, src (fp: 32 = ss, 64 = sd; int source of isize bits) */
  cvtsi2fpRR(fp: 32 | 64, isize: 32 | 64, dst: Xmm, src: Gpr): void {
    this.rr(fp === 32 ? 0xf3 : 0xf2, 0x0f2a, wOf(isize), dst, src);
  }
  cvtsi2fpRM(fp: 32 | 64, isize: 32 | 64, dst: Xmm, m: Mem): void {
    this.rm(fp === 32 ? 0xf3 : 0xf2, 0x0f2a, wOf(isize), dst, m, 0);
  }
  /** cvttss2si/cvttsd2si dst, src (truncating; result 0x80..0 on overflow/NaN) */
  cvttfp2siRR(fp: 32 | 64, isize: 32 | 64, dst: Gpr, src: Xmm): void {
    this.rr(fp === 32 ? 0xf3 : 0xf2, 0x0f2c, wOf(isize), dst, src);
  }
  cvttfp2siRM(fp: 32 | 64, isize: 32 | 64, dst: Gpr, m: Mem): void {
    this.rm(fp === 32 ? 0xf3 : 0xf2, 0x0f2c, wOf(isize), dst, m, 0);
  }
  /** roundss/roundsd dst, src, mode (SSE4.1) */
  roundRR(fp: 32 | 64, dst: Xmm, src: Xmm, mode: RoundMode | number): void {
    this.rr(0x66, fp === 32 ? 0x0f3a0a : 0x0f3a0b, 0, dst, src);
    this.imm(mode, 1);
  }
  roundRM(fp: 32 | 64, dst: Xmm, m: Mem, mode: RoundMode | number): void {
    this.rm(0x66, fp === 32 ? 0x0f3a0a : 0x0f3a0b, 0, dst, m, 1);
    this.imm(mode, 1);
  }
  /** movd/movq xmm, r32/r64 (bit copy GPR -> XMM, upper lanes zeroed) */
  movToXmm(size: 32 | 64, dst: Xmm, src: Gpr): void {
    this.rr(0x66, 0x0f6e, wOf(size), dst, src);
  }
  /** movd/movq r32/r64, xmm (bit copy XMM -> GPR) */
  movFromXmm(size: 32 | 64, dst: Gpr, src: Xmm): void {
    this.rr(0x66, 0x0f7e, wOf(size), src, dst);
  }
  /** movd xmm, dword [m] */
  movdRM(dst: Xmm, m: Mem): void {
    this.rm(0x66, 0x0f6e, 0, dst, m, 0);
  }
  /** movmskps/movmskpd r32, xmm (sign bits -> GPR; the 32-bit write zero-extends, so no 64-bit form is needed) */
  movmsk(fp: 32 | 64, dst: Gpr, src: Xmm): void {
    this.rr(fp === 32 ? 0 : 0x66, 0x0f50, 0, dst, src);
  }

  // ---- 128-bit SIMD ---------------------------------------------------------------------

  /** op dst, src, imm8 (pshufd, shufps, cmpps, pblendw, palignr, roundps, insertps ...) */
  simdRRI(op: SimdImmOp, dst: Xmm, src: Xmm, imm: number): void {
    this.rr(ssePrefix(op), sseOpcode(op), 0, dst, src);
    this.imm(imm & 0xff, 1);
  }
  simdRMI(op: SimdImmOp, dst: Xmm, m: Mem, imm: number): void {
    this.rm(ssePrefix(op), sseOpcode(op), 0, dst, m, 1);
    this.imm(imm & 0xff, 1);
  }
  /** psllw/psrad/psrldq ... xmm, imm8 */
  simdShiftRI(op: SimdShiftImm, r: Xmm, imm: number): void {
    this.rr(0x66, op[0], 0, op[1], r);
    this.imm(imm & 0xff, 1);
  }
  /** pextrb/w/d/q r32/r64, xmm, lane (SSE4.1; the 32-bit forms zero-extend) */
  pextrRR(bytes: LaneBytes, dst: Gpr, src: Xmm, lane: number): void {
    if (bytes === 2) this.rr(0x66, 0x0fc5, 0, dst, src); // pextrw r32, xmm (SSE2)
    else this.rr(0x66, PEXTR[bytes], bytes === 8 ? W : 0, src, dst);
    this.imm(lane, 1);
  }
  /** pextrb/w/d/q [m], xmm, lane */
  pextrMR(bytes: LaneBytes, m: Mem, src: Xmm, lane: number): void {
    this.rm(0x66, PEXTR[bytes], bytes === 8 ? W : 0, src, m, 1);
    this.imm(lane, 1);
  }
  /** pinsrb/w/d/q xmm, r32/r64, lane */
  pinsrRR(bytes: LaneBytes, dst: Xmm, src: Gpr, lane: number): void {
    this.rr(0x66, PINSR[bytes], bytes === 8 ? W : 0, dst, src);
    this.imm(lane, 1);
  }
  /** pinsrb/w/d/q xmm, [m], lane */
  pinsrRM(bytes: LaneBytes, dst: Xmm, m: Mem, lane: number): void {
    this.rm(0x66, PINSR[bytes], bytes === 8 ? W : 0, dst, m, 1);
    this.imm(lane, 1);
  }
  /** pmovmskb r32, xmm (the sign bit of each byte) */
  pmovmskb(dst: Gpr, src: Xmm): void {
    this.rr(0x66, 0x0fd7, 0, dst, src);
  }

  // ---- constant pool --------------------------------------------------------------------

  private poolEntry(key: string, size: 4 | 8 | 16, lo: bigint, hi: bigint): PoolEntry {
    let e = this.pool.get(key);
    if (e === undefined) {
      const label = this.newLabel(`const_${key}`);
      e = { label, size, lo, hi, ref: ripRel(label) };
      this.pool.set(key, e);
    }
    return e;
  }
  private poolRef(key: string, size: 4 | 8 | 16, lo: bigint, hi: bigint): Mem {
    return this.poolEntry(key, size, lo, hi).ref;
  }
  /** RIP-relative operand for a deduplicated f32 constant (emitted at finish()). */
  constF32(v: number): Mem {
    f32View.setFloat32(0, v, true);
    return this.constBits32(f32View.getUint32(0, true));
  }
  /** Exact 32-bit pattern (e.g. a NaN payload). */
  constBits32(bits: number): Mem {
    const u = bits >>> 0;
    // Fast path: the 32-bit pattern itself is an exact Map key.
    const hit = this.pool32.get(u);
    if (hit !== undefined) return hit;
    const ref = this.poolRef(`b32_${u.toString(16)}`, 4, BigInt(u), 0n);
    this.pool32.set(u, ref);
    return ref;
  }
  /** RIP-relative operand for a deduplicated f64 constant. */
  constF64(v: number): Mem {
    // Fast path keyed by the number: exact for every value except NaNs (payloads) and
    // +0/-0, which Map's SameValueZero would merge; those go by bit pattern.
    const fast = v === v && v !== 0;
    if (fast) { const hit = this.pool64.get(v); if (hit !== undefined) return hit; }
    f32View.setFloat64(0, v, true);
    const ref = this.constBits64(f32View.getBigUint64(0, true));
    if (fast) this.pool64.set(v, ref);
    return ref;
  }
  /**
   * constBits64 of the pattern hi:lo (32-bit halves): no BigInt or key string when the pattern
   * is an f64 other than a NaN or a zero already in the pool (constF64's fast path, the same entry).
   */
  constBits64Pair(lo: number, hi: number): Mem {
    f32View.setUint32(0, lo >>> 0, true);
    f32View.setUint32(4, hi >>> 0, true);
    const v = f32View.getFloat64(0, true);
    if (v === v && v !== 0) return this.constF64(v);
    return this.constBits64((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }
  constBits64(bits: bigint): Mem {
    const u = BigInt.asUintN(64, bits);
    return this.poolRef(`b64_${u.toString(16)}`, 8, u, 0n);
  }
  /** 16-byte aligned 128-bit constant (masks for andps/xorps: abs, neg, copysign). */
  const128(lo: bigint, hi: bigint): Mem {
    const l = BigInt.asUintN(64, lo), h = BigInt.asUintN(64, hi);
    return this.poolRef(`b128_${h.toString(16)}_${l.toString(16)}`, 16, l, h);
  }

  // ---- finishing ---------------------------------------------------------------------------

  /**
   * Emits the constant pool (16-byte aligned; 16-, then 8-, then 4-byte entries so each is
   * naturally aligned), checks that every referenced label is bound, and returns the image.
   * Call it once; `reset()` makes the Assembler ready for the next function. `take`: the code is
   * handed over without a copy (CodeBuffer.takeBytes) and the Assembler is left empty.
   */
  finish(opts: { take?: boolean } = {}): AssembledCode {
    const codeSize = this.pos;
    if (this.pool.size > 0) {
      // int3 padding: if control ever falls off the end it traps instead of running data.
      while ((this.pos & 15) !== 0) this.emit8(0xcc);
      for (const size of [16, 8, 4] as const) {
        for (const e of this.pool.values()) {
          if (e.size !== size) continue;
          this.bind(e.label);
          if (size === 4) this.emit32(Number(e.lo));
          else { this.emit64(e.lo); if (size === 16) this.emit64(e.hi); }
        }
      }
    }
    this.checkAllBound();
    const labelOffsets = this.labelOffsets();
    const names = this.nameMapBuilder(labelOffsets);
    const code = opts.take === true ? this.takeBytes() : this.bytes();
    return { code, codeSize, labelOffsets, get labelNames() { return names(); } };
  }

  /**
   * Ends a part (see AssembledPart): the code without a constant pool, and every reference to a
   * label left unbound (pool entries, labels of code assembled elsewhere) for `appendPart`.
   */
  finishPart(): AssembledPart {
    const pool: AssembledPart['pool'] = [];
    for (const [key, e] of this.pool) pool.push({ label: e.label, key, size: e.size, lo: e.lo, hi: e.hi });
    const { offsets, names } = this.boundNames();
    return { code: this.bytes(), fixups: this.pendingFixupList(), pool, nameOffsets: offsets, names };
  }

  /**
   * Appends a part at the current offset (the caller aligns it as the part was) and returns that
   * offset. Pool entries merge with this Assembler's by value, in the part's first-use order, so
   * parts appended in order give the pool a single Assembler would have built; every other
   * unbound label of the part is mapped to one of ours by `external` (bound now or later).
   */
  appendPart(part: AssembledPart, external: (partLabel: number) => Label): number {
    const base = this.pos;
    const n = part.code.length;
    this.ensure(n);
    this.buf.set(part.code, base);
    this.pos = base + n;
    const poolLabels = new Map<number, Label>();
    for (const e of part.pool) poolLabels.set(e.label, this.poolEntry(e.key, e.size, e.lo, e.hi).label);
    for (let i = 0; i < part.names.length; i++) this.bindOffset(this.newLabel(part.names[i]), base + part.nameOffsets[i]);
    const fx = part.fixups;
    for (let i = 0; i < fx.length; i += 4) {
      const ours = poolLabels.get(fx[i]) ?? external(fx[i]);
      this.linkField(ours, base + fx[i + 1], base + fx[i + 2], fx[i + 3]);
    }
    return base;
  }
}
