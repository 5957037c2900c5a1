// Parallel compilation (jit/compiler/parallel-compile.ts): the same module compiled on one thread
// and on two (the workers take every function, in chunks of one function each, so direct calls
// cross parts both ways) gives the same image byte for byte, the same function offsets and
// disassembler labels, and code that runs the same; an invalid body is reported exactly as the
// single-threaded compile reports it; a worker that dies costs nothing but its work; pool
// workers serve the next compile; front and back claims never overlap; the automatic thread
// count is one unless KWASM_COMPILE_THREADS says otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { BACK, FRONT, chunkBytesFor, claimBack, closeCompilePool, compileThreads, lastParallelStats } from '../../jit/compiler/parallel-compile.js';
import { workerExecArgv } from '../../jit/worker-exec-argv.js';
import { decodeModule } from '../../jit/frontend/decoder.js';
import { PartCompiler, compileRange } from '../../jit/compiler/compile-range.js';
import { CompileError } from '../../jit/errors.js';
import { instantiate, Module, Store } from '../../jit/instance/api.js';
import { wat } from '../jit/wat.js';
import { call } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// f0 and f7 call forwards and backwards across chunks; float and v128 constants recur in
// several functions (one pool entry each in the image); traps: division, memory, call_indirect,
// unreachable; one import (a thunk after the functions).
const src = `(module
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $mix)
  (type $ii (func (param i32) (result i32)))
  (func $f0 (export "f0") (param $x i32) (result i32)
    (i32.add (call $sq (local.get $x)) (call $f7 (local.get $x))))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $load (export "load") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func $simd (export "simd") (param f32) (result f32)
    (f32x4.extract_lane 2
      (f32x4.add (f32x4.abs (f32x4.splat (local.get 0))) (v128.const f32x4 1.5 2.5 3.5 4.5))))
  (func $flt (export "flt") (param f64) (result f64)
    (f64.add (f64.mul (local.get 0) (f64.const 3.25)) (f64.neg (f64.const 0.5))))
  (func $mix (param i32) (result i32)
    (i32.trunc_f64_s (f64.mul (f64.convert_i32_s (local.get 0)) (f64.const 3.25))))
  (func $f7 (export "f7") (param $x i32) (result i32)
    (call $log (local.get $x))
    (if (result i32) (i32.eqz (local.get $x))
      (then (call_indirect (type $ii) (i32.const 7) (i32.const 1)))
      (else (i32.add (call $sq (local.get $x)) (call_indirect (type $ii) (local.get $x) (i32.const 1))))))
  (func $simd2 (export "simd2") (param f32) (result f32)
    (f32x4.extract_lane 1
      (f32x4.mul (f32x4.abs (f32x4.splat (local.get 0))) (v128.const f32x4 1.5 2.5 3.5 4.5))))
  (func $trap (export "trap") (unreachable)))`;

function assertSameImage(serial: CompiledModule, parallel: CompiledModule): void {
  assert.is(parallel.image.code.length, serial.image.code.length, 'image size');
  assert.ok(Buffer.compare(Buffer.from(serial.image.code), Buffer.from(parallel.image.code)) === 0, 'image bytes');
  assert.is(parallel.codeSize, serial.codeSize, 'code size (before the pool)');
  assert.equal([...parallel.funcOffsets], [...serial.funcOffsets]);
  assert.equal(parallel.image.functions, serial.image.functions);
  assert.equal([...parallel.labelNames].sort((a, b) => a[0] - b[0]), [...serial.labelNames].sort((a, b) => a[0] - b[0]));
}

/** The workers take every function; generous, as a loaded machine starts a worker slowly (never reached when all is well). */
const WORKERS_FIRST = { workersFirst: { waitMs: 60_000 } };

test('one function per part from a worker: the single-threaded image byte for byte, and it runs the same', () => {
  const bytes = wat(src);
  const info = decodeModule(bytes);
  const serial = compileModule(bytes, { threads: 1 });
  const parallel = compileModule(bytes, { threads: 2, chunkBytes: 1, parallel: WORKERS_FIRST });
  assert.equal(lastParallelStats, { workers: 1, partsAppended: info.codes.length, functionsHere: 0 }, 'every function from a worker part');
  assertSameImage(serial, parallel);
  const logged: number[] = [];
  const i = instantiate(new Module(parallel), { env: { log: (x: number) => { logged.push(x); } } }, new Store());
  assert.is(call(i, 'f0', 3), 9 + 9 + 9);
  assert.is(call(i, 'f7', 0), 22);
  assert.equal(logged, [3, 0]);
  assert.is(call(i, 'div', 7, 2), 3);
  assert.is(call(i, 'div', 1, 0), 'trap: integer divide by zero');
  assert.is(call(i, 'load', 65530), 'trap: out of bounds memory access');
  assert.is(call(i, 'simd', -2), 5.5);
  assert.is(call(i, 'simd2', -2), 5);
  assert.is(call(i, 'flt', 2), 6);
  assert.is(call(i, 'trap'), 'trap: unreachable');
});

test('a real C program (hello.wasm) in 2 KiB chunks: the same image', () => {
  const bytes = new Uint8Array(readFileSync(join(root, 'examples/hello.wasm')));
  const parallel = compileModule(bytes, { threads: 2, chunkBytes: 2048, parallel: WORKERS_FIRST });
  assert.is(lastParallelStats.functionsHere, 0);
  assert.ok(lastParallelStats.partsAppended > 1);
  assertSameImage(compileModule(bytes, { threads: 1 }), parallel);
});

test('invalid bodies in two chunks: the same CompileError as the single-threaded compile (the lowest function)', () => {
  const ok = '(func (result i32) (i32.const 1))';
  const bad = '(func (result i32) (f32.const 1))';
  const bytes = wat(`(module ${ok} ${ok} ${ok} ${bad} ${ok} ${ok} ${bad} ${ok})`, { noCheck: true });
  const err = (threads: number): CompileError => {
    try { compileModule(bytes, { threads, chunkBytes: 1, parallel: WORKERS_FIRST }); } catch (e) { if (e instanceof CompileError) return e; throw e; }
    throw new Error('compiled an invalid module');
  };
  const s = err(1), p = err(2);
  assert.is(s.funcIndex, 3);
  assert.equal({ kind: p.kind, reason: p.reason, offset: p.offset, funcIndex: p.funcIndex, message: p.message },
    { kind: s.kind, reason: s.reason, offset: s.offset, funcIndex: s.funcIndex, message: s.message });
});

test('a worker that dies holding a chunk costs its work, never a hang or a wrong result: that chunk is compiled here', () => {
  const bytes = wat(src);
  const info = decodeModule(bytes);
  const serial = compileModule(bytes, { threads: 1 });
  const dying = { workerUrl: new URL('./dying-compile-worker.js', import.meta.url), workersFirst: { waitMs: 300 } };
  assertSameImage(serial, compileModule(bytes, { threads: 2, chunkBytes: 1, parallel: dying }));
  assert.equal(lastParallelStats, { workers: 1, partsAppended: 0, functionsHere: info.codes.length });
});

test('pool workers stay for the next compile, and a second compile gets parts from them', () => {
  const bytes = new Uint8Array(readFileSync(join(root, 'examples/hello.wasm')));
  const serial = compileModule(bytes, { threads: 1 });
  for (let i = 0; i < 2; i++) {
    assertSameImage(serial, compileModule(bytes, { threads: 3, chunkBytes: 4096, parallel: WORKERS_FIRST }));
    assert.is(lastParallelStats.workers, 2);
    assert.is(lastParallelStats.functionsHere, 0);
  }
  closeCompilePool();
});

test('a process started with node -e: its workers compile (they do not run the -e script again)', () => {
  assert.equal(workerExecArgv(['--cpu-prof', '--input-type=module', '-e', 'x()', '--stack-size=900', '-p', 'y', '--eval=z', '--input-type', 'module']),
    ['--cpu-prof', '--stack-size=900']);
  const compiler = new URL('../../jit/compiler/module-compiler.js', import.meta.url).href;
  const script = `
    const { compileModule } = await import(process.argv[1]);
    const parallel = await import(process.argv[1].replace('module-compiler', 'parallel-compile'));
    compileModule(new Uint8Array((await import('node:fs')).readFileSync(process.argv[2])), { threads: 2, chunkBytes: 4096, parallel: { workersFirst: { waitMs: 60000 } } });
    console.log(JSON.stringify(parallel.lastParallelStats));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, compiler, join(root, 'examples/hello.wasm')], { encoding: 'utf8' });
  const stats = JSON.parse(out) as { workers: number; functionsHere: number };
  assert.is(stats.workers, 1);
  assert.is(stats.functionsHere, 0, 'every function from the worker');
});

test('a worker gives up a chunk once the compiling thread placed part of it (PartCompiler stop), and the next part is whole', () => {
  const bytes = wat(src);
  const info = decodeModule(bytes);
  const pc = new PartCompiler(info);
  const first = info.numImportedFuncs, end = info.funcTypeIndices.length;
  let asked = 0;
  assert.is(pc.compile(first, end, () => ++asked > 3), null);
  assert.is(asked, 4, 'asked before each function until told');
  const again = pc.compile(first, end);
  assert.ok(again !== null);
  assert.ok(Buffer.compare(Buffer.from(again.part.code), Buffer.from(compileRange(info, first, end).part.code)) === 0);
});

test('claims: the front one function at a time, the back in guided chunks, never overlapping, until they meet', () => {
  const state = new Int32Array(new SharedArrayBuffer(12));
  state[FRONT] = 5; state[BACK] = 105;
  const start = (f: number): number => 1000 * f; // 1000 bytes per body
  const a = claimBack(state, start, () => 20_000);
  assert.equal(a, { from: 85, to: 105 });
  assert.is(state[BACK], 85);
  const b = claimBack(state, start, () => 1);
  assert.equal(b, { from: 84, to: 85 }, 'at least one function');
  state[FRONT] = 80;
  assert.equal(claimBack(state, start, () => 1e9), { from: 80, to: 84 }, 'never below the front');
  assert.is(claimBack(state, start, () => 1), null);
  // a worker starts small and doubles; guided by what is left; a fixed size wins
  const job = { threads: 2, chunkBytes: 0 };
  assert.is(chunkBytesFor(job, 100 << 20, 0), 16 << 10);
  assert.is(chunkBytesFor(job, 100 << 20, 3), 128 << 10);
  assert.is(chunkBytesFor(job, 100 << 20, 30), 1 << 20);
  assert.is(chunkBytesFor(job, 800 << 10, 30), 100 << 10);
  assert.is(chunkBytesFor({ threads: 2, chunkBytes: 7 }, 100 << 20, 0), 7);
});

test('threads: one unless KWASM_COMPILE_THREADS says otherwise, which is checked', () => {
  const saved = process.env.KWASM_COMPILE_THREADS;
  try {
    delete process.env.KWASM_COMPILE_THREADS;
    assert.is(compileThreads(), 1);
    process.env.KWASM_COMPILE_THREADS = '3';
    assert.is(compileThreads(), 3);
    process.env.KWASM_COMPILE_THREADS = 'lots';
    assert.throws(() => compileThreads(), /KWASM_COMPILE_THREADS must be an integer/);
  } finally {
    if (saved === undefined) delete process.env.KWASM_COMPILE_THREADS; else process.env.KWASM_COMPILE_THREADS = saved;
  }
});

test.run();
