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
// Run: npx tsc -p . && node dist/bench/compile.bench.js [FILE.wasm] [--reps N]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule } from '../jit/compiler/module-compiler.js';
import { decodeModule } from '../jit/frontend/decoder.js';
import { closeCompilePool } from '../jit/compiler/parallel-compile.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const repsAt = argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : 5;
const file = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--reps')
  ?? join(root, 'node_modules/keystone-wasm/dist/keystone.wasm');

const bytes = new Uint8Array(readFileSync(file));
const info = decodeModule(bytes);
const codeBytes = info.codes.bytes();

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** Per rep; `main`: the main thread's part of `cpu` (cold rows only). */
interface Times { wall: number[]; cpu: number[]; main?: number[] }
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Idle time after a compile before its CPU is read: a worker may still finish a chunk nobody needs, and that counts. */
const SETTLE_MS = 300;
const settle = (): Promise<void> => new Promise((done) => setTimeout(done, SETTLE_MS));

async function kwasm(threads: number): Promise<Times> {
  compileModule(bytes, { threads }); // warm-up: JIT the compiler itself
  await settle();
  const out: Times = { wall: [], cpu: [] };
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now(), c0 = cpuMs();
    compileModule(bytes, { threads });
    out.wall.push(performance.now() - t0);
    await settle();
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

// V8 caches native modules by their bytes within an isolate: each rep appends a distinct custom
// section so every compile is a real one.
const V8_SCRIPT = `
const base = require('fs').readFileSync(process.argv[1]);
const variant = (i) => { const name = Buffer.from('rep' + i); return Buffer.concat([base, Buffer.from([0, name.length + 1, name.length]), name]); };
new WebAssembly.Module(variant(-1));
const out = { wall: [], cpu: [] };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let i = 0; i < Number(process.argv[2]); i++) {
  const b = variant(i);
  const t0 = performance.now(), c0 = cpu();
  new WebAssembly.Module(b);
  out.wall.push(performance.now() - t0);
  out.cpu.push(cpu() - c0);
}
console.log(JSON.stringify(out));`;

function v8(flags: string[]): Times {
  const text = execFileSync(process.execPath, [...flags, '-e', V8_SCRIPT, file, String(REPS)], { encoding: 'utf8' });
  return JSON.parse(text) as Times;
}

const CORES = availableParallelism();
const EAGER = ['--no-wasm-tier-up', '--no-wasm-lazy-compilation', '--single-threaded'];
const rows: [string, Times][] = [
  ['kwasm-jit (single pass)', await kwasm(1)],
  [`kwasm-jit, ${CORES} threads`, await kwasm(CORES)],
  ['kwasm-jit cold process', kwasmCold(1)],
  [`kwasm-jit cold, ${CORES} threads`, kwasmCold(CORES)],
  ['V8 Liftoff', v8(['--liftoff', ...EAGER])],
  ['V8 TurboFan', v8(['--no-liftoff', ...EAGER])],
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
console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
