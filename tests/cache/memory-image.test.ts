// Memory images (jit/compiler/memory-image.ts): a cache entry of a module whose active data
// segments are constant and in bounds carries memory 0's initial pages, and instantiation from the
// entry maps them copy-on-write instead of copying the segments. The memory must be byte for byte
// what applying the segments gives, each instance's writes its own, and a bad image refused.
// A module loaded from a settled file then also leaves its large segments unread (wasm-file.ts).
import '../hermetic-cache.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { buildMemoryImage } from '../../jit/compiler/memory-image.js';
import { decodeModule, moduleBytes } from '../../jit/frontend/decoder.js';
import { ModuleCache } from '../../jit/cache/module-cache.js';
import { lookupCompiledFile } from '../../jit/cache/load.js';
import { deserializeCompiledFile, ModuleFileError, serializeCompiled, sha256 } from '../../jit/cache/serialize.js';
import { MODULE_FILE_HEADER } from '../../abi/image.js';
import { crc32 } from 'node:zlib';
import { instantiate, Module, type Memory } from '../../jit/index.js';
import { wat } from '../jit/wat.js';
import { record } from './helpers.js';
import { fileIdentity } from '../../jit/cache/wasm-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-memory-image-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshCache = (): ModuleCache => new ModuleCache(join(tmp, `cache${n++}`), 1 << 30);

const esc = (b: Uint8Array): string => Array.from(b, (x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
const pattern = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 7 + seed * 13 + (i >> 9)) & 0xff);
const BIG = pattern(300_000, 1);
/** Three segments: a large one at an unaligned offset, a small one overlapping its end (later wins), one past it. */
const dataModule = (offsetExpr = '(i32.const 70001)', extra = ''): Uint8Array => wat(`(module
  ${extra}
  (memory (export "mem") 8)
  (data ${offsetExpr} "${esc(BIG)}")
  (data (i32.const 369990) "${esc(pattern(40, 2))}")
  (data (i32.const 400000) "${esc(pattern(1000, 3))}")
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))`);

/** Seals an edited file again: CRC-32 of bytes [0, 96) and of everything after the header, as a u32 at 96 (abi/image.ts). */
function resum(file: Uint8Array): void {
  new DataView(file.buffer, file.byteOffset).setUint32(96, crc32(file.subarray(MODULE_FILE_HEADER), crc32(file.subarray(0, 96))), true);
}
/** Memory as the segments leave it, applied by hand. */
function expectedMemory(pages: number): Uint8Array {
  const m = new Uint8Array(pages * 65536);
  m.set(BIG, 70001);
  m.set(pattern(40, 2), 369990);
  m.set(pattern(1000, 3), 400000);
  return m;
}
const memOf = (c: CompiledModule): Uint8Array => new Uint8Array((instantiate(new Module(c)).exports.mem as Memory).buffer);

test('buildMemoryImage: the segments applied in order over whole pages; none when instantiation cannot use one', () => {
  const img = buildMemoryImage(decodeModule(dataModule()));
  assert.ok(img);
  const { start, bytes } = img as { start: number; bytes: Uint8Array };
  assert.is(start, 69632); // 70001 down to a page
  assert.is(bytes.length % 4096, 0);
  assert.equal(bytes, expectedMemory(8).subarray(start, start + bytes.length));
  // a global.get offset, a segment past the initial size, an imported memory, a small span
  assert.is(buildMemoryImage(decodeModule(dataModule('(global.get $g)', '(import "e" "g" (global $g i32))'))), null);
  assert.is(buildMemoryImage(decodeModule(wat(`(module (memory 1) (data (i32.const 65000) "${esc(pattern(300_000, 1))}"))`))), null);
  assert.is(buildMemoryImage(decodeModule(wat(`(module (import "e" "m" (memory 8)) (data (i32.const 0) "${esc(BIG)}"))`))), null);
  assert.is(buildMemoryImage(decodeModule(wat(`(module (memory 1) (data (i32.const 16) "kwasm"))`))), null);
});

test('from a cache entry: memory mapped from the image equals the copied segments; writes stay in their instance', () => {
  const bytes = dataModule();
  const hash = sha256([bytes]);
  const cache = freshCache();
  const compiled = compileModule(bytes);
  cache.put(compiled, hash);
  const hit = cache.get(bytes, hash) as CompiledModule;
  assert.ok(hit.memoryImage, 'the entry has an image');
  const copied = memOf(compiled), mapped = memOf(hit);
  assert.equal(mapped, copied);
  // mapped indeed: the memory's pages from 69632 on are the entry file's
  const mem = instantiate(new Module(hit)).exports.mem as Memory;
  const at = (mem.lm.base + 69632n).toString(16);
  const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.startsWith(`${at}-`));
  assert.ok(line !== undefined && line.endsWith('.kwsm'), `a file mapping at 0x${at}: ${line}`);
  assert.equal(mapped, expectedMemory(8));
  const a = instantiate(new Module(hit)).exports as { peek: (i: number) => number; poke: (i: number, v: number) => void };
  const b = instantiate(new Module(hit)).exports as { peek: (i: number) => number };
  const before = b.peek(70001);
  a.poke(70001, before ^ 0xff);
  assert.is(a.peek(70001), before ^ 0xff);
  assert.is(b.peek(70001), before);
  // the entry itself is unchanged (copy-on-write): it still passes its checksum and maps the same bytes
  const again = cache.get(bytes, hash) as CompiledModule;
  assert.equal(memOf(again), expectedMemory(8));
});

test('a bad memory image is refused by name: wrong length in its trailer, truncated', () => {
  const bytes = dataModule();
  const hash = sha256([bytes]);
  const entry = serializeCompiled(compileModule(bytes), false, hash);
  const path = join(tmp, 'entry.kwsm');
  const refusal = (file: Uint8Array): string => {
    writeFileSync(path, file);
    try { deserializeCompiledFile(path, bytes, hash); } catch (e) { assert.instance(e, ModuleFileError); return (e as Error).message; }
    return 'loaded';
  };
  assert.is(refusal(entry), 'loaded');
  // the trailer (u32 start, u32 length) is the last non-zero pair before the image's first page
  const imageLength = (buildMemoryImage(decodeModule(bytes)) as { bytes: Uint8Array }).bytes.length;
  const imageAt = entry.length - imageLength;
  const dv = new DataView(entry.buffer, entry.byteOffset);
  let trailer = imageAt - 8;
  while (trailer > MODULE_FILE_HEADER && dv.getUint32(trailer + 4, true) === 0) trailer -= 8;
  assert.is(dv.getUint32(trailer, true), 69632, "the image starts at memory offset 69632");
  assert.is(dv.getUint32(trailer + 4, true), imageLength);
  const wrong = entry.slice();
  new DataView(wrong.buffer).setUint32(trailer + 4, 4096, true);
  resum(wrong);
  assert.match(refusal(wrong), `memory image of 4096 bytes, the file has ${imageLength}`);
  const unaligned = entry.slice();
  new DataView(unaligned.buffer).setUint32(trailer, 69632 + 100, true);
  resum(unaligned);
  assert.match(refusal(unaligned), 'not whole pages');
  assert.match(refusal(entry.subarray(0, entry.length - 8)), 'truncated or padded');
  assert.match(refusal(entry.subarray(0, entry.length - 4096)), 'checksum mismatch');
});

test('from a settled file: large segments are not read (the image has them); asked for, they come in', () => {
  const bytes = dataModule();
  const path = join(tmp, 'data.wasm');
  writeFileSync(path, bytes);
  const cache = freshCache();
  const later = (): bigint => BigInt(Date.now() + 10_000) * 1_000_000n;
  const first = lookupCompiledFile(path, { cache: true }, cache, later);
  assert.is(first.loaded, null);
  if (first.loaded === null) first.compiled(compileModule(first.bytes));
  const second = lookupCompiledFile(path, { cache: true }, cache, later);
  const hit = second.loaded?.compiled as CompiledModule;
  assert.is(second.loaded?.source, 'hit');
  const big = hit.info.datas[0];
  const raw = hit.info.bytes.subarray(big.bytesAt, big.bytesAt + big.length);
  assert.ok(raw.every((x) => x === 0), 'the large segment was left unread');
  assert.equal(memOf(hit), expectedMemory(8)); // the image has it
  assert.equal(big.bytes, BIG); // asked for: read from the file
  assert.equal(moduleBytes(hit.info), bytes);
});

test('a record that leaves out more than this build would (another build\'s, or a lying one) is filled in at once: a passive segment is never zeros', () => {
  const passive = pattern(100, 4);
  const bytes = wat(`(module (memory (export "mem") 8)
    (data (i32.const 70001) "${esc(BIG)}")
    (data $p "${esc(passive)}")
    (func (export "init") (memory.init $p (i32.const 16) (i32.const 0) (i32.const 100))))`);
  const path = join(tmp, 'passive.wasm');
  writeFileSync(path, bytes);
  const cache = freshCache();
  const later = (): bigint => BigInt(Date.now() + 10_000) * 1_000_000n;
  const first = lookupCompiledFile(path, { cache: true }, cache, later);
  if (first.loaded === null) first.compiled(compileModule(first.bytes));
  const identity = fileIdentity(statSync(path, { bigint: true }), later()) as string;
  const name = readdirSync(cache.dir).find((f) => f.endsWith('.kwid')) as string;
  const rec = readFileSync(join(cache.dir, name));
  // the recorded ranges, plus the passive segment's bytes
  const n = rec.readUInt32LE(4 + 32);
  const ranges = Array.from({ length: 2 * n }, (_, i) => rec.readUInt32LE(4 + 36 + 4 * i));
  const seg = decodeModule(bytes).datas[1];
  const more = [...ranges, seg.bytesAt, seg.bytesAt + seg.length].sort((a, b) => a - b);
  writeFileSync(join(cache.dir, name), record(sha256([bytes]), more, identity));
  const hit = lookupCompiledFile(path, { cache: true }, cache, later).loaded?.compiled as CompiledModule;
  assert.ok(hit.memoryImage, 'through the fast path, with the image');
  const e = instantiate(new Module(hit)).exports as { init: () => void; mem: Memory };
  e.init();
  assert.equal(new Uint8Array(e.mem.buffer, 16, 100), passive);
});

test.run();
