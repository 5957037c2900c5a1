// Sections -> ModuleInfo. This is the "decode" stage of the spec: anything
// rejected here is malformed. Function bodies are only delimited (and their
// local declarations read) here; their instructions are read later by
// InstrReader, driven by the validator or the compiler, so the module is
// walked once, not twice.
//
// Hostile sizes: every vector count is checked against the bytes left in its
// section before anything is allocated for it (Reader.count), and sections
// and bodies are read through a Reader bounded to their own size.
import { malformed } from '../errors.js';
import { InstrReader } from './instr-reader.js';
import { Reader } from './reader.js';
import { hasMagic } from './sections.js';
import {
  CodeBodies, CodeBodiesBuilder, ConstExpr, ConstOp, CustomSection, DataSegment, ElemSegment, Export, ExternKind,
  FuncType, FUNCREF, GlobalType, Import, Limits, MemoryType, ModuleInfo, NameSection, TableType,
  isRefType, isValType,
} from './types.js';

/** Implementation limit, as in V8: more declared locals than this is rejected. */
export const MAX_LOCALS = 50000;

const SECTION_ORDER: Record<number, number> = {
  1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12,
};
const EXTERN_KINDS: ExternKind[] = ['func', 'table', 'memory', 'global'];

export interface DecodeOptions {
  /**
   * 'lazy': the code section's bodies are delimited on first access of `codes`, not now. Only for
   * bytes known to have decoded before (a cache entry or .kwasm whose checksum covers them, whose
   * code was compiled from them): a malformed body would only be reported then. Instantiating
   * from compiled code never reads the bodies (ruby+stdlib.wasm: 17.8k body objects saved).
   */
  bodies?: 'now' | 'lazy';
  /**
   * The bytes end with the code section (a prefix of a module that decoded whole before): no
   * data section to match the data count. A parallel-compile worker gets only these bytes.
   */
  throughCode?: boolean;
  /**
   * With 'lazy': `bytes` lack parts (zeros in their place: a module read from its file without
   * its bodies and large active data segments, jit/cache/wasm-file.ts), which this puts there or
   * throws. Kept as `info.fill` and run before the bodies are delimited or a data segment's
   * bytes are read; `moduleBytes(info)` is the way to the whole module.
   */
  fill?: () => void;
}

export function decodeModule(bytes: Uint8Array, opts: DecodeOptions = {}): ModuleInfo {
  const info = new ModuleDecoder(bytes, opts.bodies === 'lazy', opts.throughCode === true).decode();
  if (opts.fill && opts.bodies === 'lazy') {
    const fill = opts.fill;
    // once it has run, nothing is missing any more
    info.fill = (): void => { fill(); info.fill = undefined; };
  }
  return info;
}

/** The module's bytes, whole: a module decoded with a `fill` gets its missing parts now. */
export function moduleBytes(info: ModuleInfo): Uint8Array {
  info.fill?.();
  return info.bytes;
}

/**
 * The ModuleInfo the decoder fills: a class, not an object literal. V8 makes the second object
 * of a literal (the next module decoded in this process) from a boilerplate whose map has every
 * field's type generalised, and each function optimised against the first map's field types
 * (bytes, funcTypeIndices, declaredFuncRefs: validator, compiler) was deoptimised in the second
 * compile of a process; a constructor gives every module the same map. `fill` is a field from
 * the start, so a module that gets one keeps that map too.
 */
class DecodedModule implements ModuleInfo {
  types: FuncType[] = [];
  imports: Import[] = [];
  funcTypeIndices: Uint32Array = new Uint32Array(0);
  numImportedFuncs = 0;
  tables: TableType[] = [];
  numImportedTables = 0;
  memories: MemoryType[] = [];
  numImportedMemories = 0;
  globals: GlobalType[] = [];
  numImportedGlobals = 0;
  globalInits: ConstExpr[] = [];
  exports: Export[] = [];
  start: number | null = null;
  elems: ElemSegment[] = [];
  datas: DataSegment[] = [];
  dataCount: number | null = null;
  codes = EMPTY_BODIES;
  customs: CustomSection[] = [];
  /** the name section's bytes, parsed by `names` when first read */
  nameData: Uint8Array | undefined = undefined;
  private parsedNames: NameSection | null | undefined = undefined;
  codeSectionOffset = -1;
  fill: (() => void) | undefined = undefined;
  private refs: Set<number> | undefined = undefined;

  constructor(readonly bytes: Uint8Array) {}

  /**
   * The name section, parsed when first read (a backtrace, a disassembly, a label name), not by
   * every decode: a warm `run` decodes the module for its imports, exports and segments, and
   * parsing a name section of N functions builds a Map of N strings nobody reads unless
   * something fails (hello.wasm's is most of its decode on a cache hit).
   */
  get names(): NameSection | null {
    if (this.parsedNames === undefined) this.parsedNames = this.nameData === undefined ? null : parseNameSection(this.nameData);
    return this.parsedNames;
  }

  /**
   * Made when first asked (the validator, at a `ref.func` in a body): ruby's element segment
   * alone names 8.8k functions, a Set add each per decode, and its bodies have no `ref.func`.
   */
  get declaredFuncRefs(): Set<number> {
    if (this.refs !== undefined) return this.refs;
    const refs = new Set<number>();
    for (const e of this.exports) if (e.kind === 'func') refs.add(e.index);
    const fromExpr = (e: ConstExpr | null): void => {
      if (e === null || e.i32 !== undefined) return;
      for (const op of e.ops) if (op.op === 'ref.func') refs.add(op.func);
    };
    for (const g of this.globalInits) fromExpr(g);
    for (const el of this.elems) {
      fromExpr(el.offsetExpr);
      if (el.funcIndices !== null) for (const f of el.funcIndices) refs.add(f);
      if (el.exprs !== null) for (const e of el.exprs) fromExpr(e);
    }
    for (const d of this.datas) fromExpr(d.offsetExpr);
    return (this.refs = refs);
  }
}

class ModuleDecoder {
  private readonly r: Reader;
  /** made on first use: a constant expression other than `i32.const N` (InstrReader needs the opcode tables) */
  private irLazy: InstrReader | undefined;
  private readonly m: DecodedModule;
  /** imported functions' type indices, as the import section lists them */
  private funcTypeList: number[] = [];
  /** every function's type index, once the function section has been read */
  private funcTypes: Uint32Array | null = null;
  private numDeclaredFuncs: number | null = null;

  constructor(private readonly bytes: Uint8Array, private readonly lazyBodies: boolean, private readonly throughCode = false) {
    this.r = new Reader(bytes);
    this.m = new DecodedModule(bytes);
  }

  decode(): ModuleInfo {
    const r = this.r;
    const b = this.bytes;
    if (b.length < 4) r.fail('unexpected end', b.length);
    if (!hasMagic(b)) r.fail('magic header not detected', 0);
    if (b.length < 8) r.fail('unexpected end', b.length);
    if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) r.fail('unknown binary version', 4);
    r.pos = 8;
    let lastOrder = 0;
    while (r.pos < b.length) {
      r.end = b.length;
      r.eofReason = 'unexpected end';
      const idAt = r.pos;
      const id = r.u8();
      const size = r.u32();
      if (size > b.length - r.pos) r.fail('length out of bounds', r.pos);
      const end = r.pos + size;
      if (id !== 0) {
        const order = SECTION_ORDER[id];
        if (order === undefined) r.fail('malformed section id', idAt);
        // Out of order or repeated: the spec interpreter reads sections in
        // their fixed order and reports whatever is left as trailing content.
        if (order <= lastOrder) r.fail('unexpected content after last section', idAt);
        lastOrder = order;
      }
      r.end = end;
      r.eofReason = 'unexpected end of section or function';
      this.section(id, end);
      if (r.pos !== end) r.fail('section size mismatch', r.pos);
    }
    this.finish();
    return this.m;
  }

  private section(id: number, end: number): void {
    switch (id) {
      case 0: this.custom(end); break;
      case 1: this.typeSection(); break;
      case 2: this.importSection(); break;
      case 3: this.functionSection(); break;
      case 4: this.vec(() => { this.m.tables.push(this.tableType()); }); break;
      case 5: this.vec(() => { this.m.memories.push({ limits: this.limits() }); }); break;
      case 6: this.vec(() => {
        this.m.globals.push(this.globalType());
        this.m.globalInits.push(this.constExpr());
      }); break;
      case 7: this.exportSection(); break;
      case 8: this.m.start = this.r.u32(); break;
      case 9: this.vec(() => { this.m.elems.push(this.elemSegment()); }); break;
      case 12: this.m.dataCount = this.r.u32(); break;
      case 10: this.codeSection(); break;
      case 11: this.vec(() => { this.m.datas.push(this.dataSegment()); }); break;
    }
  }

  private vec(item: () => void): void {
    const n = this.r.count();
    for (let i = 0; i < n; i++) item();
  }

  private valType(): number {
    const t = this.r.u8();
    if (!isValType(t)) this.r.fail('malformed value type', this.r.pos - 1);
    return t;
  }

  private refType(): number {
    const t = this.r.u8();
    if (!isRefType(t)) this.r.fail('malformed reference type', this.r.pos - 1);
    return t;
  }

  private typeVec(): Uint8Array {
    const n = this.r.count();
    const v = new Uint8Array(n);
    for (let i = 0; i < n; i++) v[i] = this.valType();
    return v;
  }

  private typeSection(): void {
    this.vec(() => {
      const r = this.r;
      if (r.u8() !== 0x60) r.fail('integer representation too long', r.pos - 1);
      const params = this.typeVec();
      const results = this.typeVec();
      this.m.types.push({ params, results });
    });
  }

  private limits(): Limits {
    const r = this.r;
    const flag = r.u8();
    // The flag is a one-byte LEB128 u32 in the spec's grammar.
    if (flag > 1) r.fail(flag & 0x80 ? 'integer representation too long' : 'integer too large', r.pos - 1);
    const min = r.u32();
    const max = flag === 1 ? r.u32() : null;
    return { min, max };
  }

  private tableType(): TableType {
    const elemType = this.refType();
    return { elemType, limits: this.limits() };
  }

  private globalType(): GlobalType {
    const type = this.valType();
    const mut = this.r.u8();
    if (mut > 1) this.r.fail('malformed mutability', this.r.pos - 1);
    return { type, mutable: mut === 1 };
  }

  private importSection(): void {
    const m = this.m;
    this.vec(() => {
      const r = this.r;
      const offset = r.pos;
      const module = r.name();
      const name = r.name();
      const kind = r.u8();
      let imp: Import;
      switch (kind) {
        case 0: {
          const typeIndex = r.u32();
          this.funcTypeList.push(typeIndex);
          m.numImportedFuncs++;
          imp = { module, name, offset, desc: { kind: 'func', typeIndex } };
          break;
        }
        case 1: {
          const table = this.tableType();
          m.tables.push(table);
          m.numImportedTables++;
          imp = { module, name, offset, desc: { kind: 'table', table } };
          break;
        }
        case 2: {
          const memory: MemoryType = { limits: this.limits() };
          m.memories.push(memory);
          m.numImportedMemories++;
          imp = { module, name, offset, desc: { kind: 'memory', memory } };
          break;
        }
        case 3: {
          const global = this.globalType();
          m.globals.push(global);
          m.numImportedGlobals++;
          imp = { module, name, offset, desc: { kind: 'global', global } };
          break;
        }
        default: return r.fail('malformed import kind', r.pos - 1);
      }
      m.imports.push(imp);
    });
  }

  private functionSection(): void {
    const n = this.r.count();
    // the imports' types, then straight into the typed array (not n pushes and a copy)
    const imported = this.funcTypeList.length, types = new Uint32Array(imported + n);
    types.set(this.funcTypeList);
    for (let i = 0; i < n; i++) types[imported + i] = this.r.u32();
    this.funcTypes = types;
    this.numDeclaredFuncs = n;
  }

  private exportSection(): void {
    this.vec(() => {
      const r = this.r;
      const offset = r.pos;
      const name = r.name();
      const k = r.u8();
      if (k > 3) r.fail('malformed export kind', r.pos - 1);
      const index = r.u32();
      const kind = EXTERN_KINDS[k];
      this.m.exports.push({ name, kind, index, offset } satisfies Export);
    });
  }

  /**
   * A constant expression: instructions up to the matching `end`. Anything
   * but the constant instructions is remembered (nonConstAt) for the
   * validator to reject as "constant expression required", because that is
   * a validation error, not a decoding one.
   */
  private constExpr(): ConstExpr {
    const start = this.r.pos;
    // `i32.const N end`: one small object, no ops array
    const i32 = this.i32Const();
    if (i32 !== undefined) return new I32ConstExpr(start, this.r.pos, i32);
    const ir = (this.irLazy ??= new InstrReader(this.r));
    const ops: ConstOp[] = [];
    let nonConstAt = -1;
    let depth = 0;
    for (;;) {
      const op = ir.next();
      let c: ConstOp | null = null;
      switch (op) {
        case 0x0b:
          if (depth === 0) return { start, end: this.r.pos, ops, nonConstAt };
          depth--;
          break;
        case 0x41: c = { op: 'i32.const', value: ir.i32 }; break;
        case 0x42: c = { op: 'i64.const', value: BigInt.asIntN(64, (BigInt(ir.hi) << 32n) | BigInt(ir.lo >>> 0)) }; break;
        case 0x43: c = { op: 'f32.const', bits: ir.i32 >>> 0 }; break; // (InstrReader holds it as int32)
        case 0x44: c = { op: 'f64.const', lo: ir.lo, hi: ir.hi }; break;
        case 0xfd0c: c = { op: 'v128.const', bytes: ir.v128.slice() }; break;
        case 0xd0: c = { op: 'ref.null', type: ir.i32 }; break;
        case 0xd2: c = { op: 'ref.func', func: ir.index >>> 0 }; break;
        case 0x23: c = { op: 'global.get', global: ir.index >>> 0 }; break;
        case 0x02: case 0x03: case 0x04: depth++; break;
      }
      if (c) ops.push(c);
      else if (op !== 0x0b && nonConstAt < 0) nonConstAt = ir.start;
    }
  }

  /**
   * The value of an `i32.const N end` at r.pos, r.pos past its `end`; else undefined and r.pos
   * unchanged (constExpr's general loop reads it from there).
   */
  private i32Const(): number | undefined {
    const start = this.r.pos;
    if (this.bytes[start] !== 0x41) return undefined;
    this.r.pos = start + 1;
    const value = this.r.s32(); // what InstrReader reads for i32.const, errors included
    if (this.bytes[this.r.pos] === 0x0b) { this.r.pos++; return value; }
    this.r.pos = start;
    return undefined;
  }

  private funcIndexVec(): Uint32Array {
    const n = this.r.count();
    const v = new Uint32Array(n);
    for (let i = 0; i < n; i++) v[i] = this.r.u32();
    return v;
  }

  private elemSegment(): ElemSegment {
    const r = this.r;
    const offset = r.pos;
    const flags = r.u32();
    if (flags > 7) r.fail('malformed elements segment kind', offset);
    // Bit 0: passive/declarative (else active); bit 1: explicit table index
    // (active) or declarative (passive); bit 2: items are expressions.
    const mode = (flags & 1) === 0 ? 'active' : (flags & 2) ? 'declarative' : 'passive';
    const table = (flags & 3) === 2 ? r.u32() : 0;
    const offsetExpr = mode === 'active' ? this.constExpr() : null;
    let elemType = FUNCREF;
    if (flags & 3) {
      if (flags & 4) elemType = this.refType();
      else if (r.u8() !== 0) r.fail('malformed element kind', r.pos - 1);
    }
    let funcIndices: Uint32Array | null = null;
    let exprs: ConstExpr[] | null = null;
    if (flags & 4) {
      const n = r.count();
      exprs = [];
      for (let i = 0; i < n; i++) exprs.push(this.constExpr());
    } else {
      funcIndices = this.funcIndexVec();
    }
    return { mode, table, offsetExpr, elemType, funcIndices, exprs, offset };
  }

  private dataSegment(): DataSegment {
    const r = this.r;
    const offset = r.pos;
    const flags = r.u32();
    if (flags > 2) r.fail('malformed data segment kind', offset);
    const memory = flags === 2 ? r.u32() : 0;
    const exprAt = r.pos;
    const i32 = flags === 1 ? undefined : this.i32Const();
    const exprEnd = r.pos;
    const offsetExpr = flags === 1 || i32 !== undefined ? null : this.constExpr();
    const length = r.u32();
    const bytesAt = r.pos;
    r.skip(length);
    if (i32 !== undefined) return new I32DataSegment(this.m, memory, exprAt, exprEnd, i32, bytesAt, length, offset);
    return new DataSegmentOf(this.m, flags === 1 ? 'passive' : 'active', memory, offsetExpr, bytesAt, length, offset);
  }

  private codeSection(): void {
    const r = this.r;
    const m = this.m;
    m.codeSectionOffset = r.pos;
    const n = r.count();
    if (n !== (this.numDeclaredFuncs ?? 0)) {
      r.fail('function and code section have inconsistent lengths', m.codeSectionOffset);
    }
    if (!this.lazyBodies) {
      m.codes = readBodies(r, n, m.numImportedFuncs);
      return;
    }
    const from = r.pos, end = r.end, bytes = this.bytes, numImported = m.numImportedFuncs;
    r.pos = end;
    // replaced by the plain array on first access
    Object.defineProperty(m, 'codes', {
      configurable: true, enumerable: true,
      get(): CodeBodies {
        m.fill?.();
        const br = new Reader(bytes);
        br.pos = from;
        br.end = end;
        const codes = readBodies(br, n, numImported);
        Object.defineProperty(m, 'codes', { value: codes, writable: true, enumerable: true, configurable: true });
        return codes;
      },
    });
  }

  private custom(end: number): void {
    const r = this.r;
    const offset = r.pos;
    const name = r.name();
    const data = this.bytes.subarray(r.pos, end);
    this.m.customs.push({ name, data, offset } satisfies CustomSection);
    if (name === 'name') this.m.nameData = data;
    r.pos = end;
  }

  private finish(): void {
    const m = this.m;
    if ((this.numDeclaredFuncs ?? 0) !== 0 && m.codeSectionOffset < 0) {
      this.r.fail('function and code section have inconsistent lengths', this.bytes.length);
    }
    if (m.dataCount !== null && m.dataCount !== m.datas.length && !this.throughCode) {
      this.r.fail('data count and data section have inconsistent lengths', this.bytes.length);
    }
    m.funcTypeIndices = this.funcTypes ?? Uint32Array.from(this.funcTypeList);
  }
}

/** `i32.const value` alone (ConstExpr.i32); `ops` on demand. */
class I32ConstExpr implements ConstExpr {
  readonly nonConstAt = -1;
  constructor(readonly start: number, readonly end: number, readonly i32: number) {}
  get ops(): ConstOp[] { return [{ op: 'i32.const', value: this.i32 }]; }
}

/** A data segment whose view into the module (`bytes`) is made on demand: 17.9k in ruby. */
class DataSegmentOf implements DataSegment {
  constructor(private readonly module: ModuleInfo, readonly mode: 'active' | 'passive', readonly memory: number,
    readonly offsetExpr: ConstExpr | null, readonly bytesAt: number, readonly length: number, readonly offset: number) {}
  get bytes(): Uint8Array { return moduleBytes(this.module).subarray(this.bytesAt, this.bytesAt + this.length); }
}

/** No code section. */
const EMPTY_BODIES = new CodeBodies(0, new Uint32Array(0), new Uint32Array(1), new Uint32Array(0));

/**
 * An active segment at `i32.const N` (every one of ruby's 17.9k): its own offset expression, one
 * object instead of a DataSegmentOf and an I32ConstExpr (both lived as long as the module).
 */
class I32DataSegment implements DataSegment, ConstExpr {
  constructor(private readonly module: ModuleInfo, readonly memory: number, readonly start: number, readonly end: number,
    readonly i32: number, readonly bytesAt: number, readonly length: number, readonly offset: number) {}
  get mode(): 'active' { return 'active'; }
  get offsetExpr(): ConstExpr { return this; }
  get nonConstAt(): number { return -1; }
  get ops(): ConstOp[] { return [{ op: 'i32.const', value: this.i32 }]; }
  get bytes(): Uint8Array { return moduleBytes(this.module).subarray(this.bytesAt, this.bytesAt + this.length); }
}

/** The code section's n bodies from r.pos: each delimited, its local declarations read. */
function readBodies(r: Reader, n: number, numImportedFuncs: number): CodeBodies {
  const codes = new CodeBodiesBuilder(n);
  const sectionEnd = r.end;
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const start = r.pos;
    if (size > sectionEnd - start) r.fail('length out of bounds', start);
    const end = start + size;
    r.end = end;
    r.funcIndex = numImportedFuncs + i;
    const groups = r.count(2);
    let total = 0;
    for (let g = 0; g < groups; g++) {
      const at = r.pos;
      const c = r.u32();
      total += c;
      if (total > MAX_LOCALS) r.fail('too many locals', at);
      const t = r.u8();
      if (!isValType(t)) r.fail('malformed value type', r.pos - 1);
      codes.group(c, t);
    }
    codes.body(start, end, r.pos, total);
    r.funcIndex = -1;
    r.pos = end;
    r.end = sectionEnd;
  }
  return codes.finish();
}

/**
 * The name section is only a debugging aid: the spec says errors in custom
 * sections must not make a module malformed, so a broken one yields null
 * (or whatever subsections parsed before the error).
 */
export function parseNameSection(data: Uint8Array): NameSection | null {
  const names: NameSection = { moduleName: null, functionNames: new Map(), localNames: new Map() };
  const r = new Reader(data);
  const nameMap = (into: Map<number, string>): void => {
    const n = r.count(2);
    for (let i = 0; i < n; i++) {
      const idx = r.u32();
      into.set(idx, r.name());
    }
  };
  try {
    while (r.pos < data.length) {
      r.end = data.length;
      const id = r.u8();
      const size = r.u32();
      if (size > data.length - r.pos) return names;
      const end = r.pos + size;
      r.end = end;
      if (id === 0) names.moduleName = r.name();
      else if (id === 1) nameMap(names.functionNames);
      else if (id === 2) {
        const n = r.count(2);
        for (let i = 0; i < n; i++) {
          const fn = r.u32();
          const locals = new Map<number, string>();
          nameMap(locals);
          names.localNames.set(fn, locals);
        }
      }
      r.pos = end;
    }
  } catch {
    return names;
  }
  return names;
}

/** Type of every local of a function (params first), in a new array. */
export function localTypes(m: ModuleInfo, funcIndex: number): Uint8Array {
  const out = new Uint8Array(m.types[m.funcTypeIndices[funcIndex]].params.length + m.codes.numLocals(funcIndex - m.numImportedFuncs));
  expandLocals(m, funcIndex, out);
  return out;
}

/**
 * Writes the type of every local of a function (params first) to `out[0, n)` and returns n; `out`
 * holds at least params + declared locals. The validator's per-function buffer, which the
 * compiler reads too (no array per function).
 */
export function expandLocals(m: ModuleInfo, funcIndex: number, out: Uint8Array): number {
  const ft: FuncType = m.types[m.funcTypeIndices[funcIndex]];
  const codes = m.codes, b = funcIndex - m.numImportedFuncs;
  out.set(ft.params);
  let k = ft.params.length;
  const g = codes.groups, to = codes.groupsAt[b + 1];
  for (let i = codes.groupsAt[b]; i < to; i += 2) { out.fill(g[i + 1], k, k + g[i]); k += g[i]; }
  return k;
}
