// Runs a wasm32-wasi command module on V8 through node:wasi (preview1), for the bench's V8 rows.
// The tier is chosen by the node flags the bench starts this script with:
//   node --liftoff --no-wasm-tier-up   Liftoff only (V8's single-pass baseline compiler)
//   node --no-liftoff                  TurboFan only (V8's optimizing compiler)
// plus --no-wasm-lazy-compilation so that all functions are compiled inside compile(), which
// makes the reported compile time and run time separable.
//
// usage: node [flags] v8-wasi-runner.js [--dir HOST]... [--timing] FILE.wasm [ARGS...]
// --dir preopens HOST under the same guest path; --timing writes one line
// `@bench-timing {"compileMs":..,"instantiateMs":..,"runMs":..}` to stderr after the run.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { WASI } from 'node:wasi';

function usage(): never {
  process.stderr.write('usage: v8-wasi-runner.js [--dir HOST]... [--timing] FILE.wasm [ARGS...]\n');
  process.exit(2);
}

const argv = process.argv.slice(2);
const preopens: Record<string, string> = {};
let timing = false;
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--dir') {
    const dir = argv[++i];
    if (dir === undefined) usage();
    preopens[resolve(dir)] = resolve(dir);
  } else if (a === '--timing') {
    timing = true;
  } else {
    break;
  }
}
const file = argv[i];
if (file === undefined) usage();
const args = argv.slice(i + 1);

const t0 = performance.now();
const module = await WebAssembly.compile(readFileSync(file));
const t1 = performance.now();
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {}, preopens, returnOnExit: true });
const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
const t2 = performance.now();
const code = wasi.start(instance);
const t3 = performance.now();
if (timing) {
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  process.stderr.write(`@bench-timing ${JSON.stringify({ compileMs: r(t1 - t0), instantiateMs: r(t2 - t1), runMs: r(t3 - t2) })}\n`);
}
process.exitCode = code;
