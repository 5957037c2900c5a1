// The calling convention between wasm functions, at the host entry, and into runtime stubs.
// Prose version: docs/abi.md. Numbers here are what code generators use.
//
// Wasm-to-wasm: the caller reserves an argument area of max(params, results) 8-byte slots at
// [rsp]; the parameter at slot s travels in a register when s < ARG_REG_SLOTS and it is not a
// v128 (argRegister: ARG_GPRS[s] for i32/i64/refs, ARG_XMMS[s] for f32/f64, chosen by position,
// not by a per-class count, so code that does not know the signature can still move all of them),
// and in the slot [rsp + 8*s] otherwise. Every parameter keeps its slot (a register parameter's is
// its *home*, which the callee may use); after `push rbp; mov rbp, rsp` the callee finds slot s at
// [rbp + 16 + 8*s]. rsp is 16-byte aligned at the call instruction (so rsp+8 is 16-aligned at
// callee entry, like System V). One result comes back in rax (i32, i64, ref; i32 zero-extended)
// or xmm0 (f32 in the low 32 bits, f64 in the low 64); two or more results are written by the
// callee into the argument slots. Every register except r14/r15/rsp/rbp is caller-saved; rbp is
// callee-saved (frame pointer chain).
//
// Code that enters wasm without knowing the signature (kwasm_enter, user space and ring 0) loads
// slot s into both ARG_GPRS[s] and ARG_XMMS[s] for every s < min(slots, ARG_REG_SLOTS); the
// callee reads the one its parameter type names. Code that leaves wasm for the host (an import's
// host-call thunk) stores the register parameters to their home slots first, so the host reads
// every argument in place as before.

/**
 * Argument slots 0..ARG_REG_SLOTS-1 travel in registers (unless a v128 sits there). Six, like
 * System V's integer registers and V8 Liftoff's x64 wasm ABI: most wasm functions take at most six.
 */
export const ARG_REG_SLOTS = 6;
/**
 * The GPR of argument slot s (hardware encodings, abi/regs.ts GPR). Not rax (call_indirect and
 * imported calls hold the funcref record there up to the call; the host-call stub's index) nor
 * r11 (the scratch) nor the pinned r14/r15.
 */
export const ARG_GPRS: readonly number[] = [7, 6, 2, 1, 8, 9]; // rdi, rsi, rdx, rcx, r8, r9
/** The XMM register of argument slot s: xmm0..xmm5 (xmm15 is the scratch). */
export const ARG_XMMS: readonly number[] = [0, 1, 2, 3, 4, 5];
/** Wasm type codes of the float types, which travel in XMM registers. */
const F32_CODE = 0x7d;
const F64_CODE = 0x7c;

/** Where a parameter of type code `t` at argument slot `s` travels. */
export type ArgLocation = { readonly kind: 'gpr' | 'xmm'; readonly reg: number } | null;
// One shared (immutable) record per register: the compiler asks at every call argument and
// parameter (ruby: ~12 MB of garbage per compile when each answer was a new object).
const GPR_ARG_LOCATIONS: readonly ArgLocation[] = ARG_GPRS.map((reg) => ({ kind: 'gpr', reg }));
const XMM_ARG_LOCATIONS: readonly ArgLocation[] = ARG_XMMS.map((reg) => ({ kind: 'xmm', reg }));
/**
 * The register a parameter of wasm type code `t` at argument slot `s` travels in, or null for the
 * slot [rsp + 8*s] (s >= ARG_REG_SLOTS, or a v128). The one rule every caller and callee uses.
 */
export function argRegister(t: number, s: number): ArgLocation {
  if (s >= ARG_REG_SLOTS || t === V128_CODE) return null;
  return t === F32_CODE || t === F64_CODE ? XMM_ARG_LOCATIONS[s] : GPR_ARG_LOCATIONS[s];
}

/** Bytes per argument/result slot. */
export const SLOT_SIZE = 8;
/** Offset of parameter 0 from the callee's rbp after `push rbp; mov rbp, rsp`. */
export const PARAM0_FROM_RBP = 16;
/** Slots the caller reserves for a call: max(params, results). */
export function argAreaSlots(params: number, results: number): number {
  return Math.max(params, results);
}

/**
 * Bytes the entry trampoline (kwasm_enter, user space and kernel) reserves at the top of the wasm
 * stack for `slots` entry slots (max(params, results) of the called function): the host writes
 * the arguments at `wasmStackTop - entryArgsBytes(slots)` before entering and reads multi-value
 * results there after it returns. An even number of slots keeps rsp 16-aligned at the call.
 * A call whose slots would reach below the stack limit is refused by the host before any write.
 */
export function entryArgsBytes(slots: number): number {
  return SLOT_SIZE * (slots + (slots & 1));
}

/**
 * Host-call slots the kernel module hands to user space through KWASM_IOC_INVOKE/RESUME (the
 * `host_args_ptr` array holds this many u64): an import with more max(params, results) exits as
 * trap "host function failed" in ring 0. Arguments stay on the wasm stack either way (no vmctx
 * area); user space itself has no such limit.
 */
export const KERNEL_HOSTCALL_EXIT_SLOTS = 64;

/** Value types by name, as the runtime reads and writes slots (one result: f32/f64 in xmm0, others rax). */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'funcref' | 'externref';
/** The wasm type code of v128 (the binary format's 0x7b). */
export const V128_CODE = 0x7b;
/**
 * Slots a value of wasm type code `t` takes in an argument area: a v128 takes two consecutive
 * ones (low 64 bits first), everything else one. Parameter i sits at slot sum(width(params[<i])).
 */
export function slotWidth(t: number): 1 | 2 {
  return t === V128_CODE ? 2 : 1;
}
export function slotCount(types: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < types.length; i++) n += slotWidth(types[i]);
  return n;
}
/**
 * Results come back in the argument slots (not rax/xmm0) when there are several or any is a
 * v128: the entry trampoline and the host-call stub hand over 64 bits in rax/xmm0.
 */
export function resultsInSlots(results: ArrayLike<number>): boolean {
  if (results.length >= 2) return true;
  return results.length === 1 && results[0] === V128_CODE;
}

/**
 * Runtime stubs compiled code calls, always through their addresses in the vmctx (r15):
 *
 * - trap stub k (`call [r15 + VMCTX.trapStubs + 8*k]`): never returns. It records trap code k and
 *   the return address (the instruction after the call) in vmctx and unwinds to the entry
 *   trampoline. The stack-overflow stub reports "interrupted" instead when vmctx.interrupt != 0,
 *   so one slow path serves both the prologue check and the loop-header interrupt check.
 *   Needs 8 bytes of stack (the return address); stackLimit keeps STACK_MARGIN spare for it.
 *
 * - host-call stub (`call [r15 + VMCTX.hostCallStub]`): an import implemented by the host.
 *   Every argument is in its slot ([rsp + 8*i] at the call; none in registers: an import's
 *   host-call thunk stores the register parameters to their home slots first); additionally
 *   eax = import index and ecx = max(params, results) slots. The stub records the address of
 *   slot 0 (rsp + 8 at its entry) in vmctx.hostCallArgsPtr; the host reads the arguments and
 *   writes the results there in place. Results come back as for a wasm call: slot 0 in rax and
 *   xmm0, and all slots in the argument area. Clobbers every register except r14, r15, rbp, rsp.
 */

/**
 * Bytes kept free above the wasm stack guard: stackLimit = guardEnd + STACK_MARGIN. The prologue
 * check compares the frame's lowest address against stackLimit, so this margin holds what runs
 * below a checked frame: the trap stub's return address, the host-call stub, and the frame of an
 * asynchronous signal handler that runs on whatever stack is current (Node's SIGINT/SIGCHLD
 * handlers are not SA_ONSTACK; an AVX-512 xsave frame alone is about 3 KiB).
 */
export const STACK_MARGIN = 32 * 1024;

/** Status kwasm_enter / kwasm_resume return. */
export const ENTRY_STATUS = { returned: 0, trap: 1, hostCall: 2 } as const;

/**
 * Host-call indices at and above 0xffff0000 are runtime builtins, not imports: operations compiled
 * code cannot do alone (allocation, mprotect, segment bookkeeping shared by instances). Compiled
 * code calls the host-call stub with one of these in eax and its arguments in the slots, exactly as
 * for an import; user space (jit/instance) and the kernel module serve the same numbers.
 * Status-returning builtins answer 0 or a trap code. Numbers are never reused: 3 and 4 were
 * memory.copy/memory.fill, which compiled code now does inline.
 */
export const BUILTIN_HOSTCALL_BASE = 0xffff0000;
export const BUILTIN_HOSTCALL = {
  /** (delta) -> old pages or -1 */
  memoryGrow: BUILTIN_HOSTCALL_BASE + 0,
  /** (dst, src, n, segment) -> status */
  memoryInit: BUILTIN_HOSTCALL_BASE + 1,
  /** (segment) -> nothing */
  dataDrop: BUILTIN_HOSTCALL_BASE + 2,
  /** (dst, src, n, segment, table) -> status */
  tableInit: BUILTIN_HOSTCALL_BASE + 5,
  /** (segment) -> nothing */
  elemDrop: BUILTIN_HOSTCALL_BASE + 6,
  /** (dst, src, n, dstTable, srcTable) -> status */
  tableCopy: BUILTIN_HOSTCALL_BASE + 7,
  /** (init ref, delta, table) -> old size or -1 */
  tableGrow: BUILTIN_HOSTCALL_BASE + 8,
  /** (index, ref, n, table) -> status */
  tableFill: BUILTIN_HOSTCALL_BASE + 9,
} as const;

/**
 * Linear memory addressing without bounds checks: r14 + zext32(index) + u32 offset (+ access size
 * up to 16) is always below MEMORY_RESERVATION, so a loader must reserve this much address space
 * per memory, inaccessible beyond the current size. Both loaders (user space, kernel) obey it.
 */
export const WASM_PAGE_SIZE = 65536;
export const MEMORY_MAX_PAGES = 65536;
export const MEMORY_RESERVATION = (8n << 30n) + 65536n;

/** Values to argument slots: a v128 (one 128-bit bigint) becomes two, low half first. */
export function packSlots(types: ArrayLike<number>, values: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < types.length; i++) {
    out.push(BigInt.asUintN(64, values[i]));
    if (types[i] === V128_CODE) out.push(BigInt.asUintN(64, values[i] >> 64n));
  }
  return out;
}

/** Argument slots back to values: the two slots of a v128 joined into one 128-bit bigint. */
export function unpackSlots(types: ArrayLike<number>, slots: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let i = 0, s = 0; i < types.length; s += slotWidth(types[i]), i++) {
    out.push(types[i] === V128_CODE ? slots[s] | (slots[s + 1] << 64n) : slots[s]);
  }
  return out;
}
