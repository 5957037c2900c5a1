// Instantiation in user space: resolve imports, lay out the instance's vmctx area, fill funcref
// records, create tables and memory, then apply the instance plan (plan.ts: canonical type ids,
// global values, element then data segments with the spec's order and bounds rules, shared with
// the kernel loader), run the start function.
//
// vmctx trailing area (Vmctx extra bytes), all addressed through vmctx pointers:
//   globals  8 bytes per global (abi/globals.ts; an own v128 16): own globals hold the value,
//            imported ones a pointer to the cell; first, right after the header, where
//            compiled code reads them (abi VMCTX_GLOBALS)
//   funcRefs 32-byte funcref record {code, vmctx, typeId} per function index
//   typeIds  u32 canonical type id per module type index
//   tables   16-byte descriptor {base, length} per table index
import { VMCTX, VMCTX_GLOBALS, VMCTX_SIZE, FUNCREF as REC, TABLE_DESC } from '../../abi/vmctx.js';
import { Trap, Vmctx } from '../runtime/index.js';
import { globalLayout } from '../../abi/globals.js';
import { RT_BASE } from '../compiler/runtime-calls.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { F32, F64, I32, I64, type FuncType, type ModuleInfo, type ValType } from '../frontend/types.js';
import { Global } from './globals.js';
import { Memory } from './memory.js';
import { Table } from './tables.js';
import { FUNC_INFO, funcInfoOf, type FuncInfo, type HostCallTarget, type Store, type WasmFunction } from './store.js';
import { memoryInit, runtimeCall, tableInit, type SegmentState } from './segments.js';
import { bitsToNum, numToBits } from './values.js';
import { callHost, callWithValues, trapToError, type ValueCodec } from './boundary.js';
import { moduleBytes } from '../frontend/decoder.js';
import { applyActions, incompatibleImport, keptAfterInit, limitsMatch, lookupImport, planInstance, type DataAction, type ImportObject } from './plan.js';

export type { ImportObject } from './plan.js';

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export class Instance implements HostCallTarget {
  readonly exports: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly vmctx: Vmctx;
  /**
   * The JS function object of each function index, made on first use (exports, a funcref that
   * reaches JS, the start function): a module of 17.8k functions (ruby) whose JS side touches a
   * few dozen does not pay for 17.8k closures and FuncInfos at instantiation. Imported wasm
   * functions are the exporter's objects, set when linking.
   */
  private readonly funcObjs: (WasmFunction | undefined)[] = [];
  private readonly funcInfo: (f: number) => FuncInfo;
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
    const offGlobals = VMCTX_GLOBALS - VMCTX_SIZE, offFuncs = align8(offGlobals + gl.bytes);
    const offTypes = offFuncs + REC.size * nF, offTables = align8(offTypes + 4 * nT);
    const v = (this.vmctx = new Vmctx(offTables + TABLE_DESC.size * nTab));
    const extra = v.extraOffset;
    const w = v.words;
    store.onDispose(() => { store.detachVmctx(v); v.dispose(); });
    v.set('funcRefs', v.extraAddress(offFuncs));
    v.set('typeIds', v.extraAddress(offTypes));
    v.set('tables', v.extraAddress(offTables));
    store.attachVmctx(v, this);
    this.seg = { memory: null, tables: this.tables, module: m.bytes, datas: m.datas.slice(), elems: [] };

    const typeIds = store.typeIds.of(m);
    typeIds.forEach((id, i) => w.setUint32(extra + offTypes + 4 * i, id, true));
    const recordAddr = (f: number): bigint => v.extraAddress(offFuncs + REC.size * f);
    const writeRecord = (f: number, info: FuncInfo): void => {
      const o = extra + offFuncs + REC.size * f;
      w.setBigUint64(o + REC.code, info.code, true);
      w.setBigUint64(o + REC.vmctx, info.vmctx.addr, true);
      w.setUint32(o + REC.typeId, info.typeId, true);
    };
    /** What to call for function index f when it runs this instance's code (own functions, and JS imports through their thunk). */
    this.funcInfo = (f) => {
      const typeIndex = m.funcTypeIndices[f];
      return { code: codeBase + BigInt(module.funcOffsets[f]), vmctx: v, type: m.types[typeIndex], typeId: typeIds[typeIndex], record: recordAddr(f), host: this.hostImports[f]?.fn };
    };
    // Own functions' (and JS imports') records are written here in one loop, as two u32 halves
    // (no BigInt and no object per function: ruby has 17.8k); the JS objects come on demand.
    const baseLo = Number(codeBase & 0xffffffffn), baseHi = Number(codeBase >> 32n);
    const vmLo = Number(v.addr & 0xffffffffn), vmHi = Number(v.addr >> 32n);
    const writeOwnRecord = (f: number): void => {
      const o = extra + offFuncs + REC.size * f;
      const lo = baseLo + module.funcOffsets[f];
      w.setUint32(o + REC.code, lo >>> 0, true);
      w.setUint32(o + REC.code + 4, baseHi + (lo >= 0x1_0000_0000 ? 1 : 0), true);
      w.setUint32(o + REC.vmctx, vmLo, true);
      w.setUint32(o + REC.vmctx + 4, vmHi, true);
      w.setUint32(o + REC.typeId, typeIds[m.funcTypeIndices[f]], true);
    };
    // funcref bits -> function object: the store asks the instance whose record range holds them
    store.addRecordRange(recordAddr(0), recordAddr(nF), (f) => this.func(f));
    store.onDispose(() => store.removeRecordRange(recordAddr(0)));

    // ---- imports ----
    let fi = 0, gi = 0, ti = 0;
    for (const imp of m.imports) {
      const val = lookupImport(imports, imp);
      const d = imp.desc;
      if (d.kind === 'func') {
        const f = fi++;
        const ft = m.types[d.typeIndex];
        const other = funcInfoOf(val);
        if (other) {
          if (other.typeId !== typeIds[d.typeIndex]) throw incompatibleImport(imp);
          writeRecord(f, other);
          this.funcObjs[f] = val as WasmFunction;
        } else if (typeof val === 'function') {
          this.hostImports[f] = { fn: val as (...a: unknown[]) => unknown, type: ft };
          writeOwnRecord(f);
        } else throw incompatibleImport(imp);
      } else if (d.kind === 'global') {
        if (!(val instanceof Global) || val.type !== d.global.type || val.mutable !== d.global.mutable) {
          throw incompatibleImport(imp);
        }
        w.setBigUint64(extra + offGlobals + gl.offsets[gi], val.addr, true);
        this.globals.push(val);
        gi++;
      } else if (d.kind === 'table') {
        const t = d.table;
        if (!(val instanceof Table) || val.elemType !== t.elemType || !limitsMatch(val.length, val.max, t.limits.min, t.limits.max)) {
          throw incompatibleImport(imp);
        }
        this.tables.push(val);
        ti++;
      } else {
        const lim = d.memory.limits;
        if (!(val instanceof Memory) || !limitsMatch(val.pages, val.max, lim.min, lim.max)) {
          throw incompatibleImport(imp);
        }
        this.memory = val;
      }
    }

    // ---- own functions ----
    for (let f = m.numImportedFuncs; f < nF; f++) writeOwnRecord(f);

    // ---- the plan: constants over the linked imports ----
    const plan = planInstance(m, typeIds, { funcRef: recordAddr, importedGlobal: (g) => this.globals[g].bits });

    // ---- globals ----
    for (let g = m.numImportedGlobals; g < nG; g++) {
      const gt = m.globals[g];
      // an own v128 global takes 16 bytes (abi/globals.ts); the Global's setter writes them all
      const off = extra + offGlobals + gl.offsets[g];
      const global = new Global(gt.type, gt.mutable, v.extraAddress(offGlobals + gl.offsets[g]), w, off, store);
      global.bits = plan.globals[g - m.numImportedGlobals];
      this.globals.push(global);
    }

    // ---- tables and memory ----
    for (let t = ti; t < nTab; t++) {
      const tt = m.tables[t];
      this.tables.push(new Table(store, tt.elemType, tt.limits.min, tt.limits.max, 0n));
    }
    this.tables.forEach((t, i) => t.attach(w, extra + offTables + TABLE_DESC.size * i));
    let ownMemory = false;
    if (m.memories.length > 0 && this.memory === null) {
      const lim = m.memories[0].limits;
      const mem = new Memory(lim.min, lim.max);
      store.onDispose(() => mem.dispose());
      this.memory = mem;
      ownMemory = true;
    }
    if (this.memory) this.memory.attach(v);
    this.seg.memory = this.memory;
    // r14 for a module without memory: never used for an access (validation), but defined.
    if (!this.memory) v.set('memoryBase', 0n);
    void VMCTX;

    // ---- exports ----
    for (const e of m.exports) {
      this.exports[e.name] = e.kind === 'func' ? this.func(e.index)
        : e.kind === 'global' ? this.globals[e.index]
          : e.kind === 'table' ? this.tables[e.index] : this.memory;
    }

    // ---- segments: table.init / memory.init of the active ones, then the drops ----
    const seg = this.seg;
    seg.elems = plan.elemItems.map((items) => items.slice());
    applyActions(plan.elemActions, (a) => Number(tableInit(seg, a.offset, 0, plan.elemItems[a.segment].length, a.segment, a.table)));
    m.elems.forEach((e, i) => { if (!keptAfterInit(e)) seg.elems[i] = null; });
    const image = module.memoryImage;
    if (image && ownMemory && this.memory) {
      // the pages the active segments leave, mapped copy-on-write from the cache entry: the same
      // bytes as applying them (made only when they are all constant and in bounds), none copied
      this.memory.lm.mapFile(image.start, image.file.length, image.file.fd, image.file.offset);
    } else {
      // a module loaded with an image may lack its large data segments (jit/cache/wasm-file.ts)
      if (image) moduleBytes(m);
      if (this.memory) prefaultData(this.memory, plan.dataActions, (s) => m.datas[s].length);
      applyActions(plan.dataActions, (a) => Number(memoryInit(seg, a.offset, 0, m.datas[a.segment].length, a.segment)));
    }
    m.datas.forEach((d, i) => { if (!keptAfterInit(d)) seg.datas[i] = null; });

    if (m.start !== null) this.func(m.start)();
  }

  /** The JS function object of function index f (the same object every time). */
  func(f: number): WasmFunction {
    let wf = this.funcObjs[f];
    if (wf === undefined) {
      if (f < 0 || f >= this.info.funcTypeIndices.length) throw new RangeError(`no function ${f}`);
      wf = this.funcObjs[f] = makeFunction(this.store, this.funcInfo(f));
    }
    return wf;
  }

  hostCall(index: number, args: bigint[]): bigint[] {
    if (index >= RT_BASE) return runtimeCall(this.seg, index, args);
    const h = this.hostImports[index];
    if (!h) throw new Error(`host call to import ${index}, which is not a host function`);
    return callHost(codecOf(this.store), h.fn, h.type, args);
  }
}

/**
 * The active data segments are about to be written into fresh memory: their span is faulted in
 * with one call rather than page by page (LinearMemory.prefault), when they fill at least half of
 * it (a sparse layout would populate memory nothing writes).
 */
function prefaultData(mem: Memory, actions: readonly DataAction[], length: (segment: number) => number): void {
  let lo = Infinity, hi = 0, total = 0;
  for (const a of actions) {
    const n = length(a.segment);
    if (n === 0) continue;
    lo = Math.min(lo, a.offset);
    hi = Math.max(hi, a.offset + n);
    total += n;
  }
  if (total > 0 && total * 2 >= hi - lo) mem.lm.prefault(lo, hi);
}

/** JS-API value -> slot bits. */
function toBits(store: Store, t: ValType, v: unknown): bigint {
  if (t === I32 || t === I64 || t === F32 || t === F64) return numToBits(t, v);
  return store.refToBits(t, v);
}
function fromBits(store: Store, t: ValType, b: bigint): unknown {
  if (t === I32 || t === I64 || t === F32 || t === F64) return bitsToNum(t, b);
  return store.refFromBits(t, b);
}

/** The store's JS value <-> slot bits mapping (boundary.ts). */
function codecOf(store: Store): ValueCodec {
  return { toBits: (t, v) => toBits(store, t, v), fromBits: (t, b) => fromBits(store, t, b) };
}

/** The JS function object for a wasm (or host) function; [FUNC_INFO] carries what to call. */
function makeFunction(store: Store, info: FuncInfo): WasmFunction {
  const codec = codecOf(store);
  const raw = (bits: bigint[]): bigint[] => callRaw(store, info, bits);
  // a new function object even for a host import: [FUNC_INFO] is per instance's import
  const f = ((...args: unknown[]): unknown => (info.host ? info.host(...args) : callWithValues(codec, info.type, raw, args))) as WasmFunction;
  f[FUNC_INFO] = info;
  return f;
}

/** Call with raw slot bits (NaN payloads preserved); traps become RuntimeError / RangeError. */
export function callRaw(store: Store, info: FuncInfo, bits: bigint[]): bigint[] {
  if (info.host) return callHost(codecOf(store), info.host, info.type, bits);
  try {
    return store.call(info, bits);
  } catch (e) {
    if (e instanceof Trap) throw trapToError(e);
    throw e;
  }
}
