// The store: what instances share. One wasm stack (every vmctx carries its limit), canonical
// function type ids (structurally equal types of different modules get the same id, so
// call_indirect across modules compares one u32), host handles for externref, the map from
// funcref record addresses to JS function objects, and the run loop that enters compiled code
// and answers host calls until it returns or traps.
import { VMCTX, FUNCREF as FUNCREF_RECORD } from '../../abi/vmctx.js';
import { packSlots, slotCount } from '../../abi/calling-convention.js';
import { WasmStack, readSlotBits, writeSlotBits, runCall, type HostCallRequest, type Vmctx } from '../runtime/index.js';
import { EXTERNREF, FUNCREF, type FuncType, type ValType } from '../frontend/types.js';
import { CodeArena } from './code-arena.js';
import { TypeIds } from './plan.js';
import { resultBits } from './boundary.js';

/** Everything needed to call a function value: what its funcref record holds, plus its type. */
export interface FuncInfo {
  code: bigint;
  vmctx: Vmctx;
  type: FuncType;
  typeId: number;
  /** address of the canonical funcref record (the exporter's) */
  record: bigint;
  /** set for functions implemented in JS (host imports) */
  host?: (...args: unknown[]) => unknown;
}

export const FUNC_INFO = Symbol('kwasm.func');
export type WasmFunction = ((...args: unknown[]) => unknown) & { [FUNC_INFO]: FuncInfo };

export function funcInfoOf(v: unknown): FuncInfo | undefined {
  return typeof v === 'function' ? (v as Partial<WasmFunction>)[FUNC_INFO] : undefined;
}

/** Handles a host call for the instance that made it (its vmctx is `stopVmctx`). */
export interface HostCallTarget {
  hostCall(index: number, args: bigint[]): bigint[];
}

const STACK_SIZE = 8 << 20;

export class Store {
  /** canonical function type ids, shared by the store's instances (plan.ts) */
  readonly typeIds = new TypeIds();
  private externs: unknown[] = [];
  private externIds = new Map<unknown, bigint>();
  /** Each instance's funcref record array [start, end) and how it makes the function object of an index. */
  private recordRanges: { start: bigint; end: bigint; func: (f: number) => WasmFunction }[] = [];
  private targets = new Map<bigint, HostCallTarget>();
  private stack: WasmStack | null = null;
  private disposers: (() => void)[] = [];

  private arena: CodeArena | null = null;
  get codeArena(): CodeArena {
    if (this.arena === null) { const a = (this.arena = new CodeArena()); this.disposers.unshift(() => a.dispose()); }
    return this.arena;
  }

  get wasmStack(): WasmStack {
    if (this.stack === null) { this.stack = new WasmStack(STACK_SIZE); const s = this.stack; this.disposers.push(() => s.dispose()); }
    return this.stack;
  }

  onDispose(f: () => void): void { this.disposers.push(f); }

  dispose(): void {
    for (const f of this.disposers.splice(0).reverse()) { try { f(); } catch { /* best effort */ } }
    this.stack = null;
    this.arena = null;
  }

  /** A vmctx joins the store: same wasm stack for everyone. */
  attachVmctx(v: Vmctx, target: HostCallTarget): void {
    const s = this.wasmStack;
    v.set('wasmStackTop', s.top);
    v.set('wasmStackGuardLo', s.guardLo);
    v.set('wasmStackGuardHi', s.guardHi);
    v.set('stackLimit', s.limit);
    this.targets.set(v.addr, target);
  }

  detachVmctx(v: Vmctx): void { this.targets.delete(v.addr); }

  // ---- references ---------------------------------------------------------------------

  /** An instance's funcref records: a reference into them names function (bits - start) / record size. */
  addRecordRange(start: bigint, end: bigint, func: (f: number) => WasmFunction): void {
    if (end > start) this.recordRanges.push({ start, end, func });
  }

  removeRecordRange(start: bigint): void {
    this.recordRanges = this.recordRanges.filter((r) => r.start !== start);
  }

  /** The function object a funcref names (made on first use by its instance), or null. */
  private funcOfRecord(b: bigint): WasmFunction | null {
    for (const r of this.recordRanges) {
      if (b >= r.start && b < r.end) return (b - r.start) % BigInt(FUNCREF_RECORD.size) === 0n ? r.func(Number((b - r.start) / BigInt(FUNCREF_RECORD.size))) : null;
    }
    return null;
  }

  refToBits(t: ValType, v: unknown): bigint {
    if (v === null || v === undefined) return 0n;
    if (t === FUNCREF) {
      const info = funcInfoOf(v);
      if (!info) throw new TypeError('not a wasm function');
      return info.record;
    }
    let id = this.externIds.get(v);
    if (id === undefined) { this.externs.push(v); id = BigInt(this.externs.length); this.externIds.set(v, id); }
    return id;
  }

  refFromBits(t: ValType, b: bigint): unknown {
    if (b === 0n) return null;
    if (t === FUNCREF) return this.funcOfRecord(b);
    if (t === EXTERNREF) return this.externs[Number(b) - 1];
    throw new TypeError('not a reference type');
  }

  // ---- calling -------------------------------------------------------------------------

  /** Call compiled code with raw slot bits; returns raw result bits. Throws Trap on a trap. */
  call(f: FuncInfo, args: readonly bigint[]): bigint[] {
    const type = f.type;
    const stack = this.wasmStack;
    const w = f.vmctx.words;
    // a v128 is one 128-bit bigint here and two slots (low half first) in the argument area
    const area = runCall(f.vmctx, stack, f.code, Math.max(slotCount(type.params), slotCount(type.results)), (entry) => {
      packSlots(type.params, args).forEach((b, s) => writeSlotBits(entry, s, b));
      // a new call starts uninterrupted
      w.setUint32(VMCTX.interrupt, 0, true);
      w.setBigUint64(VMCTX.stackLimit, stack.limit, true);
    }, (req) => this.answerHostCall(req));
    return resultBits(type, w.getBigUint64(VMCTX.retInt, true), w.getBigUint64(VMCTX.retFloat, true), (i) => readSlotBits(area, i));
  }

  /** A host call is served by the instance that made it (stopVmctx), its slots read and written in place. */
  private answerHostCall(req: HostCallRequest): void {
    const target = this.targets.get(req.stopVmctx);
    if (!target) throw new Error(`host call from unknown vmctx 0x${req.stopVmctx.toString(16)}`);
    const area = req.slots;
    const args: bigint[] = [];
    for (let i = 0; i < area.count; i++) args.push(readSlotBits(area, i));
    const res = target.hostCall(req.index, args);
    for (let i = 0; i < res.length; i++) writeSlotBits(area, i, res[i]);
  }
}
