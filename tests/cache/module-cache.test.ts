// The persistent compiled-code cache (jit/cache/module-cache.ts) directly and through the CLI:
// miss then hit, 0700/0600, atomic entries, LRU bound, every bad entry recompiled (never run),
// the switches that turn it off, two processes filling it at once; and `compile -o` / `run
// FILE.kwasm`. Each test has its own cache home under a temp dir (never ~/.cache).
import '../hermetic-cache.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { assertSameCode } from './helpers.js';
import { ModuleCache } from '../../jit/cache/module-cache.js';
import { serializeCompiled, sha256 } from '../../jit/cache/serialize.js';
import { wat } from '../jit/wat.js';
import { compileCached, instantiate } from '../../jit/index.js';
import { cli } from '../cli/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-cache-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let homes = 0;
/** A fresh cache home; the CLI's cache is `<home>/kwasm-jit`. */
function home(): { env: NodeJS.ProcessEnv; dir: string } {
  const h = join(tmp, `home${homes++}`);
  return { env: { ...process.env, XDG_CACHE_HOME: h, KWASM_BENCH_TIMING: '1' }, dir: join(h, 'kwasm-jit') };
}
function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
const addSrc = wat(`(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`);
const subSrc = wat(`(module (func (export "add") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1))))`);
const add = file('add.wasm', addSrc);
const entries = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.kwsm'));
function cacheOutcome(stderr: string): string | undefined {
  const m = /@bench-timing (.*)/.exec(stderr);
  return m ? (JSON.parse(m[1]) as { cache?: string }).cache : undefined;
}

test('ModuleCache: miss, put (dir 0700, entry 0600, no temp file left), hit with the same code', () => {
  const { dir } = home();
  const c = new ModuleCache(dir, 1 << 30);
  const hash = sha256([addSrc]);
  assert.is(c.get(addSrc, hash), null);
  const m = compileModule(addSrc);
  c.put(m, hash);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  const names = readdirSync(dir);
  assert.equal(names, [c.entryName(hash)]);
  assert.is(statSync(join(dir, names[0])).mode & 0o777, 0o600);
  const hit = c.get(addSrc, hash);
  assert.ok(hit);
  assertSameCode((hit as CompiledModule).image.code, m.image.code);
});

test('ModuleCache: bounded, least recently used out first; stale temp files removed', () => {
  const { dir } = home();
  const a = compileModule(addSrc), b = compileModule(subSrc);
  const ha = sha256([addSrc]), hb = sha256([subSrc]);
  const size = serializeCompiled(a, false, ha).length;
  const c = new ModuleCache(dir, size + size / 2); // room for one entry
  c.put(a, ha);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(dir, c.entryName(ha)), old, old);
  writeFileSync(join(dir, '.dead.1.abc.tmp'), 'x');
  utimesSync(join(dir, '.dead.1.abc.tmp'), old, old);
  c.put(b, hb);
  assert.equal(readdirSync(dir), [c.entryName(hb)]);
});

test('ModuleCache: a hit refreshes the mtime (LRU) of an entry and a file record older than a minute, not of one used within it', () => {
  const { dir } = home();
  const c = new ModuleCache(dir, 1 << 30);
  const hash = sha256([addSrc]);
  c.put(compileModule(addSrc), hash);
  c.recordFile('1:2:3:4:5', hash, [8, 9]);
  const files = readdirSync(dir).map((n) => join(dir, n));
  assert.is(files.length, 2);
  const use = (): void => {
    assert.ok(c.get(addSrc, hash), 'entry hit');
    assert.equal(c.fileRecord('1:2:3:4:5')?.ranges, [8, 9]);
  };
  const hourAgo = new Date(Date.now() - 3600_000), secondsAgo = new Date(Date.now() - 10_000);
  for (const f of files) utimesSync(f, hourAgo, hourAgo);
  use();
  for (const f of files) assert.ok(Date.now() - statSync(f).mtimeMs < 60_000, `${f} refreshed`);
  for (const f of files) utimesSync(f, secondsAgo, secondsAgo);
  use();
  // within a millisecond: utimes takes the Date as float seconds, so the stored nanoseconds can
  // read back as ...017.999 ms
  for (const f of files) assert.ok(Math.abs(statSync(f).mtimeMs - secondsAgo.getTime()) < 1, `${f} left as it was: ${statSync(f).mtimeMs} vs ${secondsAgo.getTime()}`);
  // a record file grown past any record's size is no record (read whole otherwise)
  const record = files.find((f) => f.endsWith('.kwid')) as string;
  writeFileSync(record, new Uint8Array((16 << 20) + 1));
  assert.is(c.fileRecord('1:2:3:4:5'), null);
});

test('API: compileCached stores the module in the cache, then loads the same code from it', () => {
  const { env, dir } = home();
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = env.XDG_CACHE_HOME;
  try {
    const first = compileCached(addSrc);
    assert.equal(entries(dir), [ModuleCache.fromEnv().entryName(sha256([addSrc]))]);
    const second = compileCached(addSrc);
    assert.is(second.compiled.labelNames.size, 0); // deserialized: the compiler's label names are not kept
    assert.ok(first.compiled.labelNames.size > 0);
    // small code is read and the entry closed: no descriptor kept per loaded module
    assert.is(second.compiled.image.file, undefined);
    assert.is((instantiate(second).exports.add as (a: number, b: number) => number)(2, 3), 5);
    assertSameCode(second.compiled.image.code, first.compiled.image.code);
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 300; i++) compileCached(addSrc);
    assert.ok(fds() - before < 10, `${fds() - before} descriptors more after 300 loads`);
    // large code stays in the entry and instantiation maps its pages: private, read + exec, never writable
    const big = wat(`(module (func (export "div") (param i64 i64) (result i64) ${'(local.set 0 (i64.div_s (local.get 0) (local.get 1)))'.repeat(20000)} (local.get 0)))`);
    const bigFirst = compileCached(big);
    const bigHit = compileCached(big);
    assert.ok(bigHit.compiled.image.file, 'the hit keeps its large code in the entry file');
    assert.is((instantiate(bigHit).exports.div as (a: bigint, b: bigint) => bigint)(7n ** 20n, 1n), 7n ** 20n);
    const entry = ModuleCache.fromEnv().entryName(sha256([big]));
    const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(entry));
    assert.ok(maps.length > 0, 'a mapping of the entry');
    for (const l of maps) assert.is(l.split(/\s+/)[1], 'r-xp', l);
    assertSameCode(bigHit.compiled.image.code, bigFirst.compiled.image.code); // read from the file on demand
  } finally {
    process.env.XDG_CACHE_HOME = saved;
  }
});

test('CLI: first run compiles and stores, second runs from the cache with the same result', async () => {
  const { env, dir } = home();
  const r1 = await cli(['run', '--invoke', 'add', add, '40', '2'], { env });
  assert.is(r1.stdout, '42\n');
  assert.is(cacheOutcome(r1.stderr), 'miss');
  assert.is(entries(dir).length, 1);
  const r2 = await cli(['run', '--invoke', 'add', add, '40', '2'], { env });
  assert.is(r2.stdout, '42\n');
  assert.is(cacheOutcome(r2.stderr), 'hit');
});

test('CLI: a corrupt, truncated or foreign entry is recompiled (never run) and replaced', async () => {
  const { env, dir } = home();
  await cli(['run', '--invoke', 'add', add, '1', '2'], { env });
  const [name] = entries(dir);
  const path = join(dir, name);
  const good = new Uint8Array(readFileSync(path));
  const flipped = good.slice();
  flipped[flipped.length - 16] ^= 0xff;
  // another module's code (subtracts) stored under this module's key
  const foreign = serializeCompiled(compileModule(subSrc), false);
  for (const bad of [flipped, good.subarray(0, good.length - 100), good.subarray(0, 10), new Uint8Array(0), foreign]) {
    writeFileSync(path, bad);
    const r = await cli(['run', '--invoke', 'add', add, '1', '2'], { env });
    assert.is(r.stdout, '3\n');
    assert.is(r.status, 0);
    assert.is(cacheOutcome(r.stderr), 'miss');
    assert.equal(new Uint8Array(readFileSync(path)), good);
  }
});

test('CLI: --no-cache and KWASM_CACHE=0 neither read nor write the cache', async () => {
  const { env, dir } = home();
  const r1 = await cli(['run', '--no-cache', '--invoke', 'add', add, '1', '2'], { env });
  assert.is(r1.stdout, '3\n');
  assert.is(cacheOutcome(r1.stderr), 'off');
  const r2 = await cli(['run', '--invoke', 'add', add, '1', '2'], { env: { ...env, KWASM_CACHE: '0' } });
  assert.is(cacheOutcome(r2.stderr), 'off');
  let made = true;
  try { readdirSync(dir); } catch { made = false; }
  assert.not.ok(made);
});

test('CLI: a cache directory others may write to is refused with one line (they could plant code); the run goes on', async () => {
  const { env, dir } = home();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const r = await cli(['run', '--invoke', 'add', add, '1', '2'], { env });
  assert.is(r.stdout, '3\n');
  assert.match(r.stderr, `compiled-code cache ${dir} not used: writable by group or others`);
  assert.is(cacheOutcome(r.stderr), 'miss');
  assert.equal(readdirSync(dir), []);
});

test('CLI: a symlink where the cache directory would be is refused (lstat: not a directory); the run goes on', async () => {
  const { env, dir } = home();
  const real = `${dir}-real`;
  mkdirSync(real, { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, '..'), { recursive: true });
  symlinkSync(real, dir);
  const r = await cli(['run', '--invoke', 'add', add, '1', '2'], { env });
  assert.is(r.stdout, '3\n');
  assert.match(r.stderr, `compiled-code cache ${dir} not used: not a directory`);
  assert.equal(readdirSync(real), []);
});

test('CLI: two processes filling the cache at once both run, leaving one valid entry and no temp files', async () => {
  const { env, dir } = home();
  const big = file('big.wasm', wat(`(module ${Array.from({ length: 300 }, (_, i) =>
    `(func (export "f${i}") (param i32) (result i32) (i32.mul (i32.add (local.get 0) (i32.const ${i})) (i32.const 3)))`).join('\n')})`));
  const runs = await Promise.all([0, 1, 2].map(() => cli(['run', '--invoke', 'f7', big, '1'], { env })));
  for (const r of runs) assert.is(r.stdout, '24\n');
  assert.is(readdirSync(dir).length, 1);
  const again = await cli(['run', '--invoke', 'f299', big, '1'], { env });
  assert.is(again.stdout, '900\n');
  assert.is(cacheOutcome(again.stderr), 'hit');
});

test('CLI: compile -o FILE.kwasm, then run FILE.kwasm (no compile, no cache); a bad .kwasm is a clear error', async () => {
  const { env, dir } = home();
  const out = join(tmp, 'add.kwasm');
  const c = await cli(['compile', add, '-o', out], { env });
  assert.is(c.status, 0, c.stderr);
  const r = await cli(['run', '--invoke', 'add', out, '5', '6'], { env });
  assert.is(r.stdout, '11\n');
  assert.is(cacheOutcome(r.stderr), 'file');
  let made = true;
  try { readdirSync(dir); } catch { made = false; }
  assert.not.ok(made);
  const bad = new Uint8Array(readFileSync(out));
  bad[bad.length - 12] ^= 1;
  const badPath = file('bad.kwasm', bad);
  const rb = await cli(['run', '--invoke', 'add', badPath, '5', '6'], { env });
  assert.is(rb.status, 1);
  assert.match(rb.stderr, 'cannot load compiled module: checksum mismatch');
  const rt = await cli(['run', '--invoke', 'add', file('short.kwasm', bad.subarray(0, 200)), '5', '6'], { env });
  assert.is(rt.status, 1);
  assert.match(rt.stderr, 'cannot load compiled module: truncated');
});

test.run();
