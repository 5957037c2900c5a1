// Call slots, as the host sees them. There is no fixed-size argument or result area in the vmctx
// (a module chooses how many parameters and results its functions have): the slots of an entry
// call sit at the top of the wasm stack, below which kwasm_enter starts the callee, and the
// slots of a host call stay in the calling frame's argument area, which the host-call stub
// records in vmctx.hostCallArgsPtr. The host reads arguments and writes results there in place,
// through the stack's zero-copy Buffer, so no copy of any size exists (docs/runtime.md
// "Host calls"). The one run loop (run-loop.ts) and its callers use these.
import { entryArgsBytes, SLOT_SIZE } from '../../abi/calling-convention.js';
import type { WasmStack } from './stack.js';
import type { Vmctx } from './vmctx.js';

/** `count` 8-byte slots at `buf[offset + 8*i]`. */
export interface SlotArea {
  readonly buf: Buffer;
  /** `buf`'s little-endian words */
  readonly words: DataView;
  readonly offset: number;
  readonly count: number;
}

/**
 * The entry slots of a call with `slots` = max(params, results) slots on `stack` (arguments
 * before kwasm_enter, results after it). A call whose slots would reach below the stack limit
 * is refused with a RangeError before anything is written: nothing else would hold them.
 */
export function entrySlots(stack: WasmStack, slots: number): SlotArea {
  if (!Number.isSafeInteger(slots) || slots < 0) throw new RangeError(`invalid slot count ${slots}`);
  const bytes = entryArgsBytes(slots);
  if (bytes > stack.entryRoom) {
    throw new RangeError(`call stack exhausted: ${slots} argument/result slots do not fit on the wasm stack`);
  }
  const buf = stack.usable;
  return { buf, words: stack.usableWords, offset: buf.length - bytes, count: slots };
}

/**
 * The pending host call's slots (vmctx.hostCallSlots of them at vmctx.hostCallArgsPtr), checked
 * to lie inside `stack` (the stub sets both from the calling frame; a stale or foreign pointer
 * is an error, never a wild access).
 */
export function hostCallSlots(v: Vmctx, stack: WasmStack): SlotArea {
  const count = v.get32('hostCallSlots');
  const ptr = v.get('hostCallArgsPtr');
  const buf = stack.usable;
  const offset = ptr >= stack.guardHi ? Number(ptr - stack.guardHi) : -1;
  if (offset < 0 || offset + SLOT_SIZE * count > buf.length) {
    throw new Error(`host call slots (${count} at 0x${ptr.toString(16)}) are not on the wasm stack`);
  }
  return { buf, words: stack.usableWords, offset, count };
}

/** Byte offset of slot i in `a.buf`; a RangeError outside the area (a host answering too many). */
export function slotOffset(a: SlotArea, i: number): number {
  if (!(i >= 0 && i < a.count)) throw new RangeError(`slot ${i} of a ${a.count}-slot area`);
  return a.offset + SLOT_SIZE * i;
}

export function readSlotBits(a: SlotArea, i: number): bigint {
  return a.words.getBigUint64(slotOffset(a, i), true);
}

export function writeSlotBits(a: SlotArea, i: number, bits: bigint): void {
  a.words.setBigUint64(slotOffset(a, i), BigInt.asUintN(64, bits), true);
}
