// Structured control flow: block/loop/if/else/end, br/br_if/br_table/return, plus the
// parametric ops (drop, select) and local/global variables. The merge convention is described
// in frames.ts.
import { AluOp, Cond, grow32, mem, rax, SseOp, xmm0, type Label, type Mem } from '../../backend-x64/index.js';
import { TrapCode } from '../../abi/traps.js';
import { VMCTX, VMCTX_GLOBALS } from '../../abi/vmctx.js';
import { BLOCK_EMPTY } from '../frontend/types.js';
import type { InstrReader } from '../frontend/instr-reader.js';
import { condAware, memAware, on } from './emitters.js';
import { FrameKind, labelTypes, type ControlFrame } from './frames.js';
import { R11, R15, RSP, isXmmType, type CodeGen } from './masm.js';
import { Kind } from './value-stack.js';
import { CacheSnapshot } from './local-cache.js';

const EMPTY = new Uint8Array(0);
const SINGLE: Uint8Array[] = [];
for (let t = 0; t < 0x80; t++) SINGLE.push(Uint8Array.of(t));

/** Frames are pooled per depth and rewritten in place: opening a block allocates nothing. */
function newFrame(): ControlFrame {
  return {
    kind: FrameKind.Block, base: 0, params: EMPTY, results: EMPTY, label: NO_LABEL, elseLabel: NO_LABEL,
    paramSave: -1, hasElse: false, endReachable: false, dead: false, thenFellThrough: false, resultInReg: false, inLoop: false,
    entryCache: new CacheSnapshot(), joinCache: new CacheSnapshot(),
  };
}
const NO_LABEL = -1 as Label;

export function pushFrame(c: CodeGen, kind: FrameKind, bt: number, dead: boolean): ControlFrame {
  let params: Uint8Array = EMPTY, results: Uint8Array = EMPTY;
  if (!dead) {
    if (bt >= 0) { const ft = c.env.types[bt]; params = ft.params; results = ft.results; }
    else if (bt !== BLOCK_EMPTY) results = SINGLE[bt + 0x80];
  }
  if (c.depth === c.frames.length) c.frames.push(newFrame());
  const f = c.frames[c.depth++];
  f.kind = kind;
  f.base = c.vs.sp - params.length;
  f.params = params;
  f.results = results;
  // Dead frames are never compiled; only an `if` has an else arm.
  // The loop header label is bound at once; a block/if end label is made by its first branch.
  f.label = !dead && kind === FrameKind.Loop ? c.asm.newLabel() : NO_LABEL;
  f.elseLabel = !dead && kind === FrameKind.If ? c.asm.newLabel() : NO_LABEL;
  f.paramSave = -1;
  f.hasElse = false;
  f.endReachable = false;
  f.dead = dead;
  f.thenFellThrough = false;
  f.resultInReg = kind !== FrameKind.Loop && kind !== FrameKind.Func && params.length === 0 && results.length === 1;
  f.inLoop = kind === FrameKind.Loop || (c.depth > 1 && c.frames[c.depth - 2].inLoop);
  f.entryCache.reset();
  f.joinCache.reset();
  return f;
}

const STACK_LIMIT = mem(R15, VMCTX.stackLimit);
/** Registers of each class a loop header leaves free of cached locals (see CodeGen.freeForLoop). */
const LOOP_FREE_REGS = 4;

/** Stack check at loop headers: also how the runtime interrupts a running loop. */
function loopCheck(c: CodeGen): void {
  const slow = c.stackCheckLabel();
  c.asm.aluRM(AluOp.CMP, 64, RSP, STACK_LIMIT);
  c.asm.jcc(Cond.B, slow);
}

function spillTop(c: CodeGen, n: number): void {
  for (let i = c.vs.sp - n; i < c.vs.sp; i++) c.spillEntry(i);
}

export function emitElse(c: CodeGen): void {
  const f = c.frames[c.depth - 1];
  if (!c.unreachable) {
    c.storeDirty(true); // an edge into the end (I2), before rax/xmm0 may be overwritten
    if (f.resultInReg) c.moveEntryToReg(c.vs.sp - 1, 0);
    else spillTop(c, f.results.length);
    c.recordEdge(f);
    c.asm.jmp(c.labelOf(f));
    f.endReachable = true;
  }
  c.asm.bind(f.elseLabel);
  f.hasElse = true;
  c.forgetLocalCache();
  c.dropTo(f.base);
  // Only the `if`'s jcc reaches here: its cached locals are still in their registers.
  c.cache.restore(f.entryCache, -1);
  for (let k = 0; k < f.params.length; k++) c.vs.pushStack(f.params[k]);
  c.unreachable = false;
}

/** `end` of a live frame (the function's own `end` is handled by the driver). */
export function emitEnd(c: CodeGen): void {
  const f = c.frames[c.depth - 1];
  c.depth--;
  if (f.kind === FrameKind.Loop) return; // the loop end is no join: values stay where they are
  const noElse = f.kind === FrameKind.If && !f.hasElse;
  if (!f.endReachable && !noElse) return;
  const n = f.results.length;
  if (f.resultInReg) {
    // (an `if` without else cannot have a result and no params, so no elseLabel here)
    const t = f.results[0];
    if (!c.unreachable) {
      if (f.kind === FrameKind.Block) c.blockEdge(f, 1);
      else { c.storeDirty(true); c.moveEntryToReg(c.vs.sp - 1, 0); c.recordEdge(f); }
    }
    if (f.label >= 0) c.asm.bind(f.label);
    c.forgetLocalCache(); // before taking rax: it may have been a cache register
    c.dropTo(f.base);
    if (f.joinCache.valid) c.cache.restore(f.joinCache, isXmmType(t) ? 1 : 0);
    c.ra.take(isXmmType(t), 0);
    c.pushReg(t, isXmmType(t) ? xmm0 : rax);
    c.unreachable = false;
    return;
  }
  if (!c.unreachable) {
    spillTop(c, n);
    if (f.kind === FrameKind.Block) c.blockEdge(f, n);
    else { c.storeDirty(true); c.recordEdge(f); }
  }
  if (noElse) { c.recordEdge(f, f.entryCache); c.asm.bind(f.elseLabel); }
  if (f.label >= 0) c.asm.bind(f.label);
  c.forgetLocalCache();
  c.dropTo(f.base);
  if (f.joinCache.valid) c.cache.restore(f.joinCache, -1);
  for (let k = 0; k < n; k++) c.vs.pushStack(f.results[k]);
  c.unreachable = false;
}

/** Some enclosing frame is a loop. */
const inLoop = (c: CodeGen): boolean => c.frames[c.depth - 1].inLoop;

/** The frame a branch of depth l targets. */
const targetOf = (c: CodeGen, l: number): ControlFrame => c.frames[c.depth - 1 - l];

/**
 * br_if to a block whose value travels in a register: move it there if that costs nothing.
 * True when entry v's value is in rax/xmm0 now. Movs only (between take/testCondition).
 */
function resultToRegIfFree(c: CodeGen, v: number): boolean {
  const vs = c.vs;
  if (vs.kind[v] === Kind.REG && vs.reg[v] === 0) return true;
  if (c.ra.isFree(isXmmType(vs.type[v]), 0)) { c.moveEntryToReg(v, 0); return true; }
  return false;
}

function brIf(c: CodeGen, ir: InstrReader): void {
  const f = targetOf(c, ir.index);
  const isFunc = f.kind === FrameKind.Func, n = labelTypes(f).length;
  const h0 = c.vs.sp - 1 - n;
  if (!isFunc && f.resultInReg) {
    // The value goes to rax/xmm0 before the jcc when that register is free (or already holds
    // it): the fall-through path does not care about a free register. Else branch around.
    c.takeCondition();
    const resultReady = resultToRegIfFree(c, h0);
    const cc = c.testCondition();
    f.endReachable = true;
    const block = f.kind === FrameKind.Block;
    if (!block && !inLoop(c)) c.storeDirty(true); // see the forward case below
    if (resultReady && (block ? c.blockEdgeFree(f) : !c.hasDirty())) {
      if (block) c.blockJoin(f); else c.recordEdge(f);
      c.asm.jcc(cc, c.labelOf(f));
      return;
    }
    // Branch around the edge's moves (and the write-back of dirty locals, I2): only the jcc
    // reaches skip, and the branch code changes no cache state, so the cache stays valid there.
    const skip = c.asm.newLabel();
    c.asm.jcc(c.negate(cc), skip);
    c.emitBranch(f, false, n);
    c.asm.bind(skip);
    return;
  }
  if (isFunc || (n > 0 && f.base !== h0)) {
    // The branch moves values into slots the fall-through path still uses: branch around it.
    const cc = c.popCondition();
    const skip = c.asm.newLabel();
    c.asm.jcc(c.negate(cc), skip);
    c.emitBranch(f, isFunc, n);
    c.asm.bind(skip); // reached by the jcc only: the cache is as before the branch code
    return;
  }
  c.takeCondition();
  spillTop(c, n);
  const cc = c.testCondition();
  const isLoop = f.kind === FrameKind.Loop, block = f.kind === FrameKind.Block;
  // A forward br_if to an if's end outside every loop writes dirty locals back on both paths
  // (movs: the flags survive): straight-line code runs once, and a plain jcc beats a branch
  // around the stores. Inside a loop the stores stay on the taken path: a loop's exit test runs
  // every iteration. A block's join takes dirty locals in registers (CodeGen.blockEdge): the
  // first edge into it (a function's early-exit test, the hot path when it recurses) is a
  // plain jcc.
  if (!isLoop && !block && !inLoop(c)) c.storeDirty(true);
  if (isLoop ? c.loopNeedsFixup(f) || c.hasDirty(f) : block ? !c.blockEdgeFree(f) : c.hasDirty()) {
    // An edge that must first write dirty locals back (I2, I3) or put the header's (or the
    // join's) cached locals in place (decided after the condition is popped: that may have
    // evicted some): only on the taken path.
    const skip = c.asm.newLabel();
    c.asm.jcc(c.negate(cc), skip);
    if (isLoop) { c.storeDirty(false, f); c.loopFixup(f); c.asm.jmp(f.label); }
    else c.emitBranch(f, false, n);
    c.asm.bind(skip);
    return;
  }
  if (block) c.blockJoin(f); else if (!isLoop) c.recordEdge(f);
  if (!isLoop) f.endReachable = true;
  c.asm.jcc(cc, c.labelOf(f));
}

/**
 * The label br_table's entry for depth l jumps to: the target itself, or a stub (emitted after
 * the table) for targets whose value travels in a register, loops with cached locals and
 * blocks whose join needs moves. `n`: the label arity, `h0`: the height of the branch values.
 */
function brTableTarget(c: CodeGen, l: number, n: number, h0: number): Label {
  const f = targetOf(c, l);
  if (f.kind !== FrameKind.Func && !f.resultInReg && (n === 0 || f.base === h0) && !(f.kind === FrameKind.Loop && f.entryCache.n > 0)
    && !(f.kind === FrameKind.Block && !c.blockEdgeFree(f))) {
    if (f.kind === FrameKind.Block) c.blockJoin(f); else if (f.kind !== FrameKind.Loop) c.recordEdge(f);
    if (f.kind !== FrameKind.Loop) f.endReachable = true;
    return c.labelOf(f);
  }
  const b = c.brStubs;
  if (l >= b.of.length) { const g = new Int32Array(2 * (l + 1)).fill(-1); g.set(b.of); b.of = g; }
  let s = b.of[l];
  if (s < 0) {
    s = c.asm.newLabel();
    b.of[l] = s;
    if (b.count === b.order.length) b.order = grow32(b.order, b.count);
    b.order[b.count++] = l;
  }
  return s as Label;
}

function brTable(c: CodeGen, ir: InstrReader): void {
  const a = c.asm;
  const idx = c.popGpr();
  c.spillAll();
  c.storeDirty(true); // every target is an edge (I2, I3)
  const n = labelTypes(targetOf(c, ir.index)).length, h0 = c.vs.sp - n;
  // The stubs of the last br_table (possibly one whose compile threw) are forgotten here, the one
  // place that reads them.
  const stubs = c.brStubs;
  for (let k = 0; k < stubs.count; k++) stubs.of[stubs.order[k]] = -1;
  stubs.count = 0;
  const count = ir.numTargets;
  const defLabel = brTableTarget(c, ir.index, n, h0);
  if (count > 0) {
    const table = a.newLabel('br_table');
    a.aluRI(AluOp.CMP, 32, idx, count >>> 0 > 0x7fffffff ? -1 : count);
    a.jcc(Cond.AE, defLabel);
    const rip = c.ripMem;
    rip.label = table;
    a.lea(64, R11, rip);
    const entry = c.leaMem; // [r11 + idx*4]
    entry.base = R11; entry.index = idx; entry.shift = 2; entry.disp = 0;
    a.movsxRM(64, 32, idx, entry);
    a.aluRR(AluOp.ADD, 64, idx, R11);
    a.jmpR(idx);
    a.align(4);
    a.bind(table);
    for (let k = 0; k < count; k++) a.dataLabelDelta32(brTableTarget(c, ir.targets[k], n, h0), table);
  } else {
    a.jmp(defLabel);
  }
  c.freeGpr(idx);
  for (let k = 0; k < stubs.count; k++) {
    const l = stubs.order[k];
    a.bind(stubs.of[l] as Label);
    const f = targetOf(c, l);
    c.emitBranch(f, f.kind === FrameKind.Func, n);
  }
  c.setUnreachable();
}

function select(c: CodeGen): void {
  const a = c.asm;
  c.takeCondition();
  const t = c.topType();
  if (isXmmType(t)) {
    const rb = c.popXmm(), ra = c.popXmm();
    const cc = c.testCondition();
    const keep = a.newLabel();
    a.jccShort(cc, keep);
    a.sseRR(SseOp.MOVAPS, ra, rb);
    a.bind(keep);
    c.freeXmm(rb);
    c.pushReg(t, ra);
  } else {
    const rb = c.popGpr(), ra = c.popGpr();
    const cc = c.testCondition();
    a.cmovRR(c.negate(cc), 64, ra, rb);
    c.freeGpr(rb);
    c.pushReg(t, ra);
  }
}

function localSet(c: CodeGen, i: number, tee: boolean): void {
  const vs = c.vs;
  const top = vs.sp - 1;
  if (vs.localRefs > 0 && !(vs.kind[top] === Kind.LOCAL && vs.lo[top] === i)) {
    // Entries that still read the old value of local i must get it before it changes: the
    // first takes over the local's cache register (the local gets a new one below), the
    // others go to their slots.
    for (let k = 0; k < top; k++) {
      if (vs.kind[k] !== Kind.LOCAL || vs.lo[k] !== i) continue;
      const cr = c.cache.release(i);
      if (cr >= 0) vs.setReg(k, cr); else c.spillEntry(k);
    }
  }
  if (vs.kind[top] === Kind.LOCAL && vs.lo[top] === i) { if (!tee) c.dropTop(); return; }
  if (c.pendingZeros > 0 && c.isPendingZero(i)) {
    // Still the initial zero (deferred zeroing): setting 0 again changes nothing.
    if (vs.kind[top] === Kind.CONST && vs.lo[top] === 0 && vs.hi[top] === 0) { c.setPendingZero(i); if (!tee) c.dropTop(); return; }
    c.clearPendingZero(i);
  }
  const t = c.localTypes[i];
  const xmm = isXmmType(t);
  if (vs.kind[top] === Kind.CONST) {
    // Counters and accumulators start as constants right before their loop: cache them too
    // (in a free register, or the least recently used cache register), so the loop header
    // starts with them in registers.
    const cr = c.cachedLocal(i) >= 0 ? c.cachedLocal(i) : c.cacheRegister(xmm);
    if (cr < 0) {
      c.uncacheLocal(i);
      c.moveEntryToMem(top, c.localMem(i));
    } else {
      c.moveEntryToReg(top, cr);
      if (c.cachedLocal(i) !== cr) c.cacheLocal(i, cr);
      c.cache.markDirty(i);
    }
    if (!tee) c.dropTop();
    return;
  }
  if (vs.kind[top] === Kind.MEM && c.cache.peek(i) >= 0) {
    // A pending load goes straight into the local's register (its old value is dead: the
    // entries that read it were given their own copy above; `p = *p` reads the index first).
    c.materializeMem(c.cache.release(i));
  }
  // Into the local's cache register, written back lazily (local-cache.ts): the value is usually
  // read again soon, and often set again before anything needs the frame slot. The value's
  // register is handed over; local.tee then pushes a LOCAL entry (local.set + local.get), read
  // from that register in place.
  const r = c.entryToReg(top);
  c.vs.drop();
  c.cacheLocal(i, r);
  c.cache.markDirty(i);
  if (tee) c.vs.pushLocal(t, i);
}

/** `[r15 + disp]`, rewritten per use: an own global's value, or an imported one's cell pointer. */
const GLOBAL_SLOT: { -readonly [K in keyof Mem]: Mem[K] } = mem(R15, 0);

/**
 * A global's cell (no allocation: ruby's asyncify code makes 573k global accesses; use the Mem
 * at once). Own globals are inline after the vmctx header (abi VMCTX_GLOBALS): one load or
 * store. An imported global's slot there holds a pointer to the exporter's cell, loaded into r11.
 */
function globalAddr(c: CodeGen, g: number): Mem {
  GLOBAL_SLOT.disp = VMCTX_GLOBALS + c.env.globalOffsets[g];
  if (g >= c.env.numImportedGlobals) return GLOBAL_SLOT;
  c.asm.movRM(64, R11, GLOBAL_SLOT);
  const m = c.globalMem;
  m.disp = 0;
  return m;
}

export function registerControl(): void {
  on('unreachable', (c) => { c.asm.jmp(c.trapLabel(TrapCode.unreachable)); c.setUnreachable(); });
  on('nop', () => {});
  on('block', (c, ir) => { c.spillAll(); pushFrame(c, FrameKind.Block, ir.blockType, false); });
  on('loop', (c, ir) => {
    c.spillAll();
    const s = c.loopScan;
    const keep = s.scan(ir, c.numLocals) ? c.cacheForLoop(s.locals, s.n, LOOP_FREE_REGS) : 0;
    c.freeForLoop(LOOP_FREE_REGS, keep);
    const f = pushFrame(c, FrameKind.Loop, ir.blockType, false);
    c.cache.snapshot(f.entryCache); // the locals cached now stay cached at the header (back edges conform)
    c.cache.markAllDirty(); // and back edges may bring them dirty (I3)
    c.asm.bind(f.label);
    // The interrupt check, unless every iteration first calls a function whose prologue checks.
    if (!s.callsFirst(ir, c.env.numImportedFuncs)) loopCheck(c);
  });
  on('if', (c, ir) => {
    c.takeCondition();
    c.spillAll();
    const cc = c.testCondition();
    // The jcc is an edge into the else arm or, without else, the end (I2). Movs only: the
    // condition's flags survive.
    c.storeDirty(true);
    const f = pushFrame(c, FrameKind.If, ir.blockType, false);
    c.cache.snapshot(f.entryCache);
    c.asm.jcc(c.negate(cc), f.elseLabel);
  });
  condAware('if');
  condAware('br_if');
  condAware('select'); // both encodings (plain and typed)
  on('else', emitElse);
  on('br', (c, ir) => {
    const f = targetOf(c, ir.index);
    c.emitBranch(f, f.kind === FrameKind.Func, labelTypes(f).length);
    c.setUnreachable();
  });
  on('br_if', brIf);
  on('br_table', brTable);
  on('return', (c) => { c.emitReturn(); c.setUnreachable(); });
  on('drop', (c) => c.dropTop());
  on('select', select); // both encodings (plain and typed)
  on('local.get', (c, ir) => {
    // A declared local not set yet before the first control instruction: the constant 0.
    if (c.isPendingZero(ir.index)) c.vs.pushConst(c.localTypes[ir.index], 0, 0);
    else c.vs.pushLocal(c.localTypes[ir.index], ir.index);
  });
  on('local.set', (c, ir) => localSet(c, ir.index, false));
  on('local.tee', (c, ir) => localSet(c, ir.index, true));
  memAware('local.set'); // a pending load goes straight into the local's register
  memAware('local.tee');
  on('global.get', (c, ir) => {
    const t = c.env.globalTypes[ir.index];
    const r = isXmmType(t) ? c.allocXmm() : c.allocGpr();
    c.loadMem(t, r, globalAddr(c, ir.index));
    c.pushReg(t, r);
  });
  on('global.set', (c, ir) => {
    const t = c.env.globalTypes[ir.index];
    const r = isXmmType(t) ? c.popXmm() : c.popGpr();
    const m = globalAddr(c, ir.index);
    c.storeMem(t, m, r);
    c.freeReg(t, r);
  });
}
