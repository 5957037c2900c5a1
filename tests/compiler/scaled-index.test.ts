// Scaled indices folded into a load's addressing mode (jit/compiler/scaled-index.ts): a table
// lookup `T[x]` at a constant address is `mov r, [r14 + x*4 + C]` when x's bound proves the
// 32-bit sum cannot wrap, and the plain `shl; add` otherwise. Every shape is run for its value
// against a JS model of wasm's wrapping address arithmetic, including the wrap-around cases a
// wrong fold would get wrong (they would read 4 GiB away and trap instead).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, disasmText, inst } from './helpers.js';
import { wat } from '../jit/wat.js';

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

// Random bounded expressions (masks, byte loads, shifts, or/xor/add, and some unbounded ones)
// shifted, offset by constants near every limit and loaded, against V8 on random and edge inputs.
test('random scaled-index shapes agree with V8, traps included', () => {
  let seed = 0x2545f491;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const expr = (d: number): string => {
    if (d === 0 || rnd(4) === 0) {
      return pick(['local.get 0', 'local.get 1', 'local.get 0 i32.load8_u', 'local.get 1 i32.load16_u',
        `i32.const ${pick([0, 1, 255, 0x3fffffff, -1])}`]);
    }
    const a = expr(d - 1);
    switch (rnd(6)) {
      case 0: return `${a} i32.const ${pick([0xff, 0xffff, 0xfff, 0x3fffffff, 0x7fffffff, -1])} i32.and`;
      case 1: return `${a} i32.const ${rnd(32)} i32.shr_u`;
      case 2: return `${a} ${expr(d - 1)} i32.xor`;
      case 3: return `${a} ${expr(d - 1)} i32.or`;
      case 4: return `${a} ${expr(d - 1)} i32.add`;
      default: return `${a} ${expr(d - 1)} i32.sub`;
    }
  };
  const funcs: string[] = [];
  for (let f = 0; f < 80; f++) {
    const C = pick([0, 4, 1000, 65000, 65532, 0x7fffff00, 0x7fffffff, -16, -0x80000000]);
    const off = pick([0, 4, 60000, 0x7ffffff0]);
    const load = pick(['i32.load', 'i32.load8_u', 'i32.load16_s']);
    funcs.push(`(func (export "f${f}") (param i32 i32) (result i32)
      ${expr(3)} i32.const ${1 + rnd(3)} i32.shl i32.const ${C} i32.add ${load} offset=${off})`);
  }
  const text = `(module (memory 1) ${INIT} ${funcs.join('\n')})`;
  const ours = inst(text);
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wat(text)))).exports as Record<string, (...a: number[]) => number>;
  call(ours, 'init');
  v8.init();
  const inputs = [0, 1, 2, 255, 256, 4095, 65535, 65536, 0x3fffffff, 0x40000000, 0x7fffffff, -0x80000000, -1, -4];
  for (let k = 0; k < 6; k++) inputs.push(rnd(0x10000), rnd(0x7fffffff) | (rnd(2) << 31));
  let traps = 0;
  for (let f = 0; f < 80; f++) {
    for (let j = 0; j < 24; j++) {
      const x = pick(inputs), y = pick(inputs);
      let want: number | string;
      try { want = v8[`f${f}`](x, y); } catch { want = OOB; traps++; }
      assert.is(call(ours, `f${f}`, x, y), want, `f${f}(${x}, ${y}): ${funcs[f]}`);
    }
  }
  assert.ok(traps > 0 && traps < 80 * 24, `${traps} traps`);
});

test.run();
