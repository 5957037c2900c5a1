// The one user-space run loop: enter compiled code through kwasm_enter, answer each host call it
// stops at, continue with kwasm_resume, until it returns or traps. The store (jit/instance/store.ts,
// behind the embedding API and the CLI) and the tests' typed-value helper run every call through
// it; the kernel path has the same shape over INVOKE / RESUME ioctls and shares the host-call
// answering above the transport (jit/instance/boundary.ts).
import { VMCTX } from '../../abi/vmctx.js';
import { ENTRY_STATUS } from '../../abi/calling-convention.js';
import { RuntimeError } from '../errors.js';
import { native } from './native.js';
import { Trap, classifyFault } from './traps.js';
import { findCode } from './code-memory.js';
import { entrySlots, hostCallSlots, type SlotArea } from './slots.js';
import type { Vmctx } from './vmctx.js';
import type { WasmStack } from './stack.js';

/** A host call the running code stopped at. */
export interface HostCallRequest {
  /** import index, or a reserved runtime-call index (jit/compiler/runtime-calls.ts) */
  readonly index: number;
  /** the vmctx of the instance that made the call: it serves the request */
  readonly stopVmctx: bigint;
  /** its argument slots, where the results are written (in place on the wasm stack) */
  readonly slots: SlotArea;
}

/** stacks with a running or stopped activation: entering them again would overwrite it */
const busy = new Set<WasmStack>();

/**
 * Runs `code` in vmctx `v` on `stack` with `slots` entry slots (max(params, results)), which
 * `writeArgs` fills; returns them, holding the results of a return with several results. Throws
 * Trap on a trap. A call while the stack runs another (from a host function) is refused before
 * anything is written: the entry slots of both are the same top of the stack.
 */
export function runCall(v: Vmctx, stack: WasmStack, code: bigint, slots: number, writeArgs: (entry: SlotArea) => void,
  answer: (req: HostCallRequest) => void): SlotArea {
  if (busy.has(stack)) throw new RuntimeError('re-entrant call into wasm on a wasm stack that is already running is not supported');
  const entry = entrySlots(stack, slots);
  writeArgs(entry);
  const buf = v.buf;
  buf.writeBigUInt64LE(code, VMCTX.entryFunc);
  buf.writeBigUInt64LE(BigInt(entry.count), VMCTX.argCount);
  const n = native();
  busy.add(stack);
  try {
    let status = n.enter(v.addr);
    while (status === ENTRY_STATUS.hostCall) {
      // the request and the trap record are in the entered vmctx; stopVmctx names the instance
      answer({ index: buf.readUInt32LE(VMCTX.hostCallIndex), stopVmctx: buf.readBigUInt64LE(VMCTX.stopVmctx), slots: hostCallSlots(v, stack) });
      status = n.resume(v.addr);
    }
    if (status === ENTRY_STATUS.trap) throw readTrap(v, stack);
    if (status !== ENTRY_STATUS.returned) throw new Error(`kwasm_enter: unexpected status ${status}`);
  } finally {
    busy.delete(stack);
  }
  return entry;
}

/** The trap record of the entered vmctx, a fault signal classified against the stack's guard. */
function readTrap(v: Vmctx, stack: WasmStack): Trap {
  const signal = v.get32('trapSignal');
  const pc = v.get('trapPc');
  const faultAddress = v.get('trapAddr');
  let code = v.get32('trapCode');
  if (signal !== 0) code = classifyFault(signal, faultAddress, { stackGuard: [stack.guardLo, stack.limit] });
  const loc = findCode(pc)?.locate(pc);
  return new Trap({ code, pc, signal, faultAddress, codeOffset: loc?.codeOffset, functionIndex: loc?.functionIndex });
}
