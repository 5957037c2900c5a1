import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AluOp, rax, rcx, rsp, mem, Cond } from '../../backend-x64/index.js';
import { Trap } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { TrapCode } from '../../abi/traps.js';
import { VMCTX } from '../../abi/vmctx.js';
import { assemble, param, vm } from './asm-helpers.js';

const code = assemble([
  // 0: runaway recursion without a stack check: f(n) = f(n + 1)
  (a, me) => {
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movRM(64, rax, param(0)); a.aluRI(AluOp.ADD, 64, rax, 1); a.movMR(64, mem(rsp, 0), rax);
    a.call(me);
  },
  // 1: runaway recursion with the ABI prologue check: lowest frame address vs stackLimit
  (a, me) => {
    const ok = a.newLabel();
    a.lea(64, rax, mem(rsp, -64));
    a.aluRM(AluOp.CMP, 64, rax, vm('stackLimit'));
    a.jcc(Cond.AE, ok);
    a.callM(vm('trapStubs', 8 * TrapCode.stackOverflow));
    a.bind(ok);
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.call(me);
  },
  // 2: endless loop whose header checks rsp against stackLimit; calls import 0 every 1000 turns
  (a) => {
    const top = a.newLabel(), ok = a.newLabel(), noCall = a.newLabel();
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.aluRR(AluOp.XOR, 32, rcx, rcx);
    a.bind(top);
    a.aluRM(AluOp.CMP, 64, rsp, vm('stackLimit'));
    a.jcc(Cond.AE, ok);
    a.callM(vm('trapStubs', 8 * TrapCode.stackOverflow));
    a.bind(ok);
    a.aluRI(AluOp.ADD, 32, rcx, 1);
    a.aluRI(AluOp.CMP, 32, rcx, 1000);
    a.jcc(Cond.NE, noCall);
    a.aluRR(AluOp.XOR, 32, rcx, rcx);
    a.movRI(32, rax, 0);
    a.movRI(32, rcx, 0);
    a.callM(vm('hostCallStub'));
    a.aluRR(AluOp.XOR, 32, rcx, rcx);
    a.bind(noCall);
    a.jmp(top);
  },
]);
const f = (i: number): bigint => code.functionAddress(i);
let polls = 0;
const ctx = new ExecContext({
  stackSize: 256 * 1024,
  hostFunctions: [{ type: { params: [], results: [] }, fn: () => { if (++polls === 5) ctx.interrupt(); } }],
});
const trapOf = (fn: () => unknown): Trap => {
  try { fn(); } catch (e) { if (e instanceof Trap) return e; throw e; }
  throw new Error('expected a trap');
};

test('runaway recursion hits the guard page and comes back as a stack-overflow trap', () => {
  for (let round = 0; round < 3; round++) {
    const t = trapOf(() => ctx.call(f(0), { params: ['i64'], results: [] }, [0n]));
    assert.is(t.kind, 'stackOverflow');
    assert.is(t.message, 'call stack exhausted');
    assert.is(t.signal, 11);
    assert.ok(t.faultAddress >= ctx.stack.guardLo && t.faultAddress < ctx.stack.guardHi);
  }
});

test('the prologue stack-limit check traps before the guard page', () => {
  const t = trapOf(() => ctx.call(f(1), { params: [], results: [] }, []));
  assert.is(t.kind, 'stackOverflow');
  assert.is(t.signal, 0);
  assert.is(t.functionIndex, 1);
});

test('interrupt from a host call: the loop-header check traps with "interrupted"', () => {
  const t = trapOf(() => ctx.call(f(2), { params: [], results: [] }, []));
  assert.is(t.kind, 'interrupted');
  assert.is(polls, 5);
  // the next call starts uninterrupted and the stack limit is back
  assert.is(ctx.vmctx.buf.readBigUInt64LE(VMCTX.stackLimit) === ctx.stack.limit, false);
  assert.is(trapOf(() => ctx.call(f(1), { params: [], results: [] }, [])).kind, 'stackOverflow');
  assert.is(ctx.vmctx.buf.readBigUInt64LE(VMCTX.stackLimit), ctx.stack.limit);
});

test.run();
