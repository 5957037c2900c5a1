// Drives one function body through InstrReader (decode), FunctionValidator (validate) and the
// emitter table (code), one instruction at a time: a single pass, like Liftoff. Code after
// br/return/unreachable is validated but not compiled; only its block structure is tracked.
import { AluOp, Cond, mem, memIdx, type Assembler } from '../../backend-x64/index.js';
import { TrapCode } from '../../abi/traps.js';
import { VMCTX } from '../../abi/vmctx.js';
import { CompileError, malformed } from '../errors.js';
import type { InstrReader } from '../frontend/instr-reader.js';
import { NUM_CODES, codesNamed, opName } from '../frontend/opcodes.js';
import type { FunctionValidator } from '../frontend/validator.js';
import { V128, type ModuleInfo } from '../frontend/types.js';
import { ADDR_AWARE, COND_AWARE, EMIT, MEM_AWARE } from './emitters.js';
import { FrameKind } from './frames.js';
import { CodeGen, R11, R15, RBP, RSP, RAX, type ModuleEnv } from './masm.js';
import { emitElse, emitEnd, pushFrame } from './emit-control.js';
import { registerInt } from './emit-int.js';
import { registerFloat } from './emit-float.js';
import { registerConvert } from './emit-convert.js';
import { registerMemory } from './emit-memory.js';
import { registerControl } from './emit-control.js';
import { registerCall } from './emit-call.js';
import { registerSimd } from './emit-simd.js';

registerInt();
registerFloat();
registerConvert();
registerMemory();
registerControl();
registerCall();
registerSimd();

/** Dense codes of 0xFD-prefixed (SIMD) instructions start here (see opcodes.ts). */
const SIMD_CODE_BASE = 512;
const code1 = (name: string): number => codesNamed(name)[0];
/** Control opcodes the driver handles itself: one-byte opcodes, whose dense code is the byte
 *  (opcodes.ts; checked below). Literals, not module consts: see the loop. */
const enum Op { Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0b }
for (const [name, code] of [['block', Op.Block], ['loop', Op.Loop], ['if', Op.If], ['else', Op.Else], ['end', Op.End]] as const) {
  if (code1(name) !== code) throw new Error(`compiler: the dense code of ${name} is not ${code}`);
}
/** Instructions before which deferred local zeroing is done (CodeGen.flushZeros): the control
 *  instructions, after which joins and loop headers read uncached locals from their slots. */
const ZERO_FLUSH = new Uint8Array(NUM_CODES);
for (const n of ['block', 'loop', 'if', 'else', 'br', 'br_if', 'br_table']) for (const k of codesNamed(n)) ZERO_FLUSH[k] = 1;
/** `mov [rbp - 8], r15` is 4 bytes (REX 89 modrm disp8); `nop dword ptr [rax]` (0f 1f 40 00) replaces it. */
const SAVE_R15_LEN = 4;
const NOP4 = 0x00401f0f;
/** The prologue's operands, made once (every function has them): `[rsp - 0x10000]` (a disp32
 *  whose bytes are patched per function), the stack limit, and the saved vmctx slot. */
const PROBE = mem(RSP, -0x10000), STACK_LIMIT = mem(R15, VMCTX.stackLimit), SAVED_R15 = mem(RBP, -8);
/** Above this many declared locals the prologue zeroes them with a loop instead of stores. */
const UNROLLED_ZERO_LIMIT = 16;

/** Some of `types[0, n)` is v128. */
function hasV128(types: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (types[i] === V128) return true;
  return false;
}

export class FunctionCompiler {
  readonly c: CodeGen;
  /** some function type of the module has a v128 param or result */
  private readonly anyV128Type: boolean;

  constructor(readonly m: ModuleInfo, readonly asm: Assembler, env: ModuleEnv, readonly ir: InstrReader, readonly v: FunctionValidator) {
    this.c = new CodeGen(asm, env);
    this.anyV128Type = m.types.some((t) => t.params.includes(V128) || t.results.includes(V128));
  }

  /** Compile function `funcIndex` at the assembler's current position (its label is bound here). */
  compile(funcIndex: number): void {
    const { m, ir, v, c, asm: a } = this;
    const b = funcIndex - m.numImportedFuncs, codeStart = m.codes.codeStart(b), end = m.codes.end(b);
    ir.reset(codeStart, end, funcIndex);
    v.begin(funcIndex);
    // The validator's expansion of the locals (a buffer kept across functions, longer than this
    // function's locals), not a new array per function.
    const locals = v.locals, nLocals = v.numLocals;
    const v128Local = hasV128(locals, nLocals);
    c.begin(funcIndex, locals, nLocals, this.mayHoldV128(codeStart, end, v128Local));
    a.bind(c.env.funcLabels[funcIndex]);

    // Prologue. The frame size and the stack headroom of outgoing calls are patched in at the end.
    // The check runs before rsp moves, so the trap stub's call still has valid stack under it
    // even when a huge frame would reach past the guard region.
    a.push(RBP);
    a.movRR(64, RBP, RSP);
    const stackSlow = c.stackCheckLabel();
    a.lea(64, R11, PROBE);
    const headroomDisp = a.offset - 4;
    a.aluRM(AluOp.CMP, 64, R11, STACK_LIMIT);
    a.jcc(Cond.B, stackSlow);
    a.aluRI(AluOp.SUB, 64, RSP, 0x10000);
    const frameImm = a.offset - 4;
    // Our vmctx for restorePinned after a cross-instance call; a function that makes none gets
    // this store turned into a nop of the same length after its body (below).
    const saveR15 = a.offset;
    a.movMR(64, SAVED_R15, R15);
    if (a.offset - saveR15 !== SAVE_R15_LEN) throw new Error('prologue: unexpected encoding of the r15 save');
    const nDecl = c.localBytes >> 3; // 8-byte words of declared locals (a v128 is two)
    // A few scalar locals are zeroed lazily (CodeGen.deferZeroing): most are set before the
    // first branch, and a local.get before that reads the constant 0.
    if (nDecl > 0 && nDecl <= UNROLLED_ZERO_LIMIT && !v128Local) c.deferZeroing();
    else if (nDecl > 0) {
      a.movRI(32, RAX, 0);
      if (nDecl <= UNROLLED_ZERO_LIMIT) {
        for (let j = 0; j < nDecl; j++) a.movMR(64, c.rbpMem(-16 - 8 * j), RAX);
      } else {
        const loop = a.newLabel();
        // r11 counts from -nDecl up to 0: [rbp - 8 + 8*r11] walks the locals from the deepest up.
        a.movRI(64, R11, -nDecl);
        a.bind(loop);
        a.movMR(64, memIdx(RBP, R11, 8, -8), RAX);
        a.aluRI(AluOp.ADD, 64, R11, 1);
        a.jcc(Cond.NE, loop);
      }
    }
    // Register parameters stay cached in their registers, dirty (rax and r11 above are no argument registers).
    c.enterParams();
    pushFrame(c, FrameKind.Func, -1, false);
    const f0 = c.frames[0];
    f0.results = c.funcType.results;
    f0.base = 0;

    // The tables in locals: in the loop, each module binding was a cell load and a hole check
    // per instruction (imports and module consts alike, in optimized code too).
    const emit = EMIT, memAware = MEM_AWARE, addrAware = ADDR_AWARE, condAware = COND_AWARE, zeroFlush = ZERO_FLUSH;
    while (!v.done) {
      if (ir.atEnd()) throw malformed('END opcode expected', ir.pos, funcIndex);
      ir.next();
      v.step(ir);
      const code = ir.code;
      if (c.unreachable) { this.skip(code); continue; }
      if (c.memPending && memAware[code] === 0) c.materializeMem();
      if (c.addrPending && addrAware[code] === 0) c.materializeAddr();
      if (code === Op.End) {
        if (c.depth === 1) { c.emitReturn(); c.depth = 0; continue; }
        emitEnd(c);
        continue;
      }
      if (c.condPending && condAware[code] === 0) c.materializeCond();
      const e = emit[code];
      if (e === undefined) {
        const what = code >= SIMD_CODE_BASE ? `SIMD instruction ${opName[code]} not supported` : `instruction ${opName[code] || code.toString(16)} is not supported by the compiler`;
        throw new CompileError('unsupported', what, ir.start, funcIndex);
      }
      c.pinned = c.memPin; // operand pins (CodeGen.popRead) last one instruction; a pending load's index until it is used
      if (c.pendingZeros > 0 && zeroFlush[code] === 1) c.flushZeros();
      e(c, ir);
    }
    if (!ir.atEnd()) throw malformed('section size mismatch', ir.pos, funcIndex);
    c.emitTrapStubs();
    if (!c.restoresPinned) a.patch32(saveR15, NOP4);
    a.patch32(frameImm, c.frameBytes());
    a.patch32(headroomDisp, -(c.frameBytes() + 16) | 0); // + return address and saved rbp of a callee
  }

  /**
   * Whether a v128 can be on this function's value stack (then its slots are 16 bytes): a v128
   * local, param or result, a module type with one (calls, blocks), or a 0xFD byte anywhere in
   * the body (a SIMD prefix; a byte of some immediate only costs a wider frame).
   */
  private mayHoldV128(start: number, end: number, v128Local: boolean): boolean {
    if (this.anyV128Type || v128Local) return true;
    // A native scan, not a JS loop over every byte, and no view per function: the first 0xFD at
    // or after `fdFrom` is kept, and functions mostly come in byte order, so one scan serves
    // every function up to that byte.
    if (start < this.fdFrom || (this.fdAt >= 0 && this.fdAt < start)) {
      this.fdFrom = start;
      this.fdAt = this.m.bytes.indexOf(0xfd, start);
    }
    return this.fdAt >= 0 && this.fdAt < end;
  }
  /** The first 0xFD byte of the module at or after fdFrom, or -1 (mayHoldV128). */
  private fdFrom = Infinity;
  private fdAt = -1;

  /** Unreachable code: keep the block structure, compile nothing. */
  private skip(code: number): void {
    const c = this.c;
    switch (code) {
      case Op.Block: case Op.Loop: case Op.If: pushFrame(c, FrameKind.Block, -64, true); return;
      case Op.Else:
        if (!c.frames[c.depth - 1].dead) emitElse(c);
        return;
      case Op.End: {
        const f = c.frames[c.depth - 1];
        if (f.dead) { c.depth--; return; }
        if (c.depth === 1) { c.depth = 0; return; }
        emitEnd(c);
        return;
      }
    }
  }
}
