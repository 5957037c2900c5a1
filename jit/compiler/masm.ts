// The MacroAssembler / codegen context: typed moves between value locations (constant, register,
// local slot, canonical stack slot, flags), register allocation with spilling, frame layout,
// out-of-line trap jumps and runtime (host) calls. Emitters (emit-*.ts) only talk to this class
// and to the Assembler it wraps.
//
// Frame layout (rbp-relative, fixed after the prologue):
//   [rbp + 16 + 8*s]                   parameter at argument slot s (the caller's argument slots;
//                                      a v128 takes two, see abi slotWidth); a register parameter
//                                      (abi argRegister) is written there lazily, as a dirty local
//   [rbp + 8]                          return address
//   [rbp]                              caller's rbp
//   [rbp - 8]                          saved r15 (our vmctx), restored after cross-instance calls
//                                      (unused, and the save a nop, in functions that make none)
//   below it                           declared locals, 8 bytes each (16 for v128), down to
//                                      rbp - 8 - localBytes (zeroed lazily, see deferZeroing)
//   [rbp - 8 - localBytes - S*(h+1)]   canonical slot of value-stack height h; S (the stride) is
//                                      16 in functions that may hold a v128 on the stack, else 8
//   [rsp + 8*j]                        outgoing argument slot j (below the deepest value slot)
// The frame size (slots plus the largest call's argument area) is patched in after the body.
import { TRAP_STUB_COUNT, TrapCode } from '../../abi/traps.js';
import {
  Assembler, AluOp, Cond, Mem, NO_BASE, NO_INDEX, SseOp, SseStore, mem, memIdx, negate, grow32, objectArray, ripRel,
  rax, rbp, rcx, rdx, rsp, r14, r15,
  type Gpr, type Label, type Xmm,
} from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { CompileError } from '../errors.js';
import { Vt, type FuncType, type ValType } from '../frontend/types.js';
import { argRegister, resultsInSlots, slotWidth } from '../../abi/calling-convention.js';
import { FrameKind, type ControlFrame } from './frames.js';
import { RegAlloc, SCRATCH_GPR, SCRATCH_XMM, isXmmType, lowestBit } from './regalloc.js';
import { LocalCache, type CacheSnapshot } from './local-cache.js';
import { LoopScan } from './loop-scan.js';
import { Kind, NO_REG, ValueStack } from './value-stack.js';

/** A Mem an emitter rewrites in place and hands to the encoder at once (which keeps nothing). */
type MutableMem = { -readonly [K in keyof Mem]: Mem[K] };

// Register numbers and typed registers. The value stack (a Uint8Array), the allocator's masks,
// the local cache and abi/regs.ts hold plain register numbers 0..15 whose class the value type
// gives (isXmmType). CodeGen is the one boundary that names the class: its typed API (popGpr,
// popXmm, popReadGpr, allocGpr, popBinaryGpr, ...) and its class-generic moves (loadMem,
// storeMem, moveReg, ...) convert with these two, right where the class has been decided (by the
// allocator's mask, the value type, or the emitter asking for a class). Emitters see only Gpr
// and Xmm; a class-generic register number (an entry of any type) is a `Reg`.
const asGpr = (n: number): Gpr => n as Gpr;
const asXmm = (n: number): Xmm => n as Xmm;
/** A register of the class its value type gives (isXmmType). */
type Reg = Gpr | Xmm;

/** The MacroAssembler's scratch pair (abi SCRATCH_GPR / SCRATCH_XMM), never allocated. */
export const R11 = asGpr(SCRATCH_GPR);
export const XS = asXmm(SCRATCH_XMM);
export const RAX = rax, RCX = rcx, RDX = rdx, RSP = rsp, RBP = rbp, R14 = r14, R15 = r15;

export { isXmmType };
/** i32 and f32 occupy 32 bits; everything else (i64, f64, refs) 64. */
const is32Type = (t: ValType): boolean => t === Vt.I32 || t === Vt.F32;

const i32Fits = (lo: number, hi: number): boolean => hi === lo >> 31;

/** What the function compiler needs to know about the module beyond the body. */
export interface ModuleEnv {
  types: FuncType[];
  funcTypeIndices: Uint32Array;
  numImportedFuncs: number;
  numImportedGlobals: number;
  globalTypes: Uint8Array;
  /** byte offset of every global from vmctx.globalsBase (abi/globals.ts) */
  globalOffsets: Uint32Array;
  tableTypes: Uint8Array;
  /** entry label of every defined function, by function index (imports: unused) */
  funcLabels: Label[];
}

/**
 * Store the register parameters of `params` (abi argRegister) to their slots, `at(s)` being slot
 * s: what an import's host-call thunk does before the host reads the arguments in place. 64-bit
 * stores (an f32 as the low half of its XMM register): the slot is 8 bytes either way.
 */
export function storeRegParams(a: Assembler, params: Uint8Array, at: (slot: number) => Mem): void {
  for (let i = 0, s = 0; i < params.length; s += slotWidth(params[i]), i++) {
    const loc = argRegister(params[i], s);
    if (loc === null) continue;
    if (loc.kind === 'xmm') a.sseMR(SseStore.MOVSD, at(s), asXmm(loc.reg));
    else a.movMR(64, at(s), asGpr(loc.reg));
  }
}

/** Where popBinary left the right operand. */
export const enum Rhs { REG = 0, IMM = 1, MEM = 2, CACHED = 3 }

/**
 * The two operands of `op lhs, rhs` (popBinary's result; one record per CodeGen, rewritten by
 * every call, so the hottest emitter path allocates nothing). lhs is a register the emitter
 * owns; rhs is an immediate, a memory operand (frame slot, uncached local or a pending load),
 * a register the emitter owns (REG) or a cached local's register (CACHED, not the emitter's).
 */
export interface BinaryOperands<R extends number = Reg> {
  lhs: R;
  rhs: Rhs;
  reg: R;
  imm: number;
  mem: Mem;
}

/**
 * br_table's out-of-line stubs (emit-control.ts), by label depth: of[l] is depth l's stub label
 * or -1, and order lists the depths given one, first use first (the order their code is
 * emitted in). Reused by every br_table, not a Map and a closure per instruction (ruby: ~4k).
 */
class BrTableStubs {
  of = new Int32Array(64).fill(-1);
  order = new Int32Array(64);
  count = 0;
  constructor() {
    // grown later: stored twice so V8 never takes them for constants (reader.ts, GROWN_FIELDS)
    this.of = new Int32Array(64).fill(-1);
    this.order = new Int32Array(64);
  }
}

/**
 * popBinary's record. A class, not an object literal: a literal's second copy (the next
 * CodeGen's, made from the literal's boilerplate) widened `mem`'s field type to Any, which
 * deoptimized popBinary, popBinaryGpr, emit and their callers in every compile after a process's first.
 */
class BinaryRecord implements BinaryOperands<number> {
  lhs = 0;
  rhs = Rhs.REG;
  reg = 0;
  imm = 0;
  constructor(public mem: Mem) {}
}


/** Per trap code, its label name and its stub's slot `[r15 + trapStubs + 8*code]`: no string or
 *  Mem made per function (ruby: 17,825 functions, most with a trap or two). */
const TRAP_NAMES = Array.from({ length: TRAP_STUB_COUNT }, (_, code) => `trap${code}`);
const TRAP_STUBS = Array.from({ length: TRAP_STUB_COUNT }, (_, code) => mem(R15, VMCTX.trapStubs + 8 * code));
/** vmctx fields every call through a record, or runtime call, reads: one Mem each, not one per use. */
export const MEMORY_BASE = mem(R15, VMCTX.memoryBase);
const HOST_CALL_STUB = mem(R15, VMCTX.hostCallStub);

export class CodeGen {
  readonly vs = new ValueStack();
  readonly ra = new RegAlloc();
  frames = objectArray<ControlFrame>();
  depth = 0;
  /** the current position is unreachable: instructions are validated, not compiled */
  unreachable = false;
  condPending = false;
  /** the top entry is a MEM (a load not yet emitted): the next instruction folds or materialises it */
  memPending = false;
  /** cache register (bit r) a pending load's index lives in: pinned until the load is consumed */
  memPin = 0;
  /** an ADDR entry is on the value stack (the top, or under the i32.const it is about to add) */
  addrPending = false;
  /** the index register a folded operand owned, freed by releaseFolded() after its use */
  private foldOwned = -1;
  private readonly fold: MutableMem = memIdx(R14, R14, 1, 0);
  /** A parallel move's pending register moves, as slots (r, r + 16 for XMM): moveSrc[j] ->
   *  moveDst[j]; at most one per destination register (loopFixup, moveArgRegs). */
  private readonly moveSrc = new Int8Array(32);
  private readonly moveDst = new Int8Array(32);
  private readonly bin = new BinaryRecord(mem(RBP, 0));
  /** The access operand emit-memory's address() rewrites, so a load or store allocates none. */
  readonly addr: MutableMem = memIdx(R14, R11, 1, 0);
  /** The operand emit-int's lea shapes rewrite. */
  readonly leaMem: MutableMem = memIdx(RAX, RAX, 1, 0);
  readonly brStubs = new BrTableStubs();
  /** `[rip + label]` (br_table's lea of its table; its user sets the label; use it at once). */
  readonly ripMem: MutableMem = ripRel(0 as Label);
  /** `[r11 + disp]`: a global's cell or a table descriptor's field (its user rewrites disp; use it at once). */
  readonly globalMem: MutableMem = mem(R11, 0);

  // per-function layout
  funcIndex = 0;
  funcType!: FuncType;
  numParams = 0;
  /** Types of the function's params and locals, [0, numLocals): the validator's buffer (FunctionValidator.locals), longer than that. */
  localTypes: Uint8Array = new Uint8Array(0);
  numLocals = 0;
  /** rbp offset of every local (params above rbp, declared ones below) */
  private localOff = new Int32Array(64);
  /** bytes of declared locals below the saved r15 (a multiple of 8) */
  localBytes = 0;
  private slotBase = 0;
  /** bytes per value-stack slot: 16 when a v128 may be on the stack, else 8 */
  private slotStride = 8;
  maxHeight = 0;
  maxOutBytes = 0;
  /** trap code -> this function's label of its stub call, or -1; `trapOrder`: the codes in first-use order */
  private readonly trapLabelOf = new Int32Array(TRAP_STUB_COUNT).fill(-1);
  private readonly trapOrder = new Int32Array(TRAP_STUB_COUNT);
  private trapCount = 0;
  /** Stack-check slow paths of this function: [slow-path label, the check to re-run], flat. */
  private stackChecks = new Int32Array(16);
  private stackCheckCount = 0;
  // (typed arrays with counts: a plain array cut back with `length = 0` every function lost its
  // backing store and reallocated it on the next push)
  private outMems = objectArray<Mem>();
  /** locals cached in registers (written back lazily; invariants in local-cache.ts and docs/compiler.md) */
  readonly cache = new LocalCache(this.ra);
  /** the look ahead over small loop bodies (loop-scan.ts) */
  readonly loopScan = new LoopScan();
  /** cache registers (bit r, r + 16 for XMM) in use as operands of the current instruction */
  pinned = 0;
  popReadOwned = true;
  // dense (filled with undefined up to the highest index) so the arrays stay in fast mode
  private rbpUp = objectArray<Mem | undefined>();
  private rbpDown = objectArray<Mem | undefined>();

  constructor(readonly asm: Assembler, readonly env: ModuleEnv) {
    // grown later: stored twice so V8 never takes it for a constant (reader.ts, GROWN_FIELDS)
    this.localOff = new Int32Array(64);
    this.stackChecks = new Int32Array(16);
    this.paramReg = new Int8Array(16);
    this.argDst = new Int32Array(16);
    this.zeroPending = new Uint8Array(64);
  }

  /** `wide`: the function may have a v128 on its value stack (16-byte slots). */
  begin(funcIndex: number, localTypes: Uint8Array, numLocals: number, wide: boolean): void {
    this.funcIndex = funcIndex;
    this.funcType = this.env.types[this.env.funcTypeIndices[funcIndex]];
    this.numParams = this.funcType.params.length;
    this.localTypes = localTypes;
    this.numLocals = numLocals;
    if (this.localOff.length < numLocals) this.localOff = new Int32Array(numLocals);
    let up = 16, down = -8;
    for (let i = 0; i < numLocals; i++) {
      const w = 8 * slotWidth(localTypes[i]);
      if (i < this.numParams) { this.localOff[i] = up; up += w; } else { down -= w; this.localOff[i] = down; }
    }
    this.localBytes = -8 - down;
    this.slotStride = wide ? 16 : 8;
    this.slotBase = -down;
    this.maxHeight = 0;
    this.maxOutBytes = 0;
    for (let k = 0; k < this.trapCount; k++) this.trapLabelOf[this.trapOrder[k]] = -1;
    this.trapCount = 0;
    this.stackCheckCount = 0;
    this.restoresPinned = false;
    this.vs.sp = 0;
    this.vs.localRefs = 0;
    this.ra.reset();
    this.cache.reset(localTypes, numLocals);
    this.depth = 0;
    this.unreachable = false;
    this.condPending = false;
    this.memPending = false;
    this.memPin = 0;
    this.addrPending = false;
    this.foldOwned = -1;
    this.pendingZeros = 0;
  }

  unsupported(what: string): never {
    throw new CompileError('unsupported', `the compiler does not support ${what}`, 0, this.funcIndex);
  }

  // ---- locations ------------------------------------------------------------------------

  /**
   * `[rbp + disp]` (disp a multiple of 8), cached: locals and slots are the most frequent
   * operands, and one Mem per use was the compiler's main garbage. Mems are immutable, so the
   * cache lives as long as the CodeGen, across functions.
   */
  rbpMem(disp: number): Mem {
    const cache = disp >= 0 ? this.rbpUp : this.rbpDown;
    const k = (disp >= 0 ? disp : -disp) >> 3;
    let m = cache[k];
    if (m === undefined) {
      while (cache.length < k) cache.push(undefined);
      m = mem(RBP, disp);
      cache[k] = m;
    }
    return m;
  }

  localMem(i: number): Mem {
    return this.rbpMem(this.localOff[i]);
  }

  slotMem(h: number): Mem {
    if (h >= this.maxHeight) this.maxHeight = h + 1;
    return this.rbpMem(-this.slotBase - this.slotStride * (h + 1));
  }

  /** Bytes of the fixed frame below rbp (16-byte multiple so rsp stays aligned). */
  frameBytes(): number {
    return Math.ceil((this.slotBase + this.slotStride * this.maxHeight + this.maxOutBytes) / 16) * 16;
  }

  trapLabel(code: number): Label {
    if (!(code >= 0 && code < TRAP_STUB_COUNT)) throw new Error(`trap code ${code} has no stub slot`);
    let l = this.trapLabelOf[code];
    if (l < 0) { l = this.asm.newLabel(TRAP_NAMES[code]); this.trapLabelOf[code] = l; this.trapOrder[this.trapCount++] = code; }
    return l as Label;
  }

  /**
   * Binds a fresh label here (the start of a stack-limit check) and returns the slow-path label
   * that check branches to when rsp is below vmctx.stackLimit. Unlike other traps, the slow path
   * calls the stack-overflow stub and then jumps back to re-run the check: in user space the stub
   * never returns (overflow or interrupt), but in the kernel it may serve a yield request (the
   * module's timer sets stackLimit to all ones, the stub calls cond_resched and returns) so long
   * loops stay preemptible. The stub preserves every register, so cached state stays valid.
   */
  stackCheckLabel(): Label {
    const retry = this.asm.newLabel();
    this.asm.bind(retry);
    const slow = this.asm.newLabel('stack_check');
    let n = this.stackCheckCount;
    if (n === this.stackChecks.length) this.stackChecks = grow32(this.stackChecks, n);
    this.stackChecks[n++] = slow;
    this.stackChecks[n++] = retry;
    this.stackCheckCount = n;
    return slow;
  }

  /** Out-of-line trap calls of this function: `call [r15 + trapStubs + 8*code]` never returns,
   *  except from the stack-check slow paths (see stackCheckLabel). */
  emitTrapStubs(): void {
    for (let k = 0; k < this.trapCount; k++) {
      const code = this.trapOrder[k];
      this.asm.bind(this.trapLabelOf[code] as Label);
      this.asm.callM(TRAP_STUBS[code]);
    }
    const stackStub = TRAP_STUBS[TrapCode.stackOverflow];
    for (let i = 0; i < this.stackCheckCount; i += 2) {
      this.asm.bind(this.stackChecks[i] as Label);
      this.asm.callM(stackStub);
      this.asm.jmp(this.stackChecks[i + 1] as Label);
    }
  }

  // ---- typed moves -------------------------------------------------------------------

  // Class-generic: `r` is a register number of t's class (an entry's or a local's register).

  loadMem(t: ValType, r: number, m: Mem): void {
    const a = this.asm;
    if (t === Vt.F32) a.sseRM(SseOp.MOVSS, asXmm(r), m);
    else if (t === Vt.F64) a.sseRM(SseOp.MOVSD, asXmm(r), m);
    else if (t === Vt.V128) a.sseRM(SseOp.MOVDQU, asXmm(r), m);
    else a.movRM(t === Vt.I32 ? 32 : 64, asGpr(r), m);
  }

  storeMem(t: ValType, m: Mem, r: number): void {
    const a = this.asm;
    if (t === Vt.F32) a.sseMR(SseStore.MOVSS, m, asXmm(r));
    else if (t === Vt.F64) a.sseMR(SseStore.MOVSD, m, asXmm(r));
    else if (t === Vt.V128) a.sseMR(SseStore.MOVDQU, m, asXmm(r));
    else a.movMR(t === Vt.I32 ? 32 : 64, m, asGpr(r));
  }

  /** Register-to-register move within one class. */
  moveReg(t: ValType, dst: number, src: number): void {
    if (dst === src) return;
    if (isXmmType(t)) this.asm.sseRR(SseOp.MOVAPS, asXmm(dst), asXmm(src));
    else this.asm.movRR(64, asGpr(dst), asGpr(src));
  }

  /** Constant bits into a register. Never touches EFLAGS (a COND may be pending). */
  loadConst(t: ValType, r: number, lo: number, hi: number): void {
    const a = this.asm;
    // v128 values are never CONST entries (v128.const loads its register from the pool).
    if (t === Vt.V128) throw new Error('loadConst: a v128 constant entry');
    if (t === Vt.F32 || t === Vt.F64) {
      const x = asXmm(r);
      if (lo === 0 && (t === Vt.F32 || hi === 0)) { a.sseRR(SseOp.XORPS, x, x); return; }
      if (t === Vt.F32) a.sseRM(SseOp.MOVSS, x, a.constBits32(lo));
      else a.sseRM(SseOp.MOVSD, x, a.constBits64Pair(lo, hi));
      return;
    }
    const g = asGpr(r);
    if (t === Vt.I32) a.movRI(32, g, lo >>> 0);
    else a.movRI64(g, lo, hi); // the shortest form, as movRI(64, ...)
  }

  /** Constant into a memory slot (through r11 for 64-bit values that do not fit an imm32). */
  storeConst(t: ValType, m: Mem, lo: number, hi: number): void {
    if (is32Type(t)) this.asm.movMI(32, m, lo);
    else if (i32Fits(lo, hi)) this.asm.movMI(64, m, lo);
    else { this.asm.movRI64(R11, lo, hi); this.asm.movMR(64, m, R11); }
  }

  /** The value of entry i into register r (of its class); the entry itself is unchanged. */
  moveEntryToReg(i: number, r: number): void {
    const vs = this.vs, t = vs.type[i];
    switch (vs.kind[i]) {
      case Kind.CONST: this.loadConst(t, r, vs.lo[i], vs.hi[i]); break;
      case Kind.REG: this.moveReg(t, r, vs.reg[i]); break;
      case Kind.LOCAL: {
        const cr = this.cachedLocal(vs.lo[i]);
        if (cr >= 0) this.moveReg(t, r, cr); else this.loadMem(t, r, this.localMem(vs.lo[i]));
        break;
      }
      case Kind.STACK: this.loadMem(t, r, this.slotMem(i)); break;
      case Kind.COND:
        this.asm.setcc(vs.reg[i] as Cond, asGpr(r));
        this.asm.movzxRR(32, 8, asGpr(r), asGpr(r));
        break;
      case Kind.MEM: this.loadMem(t, r, this.foldMem(i)); break;
      case Kind.ADDR: this.asm.lea(32, asGpr(r), this.addrMem(i)); break;
    }
  }

  /** Memory to memory, one value of type t (through r11, or xmm15 for a v128). */
  copyMem(t: ValType, dst: Mem, src: Mem): void {
    if (t === Vt.V128) { this.loadMem(t, SCRATCH_XMM, src); this.storeMem(t, dst, SCRATCH_XMM); return; }
    this.asm.movRM(64, R11, src);
    this.asm.movMR(64, dst, R11);
  }

  /** The value of entry i into memory m (full slot width); uses r11/xmm15. */
  moveEntryToMem(i: number, m: Mem): void {
    const vs = this.vs, t = vs.type[i];
    switch (vs.kind[i]) {
      case Kind.CONST: this.storeConst(t, m, vs.lo[i], vs.hi[i]); break;
      case Kind.REG: this.storeMem(t, m, vs.reg[i]); break;
      case Kind.LOCAL: {
        const cr = this.cache.peek(vs.lo[i]);
        if (cr >= 0) this.storeMem(t, m, cr);
        else this.copyMem(t, m, this.localMem(vs.lo[i]));
        break;
      }
      case Kind.STACK: this.copyMem(t, m, this.slotMem(i)); break;
      case Kind.COND:
        this.asm.setcc(vs.reg[i] as Cond, R11);
        this.asm.movzxRR(32, 8, R11, R11);
        this.asm.movMR(64, m, R11);
        break;
      case Kind.MEM: {
        const s = isXmmType(t) ? SCRATCH_XMM : SCRATCH_GPR;
        this.loadMem(t, s, this.foldMem(i));
        this.storeMem(t, m, s);
        break;
      }
      case Kind.ADDR:
        this.asm.lea(32, R11, this.addrMem(i));
        this.asm.movMR(64, m, R11);
        break;
    }
  }

  // ---- pending loads (folded into the instruction that uses them) ------------------------

  /** The operand of MEM entry i: `[r14 + index*2^shift + disp]` (one reused Mem: use it at once). */
  private foldMem(i: number): Mem {
    const vs = this.vs, f = this.fold;
    f.base = R14;
    f.index = vs.reg[i] === NO_REG ? NO_INDEX : vs.reg[i];
    f.shift = vs.hi[i] >> 1;
    f.disp = vs.lo[i];
    return f;
  }

  /** ADDR entry i as a lea operand, `[index*2^shift + disp]` (the same reused Mem as foldMem). */
  private addrMem(i: number): Mem {
    const vs = this.vs, f = this.fold;
    f.base = NO_BASE;
    f.index = vs.reg[i];
    f.shift = vs.hi[i];
    f.disp = vs.lo[i];
    return f;
  }

  /**
   * Push a load of type t from `[r14 + index + disp]` without emitting it: an ALU, compare or
   * SSE op right after takes it as its memory operand (`add eax, [r14 + rcx]`), anything else
   * materialises it first (function-compiler's MEM_AWARE check). A fault in the folded
   * instruction is the same access at the same address, so the guard-page path classifies it
   * as a memory trap as before. `owned`: the entry owns the index register (else it is a cached
   * local's, pinned until the load is consumed, or -1 for none).
   */
  pushLoad(t: ValType, index: number, disp: number, owned: boolean, shift: number): void {
    this.vs.pushMem(t, index, disp, owned, shift);
    this.memPending = true;
    this.memPin = !owned && index >= 0 ? 1 << index : 0;
    this.pinned |= this.memPin;
  }

  /**
   * The pending load into a register (the entry becomes REG): `dst` (of the load's class, the
   * caller's: local.set hands over its local's register), else its index register when it can
   * be reused, else a fresh one.
   */
  materializeMem(dst = -1): void {
    const vs = this.vs, i = vs.sp - 1, t = vs.type[i];
    const owned = (vs.hi[i] & 1) === 1, idx = vs.reg[i], xmm = isXmmType(t);
    const d = dst >= 0 ? dst : owned && !xmm ? idx : this.allocFor(t);
    this.loadMem(t, d, this.foldMem(i));
    if (owned && (xmm || d !== idx)) this.ra.free(false, idx); // (an XMM d's number says nothing about GPR idx)
    vs.setReg(i, d);
    this.memPending = false;
    this.memPin = 0;
  }

  /**
   * The ADDR entry computed into its own index register (`lea r, [r*2^shift + disp]`; the
   * entry becomes REG): for any instruction but the i32.const, i32.add and load it was made for.
   */
  materializeAddr(): void {
    const vs = this.vs;
    let i = vs.sp - 1;
    while (vs.kind[i] !== Kind.ADDR) i--;
    const r = vs.reg[i];
    this.asm.lea(32, asGpr(r), this.addrMem(i));
    vs.setReg(i, r);
    this.addrPending = false;
  }

  /**
   * Pop the pending load as a memory operand for the instruction being emitted; call
   * releaseFolded() after emitting it (frees an index register the load owned).
   */
  popFolded(): Mem {
    const vs = this.vs, i = vs.sp - 1;
    const m = this.foldMem(i);
    this.foldOwned = (vs.hi[i] & 1) === 1 ? vs.reg[i] : -1;
    vs.drop();
    this.memPending = false;
    this.memPin = 0;
    return m;
  }

  releaseFolded(): void {
    if (this.foldOwned >= 0) { this.ra.free(false, this.foldOwned); this.foldOwned = -1; }
  }

  // ---- local cache -----------------------------------------------------------------------

  /** The register caching local i, or -1. */
  cachedLocal(i: number): number { return this.cache.get(i); }

  /** Release GPR local l's cache register (LocalCache.release) and hand it over typed. */
  releaseCachedGpr(l: number): Gpr { return asGpr(this.cache.release(l)); }

  /** Make register r (already taken from the allocator) the cache of local i. */
  cacheLocal(i: number, r: number): void { this.cache.set(i, r); }

  /** Local i's cache register, loading it into a free one first; -1 when none is free. */
  cacheLocalForRead(i: number): number {
    let cr = this.cache.get(i);
    if (cr >= 0) return cr;
    const t = this.localTypes[i], xmm = isXmmType(t);
    // A parameter goes back to the register it arrived in when that is free: loop headers and
    // joins recorded it there, so edges then agree and need no fixup.
    const home = i < this.numParams ? this.paramReg[i] : -1;
    if (home >= 0 && this.ra.isFree(xmm, home)) { this.ra.take(xmm, home); cr = home; }
    else cr = this.ra.tryAlloc(xmm);
    if (cr < 0) return -1;
    this.loadMem(t, cr, this.localMem(i));
    this.cache.set(i, cr);
    return cr;
  }

  /** Forget local i's register, whose value is dead (local.set is about to overwrite it). */
  uncacheLocal(i: number): void { this.cache.drop(i); }

  /** Write local i back to its frame slot if it is dirty (it stays cached, now clean). */
  writeBack(i: number): void {
    if (!this.cache.isDirty(i)) return;
    this.storeMem(this.localTypes[i], this.localMem(i), this.cache.peek(i));
    this.cache.markClean(i);
  }

  /**
   * Store every dirty local to its frame slot, except, on a back edge to a loop, those that
   * loopFixup carries into their header register (I3). Movs only: EFLAGS and every
   * register survive, so this runs right before a jcc/jmp. `markClean`: the stores are on the
   * only path from here on (false on a path that branches around them: the fall-through keeps
   * its dirty locals).
   */
  storeDirty(markClean: boolean, loop?: ControlFrame): void {
    const cache = this.cache;
    let m = cache.dirtyMask;
    if (m === 0) return;
    while (m !== 0) {
      const k = lowestBit(m);
      m &= m - 1;
      const l = cache.ownerOf(k), r = cache.peek(l);
      if (loop !== undefined && this.carriedToHeader(loop, l)) continue;
      this.storeMem(this.localTypes[l], this.localMem(l), r);
      if (markClean) cache.markClean(l);
    }
  }

  /** Some dirty local needs a store on an edge (to `loop`'s header, or to a forward join). */
  hasDirty(loop?: ControlFrame): boolean {
    const cache = this.cache;
    let m = cache.dirtyMask;
    if (m === 0 || loop === undefined) return m !== 0;
    while (m !== 0) {
      const k = lowestBit(m);
      m &= m - 1;
      if (!this.carriedToHeader(loop, cache.ownerOf(k))) return true;
    }
    return false;
  }

  /**
   * Local l reaches loop f's header in its header register without passing through memory:
   * it is in the header's cache (and cached now, as every dirty local is), so loopFixup moves it.
   */
  private carriedToHeader(f: ControlFrame, l: number): boolean {
    const p = f.entryCache.pairs, n = f.entryCache.n;
    for (let j = 0; j < n; j += 2) if (p[j] === l) return true;
    return false;
  }

  /** Forget the cache with no code: at a join (I2: memory is current on every edge) or in dead code. */
  forgetLocalCache(): void { this.cache.clear(); }

  /** An edge into frame f's end leaves now (see LocalCache.merge). */
  recordEdge(f: ControlFrame, from?: CacheSnapshot): void { this.cache.merge(f.joinCache, from); }

  /** The cache register (slot numbering) a block's value takes on its edges, or -1. */
  private blockSkip(f: ControlFrame): number {
    return f.resultInReg ? (isXmmType(f.results[0]) ? 16 : 0) : -1;
  }

  /** The edge into block f's end from here needs no code for the locals (see blockEdge). */
  blockEdgeFree(f: ControlFrame): boolean { return this.cache.blockEdgeFree(f.joinCache, this.blockSkip(f)); }

  /** Record an edge into block f's end that needs no code (blockEdgeFree was true). */
  blockJoin(f: ControlFrame): void { this.cache.joinBlockEdge(f.joinCache, this.blockSkip(f)); }

  /**
   * The code of an edge into block f's end, carrying the top n values (the block's value into
   * rax/xmm0 when it travels in a register, else the label's values into their slots); the
   * caller jumps (or binds the label) right after. Unlike other forward joins (I2), a block's
   * join keeps dirty locals in registers: its first edge fixes the (local, register) pairs
   * (LocalCache.joinBlockEdge); later edges bring every pair some edge carried dirty into its
   * register (one parallel move with the block value; a local not cached here is current in
   * the frame, I1, and is loaded), store every other dirty local, and drop clean pairs they
   * disagree with. After the join the pairs are cached again, dirty where some edge was.
   * Changes no cache state but the join's: a br_if's fall-through keeps its cache.
   */
  blockEdge(f: ControlFrame, n: number): void {
    const cache = this.cache, j = f.joinCache, vs = this.vs;
    const MOVE_SRC = this.moveSrc, MOVE_DST = this.moveDst;
    this.blockJoin(f);
    // Dirty locals the join does not carry go to memory first, while their registers hold them.
    let m = cache.dirtyMask;
    while (m !== 0) {
      const k = lowestBit(m);
      m &= m - 1;
      const l = cache.ownerOf(k);
      if (cache.pairOf(j, l) < 0) this.storeMem(this.localTypes[l], this.localMem(l), cache.peek(l));
    }
    if (!f.resultInReg) this.moveTopTo(n, f.base); // memory only: no register changes
    let np = 0;
    for (let k = 0; k < j.n; k += 2) {
      const l = j.pairs[k], r = j.pairs[k + 1], cur = cache.peek(l);
      if (cur < 0 || cur === r) continue;
      const x = isXmmType(this.localTypes[l]) ? 16 : 0;
      MOVE_SRC[np] = cur + x; MOVE_DST[np] = r + x; np++;
    }
    let resultLoaded = true;
    if (f.resultInReg) {
      const i = vs.sp - 1, x = isXmmType(vs.type[i]) ? 16 : 0;
      const src = vs.kind[i] === Kind.REG ? vs.reg[i] : vs.kind[i] === Kind.LOCAL ? cache.peek(vs.lo[i]) : -1;
      if (src < 0) resultLoaded = false;
      else if (src !== 0) { MOVE_SRC[np] = src + x; MOVE_DST[np] = x; np++; }
    }
    this.parallelMove(np);
    // What reads no register comes last: the block value from a constant, slot or memory, and
    // the carried locals not cached here (their registers may have been move sources).
    if (!resultLoaded) this.moveEntryToReg(vs.sp - 1, 0);
    for (let k = 0; k < j.n; k += 2) {
      const l = j.pairs[k];
      if (cache.peek(l) < 0) this.loadMem(this.localTypes[l], j.pairs[k + 1], this.localMem(l));
    }
  }

  /** Some header-cached local of loop f is not in its header register now. */
  loopNeedsFixup(f: ControlFrame): boolean { return this.cache.differs(f.entryCache); }

  /**
   * Back edge to loop f: put the header's cached locals into their header registers. Those
   * cached elsewhere move there as one parallel move (a cycle goes through the scratch
   * register), so a dirty value never passes through memory (I3); those not cached now are
   * current in the frame (I1) and are loaded last, as their registers may be move sources.
   * Clobbers registers without telling the allocator: only on a path that jumps right after.
   */
  loopFixup(f: ControlFrame): void {
    const MOVE_SRC = this.moveSrc, MOVE_DST = this.moveDst;
    const p = f.entryCache.pairs, n = f.entryCache.n;
    let np = 0;
    for (let k = 0; k < n; k += 2) {
      const l = p[k], r = p[k + 1], cur = this.cache.peek(l);
      if (cur < 0 || cur === r) continue;
      const x = isXmmType(this.localTypes[l]) ? 16 : 0;
      MOVE_SRC[np] = cur + x; MOVE_DST[np] = r + x; np++;
    }
    this.parallelMove(np);
    for (let k = 0; k < n; k += 2) {
      const l = p[k];
      if (this.cache.peek(l) < 0) this.loadMem(this.localTypes[l], p[k + 1], this.localMem(l));
    }
  }

  /**
   * The np pending moves MOVE_SRC[j] -> MOVE_DST[j] as one parallel move: a move waits while its
   * destination is still some other move's source, and a cycle goes through the scratch
   * register of its class. Full-width register moves only.
   */
  private parallelMove(np: number): void {
    const MOVE_SRC = this.moveSrc, MOVE_DST = this.moveDst;
    while (np > 0) {
      // A move whose destination no other pending move still reads; else break a cycle.
      let j = 0;
      for (; j < np; j++) {
        let read = false;
        for (let q = 0; q < np; q++) if (q !== j && MOVE_SRC[q] === MOVE_DST[j]) { read = true; break; }
        if (!read) break;
      }
      if (j === np) {
        const src = MOVE_SRC[0], scratch = src >= 16 ? SCRATCH_XMM + 16 : SCRATCH_GPR;
        this.moveSlot(scratch, src);
        for (let q = 0; q < np; q++) if (MOVE_SRC[q] === src) MOVE_SRC[q] = scratch;
        continue;
      }
      this.moveSlot(MOVE_DST[j], MOVE_SRC[j]);
      np--;
      MOVE_SRC[j] = MOVE_SRC[np]; MOVE_DST[j] = MOVE_DST[np];
    }
  }

  /** Register move between slots of one class (slot r, r + 16 for XMM), full width. */
  private moveSlot(dst: number, src: number): void {
    if (dst >= 16) this.asm.sseRR(SseOp.MOVAPS, asXmm(dst - 16), asXmm(src - 16));
    else this.asm.movRR(64, asGpr(dst), asGpr(src));
  }

  /**
   * Before a loop header: give up the least recently used cached locals (written back here,
   * outside the loop) until `n` registers of each class are free. A header that caches every
   * register makes the body evict header locals for its temporaries on every iteration (a
   * store, as they may be dirty, I3) and the back edge reload them; the locals used last before
   * the loop are the ones the loop is likely to use.
   */
  freeForLoop(n: number, keep = 0): void {
    while (this.ra.freeCount(false) < n && (this.evictCached(false, keep) || this.evictCached(false)));
    while (this.ra.freeCount(true) < n && (this.evictCached(true, keep) || this.evictCached(true)));
  }

  /**
   * Before a loop header (see loop-scan.ts): cache the `n` locals the loop body uses (first use
   * first) while more than `free` registers of the class stay free, giving up cached locals the
   * body does not use to make room (written back here, outside the loop). Then the header
   * caches them: the body reloads none on every iteration, and the back edge carries the ones it
   * sets in registers instead of storing them (I3). Returns the cache registers (bit per slot,
   * r + 16 for XMM) of the body's locals, for freeForLoop to keep.
   */
  cacheForLoop(locals: Int32Array, n: number, free: number): number {
    const cache = this.cache;
    let keep = 0;
    for (let k = 0; k < n; k++) {
      const cr = cache.peek(locals[k]);
      if (cr >= 0) keep |= 1 << (cr + (isXmmType(this.localTypes[locals[k]]) ? 16 : 0));
    }
    for (let k = 0; k < n; k++) {
      const l = locals[k], xmm = isXmmType(this.localTypes[l]);
      if (cache.peek(l) >= 0) continue;
      while (this.ra.freeCount(xmm) <= free && this.evictCached(xmm, keep));
      if (this.ra.freeCount(xmm) <= free) continue;
      const cr = this.cacheLocalForRead(l);
      if (cr >= 0) keep |= 1 << (cr + (xmm ? 16 : 0));
    }
    return keep;
  }

  /** Give up one cached register of the class (under pressure), not one in `keep` (bit per
   *  slot); false if there is none. */
  private evictCached(xmm: boolean, keep = 0): boolean {
    const l = this.cache.victim(xmm, this.pinned | keep);
    if (l < 0) return false;
    this.writeBack(l);
    this.cache.drop(l);
    return true;
  }

  /**
   * A register to cache a local in: a free one while another stays free for the work, else the
   * least recently used cache register; -1 if neither exists (values on the stack hold them).
   */
  cacheRegister(xmm: boolean): number {
    if (this.ra.freeCount(xmm) < 2 && !this.evictCached(xmm)) return -1;
    return this.ra.tryAlloc(xmm);
  }

  /**
   * Pop the top for an instruction that only reads it: a cached local is returned in its cache
   * register (pinned against eviction until the instruction is done; popReadOwned = false),
   * anything else as popReg() does (popReadOwned = true: the caller frees it).
   */
  private popRead(): number {
    const vs = this.vs, i = vs.sp - 1;
    if (vs.kind[i] === Kind.LOCAL) {
      const t = vs.type[i];
      const cr = this.cacheLocalForRead(vs.lo[i]);
      if (cr >= 0) {
        this.pinned |= 1 << (cr + (isXmmType(t) ? 16 : 0));
        vs.drop();
        this.popReadOwned = false;
        return cr;
      }
    }
    this.popReadOwned = true;
    return this.popReg();
  }

  /** Entry i's register: a REG entry of a GPR type (the entry keeps owning it). */
  gprOf(i: number): Gpr {
    const vs = this.vs;
    if (vs.kind[i] !== Kind.REG || isXmmType(vs.type[i])) throw new Error('codegen: gprOf of an entry not in a GPR');
    return asGpr(vs.reg[i]);
  }

  /** popRead of a GPR value (i32, i64, a reference, a pending compare). */
  popReadGpr(): Gpr { this.expectClass(false); return asGpr(this.popRead()); }
  /** popRead of an XMM value (f32, f64, v128). */
  popReadXmm(): Xmm { this.expectClass(true); return asXmm(this.popRead()); }

  /** The top entry's register class is the one the emitter asks for (checked once per pop). */
  private expectClass(xmm: boolean): void {
    const vs = this.vs, i = vs.sp - 1;
    if (vs.kind[i] !== Kind.COND && isXmmType(vs.type[i]) !== xmm) {
      throw new Error(`codegen: popped a ${xmm ? 'GPR' : 'XMM'} value as ${xmm ? 'XMM' : 'GPR'}`);
    }
  }

  // ---- allocation and spilling ----------------------------------------------------------

  private freeEntryReg(i: number): void {
    const vs = this.vs;
    if (vs.kind[i] === Kind.REG) this.ra.free(isXmmType(vs.type[i]), vs.reg[i]);
    else if (vs.kind[i] === Kind.COND) this.condPending = false;
    else if (vs.kind[i] === Kind.MEM) {
      if ((vs.hi[i] & 1) === 1) this.ra.free(false, vs.reg[i]);
      this.memPending = false;
      this.memPin = 0;
    } else if (vs.kind[i] === Kind.ADDR) {
      this.ra.free(false, vs.reg[i]);
      this.addrPending = false;
    }
  }

  /** Entry i to its canonical slot (no-op for STACK). Emits movs only: EFLAGS survive. */
  spillEntry(i: number): void {
    const vs = this.vs;
    const k = vs.kind[i];
    if (k === Kind.STACK) return;
    this.moveEntryToMem(i, this.slotMem(i));
    this.freeEntryReg(i);
    vs.setStack(i);
  }

  /** Everything canonical (control-flow joins). */
  spillAll(): void {
    for (let i = 0; i < this.vs.sp; i++) this.spillEntry(i);
  }

  /** A free GPR (the caller owns it: free it or push it), spilling if none is free. */
  allocGpr(): Gpr { return asGpr(this.allocReg(false)); }
  /** A free XMM register (the caller owns it), spilling if none is free. */
  allocXmm(): Xmm { return asXmm(this.allocReg(true)); }

  /** A free register of the class, spilling the oldest register value if none is free. */
  private allocReg(xmm: boolean): number {
    let r = this.ra.tryAlloc(xmm);
    if (r >= 0) return r;
    // A cached local costs nothing to drop; a value-stack register costs a store.
    if (this.evictCached(xmm)) return this.ra.tryAlloc(xmm);
    const vs = this.vs;
    for (let i = 0; i < vs.sp; i++) {
      if (vs.kind[i] === Kind.REG && isXmmType(vs.type[i]) === xmm) {
        this.spillEntry(i);
        r = this.ra.tryAlloc(xmm);
        if (r >= 0) return r;
      }
    }
    throw new Error('register allocator: no register to spill');
  }

  allocFor(t: ValType): number { return this.allocReg(isXmmType(t)); }

  /** Make a specific GPR ours (emitters that need rax/rdx/rcx). Must be called before popping. */
  claimGpr(r: Gpr): void {
    const owner = this.cache.ownerOf(r);
    if (owner >= 0) { this.writeBack(owner); this.cache.drop(owner); }
    if (this.ra.isFree(false, r)) { this.ra.take(false, r); return; }
    const vs = this.vs;
    for (let i = 0; i < vs.sp; i++) {
      if (vs.kind[i] === Kind.REG && vs.reg[i] === r && !isXmmType(vs.type[i])) {
        this.spillEntry(i);
        this.ra.take(false, r);
        return;
      }
    }
    throw new Error(`register allocator: gpr ${r} is held by the emitter`);
  }

  freeReg(t: ValType, r: number): void { this.ra.free(isXmmType(t), r); }
  freeGpr(r: Gpr): void { this.ra.free(false, r); }
  freeXmm(r: Xmm): void { this.ra.free(true, r); }

  /** Ensure entry i is in a register; returns it (the entry keeps owning it). */
  entryToReg(i: number): number {
    const vs = this.vs;
    if (vs.kind[i] === Kind.REG) return vs.reg[i];
    if (vs.kind[i] === Kind.MEM) { this.materializeMem(); return vs.reg[i]; }
    if (vs.kind[i] === Kind.ADDR) { this.materializeAddr(); return vs.reg[i]; }
    const t = vs.kind[i] === Kind.COND ? Vt.I32 : vs.type[i];
    if (vs.kind[i] === Kind.LOCAL) {
      // First read of a local in straight-line code: load it into a cache register when one is
      // free, so later reads are register moves (the copy below is what the emitter clobbers).
      // Only with a second register to spare for the copy, else the copy would evict it again.
      if (this.ra.freeCount(isXmmType(t)) >= 2) this.cacheLocalForRead(vs.lo[i]);
    }
    const r = this.allocFor(t);
    this.moveEntryToReg(i, r);
    if (vs.kind[i] === Kind.COND) { this.condPending = false; vs.type[i] = Vt.I32; }
    vs.setReg(i, r);
    return r;
  }

  // ---- pushing and popping ------------------------------------------------------------

  topKind(): number { return this.vs.kind[this.vs.sp - 1]; }
  topType(): ValType { return this.vs.type[this.vs.sp - 1]; }

  /** Push register r (of t's class, now owned by the entry). */
  pushReg(t: ValType, r: Reg): void { this.vs.pushReg(t, r); }
  pushCond(cc: Cond): void { this.vs.pushCond(cc); this.condPending = true; }

  /** Pop the top into a register the caller now owns (free it or push it). */
  private popReg(): number {
    const r = this.entryToReg(this.vs.sp - 1);
    this.vs.drop();
    return r;
  }
  /** popReg of a GPR value (i32, i64, a reference, a pending compare). */
  popGpr(): Gpr { this.expectClass(false); return asGpr(this.popReg()); }
  /** popReg of an XMM value (f32, f64, v128). */
  popXmm(): Xmm { this.expectClass(true); return asXmm(this.popReg()); }

  /** Pop the top into the specific register r (already claimed by the caller). */
  popTo(r: Reg): void {
    const i = this.vs.sp - 1;
    this.moveEntryToReg(i, r);
    this.freeEntryReg(i);
    this.vs.drop();
  }

  /** Pop and discard (freeing its register). */
  dropTop(): void {
    this.freeEntryReg(this.vs.sp - 1);
    this.vs.drop();
  }

  /** Drop entries down to height h. */
  dropTo(h: number): void {
    while (this.vs.sp > h) this.dropTop();
  }

  /** Materialise a pending flags value into a register (before anything that clobbers EFLAGS). */
  materializeCond(): void {
    const vs = this.vs;
    for (let i = vs.sp - 1; i >= 0; i--) {
      if (vs.kind[i] === Kind.COND) { this.entryToReg(i); return; }
    }
    this.condPending = false;
  }

  /**
   * Pop an i32 used as a condition and return the x86 condition meaning "true": a pending
   * COND is used as is (compare fused with the branch), anything else gets `test r, r`.
   */
  popCondition(): Cond {
    this.takeCondition();
    return this.testCondition();
  }

  /** The condition takeCondition popped: its COND code, or the register testCondition tests. */
  private condCc: Cond = Cond.NE;
  private condReg: Gpr | -1 = -1;
  private condOwned = false;

  /**
   * popCondition in two steps, for an instruction that must emit movs between taking the
   * condition off the stack and testing it (select pops its operands, br_if moves its value):
   * takeCondition(), then only movs (EFLAGS may hold the condition), then testCondition().
   */
  takeCondition(): void {
    const vs = this.vs, i = vs.sp - 1;
    if (vs.kind[i] === Kind.COND) {
      this.condCc = vs.reg[i] as Cond;
      this.condReg = -1;
      vs.drop();
      this.condPending = false;
      return;
    }
    this.condReg = this.popReadGpr();
    this.condOwned = this.popReadOwned;
  }

  /** The condition takeCondition() popped, tested now if it is not in EFLAGS already. */
  testCondition(): Cond {
    const r = this.condReg;
    if (r === -1) return this.condCc;
    this.condReg = -1;
    this.asm.testRR(32, r, r);
    if (this.condOwned) this.freeGpr(r);
    return Cond.NE;
  }

  /** popBinary of GPR operands (integer ops); `immSize` as popBinary. */
  popBinaryGpr(immSize: 0 | 32 | 64): BinaryOperands<Gpr> {
    this.expectClass(false);
    return this.popBinary(immSize) as BinaryOperands<Gpr>;
  }
  /** popBinary of XMM operands (scalar float and v128 ops): never an immediate. */
  popBinaryXmm(): BinaryOperands<Xmm> {
    this.expectClass(true);
    return this.popBinary(0) as BinaryOperands<Xmm>;
  }

  /**
   * Pop the two top values for `op lhs, rhs` (see BinaryOperands). `immSize` 32/64: a constant
   * rhs that fits a sign-extended imm32 of that operation size is an immediate; 0: never.
   * After emitting, releaseRhs() frees what the emitter owns of rhs.
   */
  private popBinary(immSize: 0 | 32 | 64): BinaryOperands<number> {
    const vs = this.vs, i = vs.sp - 1, o = this.bin, k = vs.kind[i];
    if (immSize !== 0 && k === Kind.CONST && (immSize === 32 || vs.hi[i] === vs.lo[i] >> 31)) {
      o.rhs = Rhs.IMM;
      o.imm = vs.lo[i];
      vs.drop();
      o.lhs = this.popReg();
      return o;
    }
    if (k === Kind.LOCAL) {
      // lhs first, while rhs is still on the stack: allocating it may evict cached locals, and
      // rhs's cache register must not be taken away between its lookup and its use.
      o.lhs = this.entryToReg(i - 1);
      const li = vs.lo[i], cr = this.cachedLocal(li);
      vs.drop();
      vs.drop();
      if (cr >= 0) { o.rhs = Rhs.CACHED; o.reg = cr; } else { o.rhs = Rhs.MEM; o.mem = this.localMem(li); }
      return o;
    }
    if (k === Kind.STACK) {
      o.rhs = Rhs.MEM;
      o.mem = this.slotMem(i);
      vs.drop();
      o.lhs = this.popReg();
      return o;
    }
    if (k === Kind.MEM) {
      // A pending load: lhs first (the load's index register stays allocated or pinned), then
      // the load is the memory operand.
      o.lhs = this.entryToReg(i - 1);
      o.rhs = Rhs.MEM;
      o.mem = this.popFolded();
      vs.drop();
      return o;
    }
    o.rhs = Rhs.REG;
    o.reg = this.popReg();
    o.lhs = this.popReg();
    return o;
  }

  /** After the instruction popBinary's operands fed: free an owned rhs register or folded index. */
  releaseRhs(o: BinaryOperands<number>, xmm: boolean): void {
    if (o.rhs === Rhs.REG) this.ra.free(xmm, o.reg);
    else if (o.rhs === Rhs.MEM) this.releaseFolded();
  }

  // ---- branches --------------------------------------------------------------------------

  /** Write the top n values into the slots [tb, tb+n) without changing the value stack. */
  moveTopTo(n: number, tb: number): void {
    const vs = this.vs, h0 = vs.sp - n;
    for (let j = 0; j < n; j++) {
      const i = h0 + j;
      if (i === tb + j) { if (vs.kind[i] !== Kind.STACK) this.moveEntryToMem(i, this.slotMem(i)); continue; }
      this.moveEntryToMem(i, this.slotMem(tb + j));
    }
  }

  /** Function return with the results on top of the stack. */
  emitReturn(): void {
    const a = this.asm, vs = this.vs;
    const res = this.funcType.results, n = res.length;
    if (!resultsInSlots(res)) {
      if (n === 1) this.moveEntryToReg(vs.sp - 1, 0);
    } else {
      // Results overwrite the parameter slots, which LOCAL entries may still read: copy through
      // the canonical slots first.
      const h0 = vs.sp - n;
      for (let j = 0; j < n; j++) if (vs.kind[h0 + j] === Kind.LOCAL) this.moveEntryToMem(h0 + j, this.slotMem(h0 + j));
      for (let j = 0, s = 0; j < n; s += slotWidth(res[j]), j++) {
        const i = h0 + j;
        if (vs.kind[i] === Kind.LOCAL) this.copyMem(res[j], this.rbpMem(16 + 8 * s), this.slotMem(i));
        else this.moveEntryToMem(i, this.rbpMem(16 + 8 * s));
      }
    }
    a.movRR(64, RSP, RBP);
    a.pop(RBP);
    a.ret();
  }

  /**
   * Frame f's branch target, created on first use: most blocks are never branched to, and
   * labels are not free (three arrays in the assembler grow by one each).
   */
  labelOf(f: ControlFrame): Label {
    if (f.label < 0) f.label = this.asm.newLabel();
    return f.label;
  }

  /** Branch to frame f (from reachable code); the value stack is unchanged. */
  emitBranch(f: ControlFrame, isFunc: boolean, n: number): void {
    if (isFunc) { this.emitReturn(); return; }
    if (f.kind === FrameKind.Block) {
      this.blockEdge(f, n);
      this.asm.jmp(this.labelOf(f));
      f.endReachable = true;
      return;
    }
    // Dirty locals first, while every register still holds what the cache says (the moves
    // below may overwrite rax/xmm0). Not marked clean: br_if's fall-through branches around.
    if (f.kind === FrameKind.Loop) this.storeDirty(false, f);
    else this.storeDirty(false);
    if (f.resultInReg) this.moveEntryToReg(this.vs.sp - 1, 0);
    else this.moveTopTo(n, f.base);
    if (f.kind === FrameKind.Loop) { if (f.entryCache.n > 0) this.loopFixup(f); }
    else this.recordEdge(f);
    this.asm.jmp(this.labelOf(f));
    f.endReachable = true;
  }

  /** The rest of the current block is unreachable. */
  setUnreachable(): void {
    const f = this.frames[this.depth - 1];
    this.dropTo(f.base);
    this.forgetLocalCache();
    this.unreachable = true;
  }

  // ---- calls ---------------------------------------------------------------------------

  /**
   * Lay out a call's arguments: the top `np` values go straight from where they are (register,
   * constant, local, slot) to where the callee expects them (abi argRegister): the first argument
   * slots into their argument registers when `inRegs` (wasm-to-wasm calls), the others into the
   * outgoing argument area `[rsp + 8*j]`, which is reserved once at the bottom of the frame (sized
   * by the largest call, patched in with the frame size), so a call needs no `sub/add rsp`. Every
   * other register value is spilled first: all registers are caller-saved. The arguments are
   * popped. Emits movs only: a pending COND survives until its own move. `resultSlots` is the slot
   * count of the results (abi slotCount). Runtime calls (`inRegs` false) keep every argument in
   * its slot, where the host reads it.
   */
  beginCall(np: number, resultSlots: number, inRegs: boolean): void {
    const vs = this.vs;
    const h0 = vs.sp - np;
    let argSlots = 0;
    for (let j = 0; j < np; j++) argSlots += slotWidth(vs.type[h0 + j]);
    const bytes = 8 * Math.max(argSlots, resultSlots);
    if (bytes > this.maxOutBytes) this.maxOutBytes = bytes;
    for (let i = 0; i < h0; i++) {
      const k = vs.kind[i];
      if (k === Kind.REG || k === Kind.COND) this.spillEntry(i);
    }
    // Dirty locals to memory now, while their cache registers still hold them: the argument
    // moves below may overwrite a cache register (a local cached in rdi, argument 0 going there),
    // and the callee clobbers them all anyway. The locals stay cached (clean) for the moves.
    this.storeDirty(true);
    // Slot arguments first: they may read any register, and no argument register is written yet.
    if (np > this.argDst.length) this.argDst = new Int32Array(np);
    const dst = this.argDst;
    for (let j = 0, s = 0; j < np; s += slotWidth(vs.type[h0 + j]), j++) {
      const loc = inRegs ? argRegister(vs.type[h0 + j], s) : null;
      dst[j] = loc === null ? -1 : loc.reg;
      if (loc === null) this.moveEntryToMem(h0 + j, this.outMem(s));
    }
    this.moveArgRegs(h0, np);
    for (let j = 0; j < np; j++) this.dropTop();
    this.forgetLocalCache(); // the callee clobbers every register (dirty ones were stored above)
  }

  /** the body reloads r15 from [rbp - 8] (a cross-instance call): the prologue must save it there */
  restoresPinned = false;
  /** parameter i's argument register (abi argRegister), or -1: where its cache prefers to live */
  private paramReg = new Int8Array(16);
  /** argument j of the call being laid out goes to register argDst[j] (of its class), or -1: a slot */
  private argDst = new Int32Array(16);

  /**
   * The register arguments (argDst[j] >= 0) of the top `np` entries from h0 into their registers.
   * Values already in registers (REG entries, cached locals) are a parallel move: a target may
   * still be some other argument's source, so a move waits until its target is no longer needed,
   * and a cycle goes through the scratch register of its class. The rest (constants, slots,
   * flags, uncached locals) read no register and are loaded last, straight into their targets.
   */
  private moveArgRegs(h0: number, np: number): void {
    const MOVE_SRC = this.moveSrc, MOVE_DST = this.moveDst;
    const vs = this.vs, dst = this.argDst;
    let n = 0;
    for (let j = 0; j < np; j++) {
      const d = dst[j];
      if (d < 0) continue;
      const i = h0 + j, t = vs.type[i], x = isXmmType(t) ? 16 : 0;
      const src = vs.kind[i] === Kind.REG ? vs.reg[i] : vs.kind[i] === Kind.LOCAL ? this.cache.peek(vs.lo[i]) : -1;
      if (src < 0) continue;
      if (vs.kind[i] === Kind.LOCAL) this.cache.get(vs.lo[i]); // a use, for eviction order
      if (src === d) continue;
      MOVE_DST[n] = d + x; MOVE_SRC[n] = src + x; n++;
    }
    this.parallelMove(n);
    for (let j = 0; j < np; j++) {
      const i = h0 + j, k = vs.kind[i];
      if (dst[j] < 0 || k === Kind.REG || (k === Kind.LOCAL && this.cache.peek(vs.lo[i]) >= 0)) continue;
      this.moveEntryToReg(i, dst[j]);
    }
  }

  /**
   * Prologue, after the frame is set up: each register parameter (abi argRegister) stays cached
   * in the register it came in, dirty: its home slot in the caller's argument area is written
   * only where the lazy write-back needs the frame value (a call, an if's join, eviction), so
   * a function that needs none (a leaf, an early exit) never touches it.
   * An i32 is zero-extended first: compiled code keeps the upper half of an i32 register zero
   * (memory addressing uses the register as a 64-bit index), wasm callers already do, but
   * kwasm_enter loads all 64 bits of a slot the host wrote (in ring 0: user space), not knowing
   * the type. One `mov r32, r32` keeps that invariant whatever way the call came in.
   */
  enterParams(): void {
    const params = this.funcType.params;
    if (this.paramReg.length < params.length) this.paramReg = new Int8Array(params.length);
    for (let i = 0, s = 0; i < params.length; s += slotWidth(params[i]), i++) {
      const loc = argRegister(params[i], s);
      this.paramReg[i] = loc === null ? -1 : loc.reg;
      if (loc === null) continue;
      if (params[i] === Vt.I32) this.asm.movRR(32, asGpr(loc.reg), asGpr(loc.reg));
      this.ra.take(loc.kind === 'xmm', loc.reg);
      this.cacheLocal(i, loc.reg);
      this.cache.markDirty(i);
    }
  }

  /**
   * Declared locals whose frame slot is not zeroed yet (deferred zero-initialisation): until the
   * first control instruction a local's slot is read by nothing but its own `local.get`, which
   * pushes the constant 0 instead, and a `local.set` makes the zeroing unnecessary. `flushZeros`
   * stores the rest before the first block/loop/if/br*: from there on joins and loop headers
   * assume every uncached local is current in its slot.
   */
  private zeroPending = new Uint8Array(64);
  pendingZeros = 0;

  /** Mark the declared locals (every one from numParams up; no v128) as pending zero-initialisation. */
  deferZeroing(): void {
    const n = this.numLocals;
    if (this.zeroPending.length < n) this.zeroPending = new Uint8Array(n);
    this.zeroPending.fill(0, 0, this.numParams);
    this.zeroPending.fill(1, this.numParams, n);
    this.pendingZeros = n - this.numParams;
  }

  /** Local i is still the initial zero and its slot has not been written. */
  isPendingZero(i: number): boolean { return this.pendingZeros > 0 && this.zeroPending[i] !== 0; }

  /** Local i gets a value (local.set/tee): its slot will be written by the lazy write-back, if at all. */
  clearPendingZero(i: number): void {
    if (this.pendingZeros > 0 && this.zeroPending[i] !== 0) { this.zeroPending[i] = 0; this.pendingZeros--; }
  }

  /** Local i was set to the constant 0 while pending: flushZeros caches it like any constant set. */
  setPendingZero(i: number): void { this.zeroPending[i] = 2; }

  /**
   * End of the deferral: the locals still pending get their zero. One explicitly set to 0 (a
   * counter or accumulator right before its loop, often) goes to a cache register as the
   * constant path of local.set does, so a loop header starts with it cached; the others are
   * stored. Movs only: EFLAGS survive (a br_if's condition may be pending).
   */
  flushZeros(): void {
    for (let i = this.numParams; i < this.numLocals && this.pendingZeros > 0; i++) {
      const z = this.zeroPending[i];
      if (z === 0) continue;
      this.zeroPending[i] = 0;
      this.pendingZeros--;
      const t = this.localTypes[i];
      const cr = z === 2 ? this.cacheRegister(isXmmType(t)) : -1;
      if (cr < 0) { this.asm.movMI(64, this.localMem(i), 0); continue; }
      this.loadConst(t, cr, 0, 0);
      this.cacheLocal(i, cr);
      this.cache.markDirty(i);
    }
  }

  /** Outgoing argument slot j (`[rsp + 8*j]`), one cached operand per slot. */
  outMem(j: number): Mem {
    let m = this.outMems[j];
    if (m === undefined) { m = mem(RSP, 8 * j); this.outMems[j] = m; }
    return m;
  }

  /** After the call instruction: push the results (rax/xmm0, or the argument area for several). */
  endCall(results: Uint8Array, viaRecord: boolean): void {
    const a = this.asm, vs = this.vs;
    const nr = results.length;
    if (!resultsInSlots(results)) {
      if (nr === 1) {
        const t = results[0];
        // A call through a funcref record may reach a host function: kwasm_resume hands slot 0
        // over in rax as the host wrote it (in ring 0: user space, any 64 bits), and compiled code
        // relies on a zero upper half of i32 registers (a memory index is used as 64 bits).
        if (t === Vt.I32 && viaRecord) a.movRR(32, RAX, RAX);
        this.ra.take(isXmmType(t), 0);
        this.vs.pushReg(t, 0); // rax or xmm0
      }
    } else {
      for (let j = 0, s = 0; j < nr; s += slotWidth(results[j]), j++) {
        this.copyMem(results[j], this.slotMem(vs.sp), this.outMem(s));
        vs.pushStack(results[j]);
      }
    }
  }

  /** After a call into another instance: our vmctx and memory base back from the frame. */
  restorePinned(): void {
    this.restoresPinned = true;
    this.asm.movRM(64, R15, this.rbpMem(-8));
    this.asm.movRM(64, R14, MEMORY_BASE);
  }

  /**
   * Runtime call through the host-call protocol with a reserved index: the args are the top
   * `np` values, the single i32/i64 result (if any) comes back in rax.
   */
  runtimeCall(index: number, np: number, result: ValType | null): void {
    this.beginCall(np, result === null ? 0 : 1, false);
    const a = this.asm;
    a.movRI(32, RAX, index >>> 0);
    a.movRI(32, RCX, Math.max(np, result === null ? 0 : 1));
    a.callM(HOST_CALL_STUB);
    if (result !== null) {
      this.ra.take(false, RAX);
      this.pushReg(result, RAX);
    }
  }

  negate(cc: Cond): Cond { return negate(cc); }
}
