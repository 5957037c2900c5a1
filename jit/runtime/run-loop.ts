// The one run loop: enter compiled code, answer each host call it stops at, continue, until it
// returns or traps (runTransport). The transport is a small strategy: in user space kwasm_enter /
// kwasm_resume over ffi (runCall below; the store behind the embedding API and the CLI, and the
// runtime tests' typed-value helper, run every call through it), for ring 0 the INVOKE / RESUME
// ioctls (kernel-loader/loader.ts). Answering a host call with JS values is shared above
// the transport (jit/instance/boundary.ts).
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

/** How a call reaches compiled code and comes back: R is what a stop reports, Q a host-call request. */
export interface Transport<R, Q> {
  enter(): R;
  /** the host call the code stopped at, or undefined when `r` ends the call (return, trap, exit) */
  hostCall(r: R): Q | undefined;
  /** continue after `q` was answered */
  resume(q: Q): R;
}

/** Runs a call to its end over `t`, answering every host call; returns the final stop. */
export function runTransport<R, Q>(t: Transport<R, Q>, answer: (q: Q) => void): R {
  let r = t.enter();
  for (let q = t.hostCall(r); q !== undefined; q = t.hostCall(r)) {
    answer(q);
    r = t.resume(q);
  }
  return r;
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
  const w = v.words;
  w.setBigUint64(VMCTX.entryFunc, code, true);
  w.setBigUint64(VMCTX.argCount, BigInt(entry.count), true);
  const n = native();
  busy.add(stack);
  try {
    const status = runTransport<number, HostCallRequest>({
      enter: () => n.enter(v.addr),
      // the request and the trap record are in the entered vmctx; stopVmctx names the instance
      hostCall: (s) => (s !== ENTRY_STATUS.hostCall ? undefined
        : { index: w.getUint32(VMCTX.hostCallIndex, true), stopVmctx: w.getBigUint64(VMCTX.stopVmctx, true), slots: hostCallSlots(v, stack) }),
      // the results are already in the request's slots
      resume: () => n.resume(v.addr),
    }, answer);
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
