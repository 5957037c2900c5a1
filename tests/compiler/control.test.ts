// Control flow, multi-value, calls and recursion, traps of each kind, memory growth and the
// stack limit; host imports calling JS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inst, call } from './helpers.js';
import { Store } from '../../jit/instance/api.js';

test('loops, br_table and multi-value blocks', () => {
  const i = inst(`(module
    (func (export "sum") (param i32) (result i32) (local i32)
      block loop local.get 0 i32.eqz br_if 1
        local.get 1 local.get 0 i32.add local.set 1
        local.get 0 i32.const 1 i32.sub local.set 0 br 0 end end local.get 1)
    (func (export "switch") (param i32) (result i32)
      block block block local.get 0 br_table 0 1 2 end i32.const 10 return end i32.const 11 return end i32.const 12)
    (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
    (func (export "mv") (result i32)
      i32.const 7 i32.const 3 block (param i32 i32) (result i32 i32) br 0 end i32.sub))`);
  assert.is(call(i, 'sum', 100), 5050);
  assert.is(call(i, 'switch', 0), 10);
  assert.is(call(i, 'switch', 1), 11);
  assert.is(call(i, 'switch', 9), 12);
  assert.equal(call(i, 'swap', 1, 2), [2, 1]);
  assert.is(call(i, 'mv'), 4);
});

test('many locals are zeroed without touching the caller frame', () => {
  const locals = Array(40).fill('(local i64)').join(' ');
  const i = inst(`(module
    (func $many (result i64) ${locals} local.get 39 local.get 0 i64.add)
    (func (export "f") (param i64) (result i64) local.get 0 call $many i64.add))`);
  assert.is(call(i, 'f', 123n), 123n);
});

test('recursion, indirect calls and their traps', () => {
  const i = inst(`(module
    (type $t (func (param i64) (result i64)))
    (table 3 funcref) (elem (i32.const 0) $fac $other)
    (func $fac (type $t) local.get 0 i64.eqz if (result i64) i64.const 1 else
      local.get 0 local.get 0 i64.const 1 i64.sub i32.const 0 call_indirect (type $t) i64.mul end)
    (func $other (param i32) (result i32) local.get 0)
    (func (export "call") (param i64 i32) (result i64) local.get 0 local.get 1 call_indirect (type $t))
    (func $inf (export "inf") call $inf))`);
  assert.is(call(i, 'call', 20n, 0), 2432902008176640000n);
  assert.is(call(i, 'call', 1n, 1), 'trap: indirect call type mismatch');
  assert.is(call(i, 'call', 1n, 2), 'trap: uninitialized element');
  assert.is(call(i, 'call', 1n, 3), 'trap: undefined element');
  assert.is(call(i, 'inf'), 'trap: call stack exhausted');
  assert.is(call(i, 'call', 5n, 0), 120n, 'the instance still works after an exhausted stack');
});

test('unreachable, memory bounds and memory.grow', () => {
  const i = inst(`(module (memory (export "memory") 1 3)
    (func (export "unreachable") unreachable)
    (func (export "load") (param i32) (result i32) local.get 0 i32.load)
    (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (func (export "size") (result i32) memory.size))`);
  assert.is(call(i, 'unreachable'), 'trap: unreachable');
  assert.is(call(i, 'load', 65532), 0);
  assert.is(call(i, 'load', 65533), 'trap: out of bounds memory access');
  assert.is(call(i, 'load', -1), 'trap: out of bounds memory access');
  assert.is(call(i, 'grow', 1), 1);
  assert.is(call(i, 'size'), 2);
  call(i, 'store', 100000, 0x12345678);
  assert.is(call(i, 'load', 100000), 0x12345678);
  const mem = i.exports.memory as { buffer: ArrayBuffer };
  assert.is(mem.buffer.byteLength, 2 * 65536, 'buffer refreshed after growth');
  assert.is(new DataView(mem.buffer).getUint32(100000, true), 0x12345678);
  assert.is(call(i, 'grow', 2), -1);
});

test('host imports are called with JS values and their results flow back', () => {
  const seen: unknown[] = [];
  const store = new Store();
  const i = inst(`(module
    (import "env" "add" (func $add (param i32 i64) (result i64)))
    (import "env" "log" (func $log (param f64)))
    (func (export "f") (param i32) (result i64)
      f64.const 1.5 call $log local.get 0 i64.const 10 call $add i64.const 1 i64.add))`, {
    env: { add: (a: number, b: bigint) => BigInt(a) + b, log: (x: number) => { seen.push(x); } },
  }, store);
  assert.is(call(i, 'f', 5), 16n);
  assert.equal(seen, [1.5]);
  store.dispose();
});

test('cross-module calls switch vmctx and memory', () => {
  const store = new Store();
  const a = inst(`(module (memory (export "mem") 1) (data (i32.const 0) "\\2a")
    (func (export "peek") (result i32) i32.const 0 i32.load8_u))`, {}, store);
  const b = inst(`(module (import "a" "peek" (func $peek (result i32))) (memory 1) (data (i32.const 0) "\\07")
    (func (export "f") (result i32) call $peek i32.const 0 i32.load8_u i32.add))`, { a: a.exports }, store);
  assert.is(call(b, 'f'), 49);
  store.dispose();
});

test.run();
