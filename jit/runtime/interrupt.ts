// Interrupting running wasm from another thread. While compiled code runs, the JS main thread is
// blocked inside the kwasm_enter ffi call, so a timeout must come from elsewhere: a worker thread
// gets the vmctx addresses (the CLI's --timeout worker, jit/cli/timeout.ts; the tests'
// ExecContext.interruptTargets()) and calls `requestInterruptOn` / `requestInterrupt`, which
// writes the flag and the all-ones stack limit through its own zero-copy view. The next
// loop-header or prologue check in compiled code then traps with "interrupted".
import { view } from './libc.js';
import { VMCTX } from '../../abi/vmctx.js';

const ALL_ONES = 0xffffffffffffffffn;

/**
 * Zero-copy views of the interrupt fields of each vmctx. Make them before the wasm runs: creating
 * a view is an ffi call, and a worker's ffi call racing the main thread's kwasm_enter call is
 * what a timeout must never depend on; writing through a ready view is plain memory access.
 */
export function interruptViews(vmctxAddrs: readonly bigint[]): Buffer[] {
  return vmctxAddrs.map((addr) => view(addr, Math.max(VMCTX.stackLimit + 8, VMCTX.interrupt + 4)));
}

export function requestInterruptOn(views: readonly Buffer[]): void {
  for (const b of views) {
    // flag first: the slow path reads it only after the limit check failed
    b.writeUInt32LE(1, VMCTX.interrupt);
    b.writeBigUInt64LE(ALL_ONES, VMCTX.stackLimit);
  }
}

export function requestInterrupt(vmctxAddrs: readonly bigint[]): void {
  requestInterruptOn(interruptViews(vmctxAddrs));
}
