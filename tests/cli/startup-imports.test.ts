// Start-up: `kwasm-jit run` loads only what running needs. The static import graph of the CLI
// entry and `run` (what node loads before any code runs; dynamic import() is on demand) must not
// reach the disassembler (capstone) or the reference assembler (keystone): those are megabytes of
// JS and wasm for `compile --disasm` and the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import '../fresh-bundle.js'; // the bundle below is the current build's
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/

/** Every module statically imported from `entry` (relative ones followed), and the bare packages reached. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>(), packages = new Set<string>();
  const todo = [entry];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, 'utf8');
    // `import x from '...'`, `import '...'`, `export ... from '...'`, also minified (`;import{x}from"..."`);
    // not `import type` (erased) or import()
    for (const m of src.matchAll(/(?:^|[;}])\s*(?:import|export)\b\s*(?:[^'"()]*?\bfrom\s*)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) todo.push(join(dirname(f), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { files, packages };
}

test('the CLI entry, `run` and the compile worker do not load capstone or keystone', () => {
  for (const entry of ['jit/cli.js', 'jit/cli/run.js', 'jit/cache/load.js', 'jit/instance/api.js', 'jit/compiler/compile-worker.js']) {
    const g = staticGraph(join(dist, entry));
    assert.ok(g.files.size > 1, `${entry}: graph found`);
    assert.not.ok(g.packages.has('capstone-wasm'), `${entry} reaches capstone-wasm`);
    assert.not.ok(g.packages.has('keystone-wasm'), `${entry} reaches keystone-wasm`);
    assert.not.ok([...g.files].some((f) => f.endsWith('disasm.js')), `${entry} reaches the disassembler`);
  }
});

test('a start from the cache does not load the compiler: only a miss imports it (dynamically)', () => {
  // run.js imports instance/module.js and cache/load.js with import(); instance/api.js (compile()) is the API's
  for (const entry of ['jit/cli.js', 'jit/cli/run.js', 'jit/cache/load.js', 'jit/instance/module.js']) {
    const g = staticGraph(join(dist, entry));
    const compiler = [...g.files].filter((f) => /compiler[/\\](module-compiler|function-compiler|masm|emitters)\.js$/.test(f));
    assert.equal(compiler, [], `${entry} reaches the compiler`);
  }
  assert.ok([...staticGraph(join(dist, 'jit/instance/api.js')).files].some((f) => f.endsWith('function-compiler.js')), 'the walk sees the compiler from api.js');
});

test('a start from the cache loads neither the validator nor the backtrace printer (validate and a failure import them)', () => {
  for (const entry of ['jit/cli.js', 'jit/cli/run.js', 'jit/cache/load.js', 'jit/instance/module.js']) {
    const files = [...staticGraph(join(dist, entry)).files];
    assert.not.ok(files.some((f) => /frontend[/\\]validator\.js$/.test(f)), `${entry} reaches the validator`);
    assert.not.ok(files.some((f) => /cli[/\\]backtrace\.js$/.test(f)), `${entry} reaches the backtrace printer`);
  }
});

test('the graph walk sees capstone where it is imported (compile --disasm\'s module)', () => {
  assert.ok(staticGraph(join(dist, 'backend-x64', 'disasm.js')).packages.has('capstone-wasm'));
});

/** The TypeScript sources (through the bundle's source map, chained to the .ts) of V8 log `lines`' function first executions in `bundle`, or undefined if the bundle's script never loaded. */
function sourcesOf(lines: string[][], bundle: string): Set<string> | undefined;
function sourcesOf(lines: string[][], bundle: string, withLines: true): string[] | undefined;
function sourcesOf(lines: string[][], bundle: string, withLines = false): Set<string> | string[] | undefined {
  const id = lines.find((l) => l[0] === 'script-details' && l[2] === bundle)?.[1];
  if (id === undefined) return undefined;
  const text = readFileSync(bundle, 'utf8');
  const lineStarts = [0];
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) lineStarts.push(k + 1);
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as SourceMapPayload);
  const sources = new Set<string>(), at: string[] = [];
  for (const l of lines) {
    if (l[0] !== 'function' || l[1] !== 'first-execution' || l[2] !== id) continue;
    const pos = Number(l[3]);
    let line = lineStarts.length - 1;
    while (lineStarts[line] > pos) line--;
    const e = map.findEntry(line, pos - lineStarts[line]) as { originalSource?: string; originalLine?: number };
    if (e.originalSource !== undefined) sources.add(e.originalSource);
    if (e.originalSource !== undefined && e.originalLine !== undefined) at.push(`${e.originalSource}:${e.originalLine + 1}`);
  }
  return withLines ? at : sources;
}

/**
 * The TypeScript sources whose functions ran in a child that called the CLI start bundle's main
 * with `args` (V8's --log-function-events: each function's first execution, as a range of the
 * script), in that bundle and in the full bundle (cli-full.cjs, which the start bundle loads for
 * what it leaves out: jit/cli/bundle.ts; undefined if it was not loaded). A bundle is one file, so
 * what a start evaluates is what ran, not what the file holds.
 */
function sourcesRun(args: string[], env: NodeJS.ProcessEnv): { sources: Set<string>; full: Set<string> | undefined; required: string[]; builtins: string[]; bufferFns: string[]; nodeFns: string[]; bundleFns: string[]; fullFns: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-fn-events-'));
  try {
    const bundle = join(dist, 'bundle', 'cli-main.cjs'), log = join(dir, 'v8.log'), loaded = join(dir, 'required.json');
    // and the files required (the bundle's require shares require.cache: ffi-rs, capstone, ...),
    // and Node's own modules loaded (process.moduleLoadList: 'NativeModule crypto', ...)
    const script = `require(${JSON.stringify(bundle)}).main(${JSON.stringify(args)}).then((s) => { process.exitCode = s; });` +
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify([Object.keys(require.cache), process.moduleLoadList])));`;
    // a file, not `-e`: node -e itself loads node:crypto's internals
    const main = join(dir, 'main.cjs');
    writeFileSync(main, script);
    const r = spawnSync(process.execPath, ['--log-function-events', `--logfile=${log}`, '--no-logfile-per-isolate', main], { env, encoding: 'utf8' });
    assert.ok(r.status !== null && r.status < 64, `${args.join(' ')}: ${r.status} ${r.stderr}`);
    const lines = readFileSync(log, 'utf8').split('\n').map((l) => l.split(','));
    const sources = sourcesOf(lines, bundle);
    assert.ok(sources !== undefined, 'the bundle\'s script in the log');
    const full = sourcesOf(lines, join(dist, 'bundle', 'cli-full.cjs'));
    const [required, builtins] = JSON.parse(readFileSync(loaded, 'utf8')) as [string[], string[]];
    // Node's own functions that ran, as 'node:SCRIPT:NAME' (each compiled on its first call:
    // Node's code cache holds its modules' top levels only)
    const nodeScripts = new Map(lines.filter((l) => l[0] === 'script-details' && (l[2] ?? '').startsWith('node:')).map((l) => [l[1], l[2]]));
    const nodeFns = lines.filter((l) => l[0] === 'function' && l[1] === 'first-execution' && nodeScripts.has(l[2])).map((l) => `${nodeScripts.get(l[2])}:${l[7] ?? ''}`);
    const bufferFns = nodeFns.filter((f) => /^node:(internal\/)?buffer:/.test(f)).map((f) => f.slice(f.lastIndexOf(':') + 1));
    // the functions that ran in the start bundle and in the full one, as 'SOURCE:LINE' of their
    // TypeScript (the CLI bundles' identifiers are minified: V8's names are not the source's)
    const fnsOf = (file: string): string[] => sourcesOf(lines, file, true) ?? [];
    return { sources, full, required, builtins, bufferFns, nodeFns, bundleFns: fnsOf(bundle), fullFns: fnsOf(join(dist, 'bundle', 'cli-full.cjs')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HEAVY = /compiler\/(module-compiler|function-compiler|masm)\.ts$|frontend\/validator\.ts$|cli\/backtrace\.ts$|disasm\.ts$|backend-x64\/assembler\.ts$|runtime\/trampolines\.ts$/;

test('the bundle keeps it so: a run from the cache runs no compiler, validator, backtrace printer, disassembler or assembler code, does not load the full bundle, requires neither capstone nor keystone (the runtime .so is prebuilt) and loads none of node:crypto, node:zlib, node:module, node:os', () => {
  const home = mkdtempSync(join(tmpdir(), 'kwasm-fn-events-cache-'));
  try {
    const env = { ...process.env, XDG_CACHE_HOME: home };
    const hello = join(dist, '..', 'examples', 'hello.wasm');
    // the cache records only a file unchanged for 2 s (jit/cache/wasm-file.ts SETTLE_NS): a checkout made just now waits
    const young = 2500 - (Date.now() - statSync(hello).ctimeMs);
    if (young > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, young);
    const { sources: miss, full: missFull, builtins: missBuiltins, fullFns: missFullFns } = sourcesRun(['run', hello], env);
    // the walk sees the compiler where a miss runs it (in the full bundle, which the start bundle
    // loads for it), and the list node:crypto where a miss hashes
    assert.not.ok([...miss].some((s) => HEAVY.test(s)), `a miss in the start bundle: ${[...miss].join(' ')}`);
    assert.ok(missFull !== undefined && [...missFull].some((s) => s.endsWith('compiler/function-compiler.ts')), `a miss: ${[...missFull ?? []].join(' ')}`);
    assert.ok(missBuiltins.includes('NativeModule crypto'), `a miss loads: ${missBuiltins.join(' ')}`);
    assert.is(readdirSync(join(home, 'kwasm-jit')).filter((f) => f.endsWith('.kwid')).length, 1, 'the miss recorded the file');
    const { sources: hit, full: hitFull, required, builtins, bufferFns, nodeFns, bundleFns } = sourcesRun(['run', hello], env);
    assert.ok([...hit].some((s) => s.endsWith('cli/run.ts')) && [...hit].some((s) => s.endsWith('cache/load.ts')), `a hit: ${[...hit].join(' ')}`);
    assert.equal([...hit].filter((s) => HEAVY.test(s)), [], 'a hit runs');
    // nor loads the full bundle (half of the CLI's source: jit/cli/bundle.ts STARTLESS)
    assert.is(hitFull, undefined, 'a hit loads cli-full.cjs');
    // the list sees what is required (the bundle itself; ffi-rs's binding is process.dlopen'ed, jit/runtime/ffi.ts)
    assert.ok(required.some((f) => f.endsWith('cli-main.cjs')), `required: ${required.join(' ')}`);
    assert.equal(required.filter((f) => /capstone|keystone/.test(f)), [], 'a hit requires');
    // the file is recorded (its .kwid): no module hash, and the checksums are CRC-32 (jit/digest.ts)
    assert.equal(builtins.filter((m) => /^NativeModule (internal\/)?crypto\b/.test(m)), [], 'a hit loads node:crypto');
    // nor node:zlib, whose JS loads Node's streams (~5 ms): the CRC-32 is the zlib binding's (jit/digest.ts)
    assert.equal(builtins.filter((m) => /^NativeModule (zlib|stream|internal\/streams\/(readable|writable|duplex))$/.test(m)), [], 'a hit loads node:zlib or streams');
    // nor node:module's facade (the CommonJS bundle's shim, jit/cli/bundle.ts: ~1 ms)
    assert.not.ok(builtins.includes('NativeModule module'), 'a hit loads node:module');
    // nor node:os (the errno numbers come from the constants binding, jit/node-binding.ts)
    assert.not.ok(builtins.includes('NativeModule os'), 'a hit loads node:os');
    // nor calls Buffer's word and text methods, Node's JS compiled on first call (~3M instructions
    // in all): DataView and Buffer's C++ slices instead (jit/bytes.ts)
    const SLOW = /^(read|write)(Big)?U?_?Int|^(toString|subarray|getEncodingOps|fromString)$/;
    assert.equal(bufferFns.filter((f) => SLOW.test(f)), [], 'a hit calls Buffer');
    // nor makes a TextDecoder (Node's JS, ~0.5M instructions: the decoders of jit/frontend/reader.ts
    // and jit/wasi/memory.ts are made on their first non-ASCII name or string read)
    assert.equal(nodeFns.filter((f) => /^node:internal\/encoding:(TextDecoder|getEncodingFromLabel)$/.test(f)), [], 'a hit makes a TextDecoder');
    // nor Node's number Stats (every stat of a start is bigint, one Stats class compiled: the
    // launcher's, the code cache's, the cache's and WASI's stdio) nor Buffer.alloc or allocUnsafe
    // (plain typed arrays: the code cache's buffer, /proc/cpuinfo's, ffi.ts's ELF header)
    assert.equal(nodeFns.filter((f) => /^node:internal\/fs\/utils:(Stats|msFromTimeSpec)$|^node:buffer:alloc(Unsafe)?$/.test(f)), [], 'a hit makes number Stats or calls Buffer.alloc or allocUnsafe');
    // nor refreshes the cache files' LRU time when they are a minute old or less (the miss just
    // wrote them), nor reads the file record by readFileSync: each Node's JS compiled on its
    // first call (this child calls main itself: the launcher's listener is not seen here)
    assert.equal(nodeFns.filter((f) => /^node:fs:(utimesSync|tryReadSync)$/.test(f)), [], 'a hit calls utimes or readFileSync');
    // nor compiles a regular expression (V8's code cache holds none: each is parsed and compiled
    // on its first execution; /proc/cpuinfo's flags and node's loader name are read by string
    // tests): as many as an empty script's (Node's own bootstrap compiles one)
    const regexps = (argv: string[]): number => {
      const r = spawnSync(process.execPath, ['--trace-regexp-tier-up', ...argv], { env, encoding: 'utf8' });
      assert.ok(r.status !== null && r.status < 64, `${argv.join(' ')}: ${r.status} ${r.stderr}`);
      return r.stdout.split('\n').filter((l) => /^JSRegExp object \S+ bytecode size/.test(l)).length;
    };
    // nor builds InstrReader's one-byte tables (jit/frontend/instr-reader.ts: made by the first
    // InstrReader, which a miss's compile constructs and hello's hit does not)
    // (the functions that ran, by their TypeScript line: V8's start of a function maps to a line of it)
    const src = readFileSync(join(dist, '..', 'jit', 'frontend', 'instr-reader.ts'), 'utf8').split('\n');
    const first = src.findIndex((l) => l.startsWith('function oneByteTables(')) + 1, last = src.indexOf('}', first) + 1;
    const inTables = (f: string): boolean => {
      const m = /instr-reader\.ts:(\d+)$/.exec(f);
      return m !== null && Number(m[1]) >= first && Number(m[1]) <= last;
    };
    assert.ok(first > 0 && last > first, 'oneByteTables in jit/frontend/instr-reader.ts');
    assert.ok(missFullFns.some(inTables), `a miss builds the one-byte tables (lines ${first}-${last})`);
    assert.not.ok(bundleFns.some(inTables), 'a hit builds InstrReader\'s one-byte tables');
    const empty = join(home, 'empty.cjs');
    writeFileSync(empty, '');
    assert.is(regexps([join(dist, '..', 'bin', 'kwasm-jit.js'), 'run', hello]), regexps([empty]), 'regular expressions a hit compiles beyond an empty script\'s');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
