// v128 values through everything the compiler moves values with: registers under pressure
// (spills to 16-byte slots), locals of mixed widths, parameters and results of wasm-to-wasm
// calls (two argument slots each, results in slots), block/loop/br_if/select merges, globals,
// and the JS boundary (v128 has no JS value). The spec scripts cover the instructions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from '../../jit/instance/api.js';
import { call, inst } from './helpers.js';

test('more live v128 values than XMM registers spill and come back intact', () => {
  // 20 splats alive at once, then summed: lane 0 and lane 3 of the i32x4 sum
  const n = 20;
  const pushes = Array.from({ length: n }, (_, k) => `(i32x4.splat (i32.add (local.get $x) (i32.const ${k})))`).join('\n');
  const adds = Array.from({ length: n - 1 }, () => 'i32x4.add').join(' ');
  const i = inst(`(module
    (func (export "sum") (param $x i32) (result i32)
      ${pushes}
      ${adds}
      i32x4.extract_lane 3))`);
  assert.is(call(i, 'sum', 5), 5 * n + (n * (n - 1)) / 2);
});

test('v128 locals among scalar ones: zeroed, each at its own 16 bytes', () => {
  const i = inst(`(module
    (func (export "f") (param $p i32) (result i64)
      (local $a i32) (local $v v128) (local $b i64) (local $w v128) (local $c i32)
      (local.set $a (i32.const 7))
      (local.set $b (i64.const -1))
      (local.set $c (i32.const 9))
      ;; $v and $w start as zero
      (if (i32.eqz (v128.any_true (v128.or (local.get $v) (local.get $w)))) (then) (else unreachable))
      (local.set $v (i64x2.splat (i64.const 0x1111111122222222)))
      (local.set $w (i64x2.replace_lane 1 (local.get $v) (i64.const 0x3333333344444444)))
      ;; the scalars next to them survive the 16-byte stores
      (if (i32.ne (i32.add (local.get $a) (local.get $c)) (i32.const 16)) (then unreachable))
      (if (i64.ne (local.get $b) (i64.const -1)) (then unreachable))
      (i64.add (i64x2.extract_lane 1 (local.get $w)) (i64x2.extract_lane 0 (local.get $v)))))`);
  assert.is(call(i, 'f', 0), 0x1111111122222222n + 0x3333333344444444n);
});

test('v128 parameters and results of wasm calls, direct and indirect, with scalars between', () => {
  const i = inst(`(module
    (type $t (func (param v128 i32 v128) (result v128 i64 v128)))
    (table 1 funcref) (elem (i32.const 0) $swap)
    (func $swap (type $t)
      (i32x4.add (local.get 2) (i32x4.splat (local.get 1)))
      (i64.extend_i32_u (local.get 1))
      (local.get 0))
    (func $one (param v128) (result v128) (i8x16.add (local.get 0) (local.get 0)))
    (func (export "direct") (result i64)
      (local $r v128) (local $s v128) (local $k i64)
      (call $swap (v128.const i32x4 1 2 3 4) (i32.const 10) (v128.const i32x4 100 200 300 400))
      (local.set $s) (local.set $k) (local.set $r)
      ;; r = (110 210 310 410), k = 10, s = (1 2 3 4)
      (i64.add (local.get $k)
        (i64.add (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $r)))
                 (i64.extend_i32_u (i32x4.extract_lane 2 (call $one (local.get $s)))))))
    (func (export "indirect") (result i32)
      (call_indirect (type $t) (v128.const i32x4 5 6 7 8) (i32.const 1) (v128.const i32x4 9 9 9 9) (i32.const 0))
      (drop) (drop)
      (i32x4.extract_lane 1)))`);
  assert.is(call(i, 'direct'), 10n + 410n + 6n);
  assert.is(call(i, 'indirect'), 10);
});

test('v128 through block results, br_if, loop parameters and select', () => {
  const i = inst(`(module
    (func (export "f") (param $n i32) (param $c i32) (result i32)
      (local $acc v128)
      (block $out (result v128)
        (drop (br_if $out (v128.const i32x4 -1 -1 -1 -1) (i32.eq (local.get $n) (i32.const 0))))
        (i32x4.splat (i32.const 1))
        (loop $l (param v128) (result v128)
          (local.set $acc (i32x4.add (i32x4.splat (local.get $n))))
          (local.get $acc)
          (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l)))
      (select (v128.const i32x4 0 0 0 1000) (local.get $c))
      (i32x4.extract_lane 3)))`);
  // 1 + 4 + 3 + 2 + 1 = 11
  assert.is(call(i, 'f', 4, 1), 11);
  assert.is(call(i, 'f', 4, 0), 1000);
  assert.is(call(i, 'f', 0, 1), -1);
});

test('v128 globals: own ones take 16 bytes, scalars beside them intact, imported ones shared', () => {
  const store = new Store();
  const a = inst(`(module
    (global $before (export "before") (mut i32) (i32.const 11))
    (global $g (export "g") (mut v128) (v128.const i64x2 1 2))
    (global $after (export "after") (mut i64) (i64.const 33))
    (func (export "bump")
      (global.set $g (i64x2.add (global.get $g) (v128.const i64x2 10 20))))
    (func (export "hi") (result i64) (i64x2.extract_lane 1 (global.get $g))))`, {}, store);
  call(a, 'bump');
  assert.is(call(a, 'hi'), 22n);
  const b = inst(`(module
    (import "a" "g" (global $g (mut v128)))
    (func (export "bump") (global.set $g (i64x2.mul (global.get $g) (v128.const i64x2 3 3)))))`, { a: a.exports }, store);
  call(b, 'bump');
  assert.is(call(a, 'hi'), 66n);
  assert.is((a.exports.before as { value: number }).value, 11);
  assert.is((a.exports.after as { value: bigint }).value, 33n);
});

test('i8x16.shuffle: dword patterns (pshufd/shufps) and byte patterns (pshufb) pick the right bytes', () => {
  const A = Array.from({ length: 16 }, (_, i) => i + 0x10), B = Array.from({ length: 16 }, (_, i) => i + 0xa0);
  const dw = (...d: number[]): number[] => d.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
  const patterns = [
    dw(3, 0, 1, 2), dw(7, 7, 4, 5), dw(0, 1, 4, 5), dw(2, 3, 6, 7), dw(6, 4, 1, 3), dw(0, 5, 2, 7),
    [0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0],
  ];
  const funcs = patterns.map((p, k) => `
    (func (export "s${k}") (param $h i32) (result i64)
      (local $v v128)
      (local.set $v (i8x16.shuffle ${p.join(' ')} (v128.const i8x16 ${A.join(' ')}) (v128.const i8x16 ${B.join(' ')})))
      (if (result i64) (local.get $h) (then (i64x2.extract_lane 1 (local.get $v))) (else (i64x2.extract_lane 0 (local.get $v)))))`).join('\n');
  const i = inst(`(module ${funcs})`);
  patterns.forEach((p, k) => {
    const bytes = p.map((l) => (l < 16 ? A[l] : B[l - 16]));
    const half = (h: number): bigint => bytes.slice(8 * h, 8 * h + 8).reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
    assert.is(BigInt.asUintN(64, call(i, `s${k}`, 0) as bigint), half(0), `pattern ${k} low`);
    assert.is(BigInt.asUintN(64, call(i, `s${k}`, 1) as bigint), half(1), `pattern ${k} high`);
  });
});

test('a v128 has no JS value: exports and host functions with one throw TypeError', () => {
  const i = inst(`(module
    (import "env" "h" (func $h (param v128)))
    (func (export "takes") (param v128))
    (func (export "calls") (call $h (v128.const i32x4 0 0 0 0))))`, { env: { h: () => {} } });
  assert.throws(() => (i.exports.takes as () => void)(), (e: Error) => e instanceof TypeError);
  assert.throws(() => (i.exports.calls as () => void)(), (e: Error) => e instanceof TypeError);
});

test.run();
