// The CLI bundle (jit/cli/bundle.ts), its code cache (jit/cli/code-cache.ts) and the launcher
// that picks it (bin/kwasm-jit.js).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../fresh-bundle.js';
import { REPO } from './helpers.js';
import { wat } from '../jit/wat.js';
import { bundleDir, bundleIsFresh, DIST } from '../../jit/cli/bundle.js';
import { compilerId } from '../../jit/cache/compiler-id.js';
import { buildRuntimeObject } from '../../jit/runtime/runtime-object.js';
import { SONAME } from '../../jit/runtime/so-layout.js';

const bundleFiles = (): string[] => readdirSync(bundleDir()).filter((n) => /\.c?js$/.test(n)).map((n) => join(bundleDir(), n));

test('bin/kwasm-jit.js runs the bundle when it is as new as the tsc output, else the tsc output', () => {
  const root = mkdtempSync(join(tmpdir(), 'kwasm-launcher-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
    mkdirSync(join(root, 'dist', 'jit'), { recursive: true });
    for (const f of ['kwasm-jit.js', 'package.json']) copyFileSync(join(REPO, 'bin', f), join(root, 'bin', f));
    // the launcher's module and the tsc output's, as the CommonJS a directory without package.json holds
    const bundle = join(root, 'dist', 'bundle', 'cli.cjs'), plain = join(root, 'dist', 'jit', 'cli.js');
    const launch = (): string => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'kwasm-jit.js'), 'x'], { encoding: 'utf8' });
      return `${r.status} ${r.stdout.trim()}${r.stderr.includes('not built') ? 'not built' : ''}`;
    };
    assert.is(launch(), '2 not built');
    writeFileSync(plain, 'exports.main = async (argv) => { console.log("plain", argv); return 0; };');
    assert.is(launch(), "0 plain [ 'x' ]", 'no bundle: the tsc output');
    writeFileSync(bundle, 'exports.runBundle = (main, argv) => console.log("bundle", require("node:path").basename(main), argv);');
    utimesSync(plain, 1000, 1000); utimesSync(bundle, 2000, 2000);
    assert.is(launch(), "0 bundle cli-main.cjs [ 'x' ]", 'a bundle newer than the tsc output');
    utimesSync(bundle, 1000, 1000);
    assert.is(launch(), "0 bundle cli-main.cjs [ 'x' ]", 'as new (written in the same second)');
    utimesSync(plain, 3000, 3000);
    assert.is(launch(), "0 plain [ 'x' ]", 'a tsc-only rebuild after the bundle: never the old bundle');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('this build\'s bundle is fresh and bundleIsFresh agrees with the launcher\'s rule', () => {
  assert.ok(bundleIsFresh(), 'tests/fresh-bundle.ts rebuilt it');
  assert.ok(existsSync(join(DIST, 'bundle', 'cli.cjs')) && existsSync(join(DIST, 'bundle', 'cli-main.cjs')));
});

test('every worker the bundle starts by a relative URL is a file beside it', () => {
  let seen = 0;
  for (const f of bundleFiles()) {
    // import.meta.url in the ES modules, its stand-in (the file's own URL) in the CommonJS ones
    for (const m of readFileSync(f, 'utf8').matchAll(/new URL\(\s*["'](\.\/[^"']+)["']\s*,\s*(?:import\.meta\.url|__kwasm_import_meta_url)\s*\)/g)) {
      seen++;
      assert.ok(existsSync(join(bundleDir(), m[1])), `${f}: ${m[1]} is not in the bundle`);
    }
  }
  assert.ok(seen >= 2, 'the compile worker and the --timeout worker');
});

test('the bundle carries the compiler id of the code it was built from and the runtime .so of this build', () => {
  const text = bundleFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
  // the tsc output's id (hashing the built files: tests/cache/compiler-id.test.ts shows it follows the compiler code)
  assert.ok(text.includes(`new Uint8Array([${[...compilerId()].join(',')}])`), 'compiler id');
  assert.ok(Buffer.from(buildRuntimeObject()).equals(readFileSync(join(bundleDir(), SONAME))), 'runtime object');
});

test('a run dlopens the bundle\'s .so where it lies, and tries a temp copy when that cannot be mapped', () => {
  const hello = join(REPO, 'examples', 'hello.wasm');
  const run = (dir: string, env: NodeJS.ProcessEnv): string => {
    const script = `require(${JSON.stringify(join(dir, 'cli.cjs'))}).runBundle(${JSON.stringify(join(dir, 'cli-main.cjs'))}, ['run', ${JSON.stringify(hello)}])`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    return `${r.stdout}${r.stderr}`;
  };
  // no temp directory to write a copy into: only the shipped file can serve
  assert.match(run(bundleDir(), { KWASM_RUNTIME_DIR: join(tmpdir(), 'kwasm-no-such-dir') }), /hello, world/);
  // a copy of the bundle beside it (node_modules reachable) whose .so dlopen refuses: the copy in a
  // temp directory is tried (that is what serves a noexec mount; here its bytes are as bad) and
  // fails with the error that names the way out
  const copy = mkdtempSync(join(DIST, 'bundle-copy-'));
  try {
    for (const f of readdirSync(bundleDir())) copyFileSync(join(bundleDir(), f), join(copy, f));
    writeFileSync(join(copy, SONAME), 'not an ELF object');
    assert.match(run(copy, {}), /cannot load the runtime object from \S*kwasm-rt-\w+ \(noexec mount\? set KWASM_RUNTIME_DIR\)/);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('the package entry is the API bundle: the same exports as dist/jit/index.js, and it compiles, instantiates and runs', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { main: string; exports: Record<string, string> };
  assert.is(join(REPO, pkg.exports['.']), join(bundleDir(), 'index.js'));
  assert.is(join(REPO, pkg.main), join(bundleDir(), 'index.js'));
  const api = (await import(join(bundleDir(), 'index.js'))) as typeof import('../../jit/index.js');
  assert.equal(Object.keys(api).sort(), Object.keys(await import('../../jit/index.js')).sort());
  const m = api.compile(wat('(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'));
  assert.is((api.instantiate(m).exports.add as (a: number, b: number) => number)(40, 2), 42);
  // through the cache, with the bundle's prebuilt compiler id: the entry is this build's
  assert.is((api.instantiate(api.compileCached(m.compiled.info.bytes)).exports.add as (a: number, b: number) => number)(1, 2), 3);
});

test('the tsc-output path of bin/kwasm-jit.js: a main() that never settles exits 13 with a message, as the bundle path does', () => {
  const root = mkdtempSync(join(tmpdir(), 'kwasm-launcher-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'dist', 'jit'), { recursive: true });
    for (const f of ['kwasm-jit.js', 'package.json']) copyFileSync(join(REPO, 'bin', f), join(root, 'bin', f));
    const plain = join(root, 'dist', 'jit', 'cli.js');
    const launch = (): { status: number | null; stderr: string } => spawnSync(process.execPath, [join(root, 'bin', 'kwasm-jit.js'), 'x'], { encoding: 'utf8' });
    writeFileSync(plain, 'exports.main = () => new Promise(() => {});');
    const never = launch();
    assert.is(never.status, 13, never.stderr);
    assert.match(never.stderr, 'never finished');
    writeFileSync(plain, 'exports.main = async () => 3;');
    const ok = launch();
    assert.is(ok.status, 3, ok.stderr);
    assert.is(ok.stderr, '');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
