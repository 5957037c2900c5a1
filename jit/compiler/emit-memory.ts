// Loads and stores with no bounds check: the effective address is r14 + zext32(index) + offset,
// always below 8 GiB, and the runtime reserves 8 GiB plus guard pages per memory, so every
// out-of-bounds access faults and the signal path turns the fault into a trap. i32 values in
// registers always have a zero upper half, so the index register can be used as is.
import { Mem, NO_INDEX, SseOp, SseStore, mem, type Gpr, type Xmm } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { addrAware, on } from './emitters.js';
import { R11, R15, type CodeGen } from './masm.js';
import { SCRATCH_GPR } from './regalloc.js';
import { Vt } from '../frontend/types.js';
import { Kind } from './value-stack.js';
import { RT } from './runtime-calls.js';

/**
 * Pop the index and set c.addr (one Mem per CodeGen, rewritten per access) to the access's
 * operand. Returns the index register (or -1) that the caller frees after the access (a load
 * may reuse it as its destination). c.addr must be used before the next address() call.
 */
export function address(c: CodeGen, offset: number): Gpr | -1 {
  const vs = c.vs, i = vs.sp - 1, m = c.addr;
  m.shift = 0;
  if (vs.kind[i] === Kind.ADDR) {
    // A scaled index that does not wrap (see emit-int's scaledIndex): the access is
    // [r14 + index*2^shift + disp + offset], the same address the computed i32 would give.
    const disp = vs.lo[i] + offset;
    if (disp <= 0x7fffffff) {
      const r = vs.reg[i] as Gpr;
      m.index = r; m.shift = vs.hi[i]; m.disp = disp;
      vs.drop();
      c.addrPending = false;
      return r;
    }
    c.materializeAddr();
  }
  if (vs.kind[i] === Kind.CONST) {
    const ea = (vs.lo[i] >>> 0) + offset;
    vs.drop();
    if (ea <= 0x7fffffff) { m.index = NO_INDEX; m.disp = ea; return -1; }
    c.asm.movRI(64, R11, ea);
    m.index = R11; m.disp = 0;
    return -1;
  }
  if (vs.kind[i] === Kind.LOCAL && offset <= 0x7fffffff) {
    // A local index is used from its cache register in place (loaded into the cache first):
    // no copy, and the register stays the local's.
    const cr = c.cacheLocalForRead(vs.lo[i]);
    if (cr >= 0) { c.dropTop(); m.index = cr; m.disp = offset; return -1; }
  }
  const r = c.popGpr();
  if (offset <= 0x7fffffff) { m.index = r; m.disp = offset; return r; }
  c.asm.movRI(64, R11, offset);
  c.asm.aluRR(0, 64, R11, r); // add r11, index
  m.index = R11; m.disp = 0;
  return r;
}

/** How a load reads: full-width first (an ALU/SSE op can take those as its memory operand), then
 *  the extending ones. A number, not a string: each `load` closure tests its kind per access,
 *  and closures of one literal share V8's feedback, so a keyed lookup by a captured key (a
 *  `Record` indexed by the kind) went megamorphic (KeyedLoadIC_Megamorphic per load). */
const enum LoadKind { I32, I64, F32, F64, S8, U8, S16, U16, S32, U32 }

function load(kind: LoadKind, result: number): (c: CodeGen, ir: { memOffset: number }) => void {
  // Loads an ALU/SSE op can take as its memory operand (the same width, no extension).
  const foldable = kind <= LoadKind.F64;
  return (c, ir) => {
    const a = c.asm;
    const reg = address(c, ir.memOffset >>> 0), m: Mem = c.addr;
    if (foldable && m.index !== SCRATCH_GPR) {
      // Full-width loads wait for their user (r11 is the MacroAssembler's scratch: an index
      // there would not survive, so those loads are emitted at once).
      c.pushLoad(result, m.index, m.disp, reg !== -1, m.shift);
      return;
    }
    if (kind === LoadKind.F32 || kind === LoadKind.F64) {
      const d = c.allocXmm();
      if (reg !== -1) c.freeGpr(reg);
      a.sseRM(kind === LoadKind.F32 ? SseOp.MOVSS : SseOp.MOVSD, d, m);
      c.pushReg(result, d);
      return;
    }
    const d = reg !== -1 ? reg : c.allocGpr();
    const dst64 = result === Vt.I64 ? 64 : 32;
    switch (kind) {
      case LoadKind.I32: case LoadKind.U32: a.movRM(32, d, m); break;
      case LoadKind.I64: a.movRM(64, d, m); break;
      case LoadKind.S8: a.movsxRM(dst64, 8, d, m); break;
      case LoadKind.U8: a.movzxRM(32, 8, d, m); break;
      case LoadKind.S16: a.movsxRM(dst64, 16, d, m); break;
      case LoadKind.U16: a.movzxRM(32, 16, d, m); break;
      case LoadKind.S32: a.movsxRM(64, 32, d, m); break;
    }
    c.pushReg(result, d);
    if (result === Vt.I32 && (kind === LoadKind.U8 || kind === LoadKind.U16)) c.vs.bits[c.vs.sp - 1] = kind === LoadKind.U8 ? 8 : 16;
  };
}

function store(bits: 8 | 16 | 32 | 64, type: number): (c: CodeGen, ir: { memOffset: number }) => void {
  return (c, ir) => {
    const a = c.asm, vs = c.vs, i = vs.sp - 1;
    const xmm = type === Vt.F32 || type === Vt.F64;
    let g: Gpr | -1 = -1, x: Xmm | -1 = -1, imm = 0, owned = true;
    if (vs.kind[i] === Kind.CONST && (type === Vt.I32 || type === Vt.F32 || bits < 64 || vs.hi[i] === vs.lo[i] >> 31)) {
      imm = vs.lo[i];
      vs.drop();
    } else {
      // A store only reads the value: a cached local is stored from its register (pinned).
      if (xmm) x = c.popReadXmm(); else g = c.popReadGpr();
      owned = c.popReadOwned;
    }
    const reg = address(c, ir.memOffset >>> 0), m: Mem = c.addr;
    if (x !== -1) {
      a.sseMR(type === Vt.F32 ? SseStore.MOVSS : SseStore.MOVSD, m, x);
      if (owned) c.freeXmm(x);
    } else if (g !== -1) {
      a.movMR(bits, m, g);
      if (owned) c.freeGpr(g);
    } else {
      const w = bits === 64 ? 64 : bits;
      a.movMI(w, m, bits === 8 ? imm & 0xff : bits === 16 ? imm & 0xffff : imm);
    }
    if (reg !== -1) c.freeGpr(reg);
  };
}

/** Every load: its instruction, how it reads, its result type. */
const LOADS: readonly (readonly [string, LoadKind, number])[] = [
  ['i32.load', LoadKind.I32, Vt.I32], ['i64.load', LoadKind.I64, Vt.I64], ['f32.load', LoadKind.F32, Vt.F32], ['f64.load', LoadKind.F64, Vt.F64],
  ['i32.load8_s', LoadKind.S8, Vt.I32], ['i32.load8_u', LoadKind.U8, Vt.I32], ['i32.load16_s', LoadKind.S16, Vt.I32], ['i32.load16_u', LoadKind.U16, Vt.I32],
  ['i64.load8_s', LoadKind.S8, Vt.I64], ['i64.load8_u', LoadKind.U8, Vt.I64], ['i64.load16_s', LoadKind.S16, Vt.I64], ['i64.load16_u', LoadKind.U16, Vt.I64],
  ['i64.load32_s', LoadKind.S32, Vt.I64], ['i64.load32_u', LoadKind.U32, Vt.I64],
];

export function registerMemory(): void {
  for (const [name, kind, result] of LOADS) {
    on(name, load(kind, result));
    addrAware(name); // a scaled index is its addressing mode (address())
  }
  on('i32.store', store(32, Vt.I32));
  on('i64.store', store(64, Vt.I64));
  on('f32.store', store(32, Vt.F32));
  on('f64.store', store(64, Vt.F64));
  on('i32.store8', store(8, Vt.I32));
  on('i32.store16', store(16, Vt.I32));
  on('i64.store8', store(8, Vt.I64));
  on('i64.store16', store(16, Vt.I64));
  on('i64.store32', store(32, Vt.I64));
  on('memory.size', (c) => {
    const r = c.allocGpr();
    c.asm.movRM(32, r, mem(R15, VMCTX.memoryPages));
    c.pushReg(Vt.I32, r);
  });
  // memory.grow needs the host (mprotect, bookkeeping of every instance sharing the memory).
  on('memory.grow', (c) => c.runtimeCall(RT.memoryGrow, 1, Vt.I32));
}
