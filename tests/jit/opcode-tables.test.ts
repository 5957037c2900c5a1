// jit/frontend/opcodes.ts: the opcode tables are built on first need, not when the module loads:
// decoding a module whose constant expressions are all `i32.const N` (what a cache hit does for
// hello.wasm) builds none of them, and the first InstrReader builds them all. Its own process
// (tests/run.ts runs each file in one), so no other test has built the tables yet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModule } from '../../jit/frontend/decoder.js';
import { codesNamed, opName } from '../../jit/frontend/opcodes.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const MEMORY = [0x05, 0x03, 0x01, 0x00, 0x01]; // one memory, min 1 page
const DATA = [0x0b, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x61]; // active, i32.const 0, "a"
/** one mutable global of `type` initialized by `init` (its instructions, without the end) */
const global = (type: number, init: number[]): number[] => [0x06, init.length + 4, 0x01, type, 0x01, ...init, 0x0b];

test('i32.const constant expressions decode without building the tables', () => {
  const info = decodeModule(new Uint8Array([...HEADER, ...MEMORY, ...global(0x7f, [0x41, 0x05]), ...DATA]), { bodies: 'lazy' });
  assert.is(info.globals.length, 1);
  assert.is(info.datas.length, 1);
  assert.ok(opName.every((n) => n === ''), 'the opcode tables were built');
});

test('another constant expression builds them (InstrReader), with every instruction defined', () => {
  const info = decodeModule(new Uint8Array([...HEADER, ...global(0x7e, [0x42, 0x07])]), { bodies: 'lazy' });
  assert.is(info.globals.length, 1);
  assert.is(opName[0x42], 'i64.const');
  assert.is(opName[0x6a], 'i32.add');
  assert.equal(codesNamed('i32.add'), [0x6a]);
  assert.is(opName[512 + 0x0c], 'v128.const');
});

test.run();
