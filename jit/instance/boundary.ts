// The call boundary between JS values and raw slot bits, shared by both run loops: user space
// (store.ts: kwasm_enter / kwasm_resume) and the kernel (kernel-loader/loader.ts: INVOKE /
// RESUME ioctls). The loops differ only in transport; answering a host call (decode the
// arguments by type, call the JS function, encode its results), calling an export with JS values,
// reading the results of a finished call and turning a trap into the JS API's error are here once.
import { TrapCode } from '../../abi/traps.js';
import { RuntimeError } from '../errors.js';
import { resultsInSlots, slotCount, unpackSlots } from '../../abi/calling-convention.js';
import { F32, F64, I32, V128, type FuncType, type ValType } from '../frontend/types.js';
import type { Trap } from '../runtime/traps.js';

/** How a loader maps JS values to slot bits and back (references differ per loader). */
export interface ValueCodec {
  toBits(t: ValType, v: unknown): bigint;
  fromBits(t: ValType, b: bigint): unknown;
}

export type HostFn = (...args: unknown[]) => unknown;

/**
 * As in V8's JS API: a v128 has no JS value, so a function with a v128 parameter or result can be
 * neither called from JS nor be a JS host function (checked before any argument is converted).
 */
function checkJsType(type: FuncType): void {
  if (type.params.includes(V128) || type.results.includes(V128)) throw new TypeError('type incompatibility when transforming from/to JS (v128)');
}

/** A JS host function called from wasm: raw slots in, raw slots out. */
export function callHost(codec: ValueCodec, fn: HostFn, type: FuncType, args: readonly bigint[]): bigint[] {
  checkJsType(type);
  const r = fn(...Array.from(type.params, (t, i) => codec.fromBits(t, args[i])));
  const nr = type.results.length;
  if (nr === 0) return [];
  if (nr === 1) return [codec.toBits(type.results[0], r)];
  const arr = Array.from(r as Iterable<unknown>);
  return Array.from(type.results, (t, i) => codec.toBits(t, arr[i]));
}

/** A wasm function called with JS values through `raw` (slot bits in and out). */
export function callWithValues(codec: ValueCodec, type: FuncType, raw: (bits: bigint[]) => bigint[], args: readonly unknown[]): unknown {
  checkJsType(type);
  const r = raw(Array.from(type.params, (t, i) => codec.toBits(t, args[i])));
  if (type.results.length === 0) return undefined;
  if (type.results.length === 1) return codec.fromBits(type.results[0], r[0]);
  return Array.from(type.results, (t, i) => codec.fromBits(t, r[i]));
}

/**
 * The results of a returned call: one scalar result is in the return register (retInt, or
 * retFloat for f32/f64); several, or any v128, are in the entry slots (resultsInSlots), a v128 as
 * two slots joined here into one 128-bit bigint. A 32-bit result's upper half is not defined by
 * the machine code, so it is cleared here.
 */
export function resultBits(type: FuncType, retInt: bigint, retFloat: bigint, slot: (i: number) => bigint): bigint[] {
  const rs = type.results;
  const clean = (t: ValType, b: bigint): bigint => (t === F32 || t === I32 ? b & 0xffffffffn : b);
  if (rs.length === 0) return [];
  if (!resultsInSlots(rs)) return [clean(rs[0], rs[0] === F32 || rs[0] === F64 ? retFloat : retInt)];
  const slots = Array.from({ length: slotCount(rs) }, (_, s) => slot(s));
  return unpackSlots(rs, slots).map((b, i) => clean(rs[i], b));
}

/**
 * A trap as the JS API raises it: RuntimeError, or RangeError for stack exhaustion as in V8's JS
 * API (still our trap, "call stack exhausted", never V8's JS stack). The Trap stays on it, for
 * kind, pc and backtraces.
 */
export function trapToError(trap: Trap): Error & { trap: Trap } {
  const err = trap.code === TrapCode.stackOverflow ? new RangeError(trap.message) : new RuntimeError(trap.message);
  return Object.assign(err, { trap });
}
