// Decode + validate throughput on a large real module: ruby.wasm from the
// npm package @ruby/3.4-wasm-wasi (a devDependency, used only as input
// bytes). The baseline is V8's own WebAssembly.validate on the same bytes in
// the same run, so the ratio means something on any machine.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeModule } from '../jit/frontend/decoder.js';
import { validateModule } from '../jit/frontend/validator.js';

const require = createRequire(import.meta.url);

function rubyDir(): string {
  // The package's exports map does not expose package.json, so resolve its main entry instead.
  let dir = dirname(require.resolve('@ruby/3.4-wasm-wasi'));
  while (!dir.endsWith('3.4-wasm-wasi')) dir = dirname(dir);
  return join(dir, 'dist');
}

/** Best of `runs` after one warm-up run, in ms. */
function best(runs: number, f: () => unknown): number {
  f();
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const inputs = ['ruby.wasm', 'ruby.debug+stdlib.wasm'];
console.log('| module | size | what | time (best of 3) | MB/s | vs V8 validate |');
console.log('|---|---:|---|---:|---:|---:|');
for (const name of inputs) {
  const bytes = new Uint8Array(readFileSync(join(rubyDir(), name)));
  const mb = bytes.length / 1e6;
  const v8 = best(3, () => WebAssembly.validate(bytes));
  const rows: [string, number][] = [
    ['decode (sections, no bodies)', best(3, () => decodeModule(bytes))],
    ['decode + validate (kwasm-jit)', best(3, () => validateModule(bytes))],
    ['WebAssembly.validate (V8)', v8],
  ];
  for (const [what, ms] of rows) {
    console.log(`| ${name} | ${mb.toFixed(1)} MB | ${what} | ${ms.toFixed(0)} ms | ${(mb / (ms / 1000)).toFixed(0)} | ${(ms / v8).toFixed(1)}x |`);
  }
}
