// Large cache entries written by the store worker (jit/cache/background-store.ts): the worker's
// job itself, a put handed over and a get in the same process that waits for it, and processes
// that exit right after a put: the entry is whole when they are gone, and a store that fails
// (its directory removed) ends nothing but itself.
import '../hermetic-cache.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { ModuleCache } from '../../jit/cache/module-cache.js';
import { runStoreJob, storesPending } from '../../jit/cache/background-store.js';
import { sha256 } from '../../jit/cache/serialize.js';
import { assertSameCode } from './helpers.js';
import { wat } from '../jit/wat.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-store-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(tmp, `cache${dirs++}`);
const addSrc = wat(`(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`);
const addPath = join(tmp, 'add.wasm');
writeFileSync(addPath, addSrc);

test('the worker\'s job: the entry written whole (0600, through a temp file), older entries evicted to the bound, the count taken down; a failed write too', () => {
  const dir = freshDir();
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'old.kwsm'), new Uint8Array(100));
  const old = new Date(Date.now() - 3600_000);
  utimesSync(join(dir, 'old.kwsm'), old, old);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  counter[0] = 2;
  runStoreJob({ dir, name: 'new.kwsm', tmp: '.new.kwsm.1.ab.tmp', bytes: new Uint8Array(150).fill(7), maxBytes: 200 }, counter);
  assert.equal(readdirSync(dir), ['new.kwsm']); // the older entry out: 250 bytes > 200
  assert.is(statSync(join(dir, 'new.kwsm')).mode & 0o777, 0o600);
  assert.equal([...readFileSync(join(dir, 'new.kwsm'))], new Array(150).fill(7));
  assert.is(counter[0], 1);
  runStoreJob({ dir: join(dir, 'gone'), name: 'x.kwsm', tmp: '.x.kwsm.1.cd.tmp', bytes: new Uint8Array(10), maxBytes: 200 }, counter);
  assert.is(counter[0], 0);
  assert.equal(readdirSync(dir), ['new.kwsm']);
});

test('a put at or above backgroundMin is handed to the worker; a get in the same process waits for it and hits', () => {
  const dir = freshDir();
  const c = new ModuleCache(dir, 1 << 30, 0); // every entry through the worker
  const hash = sha256([addSrc]);
  const m = compileModule(addSrc);
  c.put(m, hash);
  // handed over: the worker thread is still starting (node:worker_threads), it cannot be done
  assert.ok(storesPending(), 'the store is pending after put');
  const hit = c.get(addSrc, hash);
  assert.ok(hit, 'a hit once the store ended');
  assertSameCode((hit as CompiledModule).image.code, m.image.code);
  assert.not.ok(storesPending());
  assert.equal(readdirSync(dir), [c.entryName(hash)]); // no temp file
  assert.is(statSync(join(dir, c.entryName(hash))).mode & 0o777, 0o600);
});

test('below backgroundMin the entry is written in place, before put returns', () => {
  const dir = freshDir();
  const c = new ModuleCache(dir, 1 << 30); // the default minimum: 8 MB
  const hash = sha256([addSrc]);
  c.put(compileModule(addSrc), hash);
  assert.not.ok(storesPending());
  assert.equal(readdirSync(dir), [c.entryName(hash)]);
});

/**
 * A node process that puts `add.wasm` through the worker (`before` runs first), then exits at
 * once (after `then`); exit status 3 if the put was not handed over.
 */
function putAndExit(dir: string, then: string, before = ''): ReturnType<typeof spawnSync> {
  const url = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
  const script = `
    import { readFileSync, rmSync, writeFileSync } from 'node:fs';
    import { ModuleCache } from ${url('../../jit/cache/module-cache.js')};
    import { storeInternals, storesPending } from ${url('../../jit/cache/background-store.js')};
    import { compileModule } from ${url('../../jit/compiler/module-compiler.js')};
    import { sha256 } from ${url('../../jit/cache/serialize.js')};
    const [dir, wasm] = process.argv.slice(1);
    ${before}
    const bytes = new Uint8Array(readFileSync(wasm));
    new ModuleCache(dir, 1 << 30, 0).put(compileModule(bytes), sha256([bytes]));
    if (!storesPending()) process.exit(3);
    ${then}
    process.exit(0);`;
  // -e: the worker must run its own script, not this one again (jit/worker-exec-argv.ts)
  return spawnSync(process.execPath, ['--input-type=module', '-e', script, dir, addPath], { encoding: 'utf8', timeout: 60_000 });
}

test('a process that exits right after handing a store over ends with the entry whole (its exit waits)', () => {
  const dir = freshDir();
  const r = putAndExit(dir, '');
  assert.is(r.status, 0, String(r.stderr));
  assert.is(r.stderr, '');
  const c = new ModuleCache(dir, 1 << 30);
  const hash = sha256([addSrc]);
  assert.equal(readdirSync(dir), [c.entryName(hash)]);
  const hit = c.get(addSrc, hash);
  assert.ok(hit);
  assertSameCode((hit as CompiledModule).image.code, compileModule(addSrc).image.code);
});

test('a store that fails (its directory removed meanwhile) ends quietly: the process exits 0, nothing is left', () => {
  const dir = freshDir();
  const r = putAndExit(dir, 'rmSync(dir, { recursive: true, force: true });');
  assert.is(r.status, 0, String(r.stderr));
  assert.is(r.stderr, '');
  let left: string[] = [];
  try { left = readdirSync(dir); } catch { /* gone, as it should be */ }
  assert.equal(left, []);
});

test('a worker script that fails to load holds an exit up for the start wait only, not the whole store wait; none at all writes in place', () => {
  const dir = freshDir();
  const bad = join(tmp, 'bad-store-worker.js');
  writeFileSync(bad, 'throw new Error("store worker broken");\n');
  // busy until after the worker failed: its 'error' event never runs on this thread before the exit
  const spin = 'const until = Date.now() + 500; while (Date.now() < until);';
  const t0 = Date.now();
  const r = putAndExit(dir, spin, `storeInternals.workerUrl = new URL(${JSON.stringify(`file://${bad}`)}); storeInternals.startWaitMs = 1000;`);
  const ms = Date.now() - t0;
  assert.is(r.status, 0, String(r.stderr));
  assert.ok(ms < 10_000, `exited after ${ms} ms`); // the whole store wait is 30 s
  let left: string[] = [];
  try { left = readdirSync(dir); } catch { /* never made */ }
  assert.not.ok(left.some((n) => n.endsWith('.kwsm')), 'no entry');
  // no worker script there: the put writes the entry itself (exit 3: nothing handed over)
  const dir2 = freshDir();
  const r2 = putAndExit(dir2, '', `storeInternals.workerUrl = new URL(${JSON.stringify(`file://${join(tmp, 'missing.js')}`)});`);
  assert.is(r2.status, 3, String(r2.stderr));
  assert.is(readdirSync(dir2).filter((n) => n.endsWith('.kwsm')).length, 1);
});

test.run();
