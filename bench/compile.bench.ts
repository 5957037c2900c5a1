// Compile throughput: MB of code section per second, kwasm-jit's single pass against V8's
// Liftoff (its baseline compiler, our rival) and TurboFan, on the same large module in one run.
// V8 runs in child node processes with eager, single-threaded compilation so all three do the
// same work: every function compiled exactly once, on one thread, before the call returns.
//   Liftoff:  --liftoff --no-wasm-tier-up --no-wasm-lazy-compilation --single-threaded
//   TurboFan: --no-liftoff --no-wasm-tier-up --no-wasm-lazy-compilation --single-threaded
// Each engine compiles the module REPS times after one warm-up; medians are reported, of wall
// time and of the process's CPU time (user + system, all threads: process.cpuUsage) over the
// compile (for kwasm-jit read SETTLE_MS after it returns, so work its threads finish after the
// call counts too). On a shared, loaded machine compare the CPU columns: wall time there is mostly waiting.
// kwasm-jit also runs with every core (os.availableParallelism(): this thread plus pool worker
// threads, jit/compiler/parallel-compile.ts), warm like the compiling thread (the warm-up compile
// started them). A `run` compiles once in a fresh process, where the compiler is cold in every
// thread: the "cold process" rows time exactly that, one fresh node process per rep (the
// compile alone, after the module is read; CPU of the whole process over it). They also say how
// much of that CPU the main thread spent (Linux /proc/self/task): the rest is V8's platform
// threads (TurboFan optimizing our compiler, GC helpers) and compile workers, which is where a
// cold compile's extra CPU goes (bench/results/startup.md, "Cold compile round").
//
// The rows above run one engine after the other; on a machine whose speed drifts by 30% over a
// minute (the development VM does), their ratio drifts with it. So the bench also interleaves the
// two single-thread compilers: a Liftoff child (bench/lib/v8-server.ts) compiles once per request,
// and kwasm-jit compiles in this process between those, in alternating order, PAIRS times;
// the ratio reported is the median of the pairs' ratios. kwasm-jit is warmed by two compiles
// there (a process's second compile still pays for TurboFan re-optimising our compiler: that is
// the cold rows' subject), Liftoff by one (its code is C++: nothing to warm but caches).
//
// Without FILE (as `npm run bench` runs it) the module is ruby+stdlib.wasm (npm @ruby/3.4-wasm-wasi,
// 11.4 MB of code: the subject), keystone.wasm if that is not installed, and after its
// rows one line per benchmark program (bench/lib/programs.ts, built as `npm run bench` builds
// them): kwasm-jit one thread (warm, in this process), Liftoff and TurboFan, MB/s and CPU. Small
// modules measure fixed costs as much as throughput; the programs' line says which is which.
// `--quick` (npm run bench -- --quick): keystone.wasm, one rep, two pairs.
//
// Run: npx tsc -p . && node dist/bench/compile.bench.js [FILE.wasm] [--reps N] [--pairs N] [--quick]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule } from '../jit/compiler/module-compiler.js';
import { decodeModule } from '../jit/frontend/decoder.js';
import { closeCompilePool } from '../jit/compiler/parallel-compile.js';
import { hostCpu } from './lib/host.js';
import { buildProgram, detectToolchain, type Toolchain } from './lib/build.js';
import { PROGRAMS } from './lib/programs.js';
import { cpuMs, geomean } from './lib/stats.js';
import { startV8Server, v8Compiles, type CompileCost } from './lib/v8-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const repsAt = argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : QUICK ? 1 : 5;
const pairsAt = argv.indexOf('--pairs');
const PAIRS = pairsAt >= 0 ? Number(argv[pairsAt + 1]) : QUICK ? 2 : 8;
const fileArg = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--reps' && argv[i - 1] !== '--pairs');
const RUBY = join(root, 'node_modules/@ruby/3.4-wasm-wasi/dist/ruby+stdlib.wasm');
const KEYSTONE = join(root, 'node_modules/keystone-wasm/dist/keystone.wasm');
const file = fileArg ?? (!QUICK && existsSync(RUBY) ? RUBY : KEYSTONE);

const bytes = new Uint8Array(readFileSync(file));
const info = decodeModule(bytes);
const codeBytes = info.codes.bytes();

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** Per rep; `main`: the main thread's part of `cpu` (cold rows only). */
interface Times { wall: number[]; cpu: number[]; main?: number[] }

/** Idle time after a compile before its CPU is read: a worker may still finish a chunk nobody needs, and that counts. */
const SETTLE_MS = 300;
const settle = (): Promise<void> => new Promise((done) => setTimeout(done, SETTLE_MS));

/** `wait`: settle after each compile (the module's rows), or read the CPU as it returns, as the V8 rows do (the programs' lines: one thread, no worker to wait for). */
async function kwasm(threads: number, wasm = bytes, wait = true): Promise<Times> {
  compileModule(wasm, { threads }); // warm-up: JIT the compiler itself
  if (wait) await settle();
  const out: Times = { wall: [], cpu: [] };
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now(), c0 = cpuMs();
    compileModule(wasm, { threads });
    out.wall.push(performance.now() - t0);
    if (wait) await settle();
    out.cpu.push(cpuMs() - c0);
  }
  closeCompilePool(); // idle workers, before the other engines run
  return out;
}

// One compile in a fresh process: what a `run` without a cache entry pays.
const COLD_SCRIPT = `
const { compileModule } = await import(process.argv[1]);
const bytes = new Uint8Array((await import('node:fs')).readFileSync(process.argv[2]));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// the main thread's utime + stime (fields 14-15 of its stat, in USER_HZ = 100 ticks per second)
const { readFileSync } = await import('node:fs');
const mainCpu = () => { const s = readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const t0 = performance.now(), c0 = cpu(), m0 = mainCpu();
compileModule(bytes, { threads: Number(process.argv[3]) });
const wall = performance.now() - t0;
await new Promise((done) => setTimeout(done, ${SETTLE_MS}));
console.log(JSON.stringify({ wall, cpu: cpu() - c0, main: mainCpu() - m0 }));`;

function kwasmCold(threads: number): Times {
  const compiler = new URL('../jit/compiler/module-compiler.js', import.meta.url).href;
  const out: Times = { wall: [], cpu: [], main: [] };
  for (let i = 0; i < REPS; i++) {
    const text = execFileSync(process.execPath, ['--input-type=module', '-e', COLD_SCRIPT, compiler, file, String(threads)], { encoding: 'utf8' });
    const t = JSON.parse(text) as { wall: number; cpu: number; main: number };
    out.wall.push(t.wall);
    out.cpu.push(t.cpu);
    out.main?.push(t.main);
  }
  return out;
}

/** REPS compiles by V8 with `flags` in a child, after one warm-up compile (bench/lib/v8-server.ts). */
async function v8(flags: string[], wasm = file): Promise<Times> {
  const cs = await v8Compiles(flags, wasm, REPS);
  return { wall: cs.map((c) => c.wall), cpu: cs.map((c) => c.cpu) };
}

interface Pairs { kwasm: Times; liftoff: Times; cpuRatio: number[]; wallRatio: number[] }

/** kwasm-jit (one thread, this process) and Liftoff (a waiting child) compiling in turns. */
async function interleaved(): Promise<Pairs> {
  const liftoff = await startV8Server(['--liftoff', ...EAGER], [file]);
  const liftoffOnce = async (): Promise<CompileCost> => (await liftoff.compile(0, 1))[0];
  const kwasmOnce = async (): Promise<CompileCost> => {
    const t0 = performance.now(), c0 = cpuMs();
    compileModule(bytes, { threads: 1 });
    const wall = performance.now() - t0;
    await settle();
    return { wall, cpu: cpuMs() - c0 };
  };
  await kwasmOnce(); await kwasmOnce(); // warm-up (see the header)
  const out: Pairs = { kwasm: { wall: [], cpu: [] }, liftoff: { wall: [], cpu: [] }, cpuRatio: [], wallRatio: [] };
  try {
    for (let i = 0; i < PAIRS; i++) {
      const k = i % 2 === 0 ? await kwasmOnce() : undefined;
      const l = await liftoffOnce();
      const kk = k ?? await kwasmOnce();
      out.kwasm.wall.push(kk.wall); out.kwasm.cpu.push(kk.cpu);
      out.liftoff.wall.push(l.wall); out.liftoff.cpu.push(l.cpu);
      out.cpuRatio.push(l.cpu / kk.cpu); out.wallRatio.push(l.wall / kk.wall);
    }
  } finally {
    liftoff.close();
  }
  return out;
}

const CORES = availableParallelism();
const EAGER = ['--no-wasm-tier-up', '--no-wasm-lazy-compilation', '--single-threaded'];
const pairs = await interleaved();
const rows: [string, Times][] = [
  ['kwasm-jit (single pass)', await kwasm(1)],
  [`kwasm-jit, ${CORES} threads`, await kwasm(CORES)],
  ['kwasm-jit cold process', kwasmCold(1)],
  [`kwasm-jit cold, ${CORES} threads`, kwasmCold(CORES)],
  ['V8 Liftoff', await v8(['--liftoff', ...EAGER])],
  ['V8 TurboFan', await v8(['--no-liftoff', ...EAGER])],
];

const mb = codeBytes / 1e6;
console.log(`module: ${file} (${info.codes.length} functions, code section ${(codeBytes / 1024).toFixed(0)} KiB), ${REPS} reps, median`);
const liftoffRow = rows.find(([name]) => name === 'V8 Liftoff')![1];
const liftoff = median(liftoffRow.wall), liftoffCpu = median(liftoffRow.cpu);
for (const [name, ts] of rows) {
  const ms = median(ts.wall), cpu = median(ts.cpu);
  console.log(`${name.padEnd(26)} wall ${ms.toFixed(1).padStart(8)} ms  ${(mb / (ms / 1000)).toFixed(1).padStart(7)} MB/s  ${(liftoff / ms).toFixed(2)}x Liftoff's speed | ` +
    `cpu ${cpu.toFixed(1).padStart(8)} ms  ${(liftoffCpu / cpu).toFixed(2)}x Liftoff's CPU` +
    (ts.main === undefined ? '' : ` (main thread ${median(ts.main).toFixed(0)} ms)`));
}
console.log(`interleaved, ${PAIRS} pairs (kwasm-jit one thread, warmed by two compiles, and Liftoff in turns; median of the pairs' ratios):`);
console.log(`  kwasm-jit ${median(pairs.kwasm.wall).toFixed(0)} ms wall / ${median(pairs.kwasm.cpu).toFixed(0)} ms CPU, Liftoff ${median(pairs.liftoff.wall).toFixed(0)} / ${median(pairs.liftoff.cpu).toFixed(0)}: ` +
  `${median(pairs.wallRatio).toFixed(2)}x Liftoff's speed, ${median(pairs.cpuRatio).toFixed(2)}x its CPU (kwasm-jit used less CPU in ${pairs.cpuRatio.filter((r) => r > 1).length} of ${PAIRS})`);
console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(1)}; ${hostCpu()}`);

// ---- the benchmark programs: one line each ----------------------------------------------------

/** The benchmark programs' wasm files, built (or found built) as `npm run bench` builds them; why not, if the toolchain is missing. */
function programModules(): { name: string; wasm: string }[] | string {
  let tc: Toolchain;
  try { tc = detectToolchain(); } catch (e) { return (e as Error).message; }
  return PROGRAMS.map((p) => ({ name: p.name, wasm: buildProgram(p, tc, join(root, 'bench', 'programs'), join(root, 'build', 'bench')).wasm }));
}

if (fileArg === undefined) {
  const modules = programModules();
  console.log('');
  if (typeof modules === 'string') console.log(`benchmark programs: not measured: ${modules}`);
  else {
    console.log(`benchmark programs (wasm32-wasi, clang -O2), ${REPS} reps after a warm-up, median; kwasm-jit one thread in this process (warm from the rows above), V8 eager and single-threaded in a child:`);
    console.log(`${'program'.padEnd(18)} ${'code KiB'.padStart(8)}  ${'kwasm-jit MB/s (CPU ms)'.padStart(24)}  ${'Liftoff'.padStart(20)}  ${'TurboFan'.padStart(20)}  Liftoff's CPU / kwasm-jit's`);
    const ratios: number[] = [];
    for (const m of modules) {
      const b = new Uint8Array(readFileSync(m.wasm));
      const kb = decodeModule(b).codes.bytes();
      const k = await kwasm(1, b, false);
      const l = await v8(['--liftoff', ...EAGER], m.wasm), t = await v8(['--no-liftoff', ...EAGER], m.wasm);
      const cell = (ts: Times): string => `${(kb / 1e6 / (median(ts.wall) / 1000)).toFixed(1)} (${median(ts.cpu).toFixed(1)})`;
      const r = median(l.cpu) / median(k.cpu);
      ratios.push(r);
      console.log(`${m.name.padEnd(18)} ${(kb / 1024).toFixed(1).padStart(8)}  ${cell(k).padStart(24)}  ${cell(l).padStart(20)}  ${cell(t).padStart(20)}  ${r.toFixed(2)}x`);
    }
    console.log(`geometric mean of Liftoff's CPU / kwasm-jit's: ${geomean(ratios).toFixed(2)}x (above 1: kwasm-jit used less). ` +
      'A module of a few KiB of code compiles in a few ms: its figures are fixed costs more than throughput.');
  }
}
