// Interrupting running wasm from another thread. While compiled code runs, the JS main thread is
// blocked inside the kwasm_enter ffi call, so a timeout must come from elsewhere: a worker thread
// gets the vmctx addresses (`ExecContext.interruptTargets()`) and calls `requestInterrupt`, which
// writes the flag and the all-ones stack limit through its own zero-copy view. The next
// loop-header or prologue check in compiled code then traps with "interrupted".
import { view } from './libc.js';
import { VMCTX } from '../../abi/vmctx.js';

const ALL_ONES = 0xffffffffffffffffn;

export function requestInterrupt(vmctxAddrs: readonly bigint[]): void {
  for (const addr of vmctxAddrs) {
    const b = view(addr, Math.max(VMCTX.stackLimit + 8, VMCTX.interrupt + 4));
    // flag first: the slow path reads it only after the limit check failed
    b.writeUInt32LE(1, VMCTX.interrupt);
    b.writeBigUInt64LE(ALL_ONES, VMCTX.stackLimit);
  }
}
