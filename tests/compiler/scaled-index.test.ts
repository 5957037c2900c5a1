// Scaled indices folded into a load's addressing mode (jit/compiler/scaled-index.ts): a table
// lookup `T[x]` at a constant address is `mov r, [r14 + x*4 + C]` when x's bound proves the
// 32-bit sum cannot wrap, and the plain `shl; add` otherwise. Every shape is run for its value
// against a JS model of wasm's wrapping address arithmetic, including the wrap-around cases a
// wrong fold would get wrong (they would read 4 GiB away and trap instead).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, disasmText, inst } from './helpers.js';

// Memory word at byte address a (the module fills every word with this in `init`).
const word = (a: number): number => (Math.imul(a, 0x9e3779b1) ^ 0x5a5a5a5a) | 0;
const INIT = `(func (export "init") (local i32)
    loop
      local.get 0 local.get 0 i32.const 0x9e3779b1 i32.mul i32.const 0x5a5a5a5a i32.xor i32.store
      local.get 0 i32.const 4 i32.add local.tee 0 i32.const 65536 i32.lt_u br_if 0
    end)`;
// Unaligned reads see parts of two words: read them from a JS copy of the memory instead.
function modelMemory(): DataView {
  const v = new DataView(new ArrayBuffer(65536));
  for (let a = 0; a < 65536; a += 4) v.setInt32(a, word(a), true);
  return v;
}
const M = modelMemory();
const OOB = 'trap: out of bounds memory access';
/** The i32 at wasm address `(ea mod 2^32) + offset`, or the trap. */
function load32(ea: number, offset = 0): number | string {
  const a = (ea >>> 0) + offset;
  return a + 4 <= 65536 ? M.getInt32(a, true) : OOB;
}

const BYTES = `(module (memory (export "mem") 1) ${INIT}
  ;; crc32's lookup: T[(crc & 0xff) ^ byte], T at 1024 (+ offset 4)
  (func (export "crc") (param i32 i32) (result i32)
    local.get 0 i32.const 255 i32.and local.get 1 i32.load8_u i32.xor
    i32.const 2 i32.shl i32.const 1024 i32.add i32.load offset=4)
  ;; x >> 24 is below 2^8; a 16-bit load is below 2^16 (u16 * 8 + 8 fits)
  (func (export "shr") (param i32) (result i32)
    local.get 0 i32.const 24 i32.shr_u i32.const 2 i32.shl i32.const 4096 i32.add i32.load)
  (func (export "u16") (param i32) (result i64)
    local.get 0 i32.load16_u i32.const 3 i32.shl i32.const 8 i32.add i64.load))`;

test('a bounded index shifted by 1..3 plus a constant is the load\'s addressing mode, no shl/add', async () => {
  const text = await disasmText(BYTES, 1);
  assert.ok(text.some((t) => /^mov e\w+, dword ptr \[r14 \+ r\w+\*4 \+ 0x404\]$/.test(t)), text.join('\n'));
  assert.not.ok(text.some((t) => /^(shl|add) /.test(t)), text.join('\n'));
  const shr = await disasmText(BYTES, 2);
  assert.ok(shr.some((t) => /^mov e\w+, dword ptr \[r14 \+ r\w+\*4 \+ 0x1000\]$/.test(t)), shr.join('\n'));
  const u16 = await disasmText(BYTES, 3);
  assert.ok(u16.some((t) => /^mov r\w+, qword ptr \[r14 \+ r\w+\*8 \+ 8\]$/.test(t)), u16.join('\n'));

  const i = inst(BYTES);
  call(i, 'init');
  const mem = new DataView((i.exports.mem as { buffer: ArrayBuffer }).buffer);
  const byteAt = (a: number): number => mem.getUint8(a);
  for (const [crc, p] of [[0, 0], [0xffffffff, 7], [0x12345678, 1000], [0xff, 65535], [-1, 4096]]) {
    assert.is(call(i, 'crc', crc, p), load32((((crc & 0xff) ^ byteAt(p)) << 2) + 1024, 4), `crc ${crc} ${p}`);
  }
  for (const x of [0, 0x01000000, 0xff000000 | 0, -1]) assert.is(call(i, 'shr', x), load32(((x >>> 24) << 2) + 4096), `shr ${x}`);
  for (const p of [0, 2, 6000]) {
    const a = (mem.getUint16(p, true) << 3) + 8;
    const expect = a + 8 <= 65536 ? mem.getBigInt64(a, true) : OOB;
    assert.is(call(i, 'u16', p), expect, `u16 ${p}`);
  }
});

const WRAPS = `(module (memory 1) ${INIT}
  ;; nothing known about x: (x << 2) + 16 wraps at 32 bits
  (func (export "any") (param i32) (result i32)
    local.get 0 i32.const 2 i32.shl i32.const 16 i32.add i32.load)
  ;; x below 2^30: x << 2 fits in 32 bits, but + 16 can wrap
  (func (export "edge") (param i32) (result i32)
    local.get 0 i32.const 0x3fffffff i32.and i32.const 2 i32.shl i32.const 16 i32.add i32.load)
  ;; x below 2^30 and + 0: no wrap, folded; x = 2^30 - 1 reads near 4 GiB and traps as wasm says
  (func (export "top") (param i32) (result i32)
    local.get 0 i32.const 0x3fffffff i32.and i32.const 2 i32.shl i32.const 0 i32.add i32.load)
  ;; constant + offset above 2^31 - 1: no disp32 for it, computed (and out of bounds)
  (func (export "far") (param i32) (result i32)
    local.get 0 i32.const 255 i32.and i32.const 2 i32.shl i32.const 0x7ffffff0 i32.add i32.load offset=0x20))`;

test('indices that may wrap are computed as wasm says (shl, add, then the load)', async () => {
  const any = await disasmText(WRAPS, 1), edge = await disasmText(WRAPS, 2), top = await disasmText(WRAPS, 3);
  const folded = (t: string): boolean => /^mov e\w+, dword ptr \[r14 \+ r\w+\*4 \+ 0x10\]$/.test(t);
  assert.not.ok(any.some(folded), any.join('\n'));
  assert.not.ok(edge.some(folded), edge.join('\n'));
  assert.ok(edge.some((t) => /^shl e\w+, 2$/.test(t)), edge.join('\n'));
  assert.ok(top.some((t) => /\[r14 \+ r\w+\*4\]$/.test(t)), top.join('\n'));
  const i = inst(WRAPS);
  call(i, 'init');
  for (const x of [0, 1, 0x40000000, 0x3ffffffd, 0x3fffffff, -1, -4]) {
    assert.is(call(i, 'any', x), load32(Math.imul(x, 4) + 16), `any ${x}`);
    assert.is(call(i, 'edge', x), load32(Math.imul(x & 0x3fffffff, 4) + 16), `edge ${x}`);
    assert.is(call(i, 'top', x), load32(Math.imul(x & 0x3fffffff, 4)), `top ${x}`);
    assert.is(call(i, 'far', x), load32(((x & 255) << 2) + 0x7ffffff0, 0x20), `far ${x}`);
  }
});

test.run();
