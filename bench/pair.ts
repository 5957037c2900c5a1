// A/B of two builds' compilers in one process, for changes of a few percent on a machine whose
// speed drifts (the development VM swings by 10-30% from one compile to the next, so two
// processes, or two blocks of runs, differ by more than the change): both builds (two dist/
// directories, e.g. a copy of the unmodified build and this one) are loaded into this process and
// take turns, A B B A A B ..., on ruby+stdlib.wasm, so load that comes and goes hits both alike.
//   validate: decode once, then validate every body (the front end alone, ~100 ms a pass: shows
//             changes that a whole compile, mostly the back end, hides in its noise)
//   compile:  compileModule(bytes, { threads: 1 }), the whole single-threaded compile
// Prints the median CPU of passes 3..N of each (the first two warm the code up), B/A, and in
// how many passes B was the cheaper of its pair.
//
//   node dist/bench/pair.js validate|compile /tmp/base-dist $PWD/dist [PASSES]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, median } from './lib/stats.js';

type Decoder = typeof import('../jit/frontend/decoder.js');
type Validator = typeof import('../jit/frontend/validator.js');
type Instr = typeof import('../jit/frontend/instr-reader.js');
type Rd = typeof import('../jit/frontend/reader.js');
type Compiler = typeof import('../jit/compiler/module-compiler.js');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUBY = join(root, 'node_modules', '@ruby', '3.4-wasm-wasi', 'dist', 'ruby+stdlib.wasm');

async function frontEnd(dist: string, bytes: Uint8Array): Promise<() => void> {
  const at = (p: string): string => join(resolve(dist), 'jit', 'frontend', p);
  const { decodeModule } = (await import(at('decoder.js'))) as Decoder;
  const { FunctionValidator, validateFunction } = (await import(at('validator.js'))) as Validator;
  const { InstrReader } = (await import(at('instr-reader.js'))) as Instr;
  const { Reader } = (await import(at('reader.js'))) as Rd;
  const m = decodeModule(bytes);
  return () => {
    const ir = new InstrReader(new Reader(bytes));
    const v = new FunctionValidator(m);
    for (let f = m.numImportedFuncs; f < m.funcTypeIndices.length; f++) validateFunction(m, f, ir, v);
  };
}

async function wholeCompile(dist: string, bytes: Uint8Array): Promise<() => void> {
  const { compileModule } = (await import(join(resolve(dist), 'jit', 'compiler', 'module-compiler.js'))) as Compiler;
  return () => { compileModule(bytes, { threads: 1 }); };
}

const MODES = { validate: frontEnd, compile: wholeCompile } as const;
const [mode, distA, distB, nArg] = process.argv.slice(2);
const passes = Number(nArg ?? 20);
if (!(mode === 'validate' || mode === 'compile') || distA === undefined || distB === undefined || !Number.isInteger(passes) || passes < 3) {
  console.error('usage: pair.js validate|compile DIST_A DIST_B [PASSES >= 3]');
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(RUBY));
const runs = [await MODES[mode](distA, bytes), await MODES[mode](distB, bytes)];
const ms: number[][] = [[], []];
for (let k = 0; k < passes; k++) {
  for (let j = 0; j < 2; j++) {
    const which = (k & 1) ^ j;
    const c0 = cpuMs();
    runs[which]();
    ms[which].push(cpuMs() - c0);
  }
}
const a = median(ms[0].slice(2)), b = median(ms[1].slice(2));
let bWins = 0;
for (let k = 2; k < passes; k++) if (ms[1][k] < ms[0][k]) bWins++;
console.log(`A ${a.toFixed(1)} ms  B ${b.toFixed(1)} ms  B/A ${(b / a).toFixed(3)}  (median of passes 3-${passes}; B cheaper in ${bWins} of ${passes - 2})`);
