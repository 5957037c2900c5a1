// Arithmetic edge cases per family: the values the x86 instructions get wrong unless the
// compiler handles them (division traps, shifts by >= width, bit counts of 0, float min/max with
// NaN and signed zeros, nearest ties, conversions at the range limits).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';

const ops = (ty: string, names: string[], params: number): string => names.map((n) =>
  `(func (export "${n}") ${'(param ' + Array(params).fill(ty).join(' ') + ')'} (result ${n.startsWith('i32.') && ty !== 'i32' ? 'i32' : n.split('.')[0]}) ${Array.from({ length: params }, (_, k) => `local.get ${k}`).join(' ')} ${n})`).join('\n');

test('i32 division and remainder', () => {
  const i = inst(`(module ${ops('i32', ['i32.div_s', 'i32.div_u', 'i32.rem_s', 'i32.rem_u'], 2)})`);
  assert.is(call(i, 'i32.div_s', 7, -2), -3);
  assert.is(call(i, 'i32.div_s', 1, 0), 'trap: integer divide by zero');
  assert.is(call(i, 'i32.div_s', -2147483648, -1), 'trap: integer overflow');
  assert.is(call(i, 'i32.rem_s', -2147483648, -1), 0);
  assert.is(call(i, 'i32.rem_s', -7, 2), -1);
  assert.is(call(i, 'i32.div_u', -1, 2), 2147483647);
  assert.is(call(i, 'i32.rem_u', 5, 0), 'trap: integer divide by zero');
});

test('i64 division, shifts, rotates and bit counts', () => {
  const i = inst(`(module ${ops('i64', ['i64.div_s', 'i64.rem_s', 'i64.shl', 'i64.shr_s', 'i64.rotl'], 2)} ${ops('i64', ['i64.clz', 'i64.ctz', 'i64.popcnt'], 1)})`);
  assert.is(call(i, 'i64.div_s', -(2n ** 63n), -1n), 'trap: integer overflow');
  assert.is(call(i, 'i64.rem_s', -(2n ** 63n), -1n), 0n);
  assert.is(call(i, 'i64.shl', 1n, 65n), 2n);
  assert.is(call(i, 'i64.shr_s', -8n, 1n), -4n);
  assert.is(call(i, 'i64.rotl', -(2n ** 63n), 1n), 1n);
  assert.is(call(i, 'i64.clz', 0n), 64n);
  assert.is(call(i, 'i64.ctz', 0n), 64n);
  assert.is(call(i, 'i64.clz', 1n), 63n);
  assert.is(call(i, 'i64.popcnt', -1n), 64n);
});

test('i32 constants folded into immediates and compares fused with branches', () => {
  const i = inst(`(module
    (func (export "f") (param i32) (result i32)
      local.get 0 i32.const 5 i32.add i32.const 10 i32.lt_s if (result i32) i32.const 1 else i32.const 2 end)
    (func (export "sel") (param i32 i32) (result i32)
      local.get 0 local.get 1 local.get 0 local.get 1 i32.gt_u select))`);
  assert.is(call(i, 'f', 4), 1);
  assert.is(call(i, 'f', 5), 2);
  assert.is(call(i, 'sel', 3, -1), -1);
  assert.is(call(i, 'sel', 3, 2), 3);
});

test('float min/max, nearest, copysign', () => {
  const i = inst(`(module ${ops('f64', ['f64.min', 'f64.max', 'f64.copysign'], 2)} ${ops('f32', ['f32.nearest', 'f32.neg', 'f32.abs'], 1)})`);
  assert.ok(Object.is(call(i, 'f64.min', 0, -0), -0));
  assert.ok(Object.is(call(i, 'f64.max', -0, 0), 0));
  assert.ok(Number.isNaN(call(i, 'f64.min', 1, NaN) as number));
  assert.ok(Number.isNaN(call(i, 'f64.max', NaN, 1) as number));
  assert.is(call(i, 'f64.min', 1, 2), 1);
  assert.ok(Object.is(call(i, 'f64.copysign', 3, -0), -3));
  assert.is(call(i, 'f32.nearest', 2.5), 2);
  assert.is(call(i, 'f32.nearest', 3.5), 4);
  assert.ok(Object.is(call(i, 'f32.neg', 0), -0));
  assert.is(call(i, 'f32.abs', -1.5), 1.5);
});

test('float to int: traps, saturation and unsigned limits', () => {
  const i = inst(`(module
    ${ops('f64', ['i32.trunc_f64_s', 'i32.trunc_f64_u', 'i32.trunc_sat_f64_s', 'i32.trunc_sat_f64_u'], 1)}
    ${ops('f32', ['i64.trunc_f32_u', 'i64.trunc_sat_f32_u'], 1)}
    (func (export "cvt_u64") (param i64) (result f64) local.get 0 f64.convert_i64_u))`);
  assert.is(call(i, 'i32.trunc_f64_s', -2147483648.9), -2147483648);
  assert.is(call(i, 'i32.trunc_f64_s', -2147483649), 'trap: integer overflow');
  assert.is(call(i, 'i32.trunc_f64_s', NaN), 'trap: invalid conversion to integer');
  assert.is(call(i, 'i32.trunc_f64_u', -0.9), 0);
  assert.is(call(i, 'i32.trunc_f64_u', 4294967295.5), -1);
  assert.is(call(i, 'i32.trunc_f64_u', 4294967296), 'trap: integer overflow');
  assert.is(call(i, 'i32.trunc_sat_f64_s', 1e10), 2147483647);
  assert.is(call(i, 'i32.trunc_sat_f64_s', NaN), 0);
  assert.is(call(i, 'i32.trunc_sat_f64_u', -5), 0);
  assert.is(call(i, 'i64.trunc_f32_u', 2 ** 63), -(2n ** 63n), 'u64 2^63 reads back as a signed BigInt');
  assert.is(call(i, 'i64.trunc_f32_u', 2 ** 64), 'trap: integer overflow');
  assert.is(call(i, 'i64.trunc_sat_f32_u', 2 ** 64), -1n);
  assert.is(call(i, 'cvt_u64', -1n), 2 ** 64);
});

test.run();
