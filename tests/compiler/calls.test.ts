// Calls with the outgoing argument area reserved in the frame: arguments are stored straight
// from registers, constants, locals and slots; values live across calls; call_indirect whose
// index and arguments are all still in registers; multi-value results through the area.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';

test('many arguments of every kind and location', () => {
  const params = 'i32 i64 f32 f64 '.repeat(5);
  const i = inst(`(module
    (func $mix (param ${params}) (result f64)
      ${Array.from({ length: 20 }, (_, k) => `local.get ${k} ${['f64.convert_i32_s', 'f64.convert_i64_s', 'f64.promote_f32', ''][k % 4]} f64.const ${k + 1} f64.mul ${k > 0 ? 'f64.add' : ''}`).join('\n')})
    (func (export "f") (param i32 i64) (result f64)
      ;; constants, locals, fresh registers and a value computed before and kept across a call
      local.get 0 i32.const 1 i32.add
      local.get 1
      f32.const 2.5
      f64.const -1
      i32.const 7 local.get 1 i64.const 3 i64.mul f32.const 0.5 local.get 0 f64.convert_i32_s
      local.get 0 local.get 1 f32.const 1 f64.const 2
      i32.const -1 i64.const -1 f32.const -1 f64.const 4
      i32.const 100 i64.const 0x123456789 f32.const 3 local.get 0 f64.convert_i32_u
      call $mix))`);
  const a = 5, b = 11n;
  const vals = [a + 1, Number(b), 2.5, -1, 7, Number(b) * 3, 0.5, a, a, Number(b), 1, 2, -1, -1, -1, 4, 100, 0x123456789, 3, a];
  const want = vals.reduce((s, v, k) => s + v * (k + 1), 0);
  assert.is(call(i, 'f', a, b), want);
});

test('values below the arguments survive the call; nested calls in argument position', () => {
  const i = inst(`(module
    (func $sub (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub)
    (func (export "f") (param i32) (result i32)
      local.get 0 i32.const 1000 i32.mul                 ;; in a register across both calls
      local.get 0 local.get 0 i32.const 3 call $sub call $sub
      i32.add))`);
  assert.is(call(i, 'f', 7), 7003);
});

test('call_indirect with index and arguments in registers, results in rax and in slots', () => {
  const i = inst(`(module
    (type $t (func (param i32 i32) (result i32)))
    (type $m (func (param i64) (result i64 i64 i64)))
    (table 4 funcref) (elem (i32.const 0) $add $sub $three)
    (func $add (type $t) local.get 0 local.get 1 i32.add)
    (func $sub (type $t) local.get 0 local.get 1 i32.sub)
    (func $three (type $m) local.get 0 local.get 0 i64.const 1 i64.add local.get 0 i64.const 2 i64.add)
    (func (export "ind") (param i32 i32 i32) (result i32)
      local.get 0 i32.const 1 i32.add local.get 1 i32.const 2 i32.mul local.get 2 i32.const 0 i32.add
      call_indirect (type $t))
    (func (export "multi") (param i64) (result i64)
      local.get 0 i32.const 2 call_indirect (type $m) i64.mul i64.mul))`);
  assert.is(call(i, 'ind', 10, 3, 0), 17);
  assert.is(call(i, 'ind', 10, 3, 1), 5);
  assert.is(call(i, 'ind', 10, 3, 2), 'trap: indirect call type mismatch');
  assert.is(call(i, 'ind', 10, 3, 3), 'trap: uninitialized element');
  assert.is(call(i, 'ind', 10, 3, 4), 'trap: undefined element');
  assert.is(call(i, 'multi', 3n), 60n);
});

test('deep recursion with arguments still hits the stack limit cleanly', () => {
  const i = inst(`(module
    (func $r (export "r") (param i32 i64 i32 i64) (result i32)
      local.get 0 i32.eqz if (result i32) i32.const 0 else
      local.get 0 i32.const 1 i32.sub local.get 1 local.get 2 local.get 3 call $r i32.const 1 i32.add end))`);
  assert.is(call(i, 'r', 1000, 0n, 0, 0n), 1000);
  assert.is(call(i, 'r', -1, 0n, 0, 0n), 'trap: call stack exhausted');
  assert.is(call(i, 'r', 10, 0n, 0, 0n), 10);
});

test.run();
