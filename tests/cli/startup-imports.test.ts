// Start-up: `kwasm-jit run` loads only what running needs. The static import graph of the CLI
// entry and `run` (what node loads before any code runs; dynamic import() is on demand) must not
// reach the disassembler (capstone) or the reference assembler (keystone): those are megabytes of
// JS and wasm for `compile --disasm` and the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
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

/** The source files esbuild put into `files`, from their source maps (paths of the .ts, through tsc's maps). */
function bundledSources(files: Iterable<string>): string[] {
  return [...files].flatMap((f) => (JSON.parse(readFileSync(`${f}.map`, 'utf8')) as { sources: string[] }).sources);
}

test('the bundle keeps it so: a start from the cache loads no compiler, validator, backtrace printer, disassembler or assembler (the runtime .so is prebuilt)', () => {
  const dir = join(dist, 'bundle');
  const names = readdirSync(dir);
  // cli.js and the chunk of its dynamic import of run (named after the module)
  const entries = ['cli.js', names.find((n) => /^cli-run-\w+\.js$/.test(n))];
  for (const entry of entries) {
    assert.ok(entry !== undefined, `bundle chunks: ${names.join(' ')}`);
    const g = staticGraph(join(dir, entry));
    const sources = bundledSources(g.files);
    assert.ok(sources.length > 0, `${entry}: sources found`);
    const heavy = sources.filter((s) => /compiler\/(module-compiler|function-compiler|masm)\.ts$|frontend\/validator\.ts$|cli\/backtrace\.ts$|disasm\.ts$|backend-x64\/assembler\.ts$|runtime\/trampolines\.ts$/.test(s));
    assert.equal(heavy, [], `${entry} statically loads ${heavy.join(', ')}`);
    assert.not.ok(g.packages.has('capstone-wasm') || g.packages.has('keystone-wasm'), `${entry} reaches capstone/keystone`);
  }
  // and the walk does see the compiler where a miss imports it
  const mc = names.find((n) => /^cli-module-compiler-\w+\.js$/.test(n));
  assert.ok(mc !== undefined && bundledSources(staticGraph(join(dir, mc)).files).some((s) => s.endsWith('compiler/function-compiler.ts')));
});

test.run();
