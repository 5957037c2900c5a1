// CodeGen's typed register API (masm.ts): emitters ask for a register class, and a pop checks
// the top entry's class once, so an emitter that pops an f64 as a GPR (or an i32 as an XMM)
// fails at compile time of the module instead of emitting code on the wrong register file.
// Also: the two-step condition (takeCondition / testCondition) that replaced popCondition's
// module-level out-parameters leaves the operands where select expects them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assembler, Cond, rax } from '../../backend-x64/index.js';
import { CodeGen, type ModuleEnv } from '../../jit/compiler/masm.js';
import { F64, I32, I64 } from '../../jit/frontend/types.js';

function codegen(): CodeGen {
  const env: ModuleEnv = {
    types: [{ params: new Uint8Array(0), results: new Uint8Array(0) }],
    funcTypeIndices: Uint32Array.of(0), numImportedFuncs: 0, numImportedGlobals: 0,
    globalTypes: new Uint8Array(0), globalOffsets: new Uint32Array(0), tableTypes: new Uint8Array(0),
    funcLabels: [],
  };
  const c = new CodeGen(new Assembler(), env);
  c.begin(0, new Uint8Array(0), 0, false);
  return c;
}

test('a pop of the wrong class is refused, the right class gets a typed register', () => {
  const c = codegen();
  const x = c.allocXmm();
  c.pushReg(F64, x);
  assert.throws(() => c.popGpr(), /popped a XMM value as GPR/);
  assert.throws(() => c.popReadGpr(), /popped a XMM value as GPR/);
  assert.throws(() => c.popBinaryGpr(32), /popped a XMM value as GPR/);
  assert.is(c.popXmm(), x);
  const g = c.allocGpr();
  c.pushReg(I64, g);
  assert.throws(() => c.popXmm(), /popped a GPR value as XMM/);
  assert.is(c.gprOf(c.vs.sp - 1), g);
  assert.is(c.popGpr(), g);
});

test('gprOf refuses an entry that is not a GPR register', () => {
  const c = codegen();
  c.vs.pushConst(I32, 5, 0);
  assert.throws(() => c.gprOf(0), /gprOf/);
  c.dropTop();
  c.pushReg(F64, c.allocXmm());
  assert.throws(() => c.gprOf(0), /gprOf/);
});

test('takeCondition / testCondition: a pending compare is used as is, a value is tested', () => {
  const c = codegen();
  c.pushReg(I32, c.allocGpr());
  c.pushCond(Cond.L);
  c.takeCondition();
  assert.is(c.vs.sp, 1); // the condition is off the stack before its test
  assert.is(c.testCondition(), Cond.L);
  assert.is(c.asm.finish().code.length, 0, 'no test: the flags are the condition');
  const c2 = codegen();
  c2.ra.take(false, rax);
  c2.pushReg(I32, rax);
  c2.takeCondition();
  assert.is(c2.vs.sp, 0);
  assert.ok(c2.ra.isFree(false, rax) === false, 'held until the test');
  assert.is(c2.testCondition(), Cond.NE);
  assert.ok(c2.ra.isFree(false, rax), 'freed after the test');
  assert.ok(c2.asm.finish().code.length > 0, 'test eax, eax emitted');
});

test.run();
