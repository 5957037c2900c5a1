import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModule } from '../../jit/frontend/decoder.js';
import { CompileError } from '../../jit/errors.js';
import { InstrReader } from '../../jit/frontend/instr-reader.js';
import { opName } from '../../jit/frontend/opcodes.js';
import { Reader } from '../../jit/frontend/reader.js';
import { F64, I32, I64, UNKNOWN } from '../../jit/frontend/types.js';
import { FunctionValidator, validateModule, validateModuleInfo } from '../../jit/frontend/validator.js';
import { wat } from './wat.js';
import { bodyMutants } from './body-mutations.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function invalid(text: string, reason: string): CompileError {
  try {
    validateModule(wat(text, { noCheck: true }));
  } catch (e) {
    assert.instance(e, CompileError);
    const ce = e as CompileError;
    assert.is(ce.kind, 'invalid', ce.message);
    assert.ok(ce.reason.startsWith(reason), `${ce.reason} does not start with ${reason}`);
    return ce;
  }
  assert.unreachable('module was accepted');
  throw new Error('unreachable');
}

test('accepts multi-value blocks, unreachable code, reference types and bulk memory', () => {
  validateModule(wat(`(module
    (type $pair (func (param i32) (result i32 i64)))
    (memory 1) (table $t 2 funcref) (table $e 1 externref)
    (data $d "xyz") (elem $s func $f)
    (func $f (type $pair) (local.get 0) (i64.const 7))
    (func (result i32)
      (i32.const 1) (block $b (param i32) (result i32 i64) (call $f)) drop
      (loop (param i32) (result i32) (br_if 0 (i32.const 0)))
      (unreachable) (i32.add) (select) (br_table 0 0))
    (func (param externref) (result i32)
      (table.set $e (i32.const 0) (local.get 0))
      (ref.is_null (table.get $t (i32.const 1))))
    (func
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))
      (data.drop $d)
      (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))
      (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
      (table.init $t $s (i32.const 0) (i32.const 0) (i32.const 1))
      (elem.drop $s)
      (drop (table.grow $t (ref.null func) (i32.const 1)))
      (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1)))
  )`));
});

test('rejects ill-typed bodies with the function index and offset', () => {
  const e = invalid(`(module (func) (func (result i32) (i64.const 1)))`, 'type mismatch');
  assert.is(e.funcIndex, 1);
  assert.ok(e.offset > 8);
  invalid(`(module (func (block (result i32) (br 0 (f32.const 0))) drop))`, 'type mismatch');
  invalid(`(module (func (local.get 3)))`, 'unknown local');
  invalid(`(module (func (br 1)))`, 'unknown label');
  invalid(`(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))`, 'global is immutable');
  invalid(`(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))`, 'alignment must not be larger than natural');
  invalid(`(module (func (drop (i32.load (i32.const 0)))))`, 'unknown memory');
  invalid(`(module (func (if (result i32) (i32.const 1) (then (i32.const 1))) drop))`, 'type mismatch');
  invalid(`(module (func $f (drop (ref.func $f))))`, 'undeclared function reference');
  invalid(`(module (table 1 externref) (func (call_indirect (i32.const 0))))`, 'type mismatch');
  invalid(`(module (func (select (ref.null func) (ref.null func) (i32.const 1)) drop))`, 'type mismatch');
  invalid(`(module (func (br_table 0 1 (i32.const 0)) ) )`, 'unknown label');
  invalid(`(module (func (block (result i32) (block (br_table 0 1 (i32.const 0) (i32.const 0)))) drop))`, 'type mismatch');
});

test('operand stacks past the initial 256 slots: signatures and loads at the top grow the stack', () => {
  // sig's fast path never grows the stack (it leaves a full stack to sigFull), so constants and
  // loads pushed at each height past the first buffer must still validate, and a mismatch deep
  // down must still be found.
  const n = 600;
  const consts = '(i32.const 1) '.repeat(n);
  const loads = '(i32.load (i32.const 0)) '.repeat(n);
  const adds = '(i32.add) '.repeat(n - 1);
  validateModule(wat(`(module (memory 1) (func (result i32) ${consts}${adds}) (func (result i32) ${loads}${adds}))`));
  invalid(`(module (func (result i32) (i64.const 1) ${consts}${adds}(i32.add)))`, 'type mismatch');
});

test('module-level rules', () => {
  invalid(`(module (memory 1) (memory 1))`, 'multiple memories');
  invalid(`(module (memory 65537))`, 'memory size must be at most 65536 pages');
  invalid(`(module (table 2 1 funcref))`, 'size minimum must not be greater than maximum');
  invalid(`(module (func (export "a")) (func (export "a")))`, 'duplicate export name');
  invalid(`(module (func (param i32)) (start 0))`, 'start function');
  invalid(`(module (global i32 (i32.add (i32.const 1) (i32.const 2))))`, 'constant expression required');
  invalid(`(module (global i32 (i64.const 1)))`, 'type mismatch');
  invalid(`(module (global i32 (i32.const 0)) (global i32 (global.get 0)))`, 'unknown global');
  invalid(`(module (global (import "m" "g") (mut i32)) (global i32 (global.get 0)))`, 'constant expression required');
  invalid(`(module (table 1 funcref) (elem (i32.const 0) externref (ref.null extern)))`, 'type mismatch');
  invalid(`(module (func (data.drop 0)))`, 'unknown data segment');
});

/** A module of one function `(func (param i32))` (one table, a memory, one global, one data segment) whose body is `body` (without the end byte). */
function oneBody(body: number[]): Uint8Array {
  const code = [0, ...body, 0x0b]; // no locals
  const section = (id: number, content: number[]): number[] => [id, content.length, ...content];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 0]), ...section(3, [1, 0]), ...section(4, [1, 0x70, 0, 1]), ...section(5, [1, 0, 1]),
    ...section(6, [1, 0x7f, 0, 0x41, 0, 0x0b]), ...section(12, [1]),
    ...section(10, [1, code.length, ...code]), ...section(11, [1, 1, 0])]);
}

test('index and alignment immediates of 2^31 and above: unknown / too large, the index as written (InstrReader holds them as int32)', () => {
  const U32_MAX = [0xff, 0xff, 0xff, 0xff, 0x0f], TWO_31 = [0x80, 0x80, 0x80, 0x80, 0x08];
  const cases: [number[], string][] = [
    [[0x20, ...U32_MAX, 0x1a], 'unknown local 4294967295'], // local.get: the validator's inlined common case
    [[0x20, ...TWO_31, 0x1a], 'unknown local 2147483648'],
    [[0x41, 0, 0x21, ...U32_MAX], 'unknown local 4294967295'], // local.set
    [[0x41, 0, 0x22, ...TWO_31, 0x1a], 'unknown local 2147483648'], // local.tee
    [[0x23, ...U32_MAX, 0x1a], 'unknown global 4294967295'],
    [[0x10, ...TWO_31], 'unknown function 2147483648'],
    [[0x0c, ...U32_MAX], 'unknown label 4294967295'],
    [[0x41, 0, 0x11, ...U32_MAX, 0], 'unknown type 4294967295'], // call_indirect type, table 0
    [[0x41, 0, 0x11, 0, ...TWO_31], 'unknown table 2147483648'],
    [[0xfc, 0x09, ...U32_MAX], 'unknown data segment 4294967295'],
    [[0x41, 0, 0x25, ...TWO_31, 0x1a], 'unknown table 2147483648'], // table.get
    [[0x41, 0, 0x28, ...U32_MAX, 0, 0x1a], 'alignment must not be larger than natural'], // i32.load (align held as 255)
    [[0x41, 0, 0x28, ...TWO_31, 0, 0x1a], 'alignment must not be larger than natural'],
  ];
  for (const [body, reason] of cases) {
    try {
      validateModule(oneBody(body));
      assert.unreachable(`accepted: ${reason}`);
    } catch (e) {
      assert.instance(e, CompileError);
      assert.is((e as CompileError).reason, reason);
    }
  }
  // and a valid index read through the same paths still validates
  validateModule(oneBody([0x20, 0, 0x1a, 0x23, 0, 0x1a, 0x41, 0, 0x25, 0, 0x1a, 0x41, 0, 0x28, 2, ...U32_MAX, 0x1a]));
});

test('a compiler can drive reader and validator one instruction at a time', () => {
  const m = decodeModule(wat(`(module (memory 1)
    (func (param i32) (result i64)
      (block (result i64)
        (i64.const -5000000000)
        (br_table 0 0 0 (local.get 0)))
      (f64.const 1.5) (drop)
      (i64.load offset=16 align=4 (i32.const 0)) (i64.add)))`));
  validateModuleInfo(m);
  const ir = new InstrReader(new Reader(m.bytes));
  const v = new FunctionValidator(m);
  ir.reset(m.codes.codeStart(0), m.codes.end(0), 0);
  v.begin(0);
  const seen: string[] = [];
  while (!v.done) {
    ir.next();
    v.step(ir);
    const name = opName[ir.code];
    seen.push(name);
    if (name === 'i64.const') {
      assert.is(BigInt.asIntN(64, (BigInt(ir.hi) << 32n) | BigInt(ir.lo >>> 0)), -5000000000n);
      assert.is(v.vals[v.sp - 1], I64);
    }
    if (name === 'br_table') {
      assert.equal(Array.from(ir.targets.subarray(0, ir.numTargets)), [0, 0]);
      assert.is(ir.index, 0);
      // After an unconditional branch the frame is unreachable: the stack is polymorphic.
      assert.is(v.ctlUnreachable[v.depth - 1], 1);
      assert.is(v.pop(), UNKNOWN);
    }
    if (name === 'f64.const') {
      const f = new Float64Array(new Uint32Array([ir.lo, ir.hi]).buffer)[0];
      assert.is(f, 1.5);
      assert.is(v.vals[v.sp - 1], F64);
    }
    if (name === 'i64.load') { assert.is(ir.memOffset, 16); assert.is(ir.align, 2); }
    if (name === 'block') { assert.is(v.depth, 2); assert.equal(Array.from(v.resultsOf(ir.blockType)), [I64]); }
  }
  assert.ok(ir.atEnd());
  assert.equal(seen, ['block', 'i64.const', 'local.get', 'br_table', 'end', 'f64.const', 'drop',
    'i32.const', 'i64.load', 'i64.add', 'end']);
  assert.is(v.vals[0], I64);
  assert.is(v.locals[0], I32);
});

// The fast paths of InstrReader.next and FunctionValidator.step/sig (one-byte immediates, packed
// signatures, local/global/drop/memory checks) must decide every damaged body exactly as the
// general path: the outcomes (reason and offset of each error) of every truncation and of seeded
// byte replacements in examples/hello.wasm's small bodies, digested, are those of the validator
// before the fast paths (d7a2d1c). A change of wording or offset shows here: recompute the
// digest with that commit's build if it is meant.
const HELLO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'hello.wasm');
const MUTANT_OUTCOMES_D7A2D1C = { count: 3012, sha256: '1947296922ffb46c3b2e339193bc9be51c7688c05e7ff2738240761b8ffd71ea' };

test('damaged bodies: a CompileError (never a JS exception), truncations malformed, outcomes as before the fast paths', () => {
  const outcomes: string[] = [];
  for (const m of bodyMutants(new Uint8Array(readFileSync(HELLO)), 30, 400, 60)) {
    let outcome = 'ok';
    try {
      validateModule(m.bytes);
    } catch (e) {
      if (!(e instanceof CompileError)) throw new Error(`${m.label}: ${String(e)}`);
      outcome = `${e.kind}: ${e.message}`;
    }
    if (m.truncated) assert.ok(outcome.startsWith('malformed: '), `${m.label}: ${outcome}`);
    outcomes.push(outcome);
  }
  const digest = createHash('sha256').update(outcomes.join('\n')).digest('hex');
  assert.equal({ count: outcomes.length, sha256: digest }, MUTANT_OUTCOMES_D7A2D1C);
});

test.run();
