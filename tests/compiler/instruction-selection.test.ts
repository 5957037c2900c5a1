// Instruction selection on the disassembly (issue #19 points 3-4): additions and scaled indices
// of cached locals into another register are one `lea`; a load used once by an ALU, compare or
// SSE op is folded into it as a memory operand. Each shape is also run for its value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';
import { wat } from '../jit/wat.js';
import { call, disasmText, inst } from './helpers.js';
import { VMCTX_GLOBALS } from '../../abi/vmctx.js';
import { Global, Store } from '../../jit/index.js';
import { I32 } from '../../jit/frontend/types.js';

/** `mnemonic operands` of function 0's body. */
async function listing(text: string): Promise<string[]> {
  await initDisasm();
  const m = compileModule(wat(text));
  const f = m.image.functions[0];
  return decode(m.image.code.subarray(f.offset, f.offset + f.size)).map((i) => `${i.mnemonic} ${i.operands}`);
}

// x is read again after each add/shift, so it stays cached: the sum goes into another register.
const LEA = `(module (func (export "f") (param i32 i32) (result i32) (local i32)
  local.get 0 i32.const 1 i32.eq drop          ;; caches x (param 0) in a register
  local.get 0 i32.const 8 i32.add local.set 2
  local.get 0 i32.const -5 i32.sub local.get 2 i32.add local.set 2
  local.get 0 i32.const 3 i32.shl local.get 2 i32.add local.set 2
  local.get 0 i32.const 1 i32.shl local.get 2 i32.add local.set 2
  local.get 2 local.get 0 i32.add))`;

test('local + imm, local - imm, local << 1..3 of a cached local are one lea each, no copy', async () => {
  const text = await listing(LEA);
  const leas = text.filter((t) => t.startsWith('lea ') && !t.includes('rsp'));
  assert.ok(leas.some((t) => /^lea e\w+, \[r\w+ \+ 8\]$/.test(t)), text.join('\n'));
  assert.ok(leas.some((t) => /^lea e\w+, \[r\w+ \+ 5\]$/.test(t)), text.join('\n'));
  assert.ok(leas.some((t) => /^lea e\w+, \[r\w+\*8\]$/.test(t)), text.join('\n'));
  assert.ok(leas.some((t) => /^lea e\w+, \[(r\w+) \+ \1\]$/.test(t)), text.join('\n'));
  assert.not.ok(text.some((t) => /^(add|sub|shl) \w+, (8|0xfffffffb|3|1)$/.test(t)), text.join('\n'));
  const i = inst(LEA);
  const f = (x: number, _y: number): number => {
    let s = x + 8;
    s = (x + 5 + s) | 0;
    s = ((x << 3) + s) | 0;
    s = ((x << 1) + s) | 0;
    return (s + x) | 0;
  };
  for (const x of [0, 7, -3, 0x7fffffff, -0x80000000]) assert.is(call(i, 'f', x, 0), f(x, 0), `x=${x}`);
});

test('i64 lea wraps at 64 bits and i32 lea at 32 bits', () => {
  const i = inst(`(module
    (func (export "a") (param i64) (result i64) local.get 0 i64.const 1 i64.eq drop
      local.get 0 i64.const 0x7fffffff i64.add local.get 0 i64.add)
    (func (export "b") (param i32) (result i64) local.get 0 i32.const 1 i32.eq drop
      local.get 0 i32.const 0x7fffffff i32.add i64.extend_i32_u local.get 0 i64.extend_i32_u i64.add))`);
  assert.is(call(i, 'a', -1n), -1n + 0x7fffffffn - 1n);
  assert.is(call(i, 'a', 0x7fffffffffffffffn), BigInt.asIntN(64, 0x7fffffffffffffffn + 0x7fffffffn + 0x7fffffffffffffffn));
  // 0xffffffff + 0x7fffffff wraps to 0x7ffffffe in 32 bits, upper half zero
  assert.is(call(i, 'b', -1), 0x7ffffffen + 0xffffffffn);
});

// x stays cached (read again after each mask): the mask is one movzx from its register, no copy.
const ZEXT = `(module
  (func (export "a") (param i32) (result i32) local.get 0 i32.const 1 i32.eq drop
    local.get 0 i32.const 0xff i32.and local.get 0 i32.const 0xffff i32.and i32.add local.get 0 i32.add)
  (func (export "b") (param i64) (result i64) local.get 0 i64.const 1 i64.eq drop
    local.get 0 i64.const 0xff i64.and local.get 0 i64.const 0xffff i64.and i64.add local.get 0 i64.add))`;

test('local & 0xff, local & 0xffff of a cached local are one movzx each (i32 and i64), no copy', async () => {
  const text = await listing(ZEXT);
  assert.ok(text.some((t) => /^movzx e\w+, \w+b$|^movzx e\w+, (al|bl|cl|dl|sil|dil)$/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^movzx e\w+, (r\w+w|ax|bx|cx|dx|si|di)$/.test(t)), text.join('\n'));
  assert.not.ok(text.some((t) => /^and \w+, (0xff|0xffff)$/.test(t)), text.join('\n'));
  const i = inst(ZEXT);
  for (const x of [0, 0x1234, -1, 0x7fffffff, -0x80000000, 0x80]) {
    assert.is(call(i, 'a', x), (((x & 0xff) + (x & 0xffff)) | 0) + x | 0, `x=${x}`);
    const X = BigInt(x) * 0x100000001n;
    assert.is(call(i, 'b', X), BigInt.asIntN(64, (X & 0xffn) + (X & 0xffffn) + X), `x=${x}`);
  }
});

const FOLD = `(module (memory (export "mem") 1)
  (func (export "f") (param i32 i32 f64) (result f64)
    local.get 2 local.get 0 f64.load f64.mul                    ;; mulsd xmm, [r14 + ...]
    local.get 2 local.get 0 f64.load offset=8 f64.add f64.add
    local.get 1 local.get 0 i32.load offset=16 i32.add           ;; add r32, [r14 + ...]
    local.get 1 local.get 0 i64.load offset=24 i32.wrap_i64 i32.sub   ;; not foldable: wrap between
    local.get 0 i32.const 32 i32.add i32.load i32.lt_u           ;; cmp r32, [r14 + ...] (with x - wrap)
    i32.add f64.convert_i32_s f64.add))`;

test('a load used once by an ALU, compare or SSE op is its memory operand', async () => {
  const text = await listing(FOLD);
  assert.ok(text.some((t) => /^mulsd xmm\d+, qword ptr \[r14 \+ r\w+\]$/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^addsd xmm\d+, qword ptr \[r14 \+ r\w+ \+ 8\]$/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^add e\w+, dword ptr \[r14 \+ r\w+ \+ 0x10\]$/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^cmp e\w+, dword ptr \[r14 \+ r\w+( \+ 0x20)?\]$/.test(t)), text.join('\n'));
  assert.ok(text.some((t) => /^mov r\w+, qword ptr \[r14 \+ r\w+ \+ 0x18\]$/.test(t)), 'the i64 load feeding wrap is a plain mov\n' + text.join('\n'));
  const i = inst(FOLD);
  const dv = new DataView((i.exports.mem as { buffer: ArrayBuffer }).buffer);
  const p = 64;
  dv.setFloat64(p, 1.5, true); dv.setFloat64(p + 8, -0.25, true);
  dv.setInt32(p + 16, 1000, true); dv.setBigInt64(p + 24, 0x1_0000_0007n, true); dv.setInt32(p + 32, 70, true);
  const x = 5, y = 2.0;
  // stack: [y*a + (y + b), x + c, x - wrap(d), e]: lt_u compares (x - 7) with e
  const ref = y * 1.5 + (y + -0.25) + (x + 1000) + ((x - 7) >>> 0 < 70 ? 1 : 0);
  assert.is(call(i, 'f', p, x, y), ref);
  // the same loads out of bounds: the folded instruction faults and is a memory trap
  assert.is(call(i, 'f', 65536 - 4, x, y), 'trap: out of bounds memory access');
  assert.is(call(i, 'f', -8, x, y), 'trap: out of bounds memory access');
});

// collatz's step: x & 1 used only as select's condition is `test x, 1` (x read in place, no and
// into a copy); x * 3 is `lea r, [r + r*2]`; both widths, values checked against a JS model.
const TEST_LEA = `(module
  (func (export "step64") (param i64) (result i64)
    local.get 0 i64.const 1 i64.shr_u local.get 0 i64.const 3 i64.mul i64.const 1 i64.add
    local.get 0 i64.const 1 i64.and i64.eqz select)
  (func (export "f32") (param i32 i32) (result i32)
    local.get 0 i32.const 5 i32.mul local.get 0 i32.const 9 i32.mul
    local.get 1 i32.const 0x100 i32.and select
    local.get 1 i32.const -8 i32.and if (result i32) i32.const 1 else i32.const 2 end i32.add))`;

test('x & imm used only as a condition is test x, imm; x * 3/5/9 is one lea', async () => {
  const a = await listing(TEST_LEA), b = await disasmText(TEST_LEA, 1);
  assert.ok(a.some((t) => /^test r\w+, 1$/.test(t)), a.join('\n'));
  assert.ok(a.some((t) => /^lea (r\w+), \[\1 \+ \1\*2\]$/.test(t)), a.join('\n'));
  assert.not.ok([...a, ...b].some((t) => /^(and|imul) /.test(t)), [...a, ...b].join('\n'));
  assert.ok(b.some((t) => /^test e\w+, 0x100$/.test(t)) && b.some((t) => /^test e\w+, 0xfffffff8$/.test(t)), b.join('\n'));
  assert.ok(b.some((t) => /^lea (e\w+), \[r(\w+) \+ r\2\*4\]$/.test(t)) && b.some((t) => /\*8\]$/.test(t)), b.join('\n'));
  const i = inst(TEST_LEA);
  const step = (x: bigint): bigint => (x & 1n ? BigInt.asIntN(64, x * 3n + 1n) : BigInt.asIntN(64, BigInt.asUintN(64, x) >> 1n));
  for (const x of [0n, 1n, 27n, 0x5555555555555555n, -1n, -2n, 0x7fffffffffffffffn]) assert.is(call(i, 'step64', x), step(x), `step ${x}`);
  const f = (x: number, y: number): number => (((y & 0x100) ? Math.imul(x, 5) : Math.imul(x, 9)) + ((y & -8) ? 1 : 2)) | 0;
  for (const x of [0, 1, -1, 0x7fffffff, 0x12345678]) for (const y of [0, 7, 8, 0x100, -1]) assert.is(call(i, 'f32', x, y), f(x, y), `f32 ${x} ${y}`);
});

// Own globals live inline after the vmctx header (abi VMCTX_GLOBALS): global.get/set is one mov
// from/to [r15 + VMCTX_GLOBALS + 8g]; an imported global's slot there holds the exporter's cell
// address, loaded into r11 first.
const GLOBALS = `(module
  (import "m" "g" (global $imp (mut i32)))
  (global $a (mut i32) (i32.const 5))
  (global $b (mut i64) (i64.const 7))
  (func (export "f") (result i32)
    global.get $a i32.const 1 i32.add global.set $a
    global.get $b i64.const 2 i64.mul global.set $b
    global.get $imp i32.const 10 i32.add global.set $imp
    global.get $a global.get $imp i32.add))`;

test('global.get/set of an own global is one mov at [r15 + VMCTX_GLOBALS + 8g]; an imported one goes through its cell pointer', async () => {
  const text = await listing(GLOBALS);
  const at = (g: number): string => `[r15 + 0x${(VMCTX_GLOBALS + 8 * g).toString(16)}]`;
  const body = text.join('\n');
  assert.ok(text.some((t) => t.startsWith('mov e') && t.endsWith(`dword ptr ${at(1)}`)), body); // load $a
  assert.ok(text.some((t) => t.startsWith('mov dword ptr ' + at(1))), body); // store $a
  assert.ok(text.some((t) => t.startsWith('mov qword ptr ' + at(2))), body); // store $b
  assert.ok(text.some((t) => t === `mov r11, qword ptr ${at(0)}`), body); // $imp's cell pointer
  assert.ok(text.some((t) => /^mov e\w+, dword ptr \[r11\]$/.test(t)), body);
  const store = new Store();
  const g = Global.create(store, I32, true, 100n);
  const i = inst(GLOBALS, { m: { g } }, store);
  assert.is(call(i, 'f'), 6 + 110);
  assert.is(call(i, 'f'), 7 + 120);
  assert.is(g.value, 120);
});

test.run();
