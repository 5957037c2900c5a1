import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AluOp, SseOp, SseStore, rax, rcx, rdx, rsp, xmm0, xmm1, mem, r15 } from '../../backend-x64/index.js';
import { ExecContext } from './exec-context.js';
import { assemble, param } from './asm-helpers.js';

const code = assemble([
  // 0: i32.add
  (a) => { a.movRM(32, rax, param(0)); a.aluRM(AluOp.ADD, 32, rax, param(1)); },
  // 1: i64.mul
  (a) => { a.movRM(64, rax, param(0)); a.imulRM(64, rax, param(1)); },
  // 2: f32 a - b
  (a) => { a.sseRM(SseOp.MOVSS, xmm0, param(0)); a.sseRM(SseOp.SUBSS, xmm0, param(1)); },
  // 3: f64 a * b
  (a) => { a.sseRM(SseOp.MOVSD, xmm0, param(0)); a.sseRM(SseOp.MULSD, xmm0, param(1)); },
  // 4: (i32 a, i64 b, f32 c, f64 d) -> (f64 d+c, i64 b-a, i32 a) : multi-value into the slots
  (a) => {
    a.sseRM(SseOp.MOVSS, xmm1, param(2)); a.sseRR(SseOp.CVTSS2SD, xmm1, xmm1);
    a.sseRM(SseOp.MOVSD, xmm0, param(3)); a.sseRR(SseOp.ADDSD, xmm0, xmm1);
    a.movsxRM(64, 32, rcx, param(0));
    a.movRM(64, rax, param(1)); a.aluRR(AluOp.SUB, 64, rax, rcx);
    a.movRM(32, rdx, param(0));
    a.sseMR(SseStore.MOVQ, param(0), xmm0);
    a.movMR(64, param(1), rax);
    a.movMR(32, param(2), rdx);
  },
  // 5: rsp alignment seen by the callee at entry (rsp+8 after push rbp... report (rbp+16) & 15)
  (a) => { a.lea(64, rax, mem(rsp, 16)); a.aluRI(AluOp.AND, 32, rax, 15); },
  // 6: sum of 10 i32 params, and the vmctx pointer is in r15
  (a) => {
    a.aluRR(AluOp.XOR, 32, rax, rax);
    for (let i = 0; i < 10; i++) a.aluRM(AluOp.ADD, 32, rax, param(i));
  },
  // 7: return r15 (the pinned vmctx)
  (a) => { a.movRR(64, rax, r15); },
]);
const f = (i: number): bigint => code.functionAddress(i);
const ctx = new ExecContext();

test('i32, i64, f32 and f64 arguments and single results', () => {
  assert.equal(ctx.call(f(0), { params: ['i32', 'i32'], results: ['i32'] }, [40, 2]), [42]);
  assert.equal(ctx.call(f(0), { params: ['i32', 'i32'], results: ['i32'] }, [0x7fffffff, 1]), [-0x80000000]);
  assert.equal(ctx.call(f(1), { params: ['i64', 'i64'], results: ['i64'] }, [-3n, 0x100000000n]), [-0x300000000n]);
  assert.equal(ctx.call(f(2), { params: ['f32', 'f32'], results: ['f32'] }, [1.5, 0.25]), [1.25]);
  assert.equal(ctx.call(f(3), { params: ['f64', 'f64'], results: ['f64'] }, [1e300, -2]), [-2e300]);
});

test('multi-value results come back through the argument slots', () => {
  const r = ctx.call(f(4), { params: ['i32', 'i64', 'f32', 'f64'], results: ['f64', 'i64', 'i32'] }, [-5, 1n << 40n, 0.5, 2.25]);
  assert.equal(r, [2.75, (1n << 40n) + 5n, -5]);
});

test('stack is 16-byte aligned at the call, ten stack arguments arrive, r15 is the vmctx', () => {
  assert.equal(ctx.call(f(5), { params: [], results: ['i32'] }, []), [0]);
  const ten = Array.from({ length: 10 }, (_, i) => (i + 1) * 1000);
  assert.equal(ctx.call(f(6), { params: Array(10).fill('i32'), results: ['i32'] }, ten), [55000]);
  assert.equal(ctx.call(f(7), { params: [], results: ['i64'] }, []), [BigInt.asIntN(64, ctx.vmctx.addr)]);
});

test('many calls in a row keep working (no state leaks between entries)', () => {
  let s = 0;
  for (let i = 0; i < 2000; i++) s += ctx.call(f(0), { params: ['i32', 'i32'], results: ['i32'] }, [i, 1])[0] as number;
  assert.is(s, (1999 * 2000) / 2 + 2000);
});

test.run();
