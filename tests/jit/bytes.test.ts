// jit/bytes.ts: the same text as Buffer's toString and from, without calling them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesOf, hex, latin1, utf8Hex } from '../../jit/bytes.js';

const all = Uint8Array.from({ length: 256 }, (_, i) => i);

test('hex: every byte value, as Buffer toString("hex")', () => {
  assert.is(hex(all), Buffer.from(all).toString('hex'));
  assert.is(hex(new Uint8Array(0)), '');
});

test('utf8Hex: ASCII and non-ASCII text, as Buffer.from(text).toString("hex")', () => {
  for (const t of ['', '123:456:7890', 'dev-ino \u00e9\u4e2d\ud83d\ude00', '\u007f\u0080']) {
    assert.is(utf8Hex(t), Buffer.from(t).toString('hex'), JSON.stringify(t));
  }
});

test('latin1: ranges of a view, and more than one piece (20 000 bytes), as toString("latin1", start, end)', () => {
  const big = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7) & 255);
  const b = Buffer.from(big);
  assert.is(latin1(big), b.toString('latin1'));
  assert.is(latin1(big, 8190, 16390), b.toString('latin1', 8190, 16390));
  const view = bytesOf(big, 100, 300);
  assert.is(latin1(view, 10, 20), b.toString('latin1', 110, 120));
  assert.is(latin1(all, 5, 5), '');
});

test('bytesOf: a plain Uint8Array over the same memory, empty past the end', () => {
  const b = Buffer.from('hello world');
  const v = bytesOf(b, 6);
  assert.is(v.constructor, Uint8Array);
  assert.is(latin1(v), 'world');
  v[0] = 87;
  assert.is(b.toString(), 'hello World');
  assert.is(bytesOf(b, 5, 3).length, 0);
});

test.run();
