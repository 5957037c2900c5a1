// A module loaded from its file through the cache (jit/cache/wasm-file.ts, load.ts's
// lookupCompiledFile): a file the cache has read whole and that has not changed since is found by
// its identity, without reading its code section's bodies or hashing it; the bodies come in (and
// the hash is checked again) only when asked for; a changed, or recently changed, file is read
// and hashed whole. The clock is a parameter: a file written by the test is "settled" for a clock
// set 10 s ahead (the real rule wants its times 2 s old).
import '../hermetic-cache.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { lookupCompiledFile, type FileLookup } from '../../jit/cache/load.js';
import { ModuleCache } from '../../jit/cache/module-cache.js';
import { ModuleFileError, serializeCompiled, sha256 } from '../../jit/cache/serialize.js';
import { fileIdentity, type Clock } from '../../jit/cache/wasm-file.js';
import { moduleBytes } from '../../jit/frontend/decoder.js';
import { instantiate, Module } from '../../jit/index.js';
import { wat } from '../jit/wat.js';
import { record } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-wasm-file-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshCache = (): ModuleCache => new ModuleCache(join(tmp, `cache${n++}`), 1 << 30);
const later: Clock = () => BigInt(Date.now() + 10_000) * 1_000_000n;

// two functions and a data segment; `op` makes modules of the same size with other code
const src = (op: 'add' | 'sub'): Uint8Array => wat(`(module (memory (export "mem") 1)
  (data (i32.const 16) "kwasm")
  (func $f (param i32 i32) (result i32) (i32.${op} (local.get 0) (local.get 1)))
  (func (export "f") (param i32 i32) (result i32) (call $f (local.get 0) (local.get 1))))`);

function load(path: string, cache: ModuleCache, clock: Clock = later): { l: FileLookup; compiled: CompiledModule } {
  const l = lookupCompiledFile(path, { cache: true }, cache, clock);
  return { l, compiled: l.loaded ? l.loaded.compiled : l.compiled(compileModule(l.bytes)).compiled };
}
const run = (c: CompiledModule, a: number, b: number): number => (instantiate(new Module(c)).exports.f as (a: number, b: number) => number)(a, b);
const records = (c: ModuleCache): string[] => readdirSync(c.dir).filter((f) => f.endsWith('.kwid'));

/** Rewrites `path` until its ctime differs from before (a change within one timestamp tick is the racy case). */
function rewrite(path: string, bytes: Uint8Array): void {
  const before = statSync(path, { bigint: true }).ctimeNs;
  for (let i = 0; i < 200; i++) {
    writeFileSync(path, bytes);
    if (statSync(path, { bigint: true }).ctimeNs !== before) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  throw new Error('ctime never changed');
}

test('a settled file: miss (compiled, stored, recorded), then a hit that reads neither its bodies nor hashes it', () => {
  const path = join(tmp, 'add.wasm'), bytes = src('add');
  writeFileSync(path, bytes);
  const cache = freshCache();
  const first = load(path, cache);
  assert.is(first.l.loaded, null);
  assert.is(records(cache).length, 1);
  const second = load(path, cache);
  assert.is(second.l.loaded?.source, 'hit');
  const info = second.compiled.info;
  // the bodies were left out: the loaded bytes differ from the file exactly there
  assert.not.equal(info.bytes, bytes);
  assert.is(run(second.compiled, 5, 3), 8);
  // asked for, the bodies come in and the module is the file's again
  assert.equal(moduleBytes(info), bytes);
  assert.is(info.codes.length, 2);
  assert.equal(serializeCompiled(second.compiled), serializeCompiled(first.compiled));
});

test('a file changed in place (same size, same path) is read whole again: the new code runs', () => {
  const path = join(tmp, 'change.wasm');
  writeFileSync(path, src('add'));
  const cache = freshCache();
  load(path, cache);
  assert.is(run(load(path, cache).compiled, 5, 3), 8);
  rewrite(path, src('sub'));
  const after = load(path, cache);
  assert.is(after.l.loaded, null); // another module: compiled
  assert.is(run(after.compiled, 5, 3), 2);
  assert.is(run(load(path, cache).compiled, 5, 3), 2);
});

test('a recently changed file (real clock) is neither recorded nor trusted', () => {
  const path = join(tmp, 'fresh.wasm');
  writeFileSync(path, src('add'));
  const cache = freshCache();
  load(path, cache, () => BigInt(Date.now()) * 1_000_000n);
  assert.equal(records(cache), []);
  assert.is(fileIdentity(statSync(path, { bigint: true })), null);
  assert.type(fileIdentity(statSync(path, { bigint: true }), later()), 'string');
});

test('the bodies asked for after the file changed: ModuleFileError, never another module\'s bytes', () => {
  const path = join(tmp, 'late.wasm');
  writeFileSync(path, src('add'));
  const cache = freshCache();
  load(path, cache);
  const hit = load(path, cache);
  assert.is(hit.l.loaded?.source, 'hit');
  rewrite(path, src('sub'));
  assert.throws(() => moduleBytes(hit.compiled.info), (e: unknown) => e instanceof ModuleFileError && /changed since its module was loaded/.test(e.message));
  // the code already loaded still runs (it came from the cache entry, which matches the old module)
  assert.is(run(hit.compiled, 5, 3), 8);
});

test('a record is used only for the identity it names; a damaged or lying one costs a full read, never a wrong module', () => {
  const path = join(tmp, 'forged.wasm');
  writeFileSync(path, src('add'));
  const cache = freshCache();
  load(path, cache);
  const [rec] = records(cache);
  const recPath = join(cache.dir, rec);
  const good = readFileSync(recPath);
  const identity = fileIdentity(statSync(path, { bigint: true }), later()) as string;
  const check = (file: Buffer): void => {
    writeFileSync(recPath, file);
    const again = load(path, cache);
    assert.is(again.l.loaded?.source, 'hit'); // hashed whole: the entry for its real hash
    assert.equal(moduleBytes(again.compiled.info), src('add'));
    assert.is(run(again.compiled, 5, 3), 8);
  };
  // another module's hash under another identity; one flipped byte; ranges that cut the type section
  check(record(sha256([src('sub')]), [], '1:2:3:4:5'));
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3] ^= 1;
  check(flipped);
  check(record(sha256([src('add')]), [8, 20], identity));
  check(record(sha256([src('sub')]), [], identity)); // no entry for that hash: a miss on the way
  check(good);
  assert.equal(readFileSync(recPath), good); // and the record made right again
});

test('a module loaded from a relative path gets its missing parts from that file after the process changed directory', () => {
  const dir = join(tmp, 'rel');
  mkdirSync(dir);
  writeFileSync(join(dir, 'rel.wasm'), src('add'));
  // another file of that name where the process goes next: the path must not be taken from there
  mkdirSync(join(tmp, 'elsewhere'));
  writeFileSync(join(tmp, 'elsewhere', 'rel.wasm'), src('sub'));
  const cache = freshCache();
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    load('rel.wasm', cache);
    const hit = load('rel.wasm', cache);
    assert.is(hit.l.loaded?.source, 'hit');
    process.chdir(join(tmp, 'elsewhere'));
    assert.equal(moduleBytes(hit.compiled.info), src('add'));
  } finally {
    process.chdir(cwd);
  }
});

test('the bodies asked for after the file was removed: ModuleFileError (as for a changed file), not a bare fs error', () => {
  const path = join(tmp, 'gone.wasm');
  writeFileSync(path, src('add'));
  const cache = freshCache();
  load(path, cache);
  const hit = load(path, cache);
  assert.is(hit.l.loaded?.source, 'hit');
  rmSync(path);
  assert.throws(() => moduleBytes(hit.compiled.info), (e: unknown) => e instanceof ModuleFileError && e.message.includes('gone.wasm'));
  assert.is(run(hit.compiled, 5, 3), 8);
});

test('a regular file whose size says 0 (procfs, some FUSE file systems) is read to its end, as readFileSync reads it', () => {
  const path = '/proc/self/cmdline'; // a regular file of size 0 with contents, stable for this process
  assert.is(statSync(path).size, 0);
  const l = lookupCompiledFile(path, { cache: false }, freshCache(), later);
  assert.equal(l.bytes, new Uint8Array(readFileSync(path)));
  assert.ok((l.bytes as Uint8Array).length > 0);
  // and never recorded or trusted by its identity: its contents change without its times
  assert.is(fileIdentity(statSync(path, { bigint: true }), later()), null);
});

test.run();
