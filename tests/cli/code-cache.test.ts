// The CLI bundle's V8 code cache (jit/cli/code-cache.ts): used when made from the very source,
// never when the source changed (even to one of the same length, which V8 alone would accept).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import '../fresh-bundle.js';
import { bundleDir } from '../../jit/cli/bundle.js';
import { CODE_CACHE_SUFFIX, HEADER_BYTES, loadWithCodeCache } from '../../jit/cli/code-cache.js';
import { writeCodeCache } from '../../jit/cli/code-cache-train.js';

const inTemp = (body: (dir: string) => void): void => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-code-cache-test-'));
  try { body(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
};

test('the build made a code cache for the CLI bundle and a start without V8 flags uses it', () => {
  const launcher = join(bundleDir(), 'cli.cjs'), main = join(bundleDir(), 'cli-main.cjs');
  const script = `console.log(require(${JSON.stringify(launcher)}).loadWithCodeCache(${JSON.stringify(main)}).use)`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.is(r.stdout.trim(), 'used', r.stderr);
  // other V8 flags: V8 refuses the data, the bundle still loads
  const s = spawnSync(process.execPath, ['--no-opt', '-e', script], { encoding: 'utf8' });
  assert.is(s.stdout.trim(), 'rejected', s.stderr);
});

test('node --enable-source-maps: the launcher loads the bundle through Node\'s loader, so stack traces name the TypeScript', () => {
  const launcher = join(bundleDir(), 'cli.cjs'), main = join(bundleDir(), 'cli-main.cjs');
  // main(undefined) throws inside the bundle (argv is not iterable): an unhandled rejection with its stack
  const script = `require(${JSON.stringify(launcher)}).runBundle(${JSON.stringify(main)}, undefined)`;
  const mapped = spawnSync(process.execPath, ['--enable-source-maps', '-e', script], { encoding: 'utf8' });
  // the CLI bundles' identifiers are minified (jit/cli/bundle.ts): the place maps to the TypeScript, the name stays short
  assert.match(mapped.stderr, /at Object\.\S+ \(\S*jit[/\\]cli\.ts:\d+:\d+\)/);
  const plain = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.match(plain.stderr, /at Object\.\S+ \(\S*cli-main\.cjs:\d+:\d+\)/);
});

test('a cache made from another source of the same length is not used: the new source runs', () => {
  inTemp((dir) => {
    const file = join(dir, 'm.cjs');
    const v1 = 'exports.f = function () { return "one"; }; exports.v = exports.f();';
    const v2 = v1.replace('"one"', '"two"');
    assert.is(v2.length, v1.length);
    writeFileSync(file, v1);
    const first = loadWithCodeCache(file);
    assert.is(first.use, 'absent');
    assert.is((first.exports as { v: string }).v, 'one');
    writeCodeCache(file, first.script);
    assert.is(loadWithCodeCache(file).use, 'used');
    // V8's own check (length, version, flags) takes the old data for the new source: the header's CRC-32 of the source is what refuses it
    const data = readFileSync(file + CODE_CACHE_SUFFIX).subarray(HEADER_BYTES);
    const wrap = (src: string): string => `(function (exports, require, module, __filename, __dirname) {${src}\n})`;
    assert.is(new Script(wrap(v2), { filename: file, cachedData: data }).cachedDataRejected, false, 'V8 accepts it');
    writeFileSync(file, v2);
    const second = loadWithCodeCache(file);
    assert.is(second.use, 'mismatch');
    assert.is((second.exports as { v: string }).v, 'two');
  });
});

test('a damaged or truncated cache is not used (a release V8 would run damaged bytecode): the source runs', () => {
  inTemp((dir) => {
    const file = join(dir, 'm.cjs');
    writeFileSync(file, 'exports.v = 42;');
    writeCodeCache(file, loadWithCodeCache(file).script);
    const good = readFileSync(file + CODE_CACHE_SUFFIX);
    const damaged = Buffer.from(good);
    damaged[damaged.length - 1] ^= 1;
    writeFileSync(file + CODE_CACHE_SUFFIX, damaged);
    const r = loadWithCodeCache(file);
    assert.is(r.use, 'mismatch');
    assert.is((r.exports as { v: number }).v, 42);
    for (const short of [10, HEADER_BYTES, 3, 0]) {
      writeFileSync(file + CODE_CACHE_SUFFIX, good.subarray(0, short));
      const t = loadWithCodeCache(file);
      assert.is(t.use, 'mismatch', `${short} bytes`);
      assert.is((t.exports as { v: number }).v, 42);
    }
    writeFileSync(file + CODE_CACHE_SUFFIX, good);
    assert.is(loadWithCodeCache(file).use, 'used');
  });
});

test('the launcher, run from an entry script, evaluates a bundle without loading node:module (its facade costs ~1 ms)', () => {
  inTemp((dir) => {
    const launcher = join(bundleDir(), 'cli.cjs');
    const file = join(dir, 'm.cjs'), entry = join(dir, 'entry.cjs');
    writeFileSync(file, 'exports.v = require("node:path").basename(__filename);');
    writeFileSync(entry, `const r = require(${JSON.stringify(launcher)}).loadWithCodeCache(${JSON.stringify(file)});\n` +
      'console.log(r.exports.v, process.moduleLoadList.includes("NativeModule module"));\n');
    const r = spawnSync(process.execPath, [entry], { encoding: 'utf8' });
    assert.is(r.stdout, 'm.cjs false\n', r.stderr);
    // no entry script (node -e): node:module's createRequire, the same require
    const e = spawnSync(process.execPath, ['-e', readFileSync(entry, 'utf8')], { encoding: 'utf8' });
    assert.is(e.stdout, 'm.cjs true\n', e.stderr);
  });
});

test('the launcher gives a bundle beside it its own require (no createRequire: ~0.4M instructions of a start), one made for it elsewhere', () => {
  inTemp((dir) => {
    const launcher = join(bundleDir(), 'cli.cjs'), main = join(bundleDir(), 'cli-main.cjs'), log = join(dir, 'v8.log');
    const elsewhere = join(dir, 'm.cjs'), entry = join(dir, 'entry.cjs');
    writeFileSync(elsewhere, 'exports.v = typeof require("node:path").join;');
    const ran = (file: string): boolean => {
      writeFileSync(entry, `require(${JSON.stringify(launcher)}).loadWithCodeCache(${JSON.stringify(file)});\n`);
      const r = spawnSync(process.execPath, ['--log-function-events', `--logfile=${log}`, '--no-logfile-per-isolate', entry], { encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      const lines = readFileSync(log, 'utf8').split('\n').map((l) => l.split(','));
      const loader = new Set(lines.filter((l) => l[0] === 'script-details' && l[2] === 'node:internal/modules/cjs/loader').map((l) => l[1]));
      return lines.some((l) => l[0] === 'function' && l[1] === 'first-execution' && loader.has(l[2]) && l[7] === 'createRequire');
    };
    assert.is(ran(main), false, 'the CLI bundle beside the launcher');
    assert.is(ran(elsewhere), true, 'a file in another directory');
  });
});

test('bin/kwasm-jit.js evaluates the launcher without Node\'s loader (one user file through it: ~0.3M instructions less), the CLI runs as before', () => {
  inTemp((dir) => {
    const bin = join(bundleDir(), '..', '..', 'bin', 'kwasm-jit.js'), hello = join(bundleDir(), '..', '..', 'examples', 'hello.wasm');
    const pre = join(dir, 'pre.cjs'), out = join(dir, 'loaded.json');
    writeFileSync(pre, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));`);
    const r = spawnSync(process.execPath, ['-r', pre, bin, 'run', hello], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: dir } });
    assert.match(r.stdout, 'hello, world', r.stderr);
    const loaded = (JSON.parse(readFileSync(out, 'utf8')) as string[]).filter((f) => f !== pre);
    assert.equal(loaded, [bin], 'files Node\'s loader loaded');
  });
});

test('a command that never finishes (the event loop ran dry) exits 13 with a message, not 0', () => {
  inTemp((dir) => {
    const launcher = join(bundleDir(), 'cli.cjs');
    const fake = join(dir, 'never.cjs');
    writeFileSync(fake, 'exports.main = () => new Promise(() => {});\n');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(launcher)}).runBundle(${JSON.stringify(fake)}, [])`], { encoding: 'utf8' });
    assert.is(r.status, 13, r.stderr);
    assert.match(r.stderr, 'never finished');
    writeFileSync(fake, 'exports.main = async () => 3;\n');
    const ok = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(launcher)}).runBundle(${JSON.stringify(fake)}, [])`], { encoding: 'utf8' });
    assert.is(ok.status, 3, ok.stderr);
    assert.is(ok.stderr, '');
  });
});

test('a directory where the cache file would be is no cache (as readFileSync refused it before): the source runs, no EISDIR', () => {
  inTemp((dir) => {
    const file = join(dir, 'm.cjs');
    writeFileSync(file, 'exports.v = 42;');
    mkdirSync(file + CODE_CACHE_SUFFIX);
    const r = loadWithCodeCache(file);
    assert.is(r.use, 'absent');
    assert.is((r.exports as { v: number }).v, 42);
  });
});

test.run();
