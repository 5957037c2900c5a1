// Runs a wasm32-wasi command module on kwasm-jit through its embedding API (jit/instance's
// compile/instantiate and jit/wasi's WASI), for the bench's kwasm-jit row while the CLI has no
// working `run` subcommand (the bench prefers the CLI as soon as it passes the probe).
// Same command line and timing line as v8-wasi-runner.ts:
//
// usage: node kwasm-api-runner.js [--dir HOST]... [--timing] FILE.wasm [ARGS...]
// --dir preopens HOST under the same guest path; --timing writes one line
// `@bench-timing {"compileMs":..,"instantiateMs":..,"runMs":..}` to stderr after the run.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { compile, instantiate, Store } from '../jit/instance/api.js';
import { WASI } from '../jit/wasi/index.js';

function usage(): never {
  process.stderr.write('usage: kwasm-api-runner.js [--dir HOST]... [--timing] FILE.wasm [ARGS...]\n');
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
const module = compile(readFileSync(file));
const t1 = performance.now();
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {}, preopens, returnOnExit: true });
const store = new Store();
const instance = instantiate(module, wasi.getImportObject(), store);
const t2 = performance.now();
const code = wasi.start(instance);
const t3 = performance.now();
if (timing) {
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  process.stderr.write(`@bench-timing ${JSON.stringify({ compileMs: r(t1 - t0), instantiateMs: r(t2 - t1), runMs: r(t3 - t2) })}\n`);
}
wasi.close();
store.dispose();
process.exitCode = code;
