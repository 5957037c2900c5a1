// Deferred zeroing of declared locals and lazily stored register parameters (CodeGen.deferZeroing,
// CodeGen.enterParams): until the first control instruction a declared local that was not set
// reads as the constant 0 and its slot is not written; before the first block/loop/if/br* the
// slots of the locals still unset get their zero (or, for one explicitly set to 0, a cache
// register). A register parameter starts as a dirty cached local: its home slot is written only
// where the lazy write-back needs it (calls, joins, eviction).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call, disasmText } from './helpers.js';

// $dirty fills its frame with all-ones values (stored: a call needs them in the frame), so a
// function called right after it at the same depth finds garbage in any slot it does not zero.
const DIRTY = `
    (func $nop)
    (func $dirty (local i64 i64 i64 i64 i64 i64 i64 i64)
      i64.const -1 local.set 0 i64.const -1 local.set 1 i64.const -1 local.set 2 i64.const -1 local.set 3
      i64.const -1 local.set 4 i64.const -1 local.set 5 i64.const -1 local.set 6 i64.const -1 local.set 7
      call $nop
      local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 local.get 6 local.get 7
      i64.and i64.and i64.and i64.and i64.and i64.and i64.and drop)`;

test('declared locals read 0 before, across and after the first control instruction', () => {
  const i = inst(`(module ${DIRTY}
    (func $straight (result i64) (local i32 i64 f32 f64)
      call $nop                                      ;; still pending after a call
      local.get 0 i64.extend_i32_u local.get 1 i64.add
      local.get 2 i64.trunc_f32_s i64.add local.get 3 i64.trunc_f64_s i64.add)
    (func $after_block (result i64) (local i32 i64 f32 f64)
      block end                                      ;; the slots get their zero here
      local.get 0 i64.extend_i32_u local.get 1 i64.add
      local.get 2 i64.trunc_f32_s i64.add local.get 3 i64.trunc_f64_s i64.add)
    (func $in_loop (param i32) (result i64) (local i64 i64)
      i64.const 0 local.set 1                        ;; explicitly 0: cached at the loop header
      loop
        local.get 1 local.get 2 i64.add i64.const 1 i64.add local.set 1   ;; local 2 never set
        local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0
      end
      local.get 1 local.get 2 i64.add)
    (func $tee (result i32) (local i32 i32)
      i32.const 0 local.tee 0 local.set 1            ;; setting 0 keeps them pending
      local.get 0 local.get 1 i32.add
      if (result i32) local.get 1 else local.get 0 i32.const 7 i32.add end)
    (func (export "straight") (result i64) call $dirty call $straight)
    (func (export "after_block") (result i64) call $dirty call $after_block)
    (func (export "in_loop") (param i32) (result i64) call $dirty local.get 0 call $in_loop)
    (func (export "tee") (result i32) call $dirty call $tee))`);
  assert.is(call(i, 'straight'), 0n);
  assert.is(call(i, 'after_block'), 0n);
  assert.is(call(i, 'in_loop', 5), 5n);
  assert.is(call(i, 'tee'), 7);
});

test('a local set before the first branch is not zeroed in the prologue', async () => {
  const text = await disasmText(`(module
    (func (export "f") (param i32) (result i32) (local i32)
      local.get 0 i32.const 3 i32.mul local.set 1
      block local.get 0 br_if 0 local.get 1 i32.const 1 i32.add local.set 1 end
      local.get 1))`, 0);
  // Without the deferral the prologue stores 0 to the local's slot ([rbp - 0x10]).
  assert.not.ok(text.some((t) => /^mov (dword|qword) ptr \[rbp - 0x10\], 0$/.test(t) || /^mov qword ptr \[rbp - 0x10\], rax$/.test(t)), text.join('\n'));
  const i = inst(`(module
    (func (export "f") (param i32) (result i32) (local i32)
      local.get 0 i32.const 3 i32.mul local.set 1
      block local.get 0 i32.const 1 i32.and br_if 0 local.get 1 i32.const 1 i32.add local.set 1 end
      local.get 1))`);
  assert.is(call(i, 'f', 3), 9);
  assert.is(call(i, 'f', 4), 13);
});

test('register parameters, stored lazily, survive joins, calls, loop exits and multi-value returns', () => {
  const i = inst(`(module
    (func $id (param i32) (result i32) local.get 0)
    (func (export "join") (param i32 i64 f64) (result f64)
      local.get 0 if nop else nop end                 ;; a join: the parameters go to their slots
      local.get 0 f64.convert_i32_u local.get 1 f64.convert_i64_s f64.add local.get 2 f64.add)
    (func (export "call") (param i32 i32) (result i32)
      local.get 0 call $id drop                        ;; a call: the parameters go to their slots
      local.get 0 i32.const 100 i32.mul local.get 1 i32.add)
    (func (export "loop") (param i32 i32) (result i32)
      block $out
        loop $l                                        ;; parameter 1 cached at the header, dirty
          local.get 1 local.get 0 i32.add local.set 1
          local.get 0 i32.const 1 i32.sub local.tee 0 i32.eqz br_if $out
          br $l
        end
      end
      local.get 1 call $id local.get 1 i32.add)        ;; read after the exit and after a call
    (func (export "multi") (param i32 i32) (result i32 i32)
      local.get 1 local.get 0))`);
  assert.is(call(i, 'join', 2, 3n, 0.5), 5.5);
  assert.is(call(i, 'call', 4, 5), 405);
  assert.is(call(i, 'loop', 4, 1), 22); // 1 + 4 + 3 + 2 + 1 = 11, twice
  assert.equal(call(i, 'multi', 1, 2), [2, 1]);
});

test.run();
