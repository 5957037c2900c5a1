// Validation: module-level rules (validateModuleInfo) and function bodies
// (FunctionValidator), following the algorithm in the spec's appendix.
//
// FunctionValidator is driven one instruction at a time (`step`) with the
// fields an InstrReader just decoded, so the single-pass compiler can run it
// alongside code generation: decode once, validate, emit. The operand stack
// is a Uint8Array of type codes (UNKNOWN = 0 is the bottom type of
// unreachable code) and control frames live in parallel typed arrays, so
// validation allocates nothing per instruction.
import { CompileError, invalid, malformed } from '../errors.js';
import { decodeModule, expandLocals } from './decoder.js';
import { InstrReader } from './instr-reader.js';
import { Check, opCheck, opLanes, opNaturalAlign, opParams, opResults, opSigArity, opSigParams, opSigResult } from './opcodes.js';
import { Reader } from './reader.js';
import { ConstExpr, FuncType, ModuleInfo, ValType, Vt, isNumType, isRefType } from './types.js';

/** Kinds of control frames. */
export const enum Frame { Func = 0, Block = 1, Loop = 2, If = 3, Else = 4 }

const EMPTY = new Uint8Array(0);
// One-element type vectors for the one-byte block types, indexed by bt + 0x80,
// so looking up a block's params/results never allocates.
const SINGLE: Uint8Array[] = [];
for (let t = 0; t < 0x80; t++) SINGLE.push(Uint8Array.of(t));

export class FunctionValidator {
  readonly m: ModuleInfo;
  private readonly types: FuncType[];
  private readonly numFuncs: number;

  /** Operand stack: value type codes; `sp` is its height. */
  vals = new Uint8Array(256);
  sp = 0;
  /** Control stack, one entry per open block; `depth` frames are open. */
  ctlKind = new Uint8Array(32);
  ctlType = new Int32Array(32);
  ctlHeight = new Uint32Array(32);
  ctlUnreachable = new Uint8Array(32);
  depth = 0;

  /** Whether the module has a memory (loads and stores are valid), for step's fast path. */
  private readonly hasMemory: boolean;
  /** The type of every global (index space), for global.get's fast path. */
  private readonly globalTypes: Uint8Array;
  /** Types of params and declared locals of the current function. */
  locals = new Uint8Array(64);
  numLocals = 0;
  funcIndex = -1;
  /** Set when the function's final `end` has been validated. */
  done = false;
  /** Offset of the instruction being validated, for errors. */
  private at = 0;

  // The opcode tables step and sig read per instruction, as fields (InstrReader says why).
  private readonly check = opCheck;
  private readonly naturalAlign = opNaturalAlign;
  private readonly sigArity = opSigArity;
  private readonly sigParams = opSigParams;
  private readonly sigResult = opSigResult;

  constructor(m: ModuleInfo) {
    this.m = m;
    this.types = m.types;
    this.numFuncs = m.funcTypeIndices.length;
    this.hasMemory = m.memories.length !== 0;
    this.globalTypes = Uint8Array.from(m.globals, (g) => g.type);
    // grown later: stored twice so V8 never takes it for a constant (reader.ts, GROWN_FIELDS)
    this.vals = new Uint8Array(256);
    this.ctlKind = new Uint8Array(32);
    this.ctlType = new Int32Array(32);
    this.ctlHeight = new Uint32Array(32);
    this.ctlUnreachable = new Uint8Array(32);
    this.locals = new Uint8Array(64);
  }

  /** Start validating a function of the module (index in the function index space). */
  begin(funcIndex: number): void {
    const m = this.m;
    const typeIndex = m.funcTypeIndices[funcIndex];
    const ft = this.types[typeIndex];
    const b = funcIndex - m.numImportedFuncs;
    const n = ft.params.length + m.codes.numLocals(b);
    if (n > this.locals.length) this.locals = new Uint8Array(n);
    this.numLocals = expandLocals(m, funcIndex, this.locals);
    this.funcIndex = funcIndex;
    this.sp = 0;
    this.depth = 0;
    this.done = false;
    this.at = m.codes.codeStart(b);
    // The function's frame: its params are locals, not operands.
    this.ctlKind[0] = Frame.Func;
    this.ctlType[0] = typeIndex;
    this.ctlHeight[0] = 0;
    this.ctlUnreachable[0] = 0;
    this.depth = 1;
  }

  fail(reason: string): never { throw invalid(reason, this.at, this.funcIndex); }

  // ---- block types -------------------------------------------------------

  paramsOf(bt: number): Uint8Array { return bt >= 0 ? this.types[bt].params : EMPTY; }
  resultsOf(bt: number): Uint8Array {
    return bt >= 0 ? this.types[bt].results : bt === Vt.BlockEmpty ? EMPTY : SINGLE[bt + 0x80];
  }
  /** Types a branch to frame `f` (counted from the bottom) carries. */
  labelTypes(f: number): Uint8Array {
    const bt = this.ctlType[f];
    return this.ctlKind[f] === Frame.Loop ? this.paramsOf(bt) : this.resultsOf(bt);
  }

  // ---- operand stack -----------------------------------------------------

  push(t: ValType): void {
    if (this.sp === this.vals.length) {
      const v = new Uint8Array(this.vals.length * 2);
      v.set(this.vals);
      this.vals = v;
    }
    this.vals[this.sp++] = t;
  }

  pop(): ValType {
    const f = this.depth - 1;
    if (this.sp === this.ctlHeight[f]) {
      if (this.ctlUnreachable[f]) return Vt.Unknown;
      this.fail('type mismatch');
    }
    return this.vals[--this.sp];
  }

  popExpect(t: ValType): ValType {
    const a = this.pop();
    if (a !== t && a !== Vt.Unknown && t !== Vt.Unknown) this.fail('type mismatch');
    return a;
  }

  popTypes(ts: Uint8Array): void {
    for (let i = ts.length - 1; i >= 0; i--) this.popExpect(ts[i]);
  }

  pushTypes(ts: Uint8Array): void {
    for (let i = 0; i < ts.length; i++) this.push(ts[i]);
  }

  // ---- control stack -----------------------------------------------------

  private pushCtl(kind: number, bt: number): void {
    const d = this.depth;
    if (d === this.ctlKind.length) this.growCtl();
    this.ctlKind[d] = kind;
    this.ctlType[d] = bt;
    this.ctlHeight[d] = this.sp;
    this.ctlUnreachable[d] = 0;
    this.depth = d + 1;
    this.pushTypes(this.paramsOf(bt));
  }

  private growCtl(): void {
    const n = this.ctlKind.length * 2;
    const k = new Uint8Array(n); k.set(this.ctlKind); this.ctlKind = k;
    const t = new Int32Array(n); t.set(this.ctlType); this.ctlType = t;
    const h = new Uint32Array(n); h.set(this.ctlHeight); this.ctlHeight = h;
    const u = new Uint8Array(n); u.set(this.ctlUnreachable); this.ctlUnreachable = u;
  }

  /** Pop the results of the innermost frame, which must leave its stack empty. */
  private popFrameResults(): void {
    const f = this.depth - 1;
    this.popTypes(this.resultsOf(this.ctlType[f]));
    if (this.sp !== this.ctlHeight[f]) this.fail('type mismatch');
  }

  /** The rest of the current block is unreachable: its stack becomes polymorphic. */
  setUnreachable(): void {
    const f = this.depth - 1;
    this.sp = this.ctlHeight[f];
    this.ctlUnreachable[f] = 1;
  }

  private blockType(bt: number): number {
    if (bt >= 0 && bt >= this.types.length) this.fail(`unknown type ${bt}`);
    return bt;
  }

  // The index helpers take an immediate as InstrReader holds it (u32 as int32) and read it `>>> 0`.
  private label(l: number): number {
    const u = l >>> 0;
    if (u >= this.depth) this.fail(`unknown label ${u}`);
    return this.depth - 1 - u;
  }

  private table(i: number): ValType {
    const u = i >>> 0;
    if (u >= this.m.tables.length) this.fail(`unknown table ${u}`);
    return this.m.tables[u].elemType;
  }

  private memory(): void {
    if (this.m.memories.length === 0) this.fail('unknown memory 0');
  }

  private dataSegment(i: number): void {
    const m = this.m;
    // Index first: without a data count section wast2json-made modules that
    // drop a segment that does not exist must still be "unknown data segment".
    const u = i >>> 0;
    if (u >= (m.dataCount ?? m.datas.length)) this.fail(`unknown data segment ${u}`);
    if (m.dataCount === null) throw malformed('data count section required', this.at, this.funcIndex);
  }

  private elemSegment(i: number): ValType {
    const u = i >>> 0;
    if (u >= this.m.elems.length) this.fail(`unknown elem segment ${u}`);
    return this.m.elems[u].elemType;
  }

  private funcType(i: number): FuncType {
    const u = i >>> 0;
    if (u >= this.numFuncs) this.fail(`unknown function ${u}`);
    return this.types[this.m.funcTypeIndices[u]];
  }

  /**
   * Pop the params of `code`'s signature and push its result. The common case, every param on
   * the stack above the frame's height with exactly its type, is checked on the packed
   * signature (opSigParams) without a loop over type arrays; everything else (too few operands,
   * UNKNOWN in unreachable code, a mismatch: the errors) takes the general path.
   */
  sig(code: number): void {
    const n = this.sigArity[code];
    const vals = this.vals;
    const sp = this.sp;
    const base = sp - n;
    // Kept small (V8 inlines it into the per-instruction loops only while their inlining budget
    // lasts): `sp < vals.length` leaves room for the result without growing the stack (sigFull
    // grows it), and the result is stored even when there is none (the slot is above the stack).
    if (base >= this.ctlHeight[this.depth - 1] && sp < vals.length) {
      let got = 0;
      for (let i = base; i < sp; i++) got = (got << 8) | vals[i];
      if (got === this.sigParams[code]) {
        const res = this.sigResult[code];
        vals[base] = res;
        this.sp = res === 0 ? base : base + 1;
        return;
      }
    }
    this.sigFull(code);
  }

  private sigFull(code: number): void {
    this.popTypes(opParams[code] as Uint8Array);
    this.pushTypes(opResults[code] as Uint8Array);
  }

  // ---- one instruction ---------------------------------------------------

  /**
   * Validate the instruction the reader has just decoded. The common cases (a fixed signature,
   * or a load or store with a valid alignment, whose operands are on the stack with their types;
   * local.get/set/tee of a local in range, global.get) are checked here, small enough for V8 to
   * inline this into the per-instruction loops; everything else, and every error, in stepFull.
   */
  step(ir: InstrReader): void {
    const code = ir.code;
    const check = this.check[code];
    // One call site of sig for both, so that V8 inlines one copy of it (with a second one, for
    // loads and stores in stepCommon, that one stayed a call: ~10% of a validation loop).
    if (check === Check.Sig || (check === Check.Mem && this.hasMemory && ir.align <= this.naturalAlign[code])) {
      this.at = ir.start;
      this.sig(code);
      return;
    }
    if (!this.stepCommon(ir, check)) this.stepFull(ir);
  }

  /** The common cases of step other than signatures; false if stepFull is to check it. Apart from
   *  step, and written to be small, so that V8 inlines step, this and InstrReader.next into the
   *  compiler's loop (its inlining budget is in bytecode bytes). */
  private stepCommon(ir: InstrReader, check: number): boolean {
    const i = ir.index >>> 0; // a u32 as int32 (InstrReader)
    const sp = this.sp;
    const vals = this.vals;
    if (check === Check.LocalGet || check === Check.GlobalGet) {
      const inRange = check === Check.LocalGet ? i < this.numLocals : i < this.globalTypes.length;
      if (!inRange || sp === vals.length) return false;
      vals[sp] = check === Check.LocalGet ? this.locals[i] : this.globalTypes[i];
      this.sp = sp + 1;
      return true;
    }
    if (sp <= this.ctlHeight[this.depth - 1]) return false; // the rest pop an operand
    if (check === Check.LocalSet || check === Check.LocalTee) {
      if (i >= this.numLocals || vals[sp - 1] !== this.locals[i]) return false;
      if (check === Check.LocalSet) this.sp = sp - 1;
      return true;
    }
    if (check === Check.Drop) { this.sp = sp - 1; return true; }
    return false;
  }

  private stepFull(ir: InstrReader): void {
    const code = ir.code;
    this.at = ir.start;
    switch (opCheck[code]) {
      case Check.Sig: this.sig(code); return;
      case Check.Mem:
        this.memory();
        if (ir.align > opNaturalAlign[code]) this.fail('alignment must not be larger than natural');
        this.sig(code);
        return;
      case Check.Lane:
        if (ir.lane >= opLanes[code]) this.fail('invalid lane index');
        this.sig(code);
        return;
      case Check.MemLane:
        this.memory();
        if (ir.align > opNaturalAlign[code]) this.fail('alignment must not be larger than natural');
        if (ir.lane >= opLanes[code]) this.fail('invalid lane index');
        this.sig(code);
        return;
      case Check.Shuffle:
        for (let i = 0; i < 16; i++) if (ir.v128[i] >= 32) this.fail('invalid lane index');
        this.sig(code);
        return;
      case Check.Unreachable: this.setUnreachable(); return;
      case Check.Nop: return;
      case Check.Block: case Check.Loop: {
        const bt = this.blockType(ir.blockType);
        this.popTypes(this.paramsOf(bt));
        this.pushCtl(opCheck[code] === Check.Block ? Frame.Block : Frame.Loop, bt);
        return;
      }
      case Check.If: {
        const bt = this.blockType(ir.blockType);
        this.popExpect(Vt.I32);
        this.popTypes(this.paramsOf(bt));
        this.pushCtl(Frame.If, bt);
        return;
      }
      case Check.Else: {
        const f = this.depth - 1;
        if (this.ctlKind[f] !== Frame.If) throw malformed('else without matching if', this.at, this.funcIndex);
        this.popFrameResults();
        this.ctlKind[f] = Frame.Else;
        this.ctlUnreachable[f] = 0;
        this.pushTypes(this.paramsOf(this.ctlType[f]));
        return;
      }
      case Check.End: {
        const f = this.depth - 1;
        this.popFrameResults();
        const bt = this.ctlType[f];
        if (this.ctlKind[f] === Frame.If && !sameTypes(this.paramsOf(bt), this.resultsOf(bt))) {
          // An `if` without `else` behaves as if the else branch were empty.
          this.fail('type mismatch');
        }
        this.depth = f;
        if (f === 0) { this.done = true; return; }
        this.pushTypes(this.resultsOf(bt));
        return;
      }
      case Check.Br:
        this.popTypes(this.labelTypes(this.label(ir.index)));
        this.setUnreachable();
        return;
      case Check.BrIf: {
        const f = this.label(ir.index);
        this.popExpect(Vt.I32);
        const ts = this.labelTypes(f);
        this.popTypes(ts);
        this.pushTypes(ts);
        return;
      }
      case Check.BrTable: this.brTable(ir); return;
      case Check.Return:
        this.popTypes(this.resultsOf(this.ctlType[0]));
        this.setUnreachable();
        return;
      case Check.Call: {
        const ft = this.funcType(ir.index);
        this.popTypes(ft.params);
        this.pushTypes(ft.results);
        return;
      }
      case Check.CallIndirect: {
        if (this.table(ir.index2) !== Vt.FuncRef) this.fail('type mismatch');
        const ti = ir.index >>> 0;
        if (ti >= this.types.length) this.fail(`unknown type ${ti}`);
        const ft = this.types[ti];
        this.popExpect(Vt.I32);
        this.popTypes(ft.params);
        this.pushTypes(ft.results);
        return;
      }
      case Check.Drop: this.pop(); return;
      case Check.Select: {
        this.popExpect(Vt.I32);
        const t1 = this.pop();
        const t2 = this.pop();
        const num1 = t1 === Vt.Unknown || isNumType(t1), num2 = t2 === Vt.Unknown || isNumType(t2);
        const vec1 = t1 === Vt.Unknown || t1 === Vt.V128, vec2 = t2 === Vt.Unknown || t2 === Vt.V128;
        if (!((num1 && num2) || (vec1 && vec2))) this.fail('type mismatch');
        if (t1 !== t2 && t1 !== Vt.Unknown && t2 !== Vt.Unknown) this.fail('type mismatch');
        this.push(t1 === Vt.Unknown ? t2 : t1);
        return;
      }
      case Check.SelectT: {
        if (ir.numTargets !== 1) this.fail('invalid result arity');
        const t = ir.i32;
        this.popExpect(Vt.I32);
        this.popExpect(t);
        this.popExpect(t);
        this.push(t);
        return;
      }
      case Check.LocalGet: this.push(this.local(ir.index)); return;
      case Check.LocalSet: this.popExpect(this.local(ir.index)); return;
      case Check.LocalTee: { const t = this.local(ir.index); this.popExpect(t); this.push(t); return; }
      case Check.GlobalGet: this.push(this.global(ir.index).type); return;
      case Check.GlobalSet: {
        const g = this.global(ir.index);
        if (!g.mutable) this.fail('global is immutable');
        this.popExpect(g.type);
        return;
      }
      case Check.TableGet: { const t = this.table(ir.index); this.popExpect(Vt.I32); this.push(t); return; }
      case Check.TableSet: { const t = this.table(ir.index); this.popExpect(t); this.popExpect(Vt.I32); return; }
      case Check.MemorySize: case Check.MemoryGrow: case Check.MemoryCopy: case Check.MemoryFill:
        this.memory();
        this.sig(code);
        return;
      case Check.RefNull: this.push(ir.i32); return;
      case Check.RefIsNull: {
        const t = this.pop();
        if (t !== Vt.Unknown && !isRefType(t)) this.fail('type mismatch');
        this.push(Vt.I32);
        return;
      }
      case Check.RefFunc:
        this.funcType(ir.index);
        if (!this.m.declaredFuncRefs.has(ir.index)) this.fail('undeclared function reference');
        this.push(Vt.FuncRef);
        return;
      case Check.MemoryInit:
        this.memory();
        this.dataSegment(ir.index);
        this.sig(code);
        return;
      case Check.DataDrop: this.dataSegment(ir.index); return;
      case Check.TableInit: {
        const t = this.table(ir.index2);
        if (this.elemSegment(ir.index) !== t) this.fail('type mismatch');
        this.sig(code);
        return;
      }
      case Check.ElemDrop: this.elemSegment(ir.index); return;
      case Check.TableCopy: {
        const dst = this.table(ir.index);
        if (this.table(ir.index2) !== dst) this.fail('type mismatch');
        this.sig(code);
        return;
      }
      case Check.TableGrow: {
        const t = this.table(ir.index);
        this.popExpect(Vt.I32);
        this.popExpect(t);
        this.push(Vt.I32);
        return;
      }
      case Check.TableSize: this.table(ir.index); this.push(Vt.I32); return;
      case Check.TableFill: {
        const t = this.table(ir.index);
        this.popExpect(Vt.I32);
        this.popExpect(t);
        this.popExpect(Vt.I32);
        return;
      }
    }
  }

  private local(i: number): ValType {
    const u = i >>> 0;
    if (u >= this.numLocals) this.fail(`unknown local ${u}`);
    return this.locals[u];
  }

  private global(i: number): { type: ValType; mutable: boolean } {
    const u = i >>> 0;
    if (u >= this.m.globals.length) this.fail(`unknown global ${u}`);
    return this.m.globals[u];
  }

  private brTable(ir: InstrReader): void {
    this.popExpect(Vt.I32);
    const def = this.label(ir.index);
    const arity = this.labelTypes(def).length;
    for (let i = 0; i < ir.numTargets; i++) {
      const f = this.label(ir.targets[i]);
      const ts = this.labelTypes(f);
      if (ts.length !== arity) this.fail('type mismatch');
      // Check the operands against this label without consuming them (the
      // spec's push_vals(pop_vals(...))): popping never writes to the
      // stack, so restoring sp restores exactly what was there.
      const sp = this.sp;
      this.popTypes(ts);
      this.sp = sp;
    }
    this.popTypes(this.labelTypes(def));
    this.setUnreachable();
  }
}

function sameTypes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Validate one function body: the loop the compiler will run, minus the
 * code generation. `ir` and `v` are reused across functions.
 */
export function validateFunction(m: ModuleInfo, funcIndex: number, ir: InstrReader, v: FunctionValidator): void {
  const b = funcIndex - m.numImportedFuncs;
  ir.reset(m.codes.codeStart(b), m.codes.end(b), funcIndex);
  v.begin(funcIndex);
  while (!v.done) {
    if (ir.atEnd()) throw malformed('END opcode expected', ir.pos, funcIndex);
    ir.next();
    v.step(ir);
  }
  if (!ir.atEnd()) throw malformed('section size mismatch', ir.pos, funcIndex);
}

// ---- module-level rules ----------------------------------------------------

const MAX_PAGES = 65536;

export function validateModuleInfo(m: ModuleInfo): void {
  const fail = (reason: string, at: number): never => { throw invalid(reason, at); };
  const nTypes = m.types.length;
  const nFuncs = m.funcTypeIndices.length;
  for (let i = 0; i < nFuncs; i++) {
    if (m.funcTypeIndices[i] >= nTypes) {
      const at = i < m.numImportedFuncs ? importOffset(m, 'func', i) : 0;
      fail(`unknown type ${m.funcTypeIndices[i]}`, at);
    }
  }
  for (const t of m.tables) {
    if (t.limits.max !== null && t.limits.min > t.limits.max) fail('size minimum must not be greater than maximum', 0);
  }
  if (m.memories.length > 1) fail('multiple memories', 0);
  for (const mem of m.memories) {
    const { min, max } = mem.limits;
    if (min > MAX_PAGES || (max !== null && max > MAX_PAGES)) fail('memory size must be at most 65536 pages (4GiB)', 0);
    if (max !== null && min > max) fail('size minimum must not be greater than maximum', 0);
  }
  m.globalInits.forEach((init, i) => {
    constExpr(m, init, m.globals[m.numImportedGlobals + i].type);
  });
  const names = new Set<string>();
  for (const e of m.exports) {
    if (names.has(e.name)) fail('duplicate export name', e.offset);
    names.add(e.name);
    const limit = e.kind === 'func' ? nFuncs : e.kind === 'table' ? m.tables.length
      : e.kind === 'memory' ? m.memories.length : m.globals.length;
    if (e.index >= limit) fail(`unknown ${e.kind === 'func' ? 'function' : e.kind} ${e.index}`, e.offset);
  }
  if (m.start !== null) {
    if (m.start >= nFuncs) fail(`unknown function ${m.start}`, 0);
    const ft = m.types[m.funcTypeIndices[m.start]];
    if (ft.params.length !== 0 || ft.results.length !== 0) fail('start function', 0);
  }
  for (const e of m.elems) {
    if (e.mode === 'active') {
      if (e.table >= m.tables.length) fail(`unknown table ${e.table}`, e.offset);
      constExpr(m, e.offsetExpr as ConstExpr, Vt.I32);
      if (m.tables[e.table].elemType !== e.elemType) fail('type mismatch', e.offset);
    }
    if (e.funcIndices) {
      for (const f of e.funcIndices) if (f >= nFuncs) fail(`unknown function ${f}`, e.offset);
    } else {
      for (const x of e.exprs as ConstExpr[]) constExpr(m, x, e.elemType);
    }
  }
  for (const d of m.datas) {
    if (d.mode === 'active') {
      if (d.memory >= m.memories.length) fail(`unknown memory ${d.memory}`, d.offset);
      constExpr(m, d.offsetExpr as ConstExpr, Vt.I32);
    }
  }
}

function importOffset(m: ModuleInfo, kind: string, index: number): number {
  let k = 0;
  for (const imp of m.imports) if (imp.desc.kind === kind && k++ === index) return imp.offset;
  return 0;
}

/**
 * Constant expressions of Wasm 2.0: one constant instruction; global.get may
 * only read imported immutable globals (the context C' of the spec).
 */
function constExpr(m: ModuleInfo, e: ConstExpr, expected: ValType): void {
  const fail = (reason: string): never => { throw invalid(reason, e.start); };
  if (e.nonConstAt >= 0) throw invalid('constant expression required', e.nonConstAt);
  if (e.i32 !== undefined) {
    if (expected !== Vt.I32) fail('type mismatch');
    return;
  }
  let type: ValType = Vt.Unknown;
  for (const op of e.ops) {
    switch (op.op) {
      case 'i32.const': type = Vt.I32; break;
      case 'i64.const': type = Vt.I64; break;
      case 'f32.const': type = Vt.F32; break;
      case 'f64.const': type = Vt.F64; break;
      case 'v128.const': type = Vt.V128; break;
      case 'ref.null': type = op.type; break;
      case 'ref.func':
        if (op.func >= m.funcTypeIndices.length) fail(`unknown function ${op.func}`);
        type = Vt.FuncRef;
        break;
      case 'global.get':
        if (op.global >= m.numImportedGlobals) fail(`unknown global ${op.global}`);
        if (m.globals[op.global].mutable) fail('constant expression required');
        type = m.globals[op.global].type;
        break;
    }
  }
  if (e.ops.length !== 1 || type !== expected) fail('type mismatch');
}

/**
 * Decode one body without validating it: only the binary-format rules
 * (instruction encodings, nesting of block/end, the body's exact size, the
 * data count requirement).
 */
export function scanFunction(m: ModuleInfo, funcIndex: number, ir: InstrReader): void {
  const b = funcIndex - m.numImportedFuncs;
  ir.reset(m.codes.codeStart(b), m.codes.end(b), funcIndex);
  let depth = 1;
  while (depth > 0) {
    if (ir.atEnd()) throw malformed('END opcode expected', ir.pos, funcIndex);
    const op = ir.next();
    if (op === 0x02 || op === 0x03 || op === 0x04) depth++;
    else if (op === 0x0b) depth--;
    else if ((op === 0xfc08 || op === 0xfc09) && m.dataCount === null && (ir.index >>> 0) < m.datas.length) {
      throw malformed('data count section required', ir.start, funcIndex);
    }
  }
  if (!ir.atEnd()) throw malformed('section size mismatch', ir.pos, funcIndex);
}

/** Decode and fully validate a module; throws CompileError. */
export function validateModule(bytes: Uint8Array): ModuleInfo {
  const m = decodeModule(bytes);
  const ir = new InstrReader(new Reader(bytes));
  let i = m.numImportedFuncs;
  try {
    validateModuleInfo(m);
    const v = new FunctionValidator(m);
    for (; i < m.funcTypeIndices.length; i++) validateFunction(m, i, ir, v);
  } catch (e) {
    // Decoding and validating happen in one pass, but the spec decodes the
    // whole module before validating any of it: when a module is both
    // ill-typed and (further on) malformed, it is malformed. Only the error
    // path pays for this second look at the remaining bodies.
    if (e instanceof CompileError && e.kind === 'invalid') {
      for (let j = Math.max(i, m.numImportedFuncs); j < m.funcTypeIndices.length; j++) scanFunction(m, j, ir);
    }
    throw e;
  }
  return m;
}
