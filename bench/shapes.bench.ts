// Compile cost per instruction shape: kwasm-jit's single pass against V8's Liftoff, in ns of CPU
// per wasm instruction, on modules that each repeat one short sequence (FUNCS functions of
// REPEAT copies). compile.bench.ts measures a whole real module; this says whether a gap there
// sits in a few instructions or in all of them, and which shapes to look at first. The shapes
// are what ruby+stdlib.wasm is made of (local.get 18% of its 5.95M instructions, i32.const 16%,
// global.get 10%, end 7%, local.set 7%, i32.load 5%, if 5%: its asyncify code tests a global
// before and after every call), plus a call and two controls: `local.get, drop` (the per-
// instruction loop with the least code behind it) and an empty function (the fixed cost of a
// function, which every row above also pays once per REPEAT copies).
//
// Both sides compile each module COMPILES times per round after a warm-up, in turns (the
// development VM's speed drifts by 2x between minutes): kwasm-jit in this process, warm, one
// thread; Liftoff in a waiting child (bench/lib/v8-server.ts) with compile.bench.ts's eager
// single-thread flags. Each
// round's figure is the median of its compiles; the table gives the median over ROUNDS.
//
// Run: npx tsc -p . && node dist/bench/shapes.bench.js [--rounds N] [--quick]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule } from '../jit/compiler/module-compiler.js';
import { hostCpu } from './lib/host.js';
import { cpuMs, median } from './lib/stats.js';
import { startV8Server } from './lib/v8-server.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const roundsAt = argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : QUICK ? 1 : 5;
const FUNCS = QUICK ? 50 : 200;
const REPEAT = 200;
const COMPILES = QUICK ? 5 : 15;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds needs a positive integer');

/** One shape: its bytes (locals 0-1 are i32 params, 2-4 i32 locals; function 0 is `(a, b) => a`; global 0 a mutable i32) and instruction count. */
interface Shape { name: string; code: number[]; instructions: number }
const SHAPES: Shape[] = [
  { name: 'local.get, local.get, i32.add, local.set', code: [0x20, 0, 0x20, 1, 0x6a, 0x21, 2], instructions: 4 },
  { name: 'i32.const, local.set', code: [0x41, 7, 0x21, 3], instructions: 2 },
  { name: 'local.get, i32.load offset=8, local.set', code: [0x20, 0, 0x28, 2, 8, 0x21, 2], instructions: 3 },
  { name: 'global.get, i32.const, i32.eq, if, nop, end', code: [0x23, 0, 0x41, 2, 0x46, 0x04, 0x40, 0x01, 0x0b], instructions: 6 },
  { name: 'local.get, local.get, call, local.set', code: [0x20, 0, 0x20, 1, 0x10, 0, 0x21, 2], instructions: 4 },
  { name: 'local.get, drop', code: [0x20, 0, 0x1a], instructions: 2 },
];
/** The empty function's row: FUNCS functions of `local.get 2, end` only. */
const EMPTY: Shape = { name: 'empty function (us per function)', code: [], instructions: 0 };

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n !== 0) b |= 0x80; out.push(b); } while (n !== 0);
  return out;
}
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** FUNCS functions of type (i32, i32) -> i32 with three i32 locals, each `copies` times the shape then `local.get 2, end`; function 0 is the callee. */
function shapeModule(shape: Shape, copies: number): Uint8Array {
  const body = (locals: number[], code: number[]): number[] => { const b = [...locals, ...code, 0x0b]; return [...uleb(b.length), ...b]; };
  const callee = body([0], [0x20, 0]);
  const repeated: number[] = [];
  for (let i = 0; i < copies; i++) repeated.push(...shape.code);
  const fn = body([1, 3, 0x7f], [...repeated, 0x20, 2]);
  const funcs = Array.from({ length: FUNCS + 1 }, (_, i) => (i === 0 ? callee : fn));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, 2, 0x7f, 0x7f, 1, 0x7f]])),
    ...section(3, vec(funcs.map(() => [0]))),
    ...section(5, vec([[0, 1]])),
    ...section(6, vec([[0x7f, 1, 0x41, 0, 0x0b]])),
    ...section(10, vec(funcs)),
  ]);
}

const shapes = [...SHAPES, EMPTY];
const modules = shapes.map((s) => shapeModule(s, s === EMPTY ? 0 : REPEAT));
const dir = mkdtempSync(join(tmpdir(), 'kwasm-shapes-'));
const files = modules.map((m, i) => { const f = join(dir, `shape${i}.wasm`); writeFileSync(f, m); return f; });

const EAGER = ['--liftoff', '--no-wasm-tier-up', '--no-wasm-lazy-compilation', '--single-threaded'];

function kwasmMedian(bytes: Uint8Array, n: number): number {
  const xs: number[] = [];
  for (let j = 0; j < n; j++) { const c0 = cpuMs(); compileModule(bytes, { threads: 1 }); xs.push(cpuMs() - c0); }
  return median(xs);
}

const kwasm: number[][] = shapes.map(() => []), liftoffMs: number[][] = shapes.map(() => []);
try {
  const liftoff = await startV8Server(EAGER, files);
  try {
    for (const m of modules) kwasmMedian(m, COMPILES); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < shapes.length; i++) {
        const liftoffOnce = async (): Promise<number> => median((await liftoff.compile(i, COMPILES)).map((c) => c.cpu));
        if (r % 2 === 0) { kwasm[i].push(kwasmMedian(modules[i], COMPILES)); liftoffMs[i].push(await liftoffOnce()); }
        else { liftoffMs[i].push(await liftoffOnce()); kwasm[i].push(kwasmMedian(modules[i], COMPILES)); }
      }
    }
  } finally {
    liftoff.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`compile CPU per instruction shape: ${FUNCS} functions of ${REPEAT} copies each; median over ${ROUNDS} round(s) of the median of ${COMPILES} compiles; kwasm-jit one thread in this process (warm), Liftoff eager single-threaded in a child, in turns`);
console.log('');
console.log('| shape | instructions | kwasm-jit ns/instr | Liftoff ns/instr | Liftoff\'s CPU / kwasm-jit\'s |');
console.log('|---|---|---|---|---|');
for (let i = 0; i < shapes.length; i++) {
  const s = shapes[i], k = median(kwasm[i]), l = median(liftoffMs[i]);
  const n = s.instructions * REPEAT * FUNCS;
  const per = (ms: number): string => (s === EMPTY ? (ms * 1000 / (FUNCS + 1)).toFixed(1) : (ms * 1e6 / n).toFixed(1));
  console.log(`| ${s.name} | ${s === EMPTY ? '-' : n} | ${per(k)} | ${per(l)} | ${(l / k).toFixed(2)}x |`);
}
console.log('');
console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(1)}; ${hostCpu()}`);
