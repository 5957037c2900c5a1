// A/B comparison of two kwasm-jit checkouts on the benchmark programs, for compiler changes on a
// shared, noisy machine: the runs of A and B alternate (A B A B ...), so load that comes and goes
// hits both alike, and the in-process run time the CLI reports (KWASM_BENCH_TIMING) leaves out
// start-up and compilation. Prints the median run time of each side and B/A per program, and
// the geometric mean of B/A.
//
//   node dist/bench/ab.js --a /tmp/base-checkout --b . [--reps 5] [--only fib,matmul] [--quick]
//
// Each checkout must be built (dist/). Programs are built into build/bench as bench/run.ts does.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, detectToolchain } from './lib/build.js';
import { PROGRAMS } from './lib/programs.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const a = arg('a', ''), b = arg('b', '.');
  if (a === '') { console.error('usage: ab.js --a CHECKOUT --b CHECKOUT [--reps N] [--only a,b] [--quick]'); process.exit(2); }
  const reps = Number(arg('reps', '5'));
  const only = arg('only', '');
  const quick = process.argv.includes('--quick');
  const tc = detectToolchain();
  const progs = PROGRAMS.filter((p) => p.suite === 'cpu' && (only === '' || only.split(',').includes(p.name)));
  let logSum = 0;
  console.log(`program        A median   B median   B/A   (${reps} alternating runs each, in-process run time)`);
  for (const p of progs) {
    const built = buildProgram(p, tc, join(root, 'bench', 'programs'), join(root, 'build', 'bench'));
    const inv = p.invocation(quick, join(root, 'build', 'bench', 'data'));
    const ta: number[] = [], tb: number[] = [];
    for (let r = 0; r < reps; r++) {
      ta.push(timed(a, built.wasm, inv.args));
      tb.push(timed(b, built.wasm, inv.args));
    }
    const ma = median(ta), mb = median(tb);
    logSum += Math.log(mb / ma);
    console.log(`${p.name.padEnd(14)} ${ma.toFixed(0).padStart(7)} ms ${mb.toFixed(0).padStart(7)} ms  ${(mb / ma).toFixed(3)}`);
  }
  console.log(`geomean B/A: ${Math.exp(logSum / progs.length).toFixed(3)}`);
}

/** In-process run time (ms) of one CLI run, from its @bench-timing line. */
function timed(checkout: string, wasm: string, args: readonly string[]): number {
  const cli = join(resolve(checkout), 'bin', 'kwasm-jit.js');
  const out = spawnTimed(cli, wasm, args);
  const m = /@bench-timing (\{.*\})/.exec(out);
  if (m === null) throw new Error(`${checkout}: no @bench-timing line from ${wasm}:\n${out}`);
  return (JSON.parse(m[1]) as { runMs: number }).runMs;
}

function spawnTimed(cli: string, wasm: string, args: readonly string[]): string {
  const r = spawnSync(process.execPath, [cli, 'run', '--no-cache', wasm, ...args], {
    env: { ...process.env, KWASM_BENCH_TIMING: '1' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`${cli} ${wasm} exited ${r.status}: ${r.stderr}`);
  return r.stderr;
}

main();
