// ExecContext: the runtime tests' and benchmarks' way to call hand-assembled machine code with
// typed values (i32/f32/f64 as numbers, i64 and refs as bigint) and JS host functions. Built on
// the runtime's one run loop (jit/runtime/run-loop.ts runCall), which the store behind the
// embedding API and the CLI uses too; what is here is only the typed marshalling, memory.grow
// for its own LinearMemory, and routing a host call to the context that made it.
//
//   const ctx = new ExecContext({
//     memory: { initial: 1, maximum: 10 }, // 8 GiB reservation, prefix RW; ctx.memory.buffer is a
//                                          // zero-copy Buffer (re-read it after growth)
//     globals: 4,                          // 8-byte cells after the header (abi VMCTX_GLOBALS)
//     hostFunctions: [{ type, fn }],       // import index i -> JS function
//     stackSize: 1 << 20,
//   });
//   const results = ctx.call(code.functionAddress(0), { params: ['i32'], results: ['i64'] }, [7]);
//   // -> WasmValue[]; throws Trap (jit/runtime/traps.ts) on a trap.
//   ctx.interrupt();  // from a host function: the next loop-header/prologue check traps
//   requestInterrupt(ctx.interruptTargets());  // the same from a worker thread (timeouts)
//   code.dispose(); ctx.dispose();
import { LinearMemory, WASM_PAGE, WasmStack, Vmctx, runCall, readSlotBits, writeSlotBits, slotOffset, type HostCallRequest, type SlotArea } from '../../jit/runtime/index.js';
import { DEFAULT_STACK_SIZE } from '../../jit/runtime/stack.js';
import { VMCTX } from '../../abi/vmctx.js';
import { BUILTIN_HOSTCALL, argAreaSlots, type ValType } from '../../abi/calling-convention.js';

export type WasmValue = number | bigint;
export interface FuncType { readonly params: readonly ValType[]; readonly results: readonly ValType[]; }
export interface HostFunction {
  readonly type: FuncType;
  /** returns the single result, an array for several, or nothing */
  readonly fn: (...args: WasmValue[]) => WasmValue | WasmValue[] | void;
}

export interface ContextOptions {
  memory?: { initial: number; maximum?: number };
  globals?: number;
  hostFunctions?: HostFunction[];
  stackSize?: number;
  /** share another context's wasm stack: contexts whose code calls each other must (one stack
   *  per thread of execution; the stack limit in every vmctx is that stack's) */
  stack?: WasmStack;
}

/** vmctx address -> context, to route a host call to the instance that made it (stopVmctx). */
const contexts = new Map<bigint, ExecContext>();

const ALL_ONES = 0xffffffffffffffffn;

/** Slot i of an area as a value of type t (upper half zero for 32-bit types). */
function writeSlot(a: SlotArea, i: number, t: ValType, v: WasmValue): void {
  const buf = a.buf, off = slotOffset(a, i);
  switch (t) {
    case 'i32': buf.writeUInt32LE(Number(v) >>> 0, off); buf.writeUInt32LE(0, off + 4); return;
    case 'f32': buf.writeFloatLE(Number(v), off); buf.writeUInt32LE(0, off + 4); return;
    case 'f64': buf.writeDoubleLE(Number(v), off); return;
    default: writeSlotBits(a, i, BigInt(v));
  }
}

function readSlot(a: SlotArea, i: number, t: ValType): WasmValue {
  return readValue(a.buf, slotOffset(a, i), t);
}

function readValue(buf: Buffer, off: number, t: ValType): WasmValue {
  switch (t) {
    case 'i32': return buf.readInt32LE(off);
    case 'f32': return buf.readFloatLE(off);
    case 'f64': return buf.readDoubleLE(off);
    case 'i64': return buf.readBigInt64LE(off);
    default: return buf.readBigUInt64LE(off);
  }
}

export class ExecContext {
  readonly vmctx: Vmctx;
  readonly memory: LinearMemory | undefined;
  readonly stack: WasmStack;
  hostFunctions: HostFunction[];
  private readonly ownsStack: boolean;

  constructor(opts: ContextOptions = {}) {
    const globals = opts.globals ?? 0;
    this.vmctx = new Vmctx(globals * 8);
    this.ownsStack = opts.stack === undefined;
    this.stack = opts.stack ?? new WasmStack(opts.stackSize ?? DEFAULT_STACK_SIZE);
    this.hostFunctions = opts.hostFunctions ?? [];
    const v = this.vmctx;
    v.set('wasmStackTop', this.stack.top);
    v.set('wasmStackGuardLo', this.stack.guardLo);
    v.set('wasmStackGuardHi', this.stack.guardHi);
    v.set('stackLimit', this.stack.limit);
    if (opts.memory) {
      this.memory = new LinearMemory(opts.memory.initial, opts.memory.maximum);
      v.set('memoryBase', this.memory.base);
      v.set('memoryMaxPages', this.memory.maxPages);
      this.syncMemory();
    }
    contexts.set(v.addr, this);
  }

  /** Globals cells (8 bytes each) as a Buffer view. */
  get globals(): Buffer {
    return this.vmctx.buf.subarray(this.vmctx.extraOffset);
  }

  /** Calls compiled code at `code` with the wasm calling convention; see the file header. */
  call(code: bigint, type: FuncType, args: readonly WasmValue[]): WasmValue[] {
    if (args.length !== type.params.length) throw new TypeError(`expected ${type.params.length} arguments, got ${args.length}`);
    const area = runCall(this.vmctx, this.stack, code, argAreaSlots(type.params.length, type.results.length), (entry) => {
      for (let i = 0; i < args.length; i++) writeSlot(entry, i, type.params[i]!, args[i]!);
      // a new call starts uninterrupted, in every instance it may reach
      for (const c of this.peers()) {
        c.vmctx.buf.writeUInt32LE(0, VMCTX.interrupt);
        c.vmctx.buf.writeBigUInt64LE(this.stack.limit, VMCTX.stackLimit);
      }
    }, (req) => answerHostCall(req));
    const rs = type.results, buf = this.vmctx.buf;
    if (rs.length === 0) return [];
    if (rs.length === 1) {
      const t = rs[0]!;
      return [readValue(buf, t === 'f32' || t === 'f64' ? VMCTX.retFloat : VMCTX.retInt, t)];
    }
    return rs.map((t, i) => readSlot(area, i, t));
  }

  /** Makes the running code trap with "interrupted" at its next stack-limit or loop-header check. */
  interrupt(): void {
    // whichever instance on this stack is running checks its own vmctx: tell them all
    for (const c of this.peers()) {
      c.vmctx.buf.writeUInt32LE(1, VMCTX.interrupt);
      c.vmctx.buf.writeBigUInt64LE(ALL_ONES, VMCTX.stackLimit);
    }
  }

  /** vmctx addresses to hand to `requestInterrupt` in another thread (a worker) for timeouts. */
  interruptTargets(): bigint[] {
    return this.peers().map((c) => c.vmctx.addr);
  }

  /** contexts sharing this wasm stack (including this one) */
  private peers(): ExecContext[] {
    if (this.ownsStack && contexts.size === 1) return [this];
    return [...contexts.values()].filter((c) => c.stack === this.stack);
  }

  /** memory.grow answered from a host call (hence not private) */
  syncMemory(): void {
    const m = this.memory!;
    this.vmctx.set('memorySize', BigInt(m.pages) * BigInt(WASM_PAGE));
    this.vmctx.set('memoryPages', m.pages);
  }

  dispose(): void {
    contexts.delete(this.vmctx.addr);
    this.memory?.dispose();
    if (this.ownsStack) this.stack.dispose();
    this.vmctx.dispose();
  }
}

/** A host call is served by the context that made it (stopVmctx): memory.grow or its import. */
function answerHostCall(req: HostCallRequest): void {
  const owner = contexts.get(req.stopVmctx);
  if (!owner) throw new Error('host call from an unknown vmctx');
  const area = req.slots;
  if (req.index === BUILTIN_HOSTCALL.memoryGrow) {
    const delta = Number(readSlotBits(area, 0) & 0xffffffffn);
    const r = owner.memory ? owner.memory.grow(delta) : -1;
    if (r >= 0) owner.syncMemory();
    writeSlot(area, 0, 'i32', r);
    return;
  }
  const h = owner.hostFunctions[req.index];
  if (!h) throw new Error(`host call to unknown import ${req.index}`);
  const { params, results } = h.type;
  if (area.count !== argAreaSlots(params.length, results.length)) {
    throw new Error(`host call ${req.index}: code passed ${area.count} slots for a ${params.length}->${results.length} import`);
  }
  const args = params.map((t, i) => readSlot(area, i, t));
  const r = h.fn(...args);
  const out = results.length === 1 ? [r as WasmValue] : results.length === 0 ? [] : (r as WasmValue[]);
  if (!Array.isArray(out) || out.length !== results.length) throw new TypeError(`host function ${req.index} returned ${out.length} values, expected ${results.length}`);
  results.forEach((t, i) => writeSlot(area, i, t, out[i]!));
}
