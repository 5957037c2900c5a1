// Loop headers cache the locals their (small, call-free) body uses (jit/compiler/loop-scan.ts,
// CodeGen.cacheForLoop): a local first read or set inside the loop is loaded into a register
// before the header instead of being reloaded on every iteration or stored on every back edge.
// Checked on the disassembly and against V8: locals cached at the header and modified in the
// loop, then read after a br_if exit and after a call; nested loops; a loop with a call and a
// loop too long to scan (both keep the old header state).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wat } from '../jit/wat.js';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { CompileError } from '../../jit/errors.js';
import { inst, call, disasmText, loopBody } from './helpers.js';
import { LoopScan } from '../../jit/compiler/loop-scan.js';
import { InstrReader } from '../../jit/frontend/instr-reader.js';
import { Reader } from '../../jit/frontend/reader.js';

const FIRST_USE = `(module (memory 1)
  (func $nop)
  (func (export "f") (param i32 i32) (result i32) (local i32 i32 i32)
    local.get 0 i32.const 4 i32.mul local.set 2       ;; cached before the loop, evicted below
    local.get 2 i32.const 1 i32.add local.set 2
    local.get 1 i32.const 2 i32.mul i32.const 1 i32.add local.set 3
    local.get 2 local.get 3 i32.add local.set 4 local.get 4 drop
    call $nop                                          ;; nothing is cached after a call
    loop
      local.get 3 local.get 2 i32.load i32.add local.set 3   ;; first use of locals 2, 3 after the call
      local.get 4 local.get 1 i32.xor local.set 4            ;; local 1: a parameter read in the loop
      local.get 2 i32.const 4 i32.add local.set 2
      local.get 2 local.get 0 i32.const 64 i32.add i32.lt_u br_if 0
    end
    local.get 3 local.get 4 i32.add))`;

test('a loop body reads and writes no frame slot: its locals are cached at the header', async () => {
  const text = await disasmText(FIRST_USE, 1);
  const body = loopBody(text, /^j(b|nb|ae|c|nc) /);
  assert.not.ok(body.some((t) => /ptr \[rbp/.test(t)), `no frame access in the loop:\n${text.join('\n')}`);
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wat(FIRST_USE)))).exports as Record<string, (a: number, b: number) => number>;
  assert.is(call(inst(FIRST_USE), 'f', 8, 3), v8.f(8, 3));
});

const CASES = `(module
  (func $id (param i32) (result i32) local.get 0)
  (func (export "exit") (param i32) (result i32) (local i32 i32 i32)
    block $out
      loop $l                                          ;; locals 1..3 first used in the loop
        local.get 1 i32.const 3 i32.add local.set 1
        local.get 2 local.get 1 i32.xor local.set 2
        local.get 3 local.get 2 i32.add local.set 3
        local.get 1 local.get 0 i32.ge_u br_if $out
        br $l
      end
    end
    local.get 1 call $id local.get 2 i32.add local.get 3 i32.const 7 i32.mul i32.add
    local.get 1 i32.add)
  (func (export "nested") (param i32) (result i32) (local i32 i32 i32)
    loop $o
      i32.const 0 local.set 2
      loop $i
        local.get 3 local.get 2 i32.add local.get 1 i32.xor local.set 3
        local.get 2 i32.const 1 i32.add local.tee 2 i32.const 5 i32.lt_u br_if $i
      end
      local.get 1 i32.const 1 i32.add local.tee 1 local.get 0 i32.lt_u br_if $o
    end
    local.get 3 call $id local.get 2 i32.add)
  (func (export "with_call") (param i32) (result i32) (local i32 i32)
    loop $l
      local.get 1 call $id local.get 2 i32.add local.set 2
      local.get 1 i32.const 1 i32.add local.tee 1 local.get 0 i32.lt_u br_if $l
    end
    local.get 2)
  (func (export "floats") (param i32) (result f64) (local f64 f64 f64)
    f64.const 1 local.set 1
    loop $l
      local.get 2 local.get 1 f64.add local.set 3
      local.get 3 local.get 1 f64.mul local.set 2
      local.get 1 f64.const 0.5 f64.mul local.set 1
      local.get 0 i32.const -1 i32.add local.tee 0 br_if $l
    end
    local.get 1 local.get 2 f64.add local.get 3 f64.add))`;

test('loop-cached locals agree with V8 after exits, calls and nested loops', () => {
  const bytes = new Uint8Array(wat(CASES));
  const v8 = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (a: number) => number>;
  const i = inst(CASES);
  for (const n of [1, 2, 5, 17, 40]) {
    for (const name of ['exit', 'nested', 'with_call', 'floats']) assert.is(call(i, name, n), v8[name](n), `${name}(${n})`);
  }
});

test('a loop body too long to scan compiles and runs as before', () => {
  // 200 repetitions of a 6-byte update: far over the scan limit.
  const body = 'local.get 1 i32.const 3 i32.add local.set 1 '.repeat(200);
  const text = `(module (func (export "f") (param i32) (result i32) (local i32)
    loop $l ${body} local.get 0 i32.const -1 i32.add local.tee 0 br_if $l end local.get 1))`;
  assert.is(call(inst(text), 'f', 3), 1800);
});

test('scanning past the window builds no CompileError (an error and its stack trace per long loop)', () => {
  // 9-byte updates (a 3-byte constant): a local.set crosses the 512-byte window, for both scans
  // (the locals a loop uses, and whether it calls a defined function first).
  const body = 'local.get 1 i32.const 100000 i32.add local.set 1 '.repeat(100);
  const text = `(module (func $g)
    (func (export "f") (param i32) (result i32) (local i32)
      loop $l ${body} local.get 0 i32.const -1 i32.add local.tee 0 br_if $l end
      i32.const 2 local.set 0
      loop $m ${body} call $g local.get 0 i32.const -1 i32.add local.tee 0 br_if $m end local.get 1))`;
  const bytes = wat(text);
  // CompileError's constructor assigns `name`: a setter on its prototype counts constructions
  let made = 0;
  Object.defineProperty(CompileError.prototype, 'name', { configurable: true, set(this: Error, v: string) { made++; Object.defineProperty(this, 'name', { value: v, writable: true, configurable: true }); } });
  try {
    compileModule(bytes, { threads: 1 });
    assert.is(made, 0, 'CompileErrors made during a successful compile');
    assert.throws(() => compileModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])));
    assert.is(made, 1, 'the counter counts');
  } finally {
    delete (CompileError.prototype as { name?: string }).name;
  }
  assert.is(call(inst(text), 'f', 2), 4 * 100 * 100000);
});

// Loop headers check rsp against stackLimit (the runtime's interrupt): not when every iteration
// first calls a function defined in the module, whose prologue makes that check (run.test.ts
// shows such a loop is still interrupted by --timeout).
const CALL_FIRST = `(module
  (import "env" "imp" (func $imp (param i32) (result i32)))
  (func $f (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "first") (param i32) (result i32)
    loop local.get 0 call $f local.tee 0 i32.const 100 i32.lt_u br_if 0 end local.get 0)
  (func (export "import") (param i32) (result i32)
    loop local.get 0 call $imp local.tee 0 i32.const 100 i32.lt_u br_if 0 end local.get 0)
  (func (export "branch") (param i32) (result i32)
    block loop local.get 0 i32.const 100 i32.ge_u br_if 1 local.get 0 call $f local.set 0 br 0 end end local.get 0))`;

test('a loop that calls a defined function first has no header check; an import call or a branch first keeps it', async () => {
  const checks = async (i: number): Promise<number> =>
    (await disasmText(CALL_FIRST, i)).filter((t) => /^cmp rsp, qword ptr \[r15/.test(t)).length;
  assert.is(await checks(1), 0);
  assert.is(await checks(2), 1);
  assert.is(await checks(3), 1);
  const i = inst(CALL_FIRST, { env: { imp: (x: number) => x + 1 } });
  for (const n of ['first', 'import', 'branch']) assert.is(call(i, n, 5), 100, n);
});

/** A loop body of `pad` nops, then 85 six-byte `i32.const`s (510 bytes) and a `call 0` (or `end`). */
function scanBody(pad: number, last: 'end' | 'call'): { scan: boolean; callsFirst: boolean } {
  const bytes = [...new Array<number>(pad).fill(0x01)];
  for (let k = 0; k < 85; k++) bytes.push(0x41, 0x80, 0x80, 0x80, 0x80, 0x00);
  bytes.push(...(last === 'end' ? [0x0b] : [0x10, 0x00]));
  const ir = new InstrReader(new Reader(Uint8Array.from(bytes)));
  ir.reset(0, bytes.length, 0);
  const s = new LoopScan();
  return { scan: s.scan(ir, 1), callsFirst: s.callsFirst(ir, 0) };
}

test('the loop scan reads at most 512 bytes of a body: an instruction across the limit makes it too long', () => {
  assert.is(scanBody(1, 'end').scan, true); // end at byte 511
  assert.is(scanBody(2, 'end').scan, false); // end at byte 512
  assert.is(scanBody(3, 'end').scan, false); // the last i32.const ends at 513
  assert.is(scanBody(0, 'call').callsFirst, true); // call 0 in bytes 510-511
  assert.is(scanBody(1, 'call').callsFirst, false); // call 0 in bytes 511-512
});

test.run();
