// Parallel compilation (jit/compiler/parallel-compile.ts): the same module compiled on one thread
// and on two (chunks of one function each, so a worker really compiles some of them, and direct
// calls cross chunks both ways) gives the same image byte for byte, the same function offsets and
// disassembler labels, and code that runs the same; an invalid body is reported exactly as the
// single-threaded compile reports it; the automatic thread count follows the threshold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule, type CompiledModule } from '../../jit/compiler/module-compiler.js';
import { compileRangesParallel, compileThreads, planChunks, PARALLEL_MIN_BODY_BYTES } from '../../jit/compiler/parallel-compile.js';
import { compileRange } from '../../jit/compiler/compile-range.js';
import { decodeModule } from '../../jit/frontend/decoder.js';
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

test('one function per chunk on two threads: the single-threaded image byte for byte, and it runs the same', () => {
  const bytes = wat(src);
  const info = decodeModule(bytes);
  assert.is(planChunks(info, 2, 1).length - 1, info.codes.length, 'one chunk per function');
  const serial = compileModule(bytes, { threads: 1 });
  const parallel = compileModule(bytes, { threads: 2, chunkBytes: 1 });
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
  assertSameImage(compileModule(bytes, { threads: 1 }), compileModule(bytes, { threads: 2, chunkBytes: 2048 }));
});

test('invalid bodies in two chunks: the same CompileError as the single-threaded compile (the lowest function)', () => {
  const ok = '(func (result i32) (i32.const 1))';
  const bad = '(func (result i32) (f32.const 1))';
  const bytes = wat(`(module ${ok} ${ok} ${ok} ${bad} ${ok} ${ok} ${bad} ${ok})`, { noCheck: true });
  const err = (threads: number): CompileError => {
    try { compileModule(bytes, { threads, chunkBytes: 1 }); } catch (e) { if (e instanceof CompileError) return e; throw e; }
    throw new Error('compiled an invalid module');
  };
  const s = err(1), p = err(2);
  assert.is(s.funcIndex, 3);
  assert.equal({ kind: p.kind, reason: p.reason, offset: p.offset, funcIndex: p.funcIndex, message: p.message },
    { kind: s.kind, reason: s.reason, offset: s.offset, funcIndex: s.funcIndex, message: s.message });
});

test('a worker that dies holding a chunk costs a stall, never a hang or a wrong result: that chunk is compiled here', () => {
  const bytes = wat(src);
  const info = decodeModule(bytes);
  const serial = compileModule(bytes, { threads: 1 });
  const t0 = performance.now();
  // two workers that each take a chunk and die, this thread waiting for them: after the stall it
  // compiles what is missing (their chunks and the ones nobody took)
  const ranges = compileRangesParallel(info, 3, 1, { workerUrl: new URL('./dying-compile-worker.js', import.meta.url), stallMs: 300, workersOnly: true });
  assert.ok(performance.now() - t0 >= 300, 'waited for the stall');
  assert.is(ranges.length, info.codes.length);
  ranges.forEach((r, k) => {
    const again = compileRange(info, r.from, r.to);
    assert.ok(Buffer.compare(Buffer.from(r.part.code), Buffer.from(again.part.code)) === 0, `chunk ${k} bytes`);
  });
  // and the whole path, as compileModule runs it, is still the serial image
  assertSameImage(serial, compileModule(bytes, { threads: 2, chunkBytes: 1 }));
});

test('threads: every core above the threshold on an idle machine, else one; KWASM_COMPILE_THREADS overrides and is checked', () => {
  const saved = process.env.KWASM_COMPILE_THREADS;
  try {
    delete process.env.KWASM_COMPILE_THREADS;
    assert.is(compileThreads(PARALLEL_MIN_BODY_BYTES - 1, 0, 4), 1);
    assert.is(compileThreads(PARALLEL_MIN_BODY_BYTES, 0, 4), 4);
    assert.is(compileThreads(PARALLEL_MIN_BODY_BYTES, 3.9, 4), 4);
    assert.is(compileThreads(PARALLEL_MIN_BODY_BYTES, 4, 4), 1, 'busy machine');
    assert.is(compileThreads(PARALLEL_MIN_BODY_BYTES, 0, 1), 1, 'one core');
    process.env.KWASM_COMPILE_THREADS = '3';
    assert.is(compileThreads(10, 99, 1), 3);
    process.env.KWASM_COMPILE_THREADS = 'lots';
    assert.throws(() => compileThreads(10), /KWASM_COMPILE_THREADS must be an integer/);
  } finally {
    if (saved === undefined) delete process.env.KWASM_COMPILE_THREADS; else process.env.KWASM_COMPILE_THREADS = saved;
  }
});

test.run();
