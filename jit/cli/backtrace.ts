// The wasm backtrace printed after a trap. Every compiled function starts with
// `push rbp; mov rbp, rsp`, so the frames form a chain through rbp: [fp] is the caller's fp and
// [fp + 8] the return address into the caller. The runtime records the trapping frame's rbp in
// vmctx.trapFp (and the host-call stub leaves [wasmRsp] = rbp, [wasmRsp + 8] = return address for
// an error thrown by a host function). The wasm stack is ours and nothing runs on it after the
// trap, so the chain is still intact when we read it here.
//
// The walk reads memory only inside the wasm stack and stops at the first return address that is
// not in this module's code (the entry frame returns into kwasm_enter), or at a link that does not
// go up the stack: a corrupted chain ends the backtrace early, it never faults.
import { view } from '../runtime/libc.js';
import { imageCodeLength } from '../../abi/image.js';
import { functionAt, functionName } from '../compiler/function-names.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import type { Vmctx } from '../runtime/index.js';
import { printable } from './host.js';

export interface Frame {
  /** function index, or -1 for code outside any function (an import's host-call thunk) */
  func: number;
  name: string;
  /** machine-code offset of the pc inside the function (`kwasm-jit compile --disasm --func N`) */
  offset: number;
}

export interface StackBounds { lo: bigint; hi: bigint; }

function stackBounds(v: Vmctx): StackBounds {
  return { lo: v.get('wasmStackGuardHi'), hi: v.get('wasmStackTop') };
}

/** Return addresses from `fp` up the chain (the caller of the frame at fp first). */
function walk(fp: bigint, bounds: StackBounds, inCode: (pc: bigint) => boolean, max = 1 << 20): bigint[] {
  const out: bigint[] = [];
  if (fp < bounds.lo || fp + 16n > bounds.hi) return out;
  const mem = view(bounds.lo, Number(bounds.hi - bounds.lo));
  while (out.length < max && (fp & 7n) === 0n && fp >= bounds.lo && fp + 16n <= bounds.hi) {
    const at = Number(fp - bounds.lo);
    const ret = mem.readBigUInt64LE(at + 8);
    if (!inCode(ret)) break;
    out.push(ret);
    const next = mem.readBigUInt64LE(at);
    if (next <= fp) break;
    fp = next;
  }
  return out;
}

/**
 * Frames for a stop at `pc` (inside the function whose frame is `fp`) in `module` loaded at
 * `codeBase`. `pcIsReturn`: the pc is a return address (trap-stub call, host call), not a faulting
 * instruction; such a pc is looked up one byte back, as it may be the first byte after the
 * function when the call is its last instruction.
 */
function backtrace(module: CompiledModule, codeBase: bigint, pc: bigint, fp: bigint, pcIsReturn: boolean, bounds: StackBounds): Frame[] {
  const size = BigInt(imageCodeLength(module.image));
  const inCode = (p: bigint): boolean => p > codeBase && p <= codeBase + size;
  if (!inCode(pc) && pc !== codeBase) return [];
  return [frameAt(module, pc - codeBase, pcIsReturn), ...walk(fp, bounds, inCode).map((r) => frameAt(module, r - codeBase, true))];
}

/** The frame of code offset `off`; `back`: a return address, looked up one byte back. */
function frameAt(module: CompiledModule, off: bigint, back: boolean): Frame {
  const offset = Number(off) - (back ? 1 : 0);
  const func = functionAt(module, offset);
  const start = func < 0 ? offset : module.funcOffsets[func];
  return { func, name: func < 0 ? '<host-call thunk>' : functionName(module.info, func), offset: offset - start + (back ? 1 : 0) };
}

/**
 * The same frames from code offsets (kernel mode: KWASM_IOC_TRACE walks the chain in the kernel
 * and hands out offsets, never addresses): `pc` as above, `returns` the walk's return addresses,
 * each already checked to lie in (0, code size].
 */
export function backtraceFromOffsets(module: CompiledModule, pc: bigint, pcIsReturn: boolean, returns: readonly bigint[]): Frame[] {
  const size = BigInt(imageCodeLength(module.image));
  if (pc > size) return [];
  return [frameAt(module, pc, pcIsReturn), ...returns.filter((r) => r > 0n && r <= size).map((r) => frameAt(module, r, true))];
}

/** Lines for stderr, wasmtime-like; a runaway recursion keeps its first and last frames only. */
export function formatBacktrace(frames: readonly Frame[], head = 30, tail = 10): string[] {
  const line = (f: Frame, i: number): string =>
    `    ${String(i).padStart(2)}: ${printable(f.name)}${f.func >= 0 ? ` (func ${f.func})` : ''} +0x${f.offset.toString(16)}`;
  if (frames.length <= head + tail + 1) return ['wasm backtrace:', ...frames.map(line)];
  return [
    'wasm backtrace:',
    ...frames.slice(0, head).map(line),
    `    ... ${frames.length - head - tail} frames omitted ...`,
    ...frames.slice(frames.length - tail).map((f, k) => line(f, frames.length - tail + k)),
  ];
}

/** After a trap: from the pc and rbp the trap path recorded in the entered vmctx. */
export function trapBacktrace(module: CompiledModule, codeBase: bigint, v: Vmctx, trap: { pc: bigint; signal: number }): Frame[] {
  // a trap-stub pc is the return address of `call [r15 + trapStubs + 8*code]`; a signal's is the faulting instruction
  return backtrace(module, codeBase, trap.pc, v.get('trapFp'), trap.signal === 0, stackBounds(v));
}

/** After an error thrown by a host function: the host-call stub left [wasmRsp] = the calling
 *  frame's rbp and [wasmRsp + 8] = the return address into it. */
export function hostCallBacktrace(module: CompiledModule, codeBase: bigint, v: Vmctx): Frame[] {
  const bounds = stackBounds(v);
  const rsp = v.get('wasmRsp');
  if (rsp < bounds.lo || rsp + 16n > bounds.hi) return [];
  const m = view(rsp, 16);
  return backtrace(module, codeBase, m.readBigUInt64LE(8), m.readBigUInt64LE(0), true, bounds);
}
