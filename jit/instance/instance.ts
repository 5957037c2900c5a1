// Instantiation: resolve imports, lay out the instance's vmctx area, evaluate globals, create
// tables and memory, fill funcref records, initialise element then data segments (spec 2.0
// order and bounds rules: a failing segment traps, earlier writes stay), run the start function.
//
// vmctx trailing area (Vmctx extra bytes), all addressed through vmctx pointers:
//   globals  8 bytes per global: own globals hold the value, imported ones a pointer to the cell
//   funcRefs 32-byte funcref record {code, vmctx, typeId} per function index
//   typeIds  u32 canonical type id per module type index
//   tables   16-byte descriptor {base, length} per table index
import { VMCTX, FUNCREF as REC, TABLE_DESC } from '../../abi/vmctx.js';
import { TrapCode, trapInfo } from '../../abi/traps.js';
import { Trap, Vmctx } from '../runtime/index.js';
import { LinkError, RuntimeError } from '../errors.js';
import { globalLayout } from '../../abi/globals.js';
import { RT_BASE } from '../compiler/runtime-calls.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { F32, F64, I32, I64, V128, type ConstExpr, type FuncType, type ModuleInfo, type ValType } from '../types.js';
import { Global } from './globals.js';
import { Memory } from './memory.js';
import { Table } from './tables.js';
import { FUNC_INFO, funcInfoOf, type FuncInfo, type HostCallTarget, type Store, type WasmFunction } from './store.js';
import { memoryInit, runtimeCall, tableInit, type SegmentState } from './segments.js';
import { bitsToNum, numToBits } from './values.js';

export type ImportObject = Record<string, Record<string, unknown>>;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export class Instance implements HostCallTarget {
  readonly exports: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly vmctx: Vmctx;
  readonly funcs: WasmFunction[] = [];
  readonly globals: Global[] = [];
  readonly tables: Table[] = [];
  memory: Memory | null = null;
  private hostImports: { fn: (...a: unknown[]) => unknown; type: FuncType }[] = [];
  private seg: SegmentState;
  private readonly info: ModuleInfo;

  constructor(readonly store: Store, readonly module: CompiledModule, codeBase: bigint, imports: ImportObject) {
    const m = (this.info = module.info);
    const nG = m.globals.length, nF = m.funcTypeIndices.length, nT = m.types.length, nTab = m.tables.length;
    const gl = globalLayout(Uint8Array.from(m.globals, (g) => g.type), m.numImportedGlobals);
    const offGlobals = 0, offFuncs = align8(offGlobals + gl.bytes);
    const offTypes = offFuncs + REC.size * nF, offTables = align8(offTypes + 4 * nT);
    const v = (this.vmctx = new Vmctx(offTables + TABLE_DESC.size * nTab));
    const extra = v.extraOffset;
    const buf = v.buf;
    store.onDispose(() => { store.detachVmctx(v); v.dispose(); });
    v.set('globalsBase', v.extraAddress(offGlobals));
    v.set('funcRefs', v.extraAddress(offFuncs));
    v.set('typeIds', v.extraAddress(offTypes));
    v.set('tables', v.extraAddress(offTables));
    store.attachVmctx(v, this);
    this.seg = { memory: null, tables: this.tables, datas: m.datas.map((d) => d.bytes), elems: [] };

    const typeIds = m.types.map((t) => store.canonicalTypeId(t));
    typeIds.forEach((id, i) => buf.writeUInt32LE(id, extra + offTypes + 4 * i));
    const recordAddr = (f: number): bigint => v.extraAddress(offFuncs + REC.size * f);
    const writeRecord = (f: number, info: FuncInfo): void => {
      const o = extra + offFuncs + REC.size * f;
      buf.writeBigUInt64LE(info.code, o + REC.code);
      buf.writeBigUInt64LE(info.vmctx.addr, o + REC.vmctx);
      buf.writeUInt32LE(info.typeId, o + REC.typeId);
    };

    // ---- imports ----
    let fi = 0, gi = 0, ti = 0;
    for (const imp of m.imports) {
      const mod = imports[imp.module];
      const val = mod === undefined || mod === null ? undefined : (mod as Record<string, unknown>)[imp.name];
      if (val === undefined) throw new LinkError(`unknown import ${imp.module}.${imp.name}`);
      const d = imp.desc;
      if (d.kind === 'func') {
        const f = fi++;
        const ft = m.types[d.typeIndex];
        const other = funcInfoOf(val);
        if (other) {
          if (other.typeId !== typeIds[d.typeIndex]) throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
          writeRecord(f, other);
          this.funcs.push(val as WasmFunction);
          store.registerRecord(recordAddr(f), val as WasmFunction);
        } else if (typeof val === 'function') {
          const fn = val as (...a: unknown[]) => unknown;
          this.hostImports[f] = { fn, type: ft };
          const info: FuncInfo = { code: codeBase + BigInt(module.funcOffsets[f]), vmctx: v, type: ft, typeId: typeIds[d.typeIndex], record: recordAddr(f), host: fn };
          writeRecord(f, info);
          const wf = makeFunction(store, info);
          this.funcs.push(wf);
          store.registerRecord(info.record, wf);
        } else throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
      } else if (d.kind === 'global') {
        if (!(val instanceof Global) || val.type !== d.global.type || val.mutable !== d.global.mutable) {
          throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
        }
        buf.writeBigUInt64LE(val.addr, extra + offGlobals + gl.offsets[gi]);
        this.globals.push(val);
        gi++;
      } else if (d.kind === 'table') {
        const t = d.table;
        if (!(val instanceof Table) || val.elemType !== t.elemType || !limitsMatch(val.length, val.max, t.limits.min, t.limits.max)) {
          throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
        }
        this.tables.push(val);
        ti++;
      } else {
        const lim = d.memory.limits;
        if (!(val instanceof Memory) || !limitsMatch(val.pages, val.max, lim.min, lim.max)) {
          throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
        }
        this.memory = val;
      }
    }

    // ---- own functions ----
    for (let f = m.numImportedFuncs; f < nF; f++) {
      const ti2 = m.funcTypeIndices[f];
      const info: FuncInfo = { code: codeBase + BigInt(module.funcOffsets[f]), vmctx: v, type: m.types[ti2], typeId: typeIds[ti2], record: recordAddr(f) };
      writeRecord(f, info);
      const wf = makeFunction(store, info);
      this.funcs.push(wf);
      store.registerRecord(info.record, wf);
    }

    // ---- globals ----
    for (let g = m.numImportedGlobals; g < nG; g++) {
      const gt = m.globals[g];
      const off = extra + offGlobals + gl.offsets[g];
      const global = new Global(gt.type, gt.mutable, v.extraAddress(offGlobals + gl.offsets[g]), buf, off, store);
      global.bits = this.evalConst(m.globalInits[g - m.numImportedGlobals]);
      this.globals.push(global);
    }

    // ---- tables and memory ----
    for (let t = ti; t < nTab; t++) {
      const tt = m.tables[t];
      this.tables.push(new Table(store, tt.elemType, tt.limits.min, tt.limits.max, 0n));
    }
    this.tables.forEach((t, i) => t.attach(buf, extra + offTables + TABLE_DESC.size * i));
    if (m.memories.length > 0 && this.memory === null) {
      const lim = m.memories[0].limits;
      const mem = new Memory(lim.min, lim.max);
      store.onDispose(() => mem.dispose());
      this.memory = mem;
    }
    if (this.memory) this.memory.attach(v);
    this.seg.memory = this.memory;
    // r14 for a module without memory: never used for an access (validation), but defined.
    if (!this.memory) v.set('memoryBase', 0n);
    void VMCTX;

    // ---- exports ----
    for (const e of m.exports) {
      this.exports[e.name] = e.kind === 'func' ? this.funcs[e.index]
        : e.kind === 'global' ? this.globals[e.index]
          : e.kind === 'table' ? this.tables[e.index] : this.memory;
    }

    // ---- segments ----
    this.seg.elems = m.elems.map((e) => {
      if (e.funcIndices) return Array.from(e.funcIndices, (f) => recordAddr(f));
      return (e.exprs ?? []).map((x) => this.evalConst(x));
    });
    m.elems.forEach((e, i) => {
      if (e.mode === 'active') {
        const off = Number(this.evalConst(e.offsetExpr as ConstExpr) & 0xffffffffn);
        const items = this.seg.elems[i] ?? [];
        const r = tableInit(this.seg, off, 0, items.length, i, e.table);
        if (r !== 0n) throw trapError(Number(r));
      }
      if (e.mode !== 'passive') this.seg.elems[i] = null;
    });
    m.datas.forEach((d, i) => {
      if (d.mode !== 'active') return;
      const off = Number(this.evalConst(d.offsetExpr as ConstExpr) & 0xffffffffn);
      const r = memoryInit(this.seg, off, 0, d.bytes.length, i);
      if (r !== 0n) throw trapError(Number(r));
      this.seg.datas[i] = null;
    });

    if (m.start !== null) this.funcs[m.start]();
  }

  private evalConst(e: ConstExpr): bigint {
    const op = e.ops[0];
    switch (op.op) {
      case 'i32.const': return BigInt(op.value >>> 0);
      case 'i64.const': return BigInt.asUintN(64, op.value);
      case 'f32.const': return BigInt(op.bits >>> 0);
      case 'f64.const': return (BigInt(op.hi >>> 0) << 32n) | BigInt(op.lo >>> 0);
      case 'ref.null': return 0n;
      case 'ref.func': return this.recordOf(op.func);
      case 'global.get': return this.globals[op.global].bits;
      case 'v128.const': {
        let b = 0n;
        for (let i = 15; i >= 0; i--) b = (b << 8n) | BigInt(op.bytes[i]);
        return b;
      }
    }
  }

  private recordOf(f: number): bigint {
    return this.vmctx.get('funcRefs') + BigInt(REC.size * f);
  }

  hostCall(index: number, args: bigint[]): bigint[] {
    if (index >= RT_BASE) return runtimeCall(this.seg, index, args);
    const h = this.hostImports[index];
    if (!h) throw new Error(`host call to import ${index}, which is not a host function`);
    return callHost(this.store, h.fn, h.type, args);
  }
}

function limitsMatch(actualMin: number, actualMax: number | null, min: number, max: number | null): boolean {
  if (actualMin < min) return false;
  if (max === null) return true;
  return actualMax !== null && actualMax <= max;
}

export function trapError(code: number): RuntimeError {
  const e = new RuntimeError(trapInfo(code).message);
  return e;
}

/** JS-API value -> slot bits. */
export function toBits(store: Store, t: ValType, v: unknown): bigint {
  if (t === I32 || t === I64 || t === F32 || t === F64) return numToBits(t, v);
  return store.refToBits(t, v);
}
export function fromBits(store: Store, t: ValType, b: bigint): unknown {
  if (t === I32 || t === I64 || t === F32 || t === F64) return bitsToNum(t, b);
  return store.refFromBits(t, b);
}

/** A JS host function called from wasm: raw slots in, raw slots out. */
function callHost(store: Store, fn: (...a: unknown[]) => unknown, type: FuncType, args: bigint[]): bigint[] {
  // As in V8's JS API: a v128 has no JS value.
  if (type.params.includes(V128) || type.results.includes(V128)) throw new TypeError('type incompatibility when transforming from/to JS (v128)');
  const jsArgs = Array.from(type.params, (t, i) => fromBits(store, t, args[i]));
  const r = fn(...jsArgs);
  const nr = type.results.length;
  if (nr === 0) return [];
  if (nr === 1) return [toBits(store, type.results[0], r)];
  const arr = Array.from(r as Iterable<unknown>);
  return Array.from(type.results, (t, i) => toBits(store, t, arr[i]));
}

/** The JS function object for a wasm (or host) function; [FUNC_INFO] carries what to call. */
export function makeFunction(store: Store, info: FuncInfo): WasmFunction {
  const f = ((...args: unknown[]): unknown => {
    const t = info.type;
    if (info.host) return info.host(...args);
    if (t.params.includes(V128) || t.results.includes(V128)) throw new TypeError('type incompatibility when transforming from/to JS (v128)');
    const bits = Array.from(t.params, (p, i) => toBits(store, p, args[i]));
    const r = callRaw(store, info, bits);
    if (t.results.length === 0) return undefined;
    if (t.results.length === 1) return fromBits(store, t.results[0], r[0]);
    return Array.from(t.results, (rt, i) => fromBits(store, rt, r[i]));
  }) as WasmFunction;
  f[FUNC_INFO] = info;
  return f;
}

/** Call with raw slot bits (NaN payloads preserved); traps become RuntimeError / RangeError. */
export function callRaw(store: Store, info: FuncInfo, bits: bigint[]): bigint[] {
  if (info.host) return callHost(store, info.host, info.type, bits);
  try {
    return store.call(info, bits);
  } catch (e) {
    if (e instanceof Trap) {
      // Stack exhaustion is a RangeError as in V8's JS API, but it is still our trap (message
      // "call stack exhausted", from the prologue's stack-limit check or the guard page, never
      // V8's JS stack): keep the Trap on it, as on RuntimeError, for kind, pc and backtraces.
      const err = e.code === TrapCode.stackOverflow ? new RangeError(e.message) : new RuntimeError(e.message);
      (err as RuntimeError & { trap?: Trap }).trap = e;
      throw err;
    }
    throw e;
  }
}
