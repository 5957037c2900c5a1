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

test('loop headers keep cached locals: br_if/br/br_table back edges, nested loops, joins inside', () => {
  const i = inst(`(module
    (func $id (param i32) (result i32) local.get 0)
    (func (export "f") (param i32) (result i32) (local i32 i32 i32)
      i32.const 0 local.set 1       ;; cached before the loop: header registers
      i32.const 7 local.set 2
      loop $outer
        i32.const 0 local.set 3
        loop $inner
          ;; local 1 ends up in another register (set from a fresh value) each iteration
          local.get 1 local.get 2 i32.add local.get 3 i32.add local.set 1
          local.get 2 i32.const 3 i32.xor local.set 2
          local.get 3 i32.const 1 i32.add local.tee 3
          i32.const 4 i32.lt_u br_if $inner
        end
        local.get 1 i32.const 1 i32.and if
          local.get 1 i32.const 1 i32.add local.set 1
        else
          local.get 1 call $id i32.const 2 i32.add local.set 1
        end
        local.get 0 i32.const 1 i32.sub local.tee 0
        br_if $outer
      end
      local.get 1 local.get 2 i32.mul)
    (func (export "tbl") (param i32) (result i32) (local i32 i32)
      i32.const 100 local.set 1
      block $out
        loop $l
          local.get 1 i32.const 3 i32.add local.set 1
          local.get 2 i32.const 1 i32.add local.tee 2
          local.get 0 i32.ge_u br_if $out
          local.get 2 i32.const 1 i32.and
          br_table $l $l $out
        end
      end
      local.get 1 local.get 2 i32.const 1000 i32.mul i32.add)
    (func (export "brloop") (param i32) (result i32) (local i32)
      i32.const 1 local.set 1
      loop $l
        block $b
          local.get 1 i32.const 2 i32.mul local.set 1
          local.get 0 i32.const 1 i32.sub local.tee 0
          i32.eqz br_if $b
          br $l
        end
      end
      local.get 1))`);
  const f = (n: number): number => {
    let l1 = 0, l2 = 7;
    do {
      let l3 = 0;
      do { l1 = (l1 + l2 + l3) | 0; l2 ^= 3; l3++; } while (l3 < 4);
      if (l1 & 1) l1 = (l1 + 1) | 0; else l1 = (l1 + 2) | 0;
      n = (n - 1) | 0;
    } while (n !== 0);
    return Math.imul(l1, l2);
  };
  assert.is(call(i, 'f', 1), f(1));
  assert.is(call(i, 'f', 10), f(10));
  const tbl = (n: number): number => { let l1 = 100, l2 = 0; for (;;) { l1 += 3; l2++; if (l2 >= n) break; } return l1 + l2 * 1000; };
  assert.is(call(i, 'tbl', 5), tbl(5));
  assert.is(call(i, 'tbl', 1), tbl(1));
  assert.is(call(i, 'brloop', 10), 1024);
});

test('loop header locals under register pressure and float', () => {
  const n = 14;
  const decl = Array(n).fill('i32').join(' ');
  const init = Array.from({ length: n }, (_, k) => `i32.const ${k} local.set ${k + 1}`).join('\n');
  const body = Array.from({ length: n }, (_, k) => `local.get ${k + 1} local.get ${((k + 1) % n) + 1} i32.add local.set ${k + 1}`).join('\n');
  const sum = Array.from({ length: n }, (_, k) => `local.get ${k + 1}`).join(' ') + ' ' + Array(n - 1).fill('i32.add').join(' ');
  const i = inst(`(module (func (export "f") (param i32) (result i32) (local ${decl}) (local f64)
    ${init}
    f64.const 0.5 local.set ${n + 1}
    loop
      ${body}
      local.get ${n + 1} local.get ${n + 1} f64.add local.set ${n + 1}
      local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0
    end
    ${sum} local.get ${n + 1} i32.trunc_f64_s i32.add))`);
  const ref = (iters: number): number => {
    const l = Array.from({ length: n }, (_, k) => k);
    let x = 0.5;
    for (let it = 0; it < iters; it++) {
      for (let k = 0; k < n; k++) l[k] = (l[k] + l[(k + 1) % n]) | 0;
      x += x;
    }
    return (l.reduce((s, v) => (s + v) | 0, 0) + Math.trunc(x)) | 0;
  };
  assert.is(call(i, 'f', 3), ref(3));
  assert.is(call(i, 'f', 20), ref(20));
});

test('joins keep the locals cached alike on every edge (if/else, br_if, br_table, missing else)', () => {
  const i = inst(`(module
    (func $id (param i32) (result i32) local.get 0)
    (func (export "f") (param i32 i32) (result i32) (local i32 i32 i32)
      local.get 0 i32.const 3 i32.mul local.set 2       ;; cached before every join below
      local.get 1 i32.const 5 i32.add local.set 3
      local.get 0 if                                     ;; no else: the missing arm is an edge
        local.get 3 i32.const 1 i32.add local.set 3      ;; 3 moves to another register
      end
      local.get 1 if (result i32)
        local.get 2 i32.const 7 i32.add local.set 4 local.get 4
      else
        local.get 0 call $id local.set 4 local.get 4     ;; the call drops every cache in this arm
      end
      local.get 2 i32.add local.get 3 i32.add local.get 4 i32.add
      block (result i32)
        local.get 2 local.get 0 i32.const 1 i32.and br_if 0
        local.get 2 i32.const 2 i32.shl local.set 2
        local.get 3 local.get 1 br_table 0 0
      end
      i32.add local.get 2 i32.add local.get 3 i32.add))`);
  const f = (a: number, b: number): number => {
    let l2 = a * 3, l3 = b + 5, l4: number;
    if (a) l3 += 1;
    const v = b ? (l4 = l2 + 7) : (l4 = a);
    let acc = v + l2 + l3 + l4;
    let bv: number;
    if (a & 1) bv = l2; else { l2 = l2 << 2; bv = l3; }
    acc = acc + bv + l2 + l3;
    return acc | 0;
  };
  for (const [a, b] of [[0, 0], [1, 0], [0, 1], [1, 1], [6, 9], [7, 2]]) assert.is(call(i, 'f', a, b), f(a, b), `f(${a}, ${b})`);
});

test('stores straight from cached locals, also when the address needs a register under pressure', () => {
  const n = 12;
  const decl = Array(n).fill('i32').join(' ');
  const init = Array.from({ length: n }, (_, k) => `local.get 0 i32.const ${k * 8} i32.add local.set ${k + 1}`).join('\n');
  // every local is cached; each store's address is computed (a fresh register) while the value
  // is a cached local, and one stores a local at its own address
  const stores = Array.from({ length: n }, (_, k) => `local.get ${k + 1} i32.const 4 i32.add local.get ${((k + 5) % n) + 1} i32.store`).join('\n');
  const i = inst(`(module (memory (export "mem") 1)
    (func (export "f") (param i32) (local ${decl})
      ${init}
      ${stores}
      local.get 1 local.get 1 i32.store
      local.get 2 local.get 2 i64.extend_i32_u i64.store offset=1000))`);
  call(i, 'f', 256);
  const dv = new DataView((i.exports.mem as { buffer: ArrayBuffer }).buffer);
  for (let k = 0; k < n; k++) assert.is(dv.getUint32(256 + k * 8 + 4, true), 256 + ((k + 5) % n) * 8, `store ${k}`);
  assert.is(dv.getUint32(256, true), 256);
  assert.is(dv.getBigUint64(264 + 1000, true), 264n);
});

test.run();
