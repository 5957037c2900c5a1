// jit/runtime: running machine code from TypeScript safely.
//
// API for the compiler / instantiation (everything else in this folder is internal):
//
//   const code = loadCode(image);          // abi/image.ts CodeImage -> RX memory (a copy: code
//                                          // reaches the runtime stubs through r15), registered
//                                          // for the trap handler
//   runCall(vmctx, stack, code, slots, writeArgs, answer)  // run-loop.ts, see below
//   requestInterrupt(vmctxAddrs);          // from a worker thread (timeouts): the next
//                                          // loop-header/prologue check traps
//   code.dispose();
//
// Machine-code contract (docs/abi.md; docs/runtime.md "Trap path", "Host calls"):
//   r15 = vmctx, r14 = memory base; stack-slot arguments; trap with
//   `call [r15 + VMCTX.trapStubs + 8*code]`; host import i with eax = i, ecx = slots,
//   `call [r15 + VMCTX.hostCallStub]`; memory.grow is host call BUILTIN_HOSTCALL.memoryGrow.
// Cost: one ffi crossing per call and one more per host call (enter, then resume).
// (tests/runtime/exec-context.ts is the tests' and benchmarks' typed-value helper on runCall.)
//
// Lower level, for a store that keeps its own instances (jit/instance/store.ts does): `new Vmctx()`
// (stub table filled), `new WasmStack()`, and `runCall(vmctx, stack, code, slots, writeArgs,
// answer)` (run-loop.ts), the one loop over `native().enter` / `native().resume` that ExecContext
// uses too: entry slots at the top of the wasm stack, each host call handed to `answer` with its
// slots read and written in place (slots.ts) and stopVmctx naming the instance that made it, a
// trap thrown as Trap. `registerCodeRange` for code mapped by other means (must be RX before
// registering).

export { Trap, classifyFault } from './traps.js';
export { loadCode, LoadedCode, findCode } from './code-memory.js';
export { LinearMemory, WASM_PAGE, MAX_PAGES, RESERVATION } from './linear-memory.js';
export { WasmStack } from './stack.js';
export { Vmctx } from './vmctx.js';
export { native, registerCodeRange, unregisterCodeRange } from './native.js';
export { requestInterrupt } from './interrupt.js';
export { entrySlots, hostCallSlots, readSlotBits, writeSlotBits, slotOffset, type SlotArea } from './slots.js';
export { runCall, type HostCallRequest } from './run-loop.js';
export type { ValType } from '../../abi/calling-convention.js';

