// A block's join takes dirty locals in registers (CodeGen.blockEdge, LocalCache.joinBlockEdge):
// the first edge into a block's end fixes the (local, register) pairs, dirty ones included;
// later edges bring every pair some edge carried dirty into its register (moves, or a load when
// the local is not cached there), store the other dirty locals and drop clean pairs they
// disagree with. Checked on the disassembly (an early-exit br_if is a plain jcc with no store)
// and against V8 on every kind of edge: br_if (with and without a block value in rax), br,
// br_table (direct and through a stub), the fall-through end, loop exits, and reads after the
// join and after a call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wat } from '../jit/wat.js';
import { inst, call, disasmText } from './helpers.js';

const FIB = `(module
  (func $fib (export "fib") (param i32) (result i32) (local i32)
    i32.const 0 local.set 1                                 ;; clang's fib: local 1 cached as 0
    block
      local.get 0 i32.const 2 i32.lt_u br_if 0
      loop
        local.get 0 i32.const -1 i32.add call $fib local.get 1 i32.add local.set 1
        local.get 0 i32.const -2 i32.add local.tee 0 i32.const 1 i32.gt_u br_if 0
      end
    end
    local.get 0 local.get 1 i32.add))`;

test('an early-exit br_if to a block is a plain jcc: the parameter and locals stay in registers', async () => {
  const text = await disasmText(FIB, 0);
  // (clang's code for bench/programs/fib.c) the first jcc after the prologue's stack check is the early exit; nothing before it touches the frame
  const first = text.findIndex((t, k) => k > 4 && /^j(b|ae|nb|c|nc) /.test(t));
  assert.ok(first > 0, text.join('\n'));
  const before = text.slice(5, first);
  assert.not.ok(before.some((t) => /ptr \[rbp/.test(t)), `no frame access before the early exit:\n${text.join('\n')}`);
  const i = inst(FIB);
  assert.is(call(i, 'fib', 20), 6765);
  assert.is(call(i, 'fib', 1), 1);
});

const EDGES = `(module
  (func $id (param i32) (result i32) local.get 0)
  (func (export "edges") (param i32 i32) (result i32) (local i32 i32 i64)
    i32.const 5 local.set 2
    block $b
      local.get 0 i32.const 3 i32.mul local.set 2          ;; dirty in one register
      local.get 1 i32.const 1 i32.and br_if $b             ;; first edge: the pairs, dirty
      local.get 2 local.get 1 i32.add local.set 3
      local.get 3 local.set 2                              ;; local 2 now in another register
      local.get 1 i32.const 2 i32.and br_if $b             ;; must move it back
      local.get 0 call $id local.set 2                     ;; after a call: nothing cached
      local.get 1 i32.const 4 i32.and br_if $b             ;; must load it / bring the result in
      i64.const 7 local.set 4
      local.get 1 i32.const 8 i32.and br $b
    end
    local.get 2 i32.const 1000 i32.mul local.get 3 i32.add
    local.get 4 i32.wrap_i64 i32.const 100000 i32.mul i32.add
    local.get 2 call $id i32.add local.get 2 i32.add)
  (func (export "value") (param i32 i32) (result i32) (local i32 i32)
    local.get 0 local.set 2
    block $b (result i32)
      local.get 2 i32.const 7 i32.add local.set 3           ;; dirty, may sit in rax
      local.get 3 local.get 1 i32.const 1 i32.and br_if $b  ;; the block value travels in rax
      drop
      local.get 3 local.get 2 i32.mul local.set 2
      local.get 2 local.get 3 i32.sub
      local.get 1 i32.const 2 i32.and br_if $b
      drop
      local.get 0 call $id local.set 3
      i32.const 11 local.get 1 i32.const 4 i32.and br_if $b
      drop local.get 2
    end
    i32.const 10000 i32.mul local.get 2 i32.add local.get 3 i32.const 100 i32.mul i32.add)
  (func (export "table") (param i32 i32) (result i32) (local i32 i32)
    local.get 0 local.set 2
    block $a
      block $b
        local.get 2 i32.const 3 i32.add local.set 3
        local.get 1 i32.const 1 i32.and br_if $a           ;; $a's first edge: locals 2 and 3 dirty
        local.get 3 local.get 2 local.set 3 local.set 2    ;; swap: neither in its join register
        local.get 1 i32.const 1 i32.shr_u br_table $a $b $a
      end
      local.get 2 i32.const 50 i32.add local.set 2
    end
    local.get 2 i32.const 1000 i32.mul local.get 3 i32.add)
  (func (export "exit") (param i32) (result i32) (local i32 i32)
    block $out
      loop $l
        local.get 1 i32.const 3 i32.add local.set 1         ;; cached at the header, dirty
        local.get 2 local.get 1 i32.xor local.set 2
        local.get 1 local.get 0 i32.ge_u br_if $out         ;; the loop exit carries them
        br $l
      end
    end
    local.get 1 call $id local.get 1 i32.add local.get 2 i32.const 1000 i32.mul i32.add))`;

test('every edge kind into a block agrees with V8', () => {
  const bytes = new Uint8Array(wat(EDGES));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (...a: number[]) => number>;
  const i = inst(EDGES);
  for (const name of ['edges', 'value', 'table']) {
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 16; b++) assert.is(call(i, name, a, b), v8[name](a, b), `${name}(${a}, ${b})`);
    }
  }
  for (let a = 0; a < 40; a += 7) assert.is(call(i, 'exit', a), v8.exit(a), `exit(${a})`);
});

test.run();
