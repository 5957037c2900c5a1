// Locals cached in registers within straight-line code (write-through): values stay right
// across loops (back edges), calls (all registers clobbered), if/else joins, br_if around,
// emitters that claim fixed registers (division: rax/rdx, shifts: rcx, memory.copy: rdi/rsi/rcx),
// register pressure, local.tee, and float locals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';

test('loops and calls', () => {
  const i = inst(`(module
    (func $clobber (param i32) (result i32) (local i32 i32 i32)
      i32.const 99 local.set 1 i32.const 98 local.set 2 i32.const 97 local.set 3
      local.get 0 local.get 1 i32.add local.get 2 i32.add local.get 3 i32.add)
    (func (export "sum") (param i32) (result i32) (local i32 i32)
      loop
        local.get 1 local.get 0 i32.add local.set 1
        local.get 0 call $clobber drop          ;; cached locals must be reloaded after this
        local.get 1 local.get 0 i32.add local.set 2
        local.get 2 local.get 1 i32.sub local.get 0 i32.ne if unreachable end
        local.get 0 i32.const 1 i32.sub local.tee 0
        br_if 0
      end
      local.get 1))`);
  assert.is(call(i, 'sum', 100), 5050);
});

test('if/else joins and br_if paths keep locals right', () => {
  const i = inst(`(module
    (func (export "f") (param i32 i32) (result i32) (local i32)
      local.get 0 local.set 2
      local.get 1 if
        local.get 2 i32.const 10 i32.add local.set 2     ;; cached in the then arm only
      else
        local.get 2 i32.const 20 i32.mul local.set 2
      end
      local.get 2
      block (result i32)
        local.get 2 i32.const 1 i32.add local.set 2
        local.get 2 local.get 1 br_if 0
        local.get 2 i32.const 3 i32.add local.set 2
        drop local.get 2
      end
      local.get 2 i32.add i32.add))`);
  // a=5,b=1: x=15; block: x=16, br with 16 -> 15 + 16 + 16
  assert.is(call(i, 'f', 5, 1), 47);
  // a=5,b=0: x=100; block: x=101, no branch, x=104, value 104 -> 100 + 104 + 104
  assert.is(call(i, 'f', 5, 0), 308);
});

test('fixed-register emitters evict cached locals', () => {
  const i = inst(`(module (memory 1)
    (func (export "f") (param i32 i32 i32) (result i32) (local i32 i32 i32 i32)
      ;; cache many locals, then division (rax, rdx), shift by a variable (rcx), memory.copy
      local.get 0 i32.const 1 i32.add local.set 3
      local.get 1 i32.const 2 i32.add local.set 4
      local.get 2 i32.const 3 i32.add local.set 5
      local.get 0 local.get 1 i32.mul local.set 6
      local.get 3 local.get 4 i32.div_u
      local.get 5 local.get 2 i32.shl i32.add
      i32.const 64 i32.const 0 local.get 2 memory.copy
      local.get 6 i32.rem_s
      local.get 3 i32.add local.get 4 i32.add local.get 5 i32.add local.get 6 i32.add))`);
  const f = (a: number, b: number, c: number): number => {
    const l3 = a + 1, l4 = b + 2, l5 = c + 3, l6 = a * b;
    const v = (((l3 / l4) >>> 0) + ((l5 << c) | 0)) % l6;
    return (v + l3 + l4 + l5 + l6) | 0;
  };
  assert.is(call(i, 'f', 100, 7, 3), f(100, 7, 3));
  assert.is(call(i, 'f', 1000, 3, 5), f(1000, 3, 5));
});

test('register pressure: more live locals than registers', () => {
  const n = 24;
  const locals = Array(n).fill('i64').join(' ');
  const sets = Array.from({ length: n }, (_, k) => `local.get 0 i64.const ${k + 1} i64.mul local.set ${k + 1}`).join('\n');
  const sum = Array.from({ length: n }, (_, k) => `local.get ${k + 1}`).join(' ') + ' ' + Array(n - 1).fill('i64.add').join(' ');
  const twice = Array.from({ length: n }, (_, k) => `local.get ${k + 1}`).join(' i64.add ');
  const i = inst(`(module (func (export "f") (param i64) (result i64) (local ${locals})
    ${sets}
    ${sum} local.get 1 ${twice} i64.add i64.add))`);
  const x = 3n;
  let s = 0n; for (let k = 1n; k <= BigInt(n); k++) s += x * k;
  assert.is(call(i, 'f', x), s + x + s);
});

test('float locals', () => {
  const i = inst(`(module
    (func (export "f") (param f64 i32) (result f64) (local f64 f32)
      loop
        local.get 2 local.get 0 f64.add local.set 2
        local.get 3 f32.const 0.5 f32.add local.set 3
        local.get 2 local.get 0 f64.mul local.get 2 f64.sub local.set 0
        local.get 1 i32.const 1 i32.sub local.tee 1 br_if 0
      end
      local.get 0 local.get 2 f64.add local.get 3 f64.promote_f32 f64.add))`);
  let a = 1.5, s = 0, h = 0;
  for (let k = 0; k < 5; k++) { s += a; h = Math.fround(h + 0.5); a = s * a - s; }
  assert.is(call(i, 'f', 1.5, 5), a + s + h);
});

test.run();
