// The vmctx: the one block of memory compiled code reaches through r15.
//
// This table is the single source of the layout: TypeScript reads offsets from VMCTX below,
// the trampolines are assembled from them, and abi/gen-header.ts prints the same table as
// kernel-loader/kmod/kwasm_abi.h. Offsets are computed from the order and sizes here, so
// inserting a field moves the ones after it everywhere at once (the header test catches a stale
// header). Hot fields come first so compiled code reaches them with an 8-bit displacement.

export interface FieldSpec {
  readonly name: string;
  /** bytes per element */
  readonly size: 4 | 8;
  /** array length (1 for scalars) */
  readonly count?: number;
  /** force this alignment (default: size) */
  readonly align?: number;
  readonly doc: string;
}

export interface Field extends FieldSpec {
  readonly offset: number;
  readonly count: number;
}

// There is no fixed-size argument or result area in the vmctx: a module chooses how many
// parameters and results its functions have, so every slot area lives on the wasm stack, where
// the frame that owns it was sized (and stack-checked) for it. Entry arguments sit at the top of
// the wasm stack (calling-convention.ts entryArgsBytes); a host call's slots stay in the calling
// frame's argument area and the stub records where (hostCallArgsPtr). Nothing is copied.
/** Trap stub and runtime stub table entries. */
export const STUB_SLOTS = 16;

const VMCTX_FIELDS = [
  // --- hot: used by every memory access / prologue / loop header -------------------------------
  { name: 'memoryBase', size: 8, doc: 'linear memory 0 base (also pinned in r14)' },
  { name: 'memorySize', size: 8, doc: 'accessible bytes of memory 0 (memory.size * 64 KiB)' },
  { name: 'stackLimit', size: 8, doc: 'lowest rsp allowed; all ones requests an interrupt' },
  { name: 'interrupt', size: 4, doc: 'nonzero: a stack-limit failure is an interrupt, not an overflow' },
  { name: 'memoryPages', size: 4, doc: 'current pages of memory 0' },
  { name: 'memoryMaxPages', size: 4, doc: 'declared maximum pages of memory 0 (65536 if none)' },
  { name: 'flags', size: 4, doc: 'reserved, zero' },
  { name: 'table0Base', size: 8, doc: 'table 0 elements: u64 funcref record pointers, 0 = null' },
  { name: 'table0Length', size: 4, doc: 'table 0 element count' },
  { name: 'reserved0', size: 4, doc: 'reserved, zero' },
  { name: 'funcRefs', size: 8, doc: 'pointer to funcref records {code, vmctx, typeId}, one per function index' },
  { name: 'typeIds', size: 8, doc: 'pointer to u32 canonical type ids, one per module type index' },
  { name: 'tables', size: 8, doc: 'pointer to table descriptors {base, length} (16 bytes each), index 0 mirrors table0' },
  // --- trampoline state ---------------------------------------------------------------------
  { name: 'hostRsp', size: 8, doc: 'host rsp saved by kwasm_enter/kwasm_resume (after pushing callee-saved regs)' },
  { name: 'wasmRsp', size: 8, doc: 'wasm rsp saved by the host-call stub' },
  { name: 'wasmStackTop', size: 8, doc: 'initial rsp of the wasm stack (16-aligned)' },
  { name: 'wasmStackGuardLo', size: 8, doc: 'lowest address of the wasm stack guard region' },
  { name: 'wasmStackGuardHi', size: 8, doc: 'end of the wasm stack guard region' },
  { name: 'entryFunc', size: 8, doc: 'code address kwasm_enter calls' },
  { name: 'argCount', size: 8, doc: 'entry slots max(params, results), at wasmStackTop - entryArgsBytes(argCount): arguments in, results out' },
  { name: 'retInt', size: 8, doc: 'rax after the entry call returned' },
  { name: 'retFloat', size: 8, doc: 'xmm0 low 64 bits after the entry call returned' },
  { name: 'trapCode', size: 4, doc: 'trap code (abi/traps.ts); 0 for a signal, classified by the runtime' },
  { name: 'trapSignal', size: 4, doc: 'signal number when the trap came from a hardware fault, else 0' },
  { name: 'trapPc', size: 8, doc: 'faulting pc (signal) or return address of the trap stub call' },
  { name: 'trapAddr', size: 8, doc: 'faulting data address (siginfo si_addr) for a signal' },
  { name: 'hostCallIndex', size: 4, doc: 'import index of the pending host call' },
  { name: 'hostCallSlots', size: 4, doc: 'slots of the pending host call: max(params, results)' },
  { name: 'stopVmctx', size: 8, doc: 'r15 when the wasm stack stopped (host call or trap): the instance that made the call or trapped' },
  { name: 'trapFp', size: 8, doc: 'rbp at the trap (the trapping frame; frames are rbp-chained): start of the backtrace walk' },
  { name: 'hostCallArgsPtr', size: 8, doc: 'slot 0 of the pending host call: the caller\'s argument area on the wasm stack (hostCallSlots slots, arguments in, results out in place)' },
  // --- runtime stub addresses ------------------------------------------------------------------
  { name: 'trapStubs', size: 8, count: STUB_SLOTS, align: 64, doc: 'trap stub per trap code: `call [r15 + trapStubs + 8*code]`' },
  { name: 'hostCallStub', size: 8, doc: 'host-call stub: eax = import index, ecx = slots, args at [rsp + 8*i] before the call' },
] as const satisfies readonly FieldSpec[];

function layout(specs: readonly FieldSpec[]): { fields: Field[]; size: number } {
  const fields: Field[] = [];
  let at = 0;
  for (const f of specs) {
    const align = f.align ?? f.size;
    at = Math.ceil(at / align) * align;
    const count = f.count ?? 1;
    fields.push({ ...f, offset: at, count });
    at += f.size * count;
  }
  return { fields, size: Math.ceil(at / 64) * 64 };
}

const computed = layout(VMCTX_FIELDS);
export const VMCTX_LAYOUT: readonly Field[] = computed.fields;
/** Total vmctx header bytes (64-byte aligned). */
export const VMCTX_SIZE = computed.size;
/**
 * The globals area (abi/globals.ts) follows the header: global g is at `[r15 + VMCTX_GLOBALS +
 * offset(g)]`, one load for `global.get` (an own global's value; an imported one's slot holds a
 * pointer to the exporter's cell), not a load of a pointer to the area first. So every instance
 * allocates its vmctx with the globals area inline, in user space (jit/instance/loader.ts) and in
 * the kernel (kmod/kwasm_main.c).
 */
export const VMCTX_GLOBALS = VMCTX_SIZE;

export type VmctxFieldName = (typeof VMCTX_FIELDS)[number]['name'];

/** Offsets by field name, e.g. `VMCTX.stackLimit`. */
export const VMCTX: Readonly<Record<VmctxFieldName, number>> = Object.freeze(
  Object.fromEntries(VMCTX_LAYOUT.map((f) => [f.name, f.offset])) as Record<VmctxFieldName, number>,
);

/** Funcref record: what table elements, ref.func values and imported functions point to. */
export const FUNCREF = { code: 0, vmctx: 8, typeId: 16, size: 32 } as const;
/** Table descriptor in vmctx.tables. */
export const TABLE_DESC = { base: 0, length: 8, size: 16 } as const;
