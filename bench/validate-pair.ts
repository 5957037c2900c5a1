// Front-end A/B in one process: decodes ruby+stdlib.wasm once with each of two builds' front ends
// (two dist/ directories, e.g. a copy of the unmodified build and this one), then validates every
// body with A, B, B, A, A, B, ... so load that comes and goes hits both alike. Prints the median
// CPU of passes 3..N of each and B/A. The front end alone (~100 ms a pass) shows changes of a few
// percent that a whole compile (~850 ms, mostly the back end) hides in its noise.
//
//   node dist/bench/validate-pair.js /tmp/base-dist $PWD/dist 20
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.js';

type Decoder = typeof import('../jit/frontend/decoder.js');
type Validator = typeof import('../jit/frontend/validator.js');
type Instr = typeof import('../jit/frontend/instr-reader.js');
type Rd = typeof import('../jit/frontend/reader.js');

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

const [distA, distB, nArg] = process.argv.slice(2);
const passes = Number(nArg ?? 20);
if (distA === undefined || distB === undefined || !Number.isInteger(passes) || passes < 3) {
  console.error('usage: validate-pair.js DIST_A DIST_B [PASSES >= 3]');
  process.exit(2);
}
const bytes = new Uint8Array(readFileSync(RUBY));
const runs = [await frontEnd(distA, bytes), await frontEnd(distB, bytes)];
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const ms: number[][] = [[], []];
for (let k = 0; k < passes; k++) {
  for (let j = 0; j < 2; j++) {
    const which = (k & 1) ^ j;
    const c0 = cpu();
    runs[which]();
    ms[which].push(cpu() - c0);
  }
}
const a = median(ms[0].slice(2)), b = median(ms[1].slice(2));
console.log(`A ${a.toFixed(1)} ms  B ${b.toFixed(1)} ms  B/A ${(b / a).toFixed(3)}  (median of passes 3-${passes})`);
