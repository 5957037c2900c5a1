// memory.copy and memory.fill compiled inline (rep movsb/stosb): overlap in both directions,
// zero lengths at the very end of memory, bounds traps that write nothing, operands that live in
// the registers the string instructions need, and the direction flag left clear.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';

const MOD = `(module (memory (export "mem") 1 2)
  (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy)
  (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  ;; operands computed into registers (rax/rcx/rsi/rdi taken by other live values first)
  (func (export "regs") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add    ;; live across the copy
    local.get 0 i32.const 100 i32.add local.get 0 i32.const 4 i32.add
    local.get 0 i32.const 2 i32.mul local.get 0 i32.sub
    memory.copy
    local.get 0 i32.const 200 i32.add i32.const 0xab local.get 0 i32.const 0xfffff i32.and memory.fill
    i32.const 3 i32.add))`;

function bytes(i: ReturnType<typeof inst>): Uint8Array {
  return new Uint8Array((i.exports.mem as { buffer: ArrayBuffer }).buffer);
}

test('copy: forward and backward overlap behave like memmove', () => {
  const i = inst(MOD);
  const m = bytes(i);
  for (let k = 0; k < 32; k++) m[k] = k + 1;
  call(i, 'copy', 4, 0, 16); // dst > src, overlapping: must copy backwards
  assert.equal([...m.subarray(0, 24)], [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 21, 22, 23, 24]);
  for (let k = 0; k < 32; k++) m[k] = k + 1;
  call(i, 'copy', 0, 4, 16); // dst < src, overlapping: forwards
  assert.equal([...m.subarray(0, 24)], [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 17, 18, 19, 20, 21, 22, 23, 24]);
  for (let k = 0; k < 32; k++) m[k] = k + 1;
  call(i, 'copy', 3, 3, 10); // dst == src
  assert.equal([...m.subarray(0, 16)], Array.from({ length: 16 }, (_, k) => k + 1));
  call(i, 'copy', 1000, 0, 8); // disjoint
  assert.equal([...m.subarray(1000, 1008)], [1, 2, 3, 4, 5, 6, 7, 8]);
  // direction flag cleared again: a later forward copy still works
  call(i, 'copy', 2000, 1000, 4);
  assert.equal([...m.subarray(2000, 2004)], [1, 2, 3, 4]);
});

test('bounds: traps write nothing; zero length at the end is fine', () => {
  const i = inst(MOD);
  const m = bytes(i);
  m.fill(7, 65530);
  assert.is(call(i, 'copy', 65530, 0, 7), 'trap: out of bounds memory access');
  assert.is(call(i, 'copy', 0, 65530, 7), 'trap: out of bounds memory access');
  assert.is(call(i, 'fill', 65530, 1, 7), 'trap: out of bounds memory access');
  assert.is(call(i, 'fill', 0, 1, -1), 'trap: out of bounds memory access');
  assert.is(call(i, 'copy', -1, 0, 1), 'trap: out of bounds memory access');
  assert.ok(m.subarray(65530).every((b) => b === 7), 'nothing written by a trapping fill/copy');
  assert.ok(m.subarray(0, 16).every((b) => b === 0));
  assert.is(call(i, 'copy', 65536, 65536, 0), undefined);
  assert.is(call(i, 'fill', 65536, 0, 0), undefined);
  assert.is(call(i, 'copy', 65537, 0, 0), 'trap: out of bounds memory access');
  call(i, 'fill', 65530, 0x1ff, 6); // the value is truncated to a byte
  assert.equal([...m.subarray(65530)], [255, 255, 255, 255, 255, 255]);
  // after memory.grow the new size counts
  assert.is(call(i, 'grow', 1), 1);
  assert.is(call(i, 'fill', 65536, 9, 100), undefined);
  assert.is(bytes(i)[65600], 9);
  assert.is(call(i, 'fill', 131000, 9, 600), 'trap: out of bounds memory access');
});

test('operands already in registers, live values kept', () => {
  const i = inst(MOD);
  const m = bytes(i);
  for (let k = 0; k < 64; k++) m[1000 + k] = k;
  assert.is(call(i, 'regs', 1000), 1004);
  // copy dst=1100, src=1004, n=1000*2-1000=1000 -> bytes 4.. of the pattern at 1100
  assert.equal([...m.subarray(1100, 1104)], [4, 5, 6, 7]);
  assert.is(m[1200], 0xab);
  assert.is(m[1200 + (1000 & 0xfffff) - 1], 0xab);
});

test.run();
