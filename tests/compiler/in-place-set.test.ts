// `x = x op y; local.set x` (counters, accumulators): when the next instruction sets the local
// the op reads, the op works in place in the local's cache register, and an add/sub/lea of other
// locals computes straight into the set local's register (emit-int.ts nextSetLocal). A loop
// header that caches the local there then needs no back-edge move. Checked on the disassembly
// and against V8 where the old value is still needed (on the stack, as both operands, as lea's
// index) and with i64 and mul.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wat } from '../jit/wat.js';
import { inst, call, disasmText, loopBody } from './helpers.js';

const SUM = `(module
  (func (export "sum") (param i32) (result i32) (local i32)
    i32.const 0 local.set 1
    loop
      local.get 1 local.get 0 i32.add local.set 1
      local.get 0 i32.const 1 i32.sub local.tee 0
      br_if 0
    end
    local.get 1))`;

test('a counting loop updates its locals in place: the back edge is one jcc, no register move', async () => {
  const text = await disasmText(SUM, 0);
  const body = loopBody(text, /^j/);
  // Before: `mov rdx, rcx; add edx, eax` (a copy) and `lea ecx, [rax - 1]` then `mov rax, rcx` on the back edge.
  assert.not.ok(body.some((t) => /^mov r\w+, r\w+$/.test(t)), `no register copy in the loop:\n${text.join('\n')}`);
  assert.ok(/^jne /.test(body[body.length - 1]), `the back edge is a jcc to the header:\n${text.join('\n')}`);
  assert.is(call(inst(SUM), 'sum', 100), 5050);
});

const CASES = `(module
  (func (export "kept") (param i32) (result i32)           ;; the old value is still on the stack
    local.get 0 local.get 0 i32.const 5 i32.add local.set 0 local.get 0 i32.mul)
  (func (export "both") (param i32) (result i32)           ;; both operands are the set local
    local.get 0 local.get 0 i32.add local.set 0 local.get 0 local.get 0 i32.xor local.get 0 i32.add)
  (func (export "index") (param i32 i32) (result i32)      ;; the set local is lea's index
    local.get 1 local.get 0 i32.add local.set 0
    local.get 0 local.get 1 i32.sub local.set 1
    local.get 0 i32.const 1000 i32.mul local.get 1 i32.add)
  (func (export "wide") (param i64 i64) (result i64)        ;; i64 and mul, tee
    local.get 0 local.get 1 i64.mul local.tee 0 local.get 0 i64.const 3 i64.sub local.set 0
    local.get 0 i64.add local.get 1 local.get 0 i64.or local.set 1 local.get 1 i64.add)
  (func (export "loop") (param i32) (result i32) (local i32 i32)
    loop                                                   ;; header caches all three
      local.get 1 local.get 0 i32.add local.set 2
      local.get 2 local.get 1 i32.xor local.set 1
      local.get 1 i32.const 7 i32.mul local.set 1
      local.get 0 i32.const -1 i32.add local.tee 0
      br_if 0
    end
    local.get 1 local.get 2 i32.add))`;

test('in-place updates agree with V8 when the old value is still needed', () => {
  const bytes = new Uint8Array(wat(CASES));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (...a: (number | bigint)[]) => number | bigint>;
  const i = inst(CASES);
  for (let a = 0; a < 6; a++) {
    assert.is(call(i, 'kept', a), v8.kept(a), `kept(${a})`);
    assert.is(call(i, 'both', a), v8.both(a), `both(${a})`);
    assert.is(call(i, 'loop', a + 1), v8.loop(a + 1), `loop(${a + 1})`);
    for (let b = 0; b < 4; b++) {
      assert.is(call(i, 'index', a, b), v8.index(a, b), `index(${a}, ${b})`);
      assert.is(call(i, 'wide', BigInt(a), BigInt(b)), v8.wide(BigInt(a), BigInt(b)), `wide(${a}, ${b})`);
    }
  }
});

const RETURNS = `(module
  (func (export "rhs_in_rax") (param i32 i32) (result i32) (local i32)
    i32.const 5 local.set 2                                 ;; local 2 cached in rax
    local.get 1 local.get 2 i32.sub)                        ;; rax is the right operand: not the destination
  (func (export "lhs_in_rax") (param i32 i32) (result i32) (local i32)
    i32.const 5 local.set 2
    local.get 2 local.get 1 i32.sub)                        ;; in place in rax
  (func (export "lea_ret") (param i32 i32) (result i32) (local i32)
    i32.const 5 local.set 2
    local.get 0 local.get 2 i32.add return)                 ;; lea eax, [rdi + rax]
  (func (export "xor_ret") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.xor)
  (func (export "fsub") (param f64 f64) (result f64) (local f64)
    f64.const 0.25 local.set 2
    local.get 2 local.get 0 f64.sub local.get 1 f64.mul))`;

test('a value the function returns next is computed in rax/xmm0, never over a right operand there', async () => {
  const text = await disasmText(RETURNS, 2);
  const at = text.findIndex((t) => t.startsWith('lea eax, '));
  assert.ok(at > 0 && text[at + 1] === 'mov rsp, rbp', `lea straight into eax, then the epilogue:\n${text.join('\n')}`);
  const bytes = new Uint8Array(wat(RETURNS));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (a: number, b: number) => number>;
  const i = inst(RETURNS);
  for (const [a, b] of [[1, 2], [7, 3], [100, -4]]) {
    for (const name of ['rhs_in_rax', 'lhs_in_rax', 'lea_ret', 'xor_ret', 'fsub']) assert.is(call(i, name, a, b), v8[name](a, b), `${name}(${a}, ${b})`);
  }
});

const LOADS = `(module (memory 1)
  (data (i32.const 0) "\\08\\00\\00\\00\\05\\00\\00\\00\\10\\00\\00\\00\\03\\00\\00\\00\\00\\00\\00\\00")
  (func (export "scan") (param i32) (result i32) (local i32)   ;; while (a[i] < limit) i++
    loop
      local.get 0 i32.const 4 i32.add local.set 0
      local.get 0 i32.load local.tee 1
      i32.const 9 i32.lt_u br_if 0
    end
    local.get 1 i32.const 100 i32.mul local.get 0 i32.add)
  (func (export "chase") (param i32 i32) (result i32)           ;; p = *p, n times
    loop
      local.get 0 i32.load local.set 0                          ;; the load's index is the set local
      local.get 1 i32.const -1 i32.add local.tee 1 br_if 0
    end
    local.get 0))`;

test('a load that a local.set takes goes straight into the local\'s register', async () => {
  const body = loopBody(await disasmText(LOADS, 0), /^j/);
  assert.not.ok(body.some((t) => /^mov r\w+, r\w+$/.test(t) || /ptr \[rbp/.test(t)), `no register copy or frame access in the loop:\n${body.join('\n')}`);
  const bytes = new Uint8Array(wat(LOADS));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (a: number, b?: number) => number>;
  const i = inst(LOADS);
  for (const a of [-4, 0, 4]) assert.is(call(i, 'scan', a), v8.scan(a), `scan(${a})`);
  for (const [p, n] of [[0, 1], [0, 2], [8, 3], [16, 5]]) assert.is(call(i, 'chase', p, n), v8.chase(p, n), `chase(${p}, ${n})`);
});

test('a float load whose index register was computed gives that register back (then claimed by call_indirect)', () => {
  // The index (i32.and) takes rax, the f32 load goes to an XMM register (xmm0: the same number),
  // and call_indirect then claims rax for its table index.
  const text = `(module (memory 1) (table 1 funcref) (elem (i32.const 0) $g)
    (type $t (func (param f32) (result f32)))
    (func $g (type $t) local.get 0 f32.const 1.5 f32.add)
    (func (export "f") (param i32) (result f32)
      local.get 0 i32.const 12 i32.and f32.load offset=4
      i32.const 0 call_indirect (type $t)))`;
  const bytes = new Uint8Array(wat(text));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (a: number) => number>;
  assert.is(call(inst(text), 'f', 7), v8.f(7));
});


// `crc = table[...] ^ (crc >> 8); local.tee crc`: crc's old value is dead once the shift read it
// (two instructions of look-ahead, set-target.ts inPlaceForSet), so the shift works in place.
const STEP = `(module
  (func (export "step") (param i32 i32) (result i32)
    loop
      local.get 1 local.get 0 i32.const 8 i32.shr_u i32.xor local.set 0
      local.get 1 i32.const 1 i32.sub local.tee 1
      br_if 0
    end
    local.get 0)
  (func (export "kept") (param i32) (result i32)            ;; the other operand reads the local
    local.get 0 local.get 0 i32.const 8 i32.shr_u i32.xor local.set 0 local.get 0)
  (func (export "other") (param i32 i32) (result i32)       ;; op2 sets another local: not in place
    local.get 1 local.get 0 i32.const 3 i32.shl i32.add local.set 1 local.get 0 local.get 1 i32.add)
  (func (export "wide") (param i64 i64) (result i64)
    local.get 1 local.get 0 i64.const 0xff i64.and i64.sub local.tee 0 local.get 0 i64.add))`;

test('x = y ^ (x >> 8): the shift works in x\'s register (no copy); every shape keeps its value', async () => {
  const text = await disasmText(STEP, 0);
  const body = loopBody(text, /^j/);
  // x is parameter 0, cached in rdi (the register calling convention): shifted there, no copy
  assert.ok(body.includes('shr edi, 8'), text.join('\n'));
  assert.not.ok(body.some((t) => /^mov r\w+, rdi$/.test(t)), `x is not copied:\n${text.join('\n')}`);
  const i = inst(STEP);
  const step = (x: number, n: number): number => { for (let k = n; k > 0; k--) x = (k ^ (x >>> 8)) | 0; return x; };
  for (const [x, n] of [[-1, 5], [0x12345678, 3], [0, 1], [-0x80000000, 2]]) assert.is(call(i, 'step', x, n), step(x, n), `x=${x} n=${n}`);
  for (const x of [-1, 0x12345678, 0x80]) {
    assert.is(call(i, 'kept', x), (x ^ (x >>> 8)) | 0);
    assert.is(call(i, 'other', x, 7), (x + ((7 + (x << 3)) | 0)) | 0);
    const X = BigInt(x);
    const w = BigInt.asIntN(64, 9n - (X & 0xffn));
    assert.is(call(i, 'wide', X, 9n), BigInt.asIntN(64, w + w));
  }
});

test.run();
