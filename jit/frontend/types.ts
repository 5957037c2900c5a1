// Value types and the module description produced by the decoder.
//
// Value types are kept as their one-byte binary codes (small ints) so the
// validator's operand stack can be a Uint8Array. Block types are kept as the
// s33 the binary format uses: negative for the one-byte forms (-64 = empty,
// -1 = i32, ...) and >= 0 for a type index.

export type ValType = number;

/**
 * The value type codes as a const enum, the one definition: tsc and esbuild write each use as a
 * literal, where an exported (or module-level) const costs optimized code a module-cell load and
 * a hole check per use, and the validator, the reader and the back end test types per
 * instruction. The named consts below are the same values for code off the hot paths.
 */
export const enum Vt {
  I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b, FuncRef = 0x70, ExternRef = 0x6f,
  /** The validator's bottom type for operands of unreachable code; never in a module. */
  Unknown = 0,
  /** Block type code (s33) of a block without params or results; not a value type. */
  BlockEmpty = -64,
}

export const I32 = Vt.I32;
export const I64 = Vt.I64;
export const F32 = Vt.F32;
export const F64 = Vt.F64;
export const V128 = Vt.V128;
export const FUNCREF = Vt.FuncRef;
export const EXTERNREF = Vt.ExternRef;
/** The validator's bottom type for operands of unreachable code; never in a module. */
export const UNKNOWN = Vt.Unknown;

/** Block type code (s33) of a block without params or results. */
export const BLOCK_EMPTY = Vt.BlockEmpty;

export function isValType(b: number): boolean {
  return (b >= Vt.F64 && b <= Vt.I32) || b === Vt.V128 || b === Vt.FuncRef || b === Vt.ExternRef;
}
export function isRefType(t: ValType): boolean { return t === Vt.FuncRef || t === Vt.ExternRef; }
export function isNumType(t: ValType): boolean { return t >= Vt.F64 && t <= Vt.I32; }

const NAMES: Record<number, string> = {
  [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [V128]: 'v128',
  [FUNCREF]: 'funcref', [EXTERNREF]: 'externref', [UNKNOWN]: 'unknown',
};
export function typeName(t: ValType): string { return NAMES[t] ?? `0x${t.toString(16)}`; }

export interface FuncType {
  params: Uint8Array;
  results: Uint8Array;
}

export interface Limits {
  min: number;
  /** null when absent. Both are u32 (tables) or pages (memories). */
  max: number | null;
}

export interface TableType { elemType: ValType; limits: Limits; }
export interface MemoryType { limits: Limits; }
export interface GlobalType { type: ValType; mutable: boolean; }

/**
 * One instruction of a constant expression. In Wasm 2.0 a valid constant
 * expression is exactly one of these followed by `end`.
 */
export type ConstOp =
  | { op: 'i32.const'; value: number }
  | { op: 'i64.const'; value: bigint }
  | { op: 'f32.const'; bits: number }
  | { op: 'f64.const'; lo: number; hi: number }
  | { op: 'v128.const'; bytes: Uint8Array }
  | { op: 'ref.null'; type: ValType }
  | { op: 'ref.func'; func: number }
  | { op: 'global.get'; global: number };

export interface ConstExpr {
  /** Byte range of the expression (including its `end`). */
  start: number;
  end: number;
  ops: ConstOp[];
  /** Offset of the first instruction not allowed in a constant expression, or -1. */
  nonConstAt: number;
  /**
   * Set when the expression is `i32.const i32` alone (nearly every segment offset: ruby has
   * 17.9k): readers take the value from here, and `ops` is made only if someone asks.
   */
  readonly i32?: number;
}

export type ImportDesc =
  | { kind: 'func'; typeIndex: number }
  | { kind: 'table'; table: TableType }
  | { kind: 'memory'; memory: MemoryType }
  | { kind: 'global'; global: GlobalType };

export interface Import { module: string; name: string; desc: ImportDesc; offset: number; }

export type ExternKind = 'func' | 'table' | 'memory' | 'global';
export interface Export { name: string; kind: ExternKind; index: number; offset: number; }

export type SegmentMode = 'active' | 'passive' | 'declarative';

export interface ElemSegment {
  mode: SegmentMode;
  table: number;
  /** Present for active segments. */
  offsetExpr: ConstExpr | null;
  elemType: ValType;
  /** Items as function indices (flags 0-3) ... */
  funcIndices: Uint32Array | null;
  /** ... or as constant expressions (flags 4-7). */
  exprs: ConstExpr[] | null;
  offset: number;
}

export interface DataSegment {
  mode: 'active' | 'passive';
  memory: number;
  offsetExpr: ConstExpr | null;
  /** A view into the module bytes (no copy), made when asked. */
  readonly bytes: Uint8Array;
  /** Where the bytes are in the module bytes, and how many: copied from there without a view each. */
  bytesAt: number;
  length: number;
  offset: number;
}

/** One body, as `CodeBodies.body(i)` describes it (for tools and tests; the compiler reads the arrays). */
export interface CodeBody {
  /** Start of the body (its locals) and end (exclusive) in the module bytes. */
  start: number;
  end: number;
  /** Where the instructions start, right after the local declarations. */
  codeStart: number;
  /** Local declarations as (count, type) pairs, not expanded: a hostile body
   *  can declare 50k locals in four bytes, times thousands of functions. */
  localGroups: Uint32Array;
  /** Declared locals (not counting params). */
  numLocals: number;
}

/** u32 fields per body in CodeBodies.fields. */
const BODY_FIELDS = 4;

/**
 * The code section's bodies as a structure of typed arrays, not an object and a Uint32Array per
 * body: ruby+stdlib has 17.8k bodies, whose ~5 MB of small objects per compile all lived as long
 * as the module and were copied by every scavenge on their way to old space.
 * Body i: fields[4i .. 4i+4) = start, end, codeStart, numLocals; its local groups are the (count,
 * type) pairs in groups[groupsAt[i] .. groupsAt[i + 1]).
 */
export class CodeBodies {
  constructor(readonly length: number, readonly fields: Uint32Array, readonly groupsAt: Uint32Array, readonly groups: Uint32Array) {}

  /** Start of body i (its locals) in the module bytes. */
  start(i: number): number { return this.fields[BODY_FIELDS * i]; }
  /** End (exclusive) of body i in the module bytes. */
  end(i: number): number { return this.fields[BODY_FIELDS * i + 1]; }
  /** Where body i's instructions start, right after its local declarations. */
  codeStart(i: number): number { return this.fields[BODY_FIELDS * i + 2]; }
  /** Declared locals of body i (not counting params). */
  numLocals(i: number): number { return this.fields[BODY_FIELDS * i + 3]; }

  /** Body i as one object (a copy of its local groups): for tools and tests. */
  body(i: number): CodeBody {
    return {
      start: this.start(i), end: this.end(i), codeStart: this.codeStart(i), numLocals: this.numLocals(i),
      localGroups: this.groups.slice(this.groupsAt[i], this.groupsAt[i + 1]),
    };
  }

  /** Bytes of bodies [from, to) (body indices, not function indices). */
  bytes(from = 0, to = this.length): number {
    let n = 0;
    for (let i = from; i < to; i++) n += this.end(i) - this.start(i);
    return n;
  }
}

/** Builds a CodeBodies body by body (the decoder's readBodies). */
export class CodeBodiesBuilder {
  private readonly fields: Uint32Array;
  private readonly groupsAt: Uint32Array;
  private groups = new Uint32Array(64);
  private nGroups = 0;
  private n = 0;

  constructor(private readonly count: number) {
    this.fields = new Uint32Array(BODY_FIELDS * count);
    this.groupsAt = new Uint32Array(count + 1);
  }

  /** Appends a local group (count, type) to the body being read. */
  group(count: number, type: number): void {
    if (this.nGroups + 2 > this.groups.length) {
      const g = new Uint32Array(this.groups.length * 2);
      g.set(this.groups);
      this.groups = g;
    }
    this.groups[this.nGroups++] = count;
    this.groups[this.nGroups++] = type;
  }

  /** Ends the body whose local groups were just appended. */
  body(start: number, end: number, codeStart: number, numLocals: number): void {
    const k = BODY_FIELDS * this.n;
    this.fields[k] = start;
    this.fields[k + 1] = end;
    this.fields[k + 2] = codeStart;
    this.fields[k + 3] = numLocals;
    this.groupsAt[++this.n] = this.nGroups;
  }

  finish(): CodeBodies {
    if (this.n !== this.count) throw new Error(`unreachable: ${this.n} of ${this.count} bodies`);
    return new CodeBodies(this.n, this.fields, this.groupsAt, this.groups.slice(0, this.nGroups));
  }
}

export interface CustomSection { name: string; data: Uint8Array; offset: number; }

export interface NameSection {
  moduleName: string | null;
  functionNames: Map<number, string>;
  localNames: Map<number, Map<number, string>>;
}

export interface ModuleInfo {
  bytes: Uint8Array;
  types: FuncType[];
  imports: Import[];
  /** Type index of every function, imported ones first (function index space). */
  funcTypeIndices: Uint32Array;
  numImportedFuncs: number;
  /** Tables, memories and globals in index space order, imports first. */
  tables: TableType[];
  numImportedTables: number;
  memories: MemoryType[];
  numImportedMemories: number;
  globals: GlobalType[];
  numImportedGlobals: number;
  /** Initialisers of the module's own globals (index - numImportedGlobals). */
  globalInits: ConstExpr[];
  exports: Export[];
  start: number | null;
  elems: ElemSegment[];
  datas: DataSegment[];
  /** Value of the data count section, or null when the section is absent. */
  dataCount: number | null;
  /** Bodies of the module's own functions (index - numImportedFuncs). */
  codes: CodeBodies;
  customs: CustomSection[];
  readonly names: NameSection | null;
  /** Functions that may be named by ref.func inside bodies (C.refs). */
  readonly declaredFuncRefs: Set<number>;
  /** Byte offsets of sections, for error messages and tools. */
  codeSectionOffset: number;
  /**
   * Set while `bytes` lack parts (a module read from its file without them: decodeModule's
   * `fill`); moduleBytes(info) runs it. Readers of bodies or data segments' bytes go through it.
   */
  fill?: () => void;
}

export function formatFuncType(t: FuncType): string {
  const p = Array.from(t.params, typeName).join(' ');
  const r = Array.from(t.results, typeName).join(' ');
  return `[${p}] -> [${r}]`;
}
