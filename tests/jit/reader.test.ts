import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CompileError } from '../../jit/errors.js';
import { Reader } from '../../jit/frontend/reader.js';

const r = (...b: number[]): Reader => new Reader(Uint8Array.from(b));

function rejects(f: () => unknown, reason: string): void {
  try {
    f();
  } catch (e) {
    assert.instance(e, CompileError);
    assert.is((e as CompileError).kind, 'malformed');
    assert.is((e as CompileError).reason, reason);
    return;
  }
  assert.unreachable(`expected "${reason}"`);
}

test('u32: one to five bytes, the largest value, non-minimal encodings', () => {
  assert.is(r(0x00).u32(), 0);
  assert.is(r(0x7f).u32(), 127);
  assert.is(r(0x80, 0x01).u32(), 128);
  assert.is(r(0xe5, 0x8e, 0x26).u32(), 624485);
  assert.is(r(0xff, 0xff, 0xff, 0xff, 0x0f).u32(), 0xffffffff);
  // Padding with continuation bytes is allowed within five bytes.
  assert.is(r(0x80, 0x80, 0x80, 0x80, 0x00).u32(), 0);
  const rd = r(0x83, 0x00, 0x05);
  assert.is(rd.u32(), 3);
  assert.is(rd.pos, 2);
});

test('u32: over-long, unused bits set, truncated', () => {
  rejects(() => r(0x80, 0x80, 0x80, 0x80, 0x80, 0x00).u32(), 'integer representation too long');
  rejects(() => r(0xff, 0xff, 0xff, 0xff, 0x1f).u32(), 'integer too large');
  rejects(() => r(0x80, 0x80, 0x80, 0x80, 0x70).u32(), 'integer too large');
  rejects(() => r(0x80, 0x80).u32(), 'unexpected end of section or function');
});

test('s32: sign extension and the unused bits of the fifth byte', () => {
  assert.is(r(0x7f).s32(), -1);
  assert.is(r(0x40).s32(), -64);
  assert.is(r(0x3f).s32(), 63);
  assert.is(r(0x80, 0x7f).s32(), -128);
  assert.is(r(0x80, 0x80, 0x80, 0x80, 0x78).s32(), -2147483648);
  assert.is(r(0xff, 0xff, 0xff, 0xff, 0x07).s32(), 2147483647);
  assert.is(r(0xff, 0xff, 0xff, 0xff, 0x7f).s32(), -1);
  rejects(() => r(0xff, 0xff, 0xff, 0xff, 0x0f).s32(), 'integer too large'); // sign bit 1, bits 4-6 zero
  rejects(() => r(0x80, 0x80, 0x80, 0x80, 0x70).s32(), 'integer too large'); // sign 0, bits 4-6 ones
  rejects(() => r(0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).s32(), 'integer representation too long');
});

test('s64: full range without BigInt, into lo/hi', () => {
  const v = (...b: number[]): bigint => r(...b).s64Big();
  assert.is(v(0x00), 0n);
  assert.is(v(0x7f), -1n);
  assert.is(v(0xff, 0xff, 0xff, 0xff, 0x0f), 0xffffffffn);
  assert.is(v(0x80, 0x80, 0x80, 0x80, 0x10), 0x100000000n);
  assert.is(v(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f), -(2n ** 63n));
  assert.is(v(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00), 2n ** 63n - 1n);
  assert.is(v(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40), -(2n ** 62n) + 1n);
  const rd = r(0xc0, 0xbb, 0x78); // -123456
  assert.is(rd.s64(), -123456);
  assert.is(rd.hi, -1);
  rejects(() => v(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 'integer too large');
  rejects(() => v(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e), 'integer too large');
  rejects(() => v(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), 'integer representation too long');
});

test('s33: block types and type indices', () => {
  assert.is(r(0x40).s33(), -64);
  assert.is(r(0x7f).s33(), -1);
  assert.is(r(0x05).s33(), 5);
  assert.is(r(0xff, 0xff, 0xff, 0xff, 0x0f).s33(), 0xffffffff);
  rejects(() => r(0xff, 0xff, 0xff, 0xff, 0x2f).s33(), 'integer too large');
});

test('names: UTF-8 is decoded and bad encodings are rejected', () => {
  const name = (...b: number[]): string => r(b.length, ...b).name();
  assert.is(name(0x61, 0x62), 'ab');
  assert.is(name(0xe2, 0x82, 0xac), '\u20ac');
  assert.is(name(0xf0, 0x9f, 0x98, 0x80), '\u{1f600}');
  assert.is(name(0xef, 0xbb, 0xbf), '\ufeff'); // a BOM is an ordinary character in a name
  rejects(() => name(0xff), 'malformed UTF-8 encoding');
  rejects(() => name(0xc0, 0x80), 'malformed UTF-8 encoding'); // overlong NUL
  rejects(() => name(0xed, 0xa0, 0x80), 'malformed UTF-8 encoding'); // surrogate
  rejects(() => name(0xf4, 0x90, 0x80, 0x80), 'malformed UTF-8 encoding'); // > U+10FFFF
  rejects(() => name(0xe2, 0x82), 'malformed UTF-8 encoding'); // truncated sequence
  rejects(() => r(5, 0x61).name(), 'length out of bounds');
});

test('count(): a length the remaining bytes cannot hold is rejected before allocation', () => {
  rejects(() => r(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00).count(), 'unexpected end of section or function');
  assert.is(r(0x02, 0x00, 0x00).count(), 2);
});

test.run();
