import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AluOp, rax, rcx, rsp, rbp, r14, r15, mem, type Assembler } from '../../backend-x64/index.js';
import { Trap } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { TrapCode } from '../../abi/traps.js';
import { VMCTX } from '../../abi/vmctx.js';
import { assemble, param, vm } from './asm-helpers.js';

// Instance B: its own memory and imports, running on A's stack (contexts that call each other share one).
const b = assemble([
  // 0: (i32 x) -> i32 = B.mem[0] + x
  (a) => { a.movRM(32, rax, mem(r14, 0)); a.aluRM(AluOp.ADD, 32, rax, param(0)); },
  // 1: unreachable through the trap stub
  (a) => { a.callM(vm('trapStubs', 8 * TrapCode.unreachable)); },
  // 2: (i32 x) -> i32 = B's import 0 (x)
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
    a.movRI(32, rax, 0); a.movRI(32, rcx, 1); a.callM(vm('hostCallStub'));
  },
]);

// Instance A: (i64 code, i64 vmctx, i32 x) -> i32 = callee(x) + A.mem[0], a cross-instance call
// done as the ABI says: load r15/r14 from the target, call, restore them from the frame.
const crossCall = (a: Assembler): void => {
  a.aluRI(AluOp.SUB, 64, rsp, 32);
  a.movMR(64, mem(rbp, -8), r15);
  a.movRM(32, rax, param(2)); a.movMR(64, mem(rsp, 0), rax);
  a.movRM(64, rax, param(0));
  a.movRM(64, r15, param(1));
  a.movRM(64, r14, mem(r15, VMCTX.memoryBase));
  a.callR(rax);
  a.movRM(64, r15, mem(rbp, -8));
  a.movRM(64, r14, mem(r15, VMCTX.memoryBase));
  a.aluRM(AluOp.ADD, 32, rax, mem(r14, 0));
};
const aCode = assemble([crossCall]);

const A = new ExecContext({ memory: { initial: 1 } });
const B = new ExecContext({
  memory: { initial: 1 }, stack: A.stack,
  hostFunctions: [{ type: { params: ['i32'], results: ['i32'] }, fn: (x) => (x as number) * 10 }],
});
A.memory!.buffer.writeInt32LE(1000, 0);
B.memory!.buffer.writeInt32LE(200, 0);
const sig = { params: ['i64', 'i64', 'i32'], results: ['i32'] } as const;
const via = (bi: number, x: number) => A.call(aCode.functionAddress(0), sig, [b.functionAddress(bi), B.vmctx.addr, x]);

test('a cross-instance call sees the callee memory, and the caller gets its own back', () => {
  assert.equal(via(0, 3), [1203]);
});

test('a trap inside the other instance unwinds to the entry that was called', () => {
  let t: unknown;
  try { via(1, 0); } catch (e) { t = e; }
  assert.instance(t, Trap);
  assert.is((t as Trap).kind, 'unreachable');
  assert.is((t as Trap).functionIndex, 1);
  assert.ok(b.contains((t as Trap).pc));
  assert.is(A.vmctx.get('stopVmctx'), B.vmctx.addr); // the trap record names the instance that trapped
  assert.equal(via(0, 4), [1204]);
});

test('a host call made by the other instance is served by its imports', () => {
  assert.equal(via(2, 7), [1070]);
});

test('re-entering a running stack from a host function is refused, and the stack is free afterwards', () => {
  B.hostFunctions[0] = { type: { params: ['i32'], results: ['i32'] }, fn: () => via(0, 1)[0]! };
  assert.throws(() => via(2, 1), /re-entrant/);
  assert.equal(via(0, 5), [1205]);
});

test.run();
