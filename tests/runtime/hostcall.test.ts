import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AluOp, SseOp, SseStore, rax, rcx, rdx, rsp, r14, xmm0, mem, memIdx, Cond } from '../../backend-x64/index.js';
import { Trap } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { BUILTIN_HOSTCALL } from '../../abi/calling-convention.js';
import { assemble, param, vm } from './asm-helpers.js';

const hostCall = (a: Parameters<Parameters<typeof assemble>[0][0]>[0], index: number, slots: number): void => {
  a.movRI(32, rax, index);
  a.movRI(32, rcx, slots);
  a.callM(vm('hostCallStub'));
};

const code = assemble([
  // 0: (i32 x, f64 y) -> i64: import0(x + 1, y) -> i64, then result * 2
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.aluRI(AluOp.ADD, 32, rax, 1); a.movMR(32, mem(rsp, 0), rax);
    a.sseRM(SseOp.MOVSD, xmm0, param(1)); a.sseMR(SseStore.MOVQ, mem(rsp, 8), xmm0);
    hostCall(a, 0, 2);
    a.aluRR(AluOp.ADD, 64, rax, rax);
  },
  // 1: loop p0 times: acc = import1(acc, i) (i32, i32) -> i32; returns acc
  (a) => {
    const top = a.newLabel(), done = a.newLabel();
    a.aluRI(AluOp.SUB, 64, rsp, 32);
    a.movMI(64, mem(rsp, 16), 0);         // acc
    a.movMI(64, mem(rsp, 24), 0);         // i
    a.bind(top);
    a.movRM(32, rax, mem(rsp, 24)); a.aluRM(AluOp.CMP, 32, rax, param(0)); a.jcc(Cond.GE, done);
    a.movRM(32, rax, mem(rsp, 16)); a.movMR(32, mem(rsp, 0), rax);
    a.movRM(32, rax, mem(rsp, 24)); a.movMR(32, mem(rsp, 8), rax);
    hostCall(a, 1, 2);
    a.movMR(32, mem(rsp, 16), rax);
    a.aluMI(AluOp.ADD, 32, mem(rsp, 24), 1);
    a.jmp(top);
    a.bind(done);
    a.movRM(32, rax, mem(rsp, 16));
  },
  // 2: import2 () -> (i32, i64) multi-value; returns first + low32(second)
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    hostCall(a, 2, 2);
    a.movRM(32, rax, mem(rsp, 0)); a.aluRM(AluOp.ADD, 32, rax, mem(rsp, 8));
  },
  // 3: memory.grow(p0) via the builtin host call, then store 0x5eed at byte p1 and load it back
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
    hostCall(a, BUILTIN_HOSTCALL.memoryGrow, 1);
    a.movRR(32, rdx, rax);                // old pages (or -1)
    a.movRM(32, rcx, param(1));
    a.movMI(32, memIdx(r14, rcx, 1, 0), 0x5eed);
    a.movRM(32, rax, memIdx(r14, rcx, 1, 0));
    a.aluRR(AluOp.ADD, 32, rax, rdx);
  },
  // 4: memory.grow(p0) only, returns the result
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
    hostCall(a, BUILTIN_HOSTCALL.memoryGrow, 1);
  },
  // 5: import1(p0, p0) then an out-of-bounds load at the returned index: traps after a resume
  (a) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax); a.movMR(64, mem(rsp, 8), rax);
    hostCall(a, 1, 2);
    a.movRR(32, rcx, rax);
    a.movRM(32, rax, memIdx(r14, rcx, 1, 0));
  },
]);
const f = (i: number): bigint => code.functionAddress(i);
const seen: unknown[] = [];
const ctx = new ExecContext({
  memory: { initial: 1, maximum: 4 },
  hostFunctions: [
    { type: { params: ['i32', 'f64'], results: ['i64'] }, fn: (x, y) => { seen.push([x, y]); return BigInt(x as number) * 1000n + BigInt(Math.round((y as number) * 10)); } },
    { type: { params: ['i32', 'i32'], results: ['i32'] }, fn: (acc, i) => (acc as number) + (i as number) * (i as number) },
    { type: { params: [], results: ['i32', 'i64'] }, fn: () => [40, 2n] },
  ],
});

test('host call: arguments out, result back, wasm continues after the call', () => {
  const r = ctx.call(f(0), { params: ['i32', 'f64'], results: ['i64'] }, [41, 2.5]);
  assert.equal(seen, [[42, 2.5]]);
  assert.equal(r, [(42n * 1000n + 25n) * 2n]);
});

test('1000 host-call round trips inside one entry keep the wasm frame intact', () => {
  const n = 1000;
  let expect = 0;
  for (let i = 0; i < n; i++) expect = (expect + i * i) | 0;
  assert.equal(ctx.call(f(1), { params: ['i32'], results: ['i32'] }, [n]), [expect]);
});

test('multi-value host results land in the caller slots', () => {
  assert.equal(ctx.call(f(2), { params: [], results: ['i32'] }, []), [42]);
});

test('a host function that throws propagates and the context stays usable', () => {
  const saved = ctx.hostFunctions[1]!;
  ctx.hostFunctions[1] = { type: saved.type, fn: () => { throw new Error('host boom'); } };
  assert.throws(() => ctx.call(f(1), { params: ['i32'], results: ['i32'] }, [3]), /host boom/);
  ctx.hostFunctions[1] = saved;
  assert.equal(ctx.call(f(1), { params: ['i32'], results: ['i32'] }, [3]), [5]);
});

test('memory.grow then access: the new page works, JS sees it, growth stops at the maximum', () => {
  const before = ctx.memory!.buffer;
  assert.is(before.length, 65536);
  // before growth, byte 65536 is out of bounds
  assert.throws(() => ctx.call(f(3), { params: ['i32', 'i32'], results: ['i32'] }, [0, 70000]), (e: unknown) => e instanceof Trap && e.kind === 'memoryOutOfBounds');
  assert.equal(ctx.call(f(3), { params: ['i32', 'i32'], results: ['i32'] }, [2, 70000]), [0x5eed + 1]);
  assert.is(ctx.memory!.pages, 3);
  assert.is(ctx.vmctx.get('memorySize'), 3n * 65536n);
  const after = ctx.memory!.buffer;
  assert.is(after.length, 3 * 65536);
  assert.is(after.readInt32LE(70000), 0x5eed);
  assert.equal(ctx.call(f(4), { params: ['i32'], results: ['i32'] }, [2]), [-1]); // 3 + 2 > 4
  assert.equal(ctx.call(f(4), { params: ['i32'], results: ['i32'] }, [1]), [3]);
  assert.throws(() => ctx.call(f(3), { params: ['i32', 'i32'], results: ['i32'] }, [0, 4 * 65536]), (e: unknown) => e instanceof Trap);
});

test('a trap after a host call unwinds through the resumed activation', () => {
  // import1(x, x) = x + x*x: 600 -> 360600, beyond the 4 pages the growth test left
  let t: unknown;
  try { ctx.call(f(5), { params: ['i32'], results: ['i32'] }, [600]); } catch (e) { t = e; }
  assert.instance(t, Trap);
  assert.is((t as Trap).kind, 'memoryOutOfBounds');
  assert.is((t as Trap).faultAddress, ctx.memory!.base + 360600n);
  assert.equal(ctx.call(f(5), { params: ['i32'], results: ['i32'] }, [100]), [0]); // 10100 is in bounds
});

test.run();
