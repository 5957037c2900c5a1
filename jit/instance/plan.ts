// The instance plan: what instantiating a module means, independent of where it runs. Both
// loaders consume it — user space (loader.ts: mmap'd memory, native tables and vmctx) and the
// kernel (kernel-loader/loader.ts: a description for /dev/kwasm) — so the spec's rules
// live here once: import lookup and limits matching, canonical function type ids, constant
// expressions, own globals' initial values, element segment items, and the active segments'
// initialisation in the spec's order (every element segment, then every data segment; the first
// one out of bounds traps, the writes before it stay; active and declarative segments are dropped
// afterwards, passive ones kept for table.init / memory.init).
//
// A loader differs only in what a function reference is (user space: the address of the
// function's funcref record; the kernel: function index + 1) and in how it writes: the
// ConstEnv and SegmentTarget below.
import { TrapCode, trapInfo } from '../../abi/traps.js';
import { LinkError, RuntimeError } from '../errors.js';
import type { ConstExpr, ElemSegment, FuncType, Import, ModuleInfo } from '../frontend/types.js';

export type ImportObject = Record<string, Record<string, unknown>>;

/**
 * Canonical function type ids: structurally equal types get the same id (1, 2, ...), so
 * call_indirect compares one u32, across modules that share one TypeIds.
 */
export class TypeIds {
  private readonly ids = new Map<string, number>();

  id(t: FuncType): number {
    const key = `${t.params.join(',')}:${t.results.join(',')}`;
    let id = this.ids.get(key);
    if (id === undefined) { id = this.ids.size + 1; this.ids.set(key, id); }
    return id;
  }

  /** every type of the module, by module type index */
  of(m: ModuleInfo): number[] { return m.types.map((t) => this.id(t)); }
}

/** The value an import names, or a LinkError naming it. */
export function lookupImport(imports: ImportObject, imp: Import): unknown {
  const mod = imports[imp.module];
  const val = mod === undefined || mod === null ? undefined : (mod as Record<string, unknown>)[imp.name];
  if (val === undefined) throw new LinkError(`unknown import ${imp.module}.${imp.name}`);
  return val;
}

export function incompatibleImport(imp: Import): LinkError {
  return new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
}

/** Import matching of limits: the provided ones must lie within the wanted ones. */
export function limitsMatch(actualMin: number, actualMax: number | null, min: number, max: number | null): boolean {
  if (actualMin < min) return false;
  if (max === null) return true;
  return actualMax !== null && actualMax <= max;
}

/** What a constant expression may refer to, as the loader represents it. */
export interface ConstEnv {
  /** the reference bits of function index f */
  funcRef(f: number): bigint;
  /** the bits of an imported global (the only ones a Wasm 2.0 constant expression may read) */
  importedGlobal(g: number): bigint;
}

/** A constant expression's value as raw bits: 64, or 128 for a v128 (one bigint, as in JS-facing code). */
function evalConst(e: ConstExpr, env: ConstEnv): bigint {
  if (e.i32 !== undefined) return BigInt(e.i32 >>> 0);
  const op = e.ops[0];
  switch (op.op) {
    case 'i32.const': return BigInt(op.value >>> 0);
    case 'i64.const': return BigInt.asUintN(64, op.value);
    case 'f32.const': return BigInt(op.bits >>> 0);
    case 'f64.const': return (BigInt(op.hi >>> 0) << 32n) | BigInt(op.lo >>> 0);
    case 'ref.null': return 0n;
    case 'ref.func': return env.funcRef(op.func);
    case 'global.get': return env.importedGlobal(op.global);
    case 'v128.const': {
      // 16 little-endian bytes
      let b = 0n;
      for (let i = 15; i >= 0; i--) b = (b << 8n) | BigInt(op.bytes[i]);
      return b;
    }
  }
}

/** An active segment's offset (an i32 constant expression). */
function offsetOf(e: ConstExpr | null, env: ConstEnv): number {
  if (e === null) throw new Error('active segment without an offset expression');
  if (e.i32 !== undefined) return e.i32 >>> 0;
  return Number(evalConst(e, env) & 0xffffffffn);
}

/** An element segment's items as reference bits. */
function elemItems(e: ElemSegment, env: ConstEnv): bigint[] {
  if (e.funcIndices) return Array.from(e.funcIndices, (f) => env.funcRef(f));
  return (e.exprs ?? []).map((x) => evalConst(x, env));
}

export interface ElemAction { readonly segment: number; readonly table: number; readonly offset: number }
export interface DataAction { readonly segment: number; readonly offset: number }

export interface InstancePlan {
  /** canonical type id per module type index */
  readonly typeIds: readonly number[];
  /** initial bits of the module's own globals (index - numImportedGlobals; a v128 as one 128-bit bigint) */
  readonly globals: readonly bigint[];
  /** every element segment's items */
  readonly elemItems: readonly (readonly bigint[])[];
  /** active element segments, in module order (applied before any data segment) */
  readonly elemActions: readonly ElemAction[];
  /** active data segments, in module order */
  readonly dataActions: readonly DataAction[];
}

/** Computed once the imports are linked (imported globals are read through env). */
export function planInstance(m: ModuleInfo, typeIds: readonly number[], env: ConstEnv): InstancePlan {
  // a plain loop: one action object per active segment and nothing else (ruby has 17.9k)
  const actions = <S extends { mode: string; offsetExpr: ConstExpr | null }, A>(segs: readonly S[], f: (s: S, i: number, offset: number) => A): A[] => {
    const out: A[] = [];
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.mode === 'active') out.push(f(s, i, offsetOf(s.offsetExpr, env)));
    }
    return out;
  };
  // own globals in order; a global.get of an earlier own global (which validation refuses in Wasm
  // 2.0) would still read its value rather than an unrelated cell
  const globals: bigint[] = [];
  const nImp = m.numImportedGlobals;
  const genv: ConstEnv = { funcRef: env.funcRef, importedGlobal: (g) => (g < nImp ? env.importedGlobal(g) : globals[g - nImp] ?? 0n) };
  for (const e of m.globalInits) globals.push(evalConst(e, genv));
  return {
    typeIds,
    globals,
    elemItems: m.elems.map((e) => elemItems(e, env)),
    elemActions: actions(m.elems, (e, segment, offset) => ({ segment, table: e.table, offset })),
    dataActions: actions(m.datas, (_, segment, offset) => ({ segment, offset })),
  };
}

/** The spec's bounds rule of table.init / memory.init and of active segments. */
export function fits(offset: number, count: number, length: number): boolean {
  return offset + count <= length;
}

/** How a loader writes an action: 0 when done, or the trap code (nothing written then). */
export type ApplyAction<A> = (action: A) => number;

/** Applies actions in order; the first that fails traps (the spec: earlier writes stay). */
export function applyActions<A>(actions: readonly A[], apply: ApplyAction<A>): void {
  for (const a of actions) {
    const code = apply(a);
    if (code !== 0) throw trapError(code);
  }
}

/** Segments that stay available after instantiation: passive ones (active and declarative are dropped). */
export function keptAfterInit(s: { mode: string }): boolean { return s.mode === 'passive'; }

export function trapError(code: number): RuntimeError {
  return new RuntimeError(trapInfo(code).message);
}

export const TABLE_OUT_OF_BOUNDS = TrapCode.tableOutOfBounds;
export const MEMORY_OUT_OF_BOUNDS = TrapCode.memoryOutOfBounds;
