// Block/if results kept in rax/xmm0 across every kind of edge: fall-through, else, br, br_if
// (with rax free, holding the value already, or busy with a live value: branch-around), br_table
// (stubs), flags values as results, nesting, and values below the block kept intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';

test('if/else results, int and float, nested', () => {
  const i = inst(`(module
    (func (export "pick") (param i32 i64 i64) (result i64)
      local.get 0 if (result i64) local.get 1 else local.get 2 end)
    (func (export "fpick") (param i32 f64) (result f64)
      local.get 0 if (result f64) local.get 1 f64.const 2 f64.mul else f64.const -0.5 end
      f64.const 1 f64.add)
    (func (export "nest") (param i32 i32) (result i32)
      i32.const 1000
      local.get 0 if (result i32)
        local.get 1 if (result i32) i32.const 1 else i32.const 2 end i32.const 10 i32.mul
      else
        local.get 1 if (result i32) i32.const 3 else i32.const 4 end
      end
      i32.add)
    (func (export "cmp") (param i32 i32) (result i32)
      local.get 0 if (result i32) local.get 0 local.get 1 i32.lt_s else i32.const 7 end))`);
  assert.is(call(i, 'pick', 1, 5n, 6n), 5n);
  assert.is(call(i, 'pick', 0, 5n, 6n), 6n);
  assert.is(call(i, 'fpick', 1, 1.25), 3.5);
  assert.is(call(i, 'fpick', 0, 1.25), 0.5);
  assert.is(call(i, 'nest', 1, 1), 1010);
  assert.is(call(i, 'nest', 1, 0), 1020);
  assert.is(call(i, 'nest', 0, 1), 1003);
  assert.is(call(i, 'nest', 0, 0), 1004);
  assert.is(call(i, 'cmp', 1, 2), 1);
  assert.is(call(i, 'cmp', 3, 2), 0);
  assert.is(call(i, 'cmp', 0, 2), 7);
});

test('br and br_if carry the block value (rax free, taken, busy)', () => {
  const i = inst(`(module
    (func (export "brif") (param i32 i32) (result i32)
      block (result i32)
        local.get 0 local.get 1 br_if 0
        i32.const 100 i32.add
      end i32.const 1 i32.add)
    ;; rax holds a live value (a call result) when br_if needs it for the block value
    (func $id (param i32) (result i32) local.get 0)
    (func (export "busy") (param i32 i32) (result i32)
      block (result i32)
        local.get 0 call $id          ;; in rax, live on the fall-through path
        local.get 0 i32.const 5 i32.add
        local.get 1 br_if 0           ;; the value (rcx) must go to rax only when taken
        i32.add
      end)
    (func (export "fbr") (param i32 f32) (result f32)
      block (result f32)
        local.get 1 local.get 1 f32.add
        local.get 0 br_if 0
        f32.const 1 f32.add
        br 0
      end f32.neg)
    (func (export "flags") (param i32 i32) (result i32)
      block (result i32)
        local.get 0 local.get 1 i32.gt_u
        local.get 0 br_if 0
        i32.eqz
      end)
    (func (export "deep") (param i32) (result i64)
      i64.const 7
      block (result i64)
        block
          block (result i32) i64.const 3 local.get 0 br_if 2 drop i32.const 5 br 0 end
          drop
        end
        i64.const 11
      end
      i64.mul))`);
  assert.is(call(i, 'brif', 1, 1), 2);
  assert.is(call(i, 'brif', 1, 0), 102);
  assert.is(call(i, 'busy', 10, 1), 15);
  assert.is(call(i, 'busy', 10, 0), 25);
  assert.is(call(i, 'fbr', 1, 1.5), -3);
  assert.is(call(i, 'fbr', 0, 1.5), -4);
  assert.is(call(i, 'flags', 5, 2), 1);
  assert.is(call(i, 'flags', 0, 2), 1);
  assert.is(call(i, 'deep', 1), 21n);
  assert.is(call(i, 'deep', 0), 77n);
});

test('br_table to blocks with a value, a loop and the function', () => {
  const i = inst(`(module
    (func (export "sw") (param i32) (result i32)
      i32.const 1000
      block (result i32)
        block (result i32)
          block (result i32)
            local.get 0 i32.const 3 i32.mul
            local.get 0 br_table 0 1 2 3
          end i32.const 1 i32.add
        end i32.const 10 i32.add
      end
      i32.add)
    (func (export "fsw") (param i32) (result f64)
      block (result f64)
        block (result f64)
          f64.const 1.5 local.get 0 br_table 1 0
        end f64.const 2 f64.mul
      end))`);
  assert.is(call(i, 'sw', 0), 1011);
  assert.is(call(i, 'sw', 1), 1013);
  assert.is(call(i, 'sw', 2), 1006);
  assert.is(call(i, 'sw', 3), 9, 'to the function: returns the value');
  assert.is(call(i, 'sw', 99), 9 * 33);
  assert.is(call(i, 'fsw', 0), 1.5);
  assert.is(call(i, 'fsw', 1), 3);
});

test.run();
