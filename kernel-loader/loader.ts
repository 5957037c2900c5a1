// Instantiation in ring 0: the same compiled image as user space, loaded into kwasm.ko.
//
// User space does everything that needs the module's structure (compile, then the instance plan
// of jit/instance/plan.ts that user-space instances use too: canonical type ids, constant
// expressions, element segments, the segments' order and bounds rules) and hands
// the kernel a flat module description (kwasm_ioctl.h) of function code offsets, type ids,
// globals and tables, in which references are function indices; the kernel checks every number
// and builds the funcref records, globals and tables with kernel addresses only. Data segments are
// MEM_WRITEs after LOAD. Exports are called through INVOKE; a call that stops at an import the
// kernel does not serve comes back as a host call, answered here and continued with RESUME.
import { compileModule, type CompiledModule } from '../jit/compiler/module-compiler.js';
import { RT, RT_BASE, RT_NAMES } from '../jit/compiler/runtime-calls.js';
import { Trap } from '../jit/runtime/traps.js';
import { runTransport } from '../jit/runtime/run-loop.js';
import { EXTERNREF, FUNCREF, I32, I64, F32, F64, V128, type FuncType, type Limits, type ModuleInfo, type TableType, type ValType } from '../jit/frontend/types.js';
import { packSlots, resultsInSlots, slotCount, slotWidth } from '../abi/calling-convention.js';
import { bitsToNum, numToBits } from '../jit/instance/values.js';
import {
  applyActions, fits, incompatibleImport, limitsMatch, lookupImport, planInstance, TypeIds, MEMORY_OUT_OF_BOUNDS, TABLE_OUT_OF_BOUNDS,
  type ImportObject,
} from '../jit/instance/plan.js';
import { callHost, callWithValues, resultBits, trapToError, type ValueCodec } from '../jit/instance/boundary.js';
import { encodeImage } from '../abi/image.js';
import { WASIExit } from '../jit/wasi/proc.js';
import { WASI_FUNCTIONS, WASI_MODULE } from '../jit/wasi/imports.js';
import { KwasmDevice, Status, type InvokeResult, type TraceResult } from './ioctl.js';

/** A module (or an operation) kernel mode cannot run yet. */
export class KernelUnsupportedError extends Error {
  constructor(readonly feature: string) {
    super(`not supported in kernel mode yet: ${feature}`);
    this.name = 'KernelUnsupportedError';
  }
}

/** An imported global's value (immutable imports are copied into a kernel cell). */
export interface KernelGlobalImport { readonly type: ValType; readonly mutable: boolean; readonly bits: bigint }

/**
 * Imports served in ring 0 (kmod/kwasm_abi.h KWASM_HOST_*), by module and name: the `ring0`
 * column of jit/wasi's call table.
 */
export const KERNEL_HOST: Readonly<Record<string, number>> = Object.fromEntries(
  WASI_FUNCTIONS.flatMap((f) => (f.ring0 === undefined ? [] : [[`${WASI_MODULE}.${f.name}`, f.ring0]])));

export type KernelImports = ImportObject;

export interface KernelInstanceOptions {
  /** wasm stack bytes in the kernel (default: the module's 256 KiB) */
  stackBytes?: number;
  /** per top-level call, across its host calls (RESUMEs); 0 = none (SIGKILL still stops a call) */
  timeoutNs?: bigint;
  /** serve these imports in ring 0 when the import object names them (default: none) */
  kernelImports?: ReadonlySet<string>;
  /** device path (tests) */
  device?: string;
  /** called right after LOAD, before data segments and the start function (kernel-wasi.ts pushes its tables) */
  onLoad?: (device: KwasmDevice) => void;
}

export interface KernelFunction {
  (...args: unknown[]): unknown;
  /** raw slot bits in and out (NaN payloads preserved) */
  raw(bits: bigint[]): bigint[];
  readonly type: FuncType;
}

const DESC_MAGIC = 0x444d574b;
const GLOBAL_VALUE = 0, GLOBAL_FUNCREF = 1, GLOBAL_IMPORTED = 2;
/** kwasm_ioctl.h: description layout 1 (tables that grow, element segments), reference kinds */
const DESC_LAYOUT_TABLES = 1, REF_FUNC = 0, REF_EXTERN = 1, SEG_DROPPED = 1;
const WASM_PAGE = 65536;
/** kwasm_ioctl.h KWASM_MAX_MEM_PAGES: pages the kernel backs at LOAD */
const MAX_INITIAL_PAGES = 256;
const TABLE_LIMIT = 1 << 20;
/** kwasm_ioctl.h KWASM_MAX_IMAGE_BYTES */
const MAX_IMAGE_BYTES = 64 << 20;

/**
 * kwasm_ioctl.h's description limits (KWASM_MAX_DESC_*): a module over one is refused here with
 * its name, before anything is allocated for it (the kernel would only answer EINVAL, and the
 * description of 1024 tables of 2^20 elements alone would be a 4 GiB buffer).
 */
const KERNEL_LIMITS: readonly { what: string; max: number; count: (m: ModuleInfo, tables: readonly TableType[]) => number }[] = [
  { what: 'functions', max: 1 << 20, count: (m) => m.funcTypeIndices.length },
  { what: 'types', max: 1 << 20, count: (m) => m.types.length },
  { what: 'globals', max: 1 << 20, count: (m) => m.globals.length },
  { what: 'tables', max: 1024, count: (_, t) => t.length },
  { what: 'table elements (all tables)', max: 1 << 22, count: (_, t) => t.reduce((s, x) => s + x.limits.min, 0) },
  { what: 'element segments', max: 1 << 20, count: (m) => m.elems.length },
  {
    what: 'passive element segment items', max: 1 << 22,
    count: (m) => m.elems.reduce((s, e) => s + (e.mode === 'passive' ? (e.funcIndices?.length ?? e.exprs?.length ?? 0) : 0), 0),
  },
];

function checkKernelLimits(m: ModuleInfo, tables: readonly TableType[]): void {
  for (const l of KERNEL_LIMITS) {
    const n = l.count(m, tables);
    if (n > l.max) throw new KernelUnsupportedError(`${n} ${l.what} (the kernel takes at most ${l.max})`);
  }
}
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

interface TypedValue { kind: number; bits: bigint }

/**
 * The exported memory of a kernel instance, shaped like WebAssembly.Memory for readers: `.buffer`
 * is an ArrayBuffer over an mmap of the kernel instance's own linear memory pages (no copies),
 * re-mapped when memory.grow made it longer (as a grow replaces a WebAssembly.Memory's buffer).
 * Valid until the instance is closed; old buffers of a grown memory stay mapped until then.
 */
class KernelMemory {
  readonly kernelMemory = true;
  private ab = new ArrayBuffer(0);
  private mappedPages = 0;
  private readonly maps: { addr: bigint; bytes: number }[] = [];
  constructor(private readonly owner: KernelInstance) {}

  get buffer(): ArrayBuffer {
    const pages = this.owner.memPages;
    if (pages !== this.mappedPages && pages > 0) {
      const bytes = pages * WASM_PAGE;
      const m = this.owner.device.mapMemory(bytes);
      this.maps.push({ addr: m.addr, bytes });
      const ab = m.buf.buffer;
      if (m.buf.byteOffset !== 0 || ab.byteLength !== bytes || !(ab instanceof ArrayBuffer)) throw new Error('kernel memory mapping: unexpected buffer shape');
      this.ab = ab;
      this.mappedPages = pages;
    }
    return this.ab;
  }

  /** Unmaps every mapping (the instance's close). */
  unmapAll(): void {
    for (const m of this.maps.splice(0)) this.owner.device.unmapMemory(m.addr, m.bytes);
    this.ab = new ArrayBuffer(0);
    this.mappedPages = 0;
  }
}

export class KernelInstance {
  readonly exports: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly device: KwasmDevice;
  private readonly hostFns: ((...a: unknown[]) => unknown)[] = [];
  private readonly datas: (Uint8Array | null)[];
  private readonly timeoutNs: bigint;
  private closed = false;
  /** setDeadline: a wall-clock end (process.hrtime ns) for every call from now on */
  private deadline: bigint | undefined;
  /** memory.size of memory 0 as of the last INVOKE/RESUME (or LOAD) */
  memPages = 0;
  /** host calls that exited to user space (calls served in ring 0 are not counted: see KwasmDevice.getFds().served) */
  hostCallExits = 0;
  private memory: KernelMemory | undefined;
  /** host-provided mutable globals whose cells this instance owns */
  private readonly hostGlobals: { obj: object; index: number }[] = [];
  /** every function index's callable (funcref results come back as index + 1) */
  private funcs: KernelFunction[] = [];
  /** JS values <-> slot bits: a funcref is a function index + 1 of this instance */
  private readonly codec: ValueCodec = { toBits: (t, v) => toBits(t, v, this), fromBits: (t, b) => fromBits(t, b, this) };

  constructor(readonly module: CompiledModule, imports: KernelImports = {}, opts: KernelInstanceOptions = {}) {
    const m = module.info;
    this.timeoutNs = opts.timeoutNs ?? 0n;
    // imported tables and memories: only host-provided ones, which this instance then owns
    const { memLimits, tableTypes } = claimImportedStorage(m, imports);
    const memMin = memLimits?.min ?? 0;
    if (memMin > MAX_INITIAL_PAGES) throw new KernelUnsupportedError(`initial memory over ${MAX_INITIAL_PAGES} pages`);
    if (tableTypes.some((t) => t.limits.min > TABLE_LIMIT)) throw new KernelUnsupportedError('tables over 2^20 elements');
    checkKernelLimits(m, tableTypes);
    const image = encodeImageOf(module);
    if (image.length > MAX_IMAGE_BYTES) throw new KernelUnsupportedError(`a code image of ${image.length} bytes (the kernel takes at most ${MAX_IMAGE_BYTES})`);

    // canonical type ids: one kernel instance has its own (it calls no other instance)
    const typeIds = new TypeIds().of(m);

    // ---- imports ----
    const nF = m.funcTypeIndices.length;
    const host = new Uint32Array(nF);
    // one description entry per 8-byte slot of the globals area (abi/globals.ts): an own v128
    // global takes two, low half first; slotOf maps a global index to its first slot
    const globals: TypedValue[] = [];
    const slotOf: number[] = [];
    const hostGlobals: { obj: object; index: number }[] = [];
    let fi = 0;
    for (const imp of m.imports) {
      if (imp.desc.kind !== 'func' && imp.desc.kind !== 'global') continue; // claimed above
      const val = lookupImport(imports, imp);
      const name = `${imp.module}.${imp.name}`;
      if (imp.desc.kind === 'func') {
        const f = fi++;
        const k = KERNEL_HOST[name];
        if (k !== undefined && opts.kernelImports?.has(name)) host[f] = k;
        if (typeof val !== 'function') throw new KernelUnsupportedError('imported wasm functions (cross-instance calls)');
        this.hostFns[f] = val as (...a: unknown[]) => unknown;
      } else if (imp.desc.kind === 'global') {
        const g = val as Partial<KernelGlobalImport> | undefined;
        if (!g || g.bits === undefined) throw incompatibleImport(imp); // not a global (as in user space)
        if (g.type !== imp.desc.global.type || g.mutable !== imp.desc.global.mutable) throw incompatibleImport(imp);
        if (g.type === FUNCREF || g.type === EXTERNREF) throw new KernelUnsupportedError('imported reference globals');
        // the kernel's import cells are 8 bytes
        if (g.type === V128) throw new KernelUnsupportedError('imported v128 globals');
        if (g.mutable) {
          // a host object: its cell moves into this instance (below); another kernel instance's
          // global, or a host global another instance already owns, would need a shared cell
          if (kernelGlobalExports.has(g) || ownedHostGlobals.has(g)) throw new KernelUnsupportedError('imported mutable globals');
          hostGlobals.push({ obj: g, index: globals.length });
        }
        if (typeof g.bits !== 'bigint') throw incompatibleImport(imp);
        slotOf.push(globals.length);
        globals.push({ kind: GLOBAL_IMPORTED, bits: g.bits });
      }
    }

    // ---- the plan: a funcref is function index + 1 (0 = null); an externref constant is always
    // null here, since imported reference globals are refused above; an own v128 global's value
    // (one 128-bit bigint) takes two slots, low half first ----
    const plan = planInstance(m, typeIds, { funcRef: (f) => BigInt(f + 1), importedGlobal: (g) => globals[slotOf[g]].bits });
    plan.globals.forEach((bits, i) => {
      const type = m.globals[m.numImportedGlobals + i].type;
      slotOf.push(globals.length);
      if (type === V128) globals.push({ kind: GLOBAL_VALUE, bits: BigInt.asUintN(64, bits) }, { kind: GLOBAL_VALUE, bits: BigInt.asUintN(64, bits >> 64n) });
      else globals.push({ kind: type === FUNCREF ? GLOBAL_FUNCREF : GLOBAL_VALUE, bits });
    });
    const itemsOf = (seg: number): number[] => plan.elemItems[seg].map(Number);

    // ---- tables and element segments, into the description (the data segments after LOAD) ----
    const tables = tableTypes.map((t) => new Uint32Array(t.limits.min));
    applyActions(plan.elemActions, (a) => {
      const items = itemsOf(a.segment), t = tables[a.table];
      if (!fits(a.offset, items.length, t.length)) return TABLE_OUT_OF_BOUNDS;
      t.set(items, a.offset);
      return 0;
    });

    // ---- the description (layout 1: table limits and kinds, element segments) ----
    const nT = m.types.length, nElems = tables.reduce((s, t) => s + t.length, 0);
    // passive segments keep their items for table.init; active and declarative ones start dropped
    const segs = m.elems.map((e, i) => ({ kind: e.elemType === EXTERNREF ? REF_EXTERN : REF_FUNC, items: e.mode === 'passive' ? itemsOf(i) : [] }));
    const nSegItems = segs.reduce((s, g) => s + g.items.length, 0);
    const size = 32 + 16 * nF + align8(4 * nT) + 16 * globals.length + 16 * tables.length + align8(4 * nElems) +
      16 * segs.length + align8(4 * nSegItems);
    const d = Buffer.alloc(size);
    d.writeUInt32LE(DESC_MAGIC, 0);
    d.writeUInt32LE(nF, 4);
    d.writeUInt32LE(nT, 8);
    d.writeUInt32LE(globals.length, 12);
    d.writeUInt32LE(tables.length, 16);
    d.writeUInt32LE(nElems, 20);
    d.writeUInt32LE(segs.length, 24);
    d.writeUInt32LE(DESC_LAYOUT_TABLES, 28);
    let at = 32;
    for (let f = 0; f < nF; f++, at += 16) {
      d.writeUInt32LE(module.funcOffsets[f], at);
      d.writeUInt32LE(typeIds[m.funcTypeIndices[f]], at + 4);
      d.writeUInt32LE(host[f], at + 8);
      d.writeUInt32LE(sigWord(m.types[m.funcTypeIndices[f]]), at + 12);
    }
    typeIds.forEach((id, i) => d.writeUInt32LE(id, at + 4 * i));
    at += align8(4 * nT);
    for (const g of globals) {
      d.writeBigUInt64LE(g.bits, at);
      d.writeUInt32LE(g.kind, at + 8);
      at += 16;
    }
    tableTypes.forEach((tt, i) => {
      d.writeUInt32LE(tables[i].length, at);
      d.writeUInt32LE(tt.limits.max ?? 0xffffffff, at + 4);
      d.writeUInt32LE(tt.elemType === EXTERNREF ? REF_EXTERN : REF_FUNC, at + 8);
      at += 16;
    });
    for (const t of tables) for (const v of t) { d.writeUInt32LE(v, at); at += 4; }
    at = align8(at);
    segs.forEach((g, i) => {
      d.writeUInt32LE(g.items.length, at);
      d.writeUInt32LE(g.kind, at + 4);
      d.writeUInt32LE(m.elems[i].mode === 'passive' ? 0 : SEG_DROPPED, at + 8);
      at += 16;
    });
    for (const g of segs) for (const v of g.items) { d.writeUInt32LE(v, at); at += 4; }

    // ---- load, data segments, start ----
    const dev = (this.device = KwasmDevice.open(opts.device));
    try {
      const lim = memLimits;
      dev.load({
        image, desc: d, memPages: memMin,
        memMaxPages: lim ? (lim.max ?? 65536) : 0, stackBytes: opts.stackBytes,
        // the compiler re-runs every stack check after the stub returns (jit/compiler masm.ts
        // stackCheckLabel), so long invokes may yield the CPU
        mayYield: true,
      });
      this.memPages = memMin;
      opts.onLoad?.(dev);
      this.datas = m.datas.map((x) => (x.mode === 'passive' ? x.bytes : null));
      applyActions(plan.dataActions, (a) => {
        const bytes = m.datas[a.segment].bytes;
        if (!fits(a.offset, bytes.length, memMin * WASM_PAGE)) return MEMORY_OUT_OF_BOUNDS;
        if (bytes.length) dev.writeMemory(a.offset, bytes);
        return 0;
      });
      const funcs = (this.funcs = Array.from({ length: nF }, (_, f) => this.makeFunction(f)));
      for (const e of m.exports) {
        if (e.kind === 'func') this.exports[e.name] = funcs[e.index];
        else if (e.kind === 'global') {
          const gt = m.globals[e.index];
          // a mutable global lives in the kernel: read and written through KWASM_IOC_GLOBAL (funcref:
          // index + 1), by slot (a v128 is two, as one 128-bit bigint here)
          const index = slotOf[e.index], wide = gt.type === V128;
          const g = gt.mutable ? {
            type: gt.type, mutable: true,
            get bits(): bigint { return wide ? dev.globalGet(index) | (dev.globalGet(index + 1) << 64n) : dev.globalGet(index); },
            set bits(v: bigint) {
              dev.globalSet(index, wide ? BigInt.asUintN(64, v) : v);
              if (wide) dev.globalSet(index + 1, BigInt.asUintN(64, v >> 64n));
            },
          } : { type: gt.type, mutable: false, bits: wide ? globals[index].bits | (globals[index + 1].bits << 64n) : globals[index].bits };
          if (gt.mutable) kernelGlobalExports.add(g);
          this.exports[e.name] = g;
        } else if (e.kind === 'memory') this.exports[e.name] = (this.memory ??= new KernelMemory(this));
        else this.exports[e.name] = { kernelTable: e.index };
      }
      // host-provided mutable globals now live in this instance's cells: the host's object reads
      // and writes them through KWASM_IOC_GLOBAL (and keeps the last value after close)
      for (const { obj, index } of hostGlobals) {
        ownedHostGlobals.add(obj);
        this.hostGlobals.push({ obj, index });
        Object.defineProperty(obj, 'bits', {
          configurable: true, enumerable: true,
          get: (): bigint => dev.globalGet(index),
          set: (v: bigint): void => dev.globalSet(index, v),
        });
      }
      if (m.start !== null) funcs[m.start]();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private makeFunction(f: number): KernelFunction {
    const m = this.module.info;
    const type = m.types[m.funcTypeIndices[f]];
    const raw = (bits: bigint[]): bigint[] => this.callRaw(f, type, bits);
    const fn = ((...args: unknown[]): unknown => callWithValues(this.codec, type, raw, args)) as KernelFunction;
    funcOwners.set(fn, { owner: this, index: f });
    return Object.assign(fn, { raw, type });
  }

  /**
   * A whole-run wall clock (user mode's --timeout): every call from now on traps "interrupted"
   * once `ms` milliseconds from now have passed, host calls included (each RESUME gets the time
   * left). Replaces the per-call `timeoutNs`; undefined removes it.
   */
  setDeadline(ms: number | undefined): void {
    this.deadline = ms === undefined ? undefined : process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  }

  /**
   * After a call threw a trap, and before the next call: the trapping frame chain the kernel
   * walked (return-address offsets into the code, innermost caller first) and the trap's pc.
   */
  trapTrace(): TraceResult { return this.device.trace(); }

  /** Call function index f with raw slots; host calls are answered here until it returns or traps. */
  callRaw(f: number, type: FuncType, bits: bigint[]): bigint[] {
    const m = this.module.info;
    if (this.closed) throw new Error('kernel instance is closed');
    if (f < m.numImportedFuncs) return callHost(this.codec, this.hostFns[f], type, bits);
    // a v128 is one 128-bit bigint here and two slots (low half first) in the argument area
    const nslots = Math.max(slotCount(type.params), slotCount(type.results));
    const packed = packSlots(type.params, bits);
    const slots = Array.from({ length: nslots }, (_, i) => packed[i] ?? 0n);
    // one deadline for the whole call: each RESUME gets what is left (at least 1 ns, since 0
    // means none; the kernel checks it before running), so host calls in a loop still stop
    const end = this.deadline ?? (this.timeoutNs > 0n ? process.hrtime.bigint() + this.timeoutNs : undefined);
    const left = (): bigint => {
      if (end === undefined) return 0n;
      const l = end - process.hrtime.bigint();
      return l > 0n ? l : 1n;
    };
    const dev = this.device;
    const seen = (x: InvokeResult): InvokeResult => { this.memPages = x.memPages; return x; };
    // the run loop over the INVOKE / RESUME ioctls: a request carries its arguments, and gets
    // the results to send back with RESUME
    const r = runTransport<InvokeResult, { index: number; args: bigint[]; results: bigint[] }>({
      enter: () => seen(dev.invoke(f - m.numImportedFuncs, slots, left())),
      hostCall: (x) => (x.status === Status.hostCall ? { index: x.hostIndex, args: x.hostArgs, results: [] } : undefined),
      resume: (q) => seen(dev.resume(q.results, nslots, left())),
    }, (q) => {
      this.hostCallExits++;
      q.results = this.hostCall(q.index, q.args);
    });
    if (r.status === Status.exit) throw new WASIExit(Number(r.retInt & 0xffffffffn)); // proc_exit in ring 0
    if (r.status === Status.trap) {
      throw trapToError(new Trap({ code: r.trapCode, pc: r.trapPc, signal: r.trapSignal, faultAddress: r.trapAddr, codeOffset: Number(r.trapPc) }));
    }
    const out = r.slots;
    return resultBits(type, r.retInt, r.retFloat, (i) => out[i]);
  }

  private hostCall(index: number, args: bigint[]): bigint[] {
    if (index >= RT_BASE) return this.runtimeCall(index, args);
    const fn = this.hostFns[index];
    if (!fn) throw new Error(`kernel host call to ${index}, which is not an import`);
    const m = this.module.info;
    return callHost(this.codec, fn, m.types[m.funcTypeIndices[index]], args);
  }

  /**
   * Runtime calls the kernel leaves to user space: memory.init and data.drop (memory.grow and the
   * table builtins, elem.drop included, are served in ring 0 and never come here).
   */
  private runtimeCall(index: number, a: bigint[]): bigint[] {
    const u32 = (b: bigint): number => Number(b & 0xffffffffn);
    switch (index) {
      case RT.memoryInit: {
        const dst = u32(a[0]), src = u32(a[1]), n = u32(a[2]);
        const data = this.datas[u32(a[3])] ?? new Uint8Array(0);
        if (!fits(src, n, data.length)) return [BigInt(MEMORY_OUT_OF_BOUNDS)];
        try {
          this.device.writeMemory(dst, Buffer.from(data.subarray(src, src + n)));
        } catch {
          return [BigInt(MEMORY_OUT_OF_BOUNDS)]; // MEM_WRITE checks dst + n against memory.size
        }
        return [0n];
      }
      case RT.dataDrop: this.datas[u32(a[0])] = null; return [];
    }
    throw new KernelUnsupportedError(RT_NAMES[index] ?? `runtime call 0x${index.toString(16)}`);
  }

  /** the callable of function index i (a funcref the kernel handed out as i + 1) */
  functionAt(i: number): KernelFunction | undefined { return i >= 0 && i < this.funcs.length ? this.funcs[i] : undefined; }

  readMemory(offset: number, len: number): Buffer { return this.device.readMemory(offset, len); }
  writeMemory(offset: number, data: Uint8Array): void { this.device.writeMemory(offset, data); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { obj, index } of this.hostGlobals) {
      let bits: bigint | undefined;
      try { bits = this.device.globalGet(index); } catch { bits = undefined; }
      Object.defineProperty(obj, 'bits', { configurable: true, enumerable: true, writable: true, value: bits });
    }
    this.memory?.unmapAll();
    this.device.close();
  }
}

function F32_OR_F64(t: ValType): boolean { return t === F32 || t === F64; }

/**
 * externref values in ring 0 are tokens chosen here (1, 2, ... per distinct JS value; 0 = null):
 * compiled code only moves them and compares them with 0, so the kernel stores them as they are.
 * Kept for the process's life, as the user-space store keeps its extern handles.
 */
const externs: unknown[] = [];
const externIds = new Map<unknown, bigint>();
function externToken(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  let id = externIds.get(v);
  if (id === undefined) { externs.push(v); id = BigInt(externs.length); externIds.set(v, id); }
  return id;
}
function externValue(b: bigint): unknown {
  if (b === 0n) return null;
  if (b > BigInt(externs.length)) throw new Error(`externref token ${b} was not made by this process`);
  return externs[Number(b) - 1];
}

/**
 * A memory or table the host provides to import (the spec's `spectest.memory`/`spectest.table`):
 * its limits, and whether a kernel instance owns it. Kernel instances are separate files with
 * their own kernel memory, so such an object can back one instance only: the first importer gets
 * it (fresh, as the host made it), a second importer is "not supported". A memory or table
 * exported by another kernel instance cannot be imported at all yet.
 */
export interface KernelHostStorage {
  readonly kernelHost: 'memory' | 'table';
  readonly elemType?: ValType;
  readonly min: number;
  readonly max: number | null;
  owned?: boolean;
}

function isHost(v: unknown, kind: 'memory' | 'table'): v is KernelHostStorage {
  return typeof v === 'object' && v !== null && (v as Partial<KernelHostStorage>).kernelHost === kind;
}

function claimImportedStorage(m: CompiledModule['info'], imports: KernelImports): { memLimits: Limits | undefined; tableTypes: TableType[] } {
  let memLimits: Limits | undefined = m.memories[0]?.limits;
  const tableTypes = m.tables.slice();
  const claims: KernelHostStorage[] = [];
  let ti = 0;
  for (const imp of m.imports) {
    const d = imp.desc;
    if (d.kind !== 'table' && d.kind !== 'memory') continue;
    const val = lookupImport(imports, imp);
    const want = d.kind === 'table' ? d.table.limits : d.memory.limits;
    if (!isHost(val, d.kind)) {
      // a function, a global or the other kind of storage: a link error as in user space;
      // anything else (another kernel instance's memory or table): not yet
      const other = typeof val === 'function' || typeof val !== 'object' || val === null || 'bits' in val ||
        isHost(val, d.kind === 'table' ? 'memory' : 'table') || (d.kind === 'table' ? val instanceof KernelMemory : 'kernelTable' in val);
      if (other) throw incompatibleImport(imp);
      throw new KernelUnsupportedError(d.kind === 'table' ? 'imported tables' : 'imported memories');
    }
    if (!limitsMatch(val.min, val.max, want.min, want.max) || (d.kind === 'table' && val.elemType !== d.table.elemType)) throw incompatibleImport(imp);
    if (val.owned || claims.includes(val)) {
      throw new KernelUnsupportedError(`${d.kind === 'table' ? 'imported tables' : 'imported memories'} shared by two instances`);
    }
    claims.push(val);
    if (d.kind === 'memory') memLimits = { min: val.min, max: val.max };
    else tableTypes[ti++] = { elemType: d.table.elemType, limits: { min: val.min, max: val.max } };
  }
  // claimed even if instantiation fails later: a failed instantiation may have written into it
  for (const c of claims) c.owned = true;
  return { memLimits, tableTypes };
}

/** Exported mutable globals of kernel instances, and host globals a kernel instance owns the cell of. */
const kernelGlobalExports = new WeakSet<object>();
const ownedHostGlobals = new WeakSet<object>();

/** The kernel's funcref at the boundary is function index + 1: a function of which instance. */
const funcOwners = new WeakMap<object, { owner: KernelInstance; index: number }>();

/**
 * kwasm_ioctl.h KWASM_SIG_*: which parameters and results of a function are funcrefs and where its
 * results are, so the kernel translates funcrefs to and from function indices and returns nothing
 * but the results.
 */
function sigWord(t: FuncType): number {
  // bits and counts are by argument slot (a v128 takes two), as the kernel sees the slots
  let w = 0;
  for (let i = 0, s = 0; i < t.params.length; s += slotWidth(t.params[i]), i++) {
    if (t.params[i] !== FUNCREF) continue;
    if (s >= 16) throw new KernelUnsupportedError('a funcref parameter after the 16th slot');
    w |= 1 << s;
  }
  for (let i = 0, s = 0; i < t.results.length; s += slotWidth(t.results[i]), i++) {
    if (t.results[i] !== FUNCREF) continue;
    if (s >= 8) throw new KernelUnsupportedError('a funcref result after the 8th slot');
    w |= 1 << (16 + s);
  }
  const n = t.results.length, inSlots = resultsInSlots(t.results), resultSlots = slotCount(t.results);
  // bits 26-31 hold result slots - 1: more would come back truncated, i.e. wrong
  if (resultSlots > 64) throw new KernelUnsupportedError('a function with more than 64 results (counted in slots: a v128 takes two)');
  const loc = n === 0 ? 0 : inSlots ? 3 : F32_OR_F64(t.results[0]) ? 2 : 1;
  w |= loc << 24;
  if (inSlots) w |= (resultSlots - 1) << 26;
  return w >>> 0;
}

function toBits(t: ValType, v: unknown, owner?: KernelInstance): bigint {
  if (t === I32 || t === I64 || t === F32 || t === F64) return numToBits(t, v);
  if (t === EXTERNREF) return externToken(v);
  if (v === null || v === undefined) return 0n;
  const f = typeof v === 'function' ? funcOwners.get(v) : undefined;
  if (f && f.owner === owner) return BigInt(f.index + 1);
  throw new KernelUnsupportedError('funcref values of another instance across the kernel boundary');
}
function fromBits(t: ValType, b: bigint, owner?: KernelInstance): unknown {
  if (t === I32 || t === I64 || t === F32 || t === F64) return bitsToNum(t, b);
  if (t === EXTERNREF) return externValue(b);
  if (b === 0n) return null;
  const f = owner?.functionAt(Number(b) - 1);
  if (!f) throw new Error(`kernel returned funcref ${b}, which is no function index`);
  return f;
}


/** The image as LOAD reads it (abi/image.ts binary form; kwasm.ko copies the code). */
function encodeImageOf(m: CompiledModule): Uint8Array {
  return encodeImage(m.image);
}

/** compile + instantiate in ring 0 (the user-space API's shape: exports callable with JS values). */
export function instantiateInKernel(bytes: Uint8Array, imports: KernelImports = {}, opts: KernelInstanceOptions = {}): KernelInstance {
  return new KernelInstance(compileModule(bytes), imports, opts);
}
