// InstrReader and Reader keep one V8 map (hidden class) whatever values their fields take: a u32
// immediate or f32/f64 bits >= 2^31 must not change an object's shape, or every function V8
// optimized for the old shape (validator, compiler loop, emitters) deoptimizes (U32_FIELD in
// jit/frontend/reader.ts). Likewise the module a decode returns and its compile environment, made
// a second time. Checked in a child node with --allow-natives-syntax (%HaveSameMap, %GetOptimizationStatus).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';

const frontend = new URL('../../jit/frontend/', import.meta.url).href;

test('large u32 immediates and float bits leave InstrReader and Reader on the map they started with', () => {
  const script = `
    const { InstrReader } = await import(process.argv[1] + 'instr-reader.js');
    const { Reader } = await import(process.argv[1] + 'reader.js');
    // f32.const with bits 0xffffffff, f64.const with both halves 0xffffffff, i32.load with
    // align 2 and offset 0xffffffff (u32 LEB), call 0x80000000, end
    const body = new Uint8Array([0x43, 0xff, 0xff, 0xff, 0xff, 0x44, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0b]);
    const fresh = new InstrReader(new Reader(body));
    const used = new InstrReader(new Reader(body));
    used.reset(0, body.length, 0);
    while (!used.atEnd()) used.next();
    // (index, memOffset and i32 hold u32s as int32: read back >>> 0)
    console.log(JSON.stringify({ instr: %HaveSameMap(fresh, used), reader: %HaveSameMap(fresh.r, used.r), hi: used.hi, offset: used.memOffset >>> 0, index: used.index >>> 0, smi: [%IsSmi(used.memOffset), %IsSmi(used.index)] }));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, frontend], { encoding: 'utf8' });
  assert.equal(JSON.parse(out), { instr: true, reader: true, hi: 0xffffffff, offset: 0xffffffff, index: 0x80000000, smi: [true, true] });
});

test("Reader's pos and end stay small-integer fields (never generalized to tagged)", () => {
  // A class field declared without an initialiser starts as undefined (ES2022 semantics), and V8
  // then gives it the representation "any tagged value": a Smi check on every read of the
  // per-instruction loops' hottest fields. --trace-generalization prints such a change.
  const script = `
    const { Reader } = await import(process.argv[1] + 'reader.js');
    const body = new Uint8Array([0x80, 0x01, 0x05, 0x0b]);
    let sum = 0;
    for (let i = 0; i < 3; i++) { const r = new Reader(body, 0, body.length); sum += r.u32() + r.u8() + r.pos; }
    console.log(sum);`;
  const out = execFileSync(process.execPath, ['--trace-generalization', '--input-type=module', '-e', script, frontend], { encoding: 'utf8' });
  const widened = out.split('\n').filter((l) => /\b(pos|end):\S*->t\{/.test(l) && l.includes('reader.js'));
  assert.equal(widened, []);
});

test('a second decoded module and its compile environment keep code optimized for the first', () => {
  // An object literal's second object comes from a boilerplate with generalised field types (a
  // new map): the ModuleInfo and ModuleEnv of the second module compiled in a process
  // deoptimized everything optimized against the first (decoder.ts DecodedModule).
  const script = `
    const { decodeModule } = await import(process.argv[1] + 'frontend/decoder.js');
    const { moduleEnv } = await import(process.argv[1] + 'compiler/compile-range.js');
    // (module (memory 1) (func (result i32) i32.const 7))
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0,
      5, 3, 1, 0, 1, 10, 6, 1, 4, 0, 0x41, 7, 0x0b]);
    function readInfo(m) { return m.bytes.length + m.funcTypeIndices[0] + m.declaredFuncRefs.size; }
    function readEnv(e) { return e.funcTypeIndices[0] + e.globalTypes.length; }
    const a = decodeModule(bytes);
    const ea = moduleEnv(a, []);
    %PrepareFunctionForOptimization(readInfo); readInfo(a); readInfo(a); %OptimizeFunctionOnNextCall(readInfo); readInfo(a);
    %PrepareFunctionForOptimization(readEnv); readEnv(ea); readEnv(ea); %OptimizeFunctionOnNextCall(readEnv); readEnv(ea);
    const TURBOFANNED = 16; // a bit of %GetOptimizationStatus
    const optimized = () => [readInfo, readEnv].map((f) => (%GetOptimizationStatus(f) & TURBOFANNED) !== 0);
    const before = optimized();
    const b = decodeModule(bytes.slice());
    readInfo(b);
    readEnv(moduleEnv(b, []));
    console.log(JSON.stringify({ before, after: optimized() }));`;
  const jit = new URL('../../jit/', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, jit], { encoding: 'utf8' });
  assert.equal(JSON.parse(out), { before: [true, true], after: [true, true] });
});

test.run();
