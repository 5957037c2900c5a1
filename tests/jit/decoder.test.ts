import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModule, localTypes } from '../../jit/frontend/decoder.js';
import { codeSectionSize } from '../../jit/frontend/sections.js';
import { CompileError } from '../../jit/errors.js';
import { validateModule } from '../../jit/frontend/validator.js';
import { EXTERNREF, F64, FUNCREF, I32, I64 } from '../../jit/frontend/types.js';
import { HEADER, bytes, section, wat } from './wat.js';

function malformed(b: Uint8Array, reason?: string): CompileError {
  try {
    validateModule(b);
  } catch (e) {
    assert.instance(e, CompileError, `not a CompileError: ${String(e)}`);
    const ce = e as CompileError;
    assert.is(ce.kind, 'malformed', ce.message);
    if (reason !== undefined) assert.is(ce.reason, reason, ce.message);
    return ce;
  }
  assert.unreachable('module was accepted');
  throw new Error('unreachable');
}

const SAMPLE = `(module
  (type $t (func (param i32 i64) (result f64)))
  (import "env" "f" (func $f (type $t)))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $g i32))
  (table $tab 4 10 funcref)
  (table $ext 1 externref)
  (global $h (mut i64) (i64.const -42))
  (global $r funcref (ref.func $add))
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (local $x f64) (local $y i64) (local $z i64)
    local.get $a local.get $b i32.add)
  (func $other (result i32) (global.get $g))
  (elem (table $tab) (global.get $g) func $add $other)
  (elem funcref (ref.func $add) (ref.null func))
  (elem declare func $other)
  (data (i32.const 16) "hello")
  (data "passive")
  (start $start)
  (func $start)
  (export "mem" (memory 0))
  (func $drop (data.drop 1))
)`;

test('decodes every section of a module assembled by wat2wasm', () => {
  const b = wat(SAMPLE, { names: true });
  const m = validateModule(b);
  assert.is(m.types[0].params.length, 2);
  assert.equal(Array.from(m.types[0].results), [F64]);
  assert.equal(m.imports.map((i) => `${i.module}.${i.name}:${i.desc.kind}`), ['env.f:func', 'env.mem:memory', 'env.g:global']);
  assert.is(m.numImportedFuncs, 1);
  assert.is(m.funcTypeIndices.length, 5);
  assert.equal(m.memories[0].limits, { min: 1, max: 2 });
  assert.is(m.tables.length, 2);
  assert.is(m.tables[1].elemType, EXTERNREF);
  assert.equal(m.tables[0].limits, { min: 4, max: 10 });
  assert.equal(m.globals[1], { type: I64, mutable: true });
  assert.equal(m.globalInits[0].ops, [{ op: 'i64.const', value: -42n }]);
  assert.equal(m.globalInits[1].ops, [{ op: 'ref.func', func: 1 }]);
  assert.equal(m.exports.map((e) => [e.name, e.kind, e.index]), [['add', 'func', 1], ['mem', 'memory', 0]]);
  assert.is(m.start, 3);
  assert.equal(m.elems.map((e) => e.mode), ['active', 'passive', 'declarative']);
  assert.equal(Array.from(m.elems[0].funcIndices ?? []), [1, 2]);
  assert.equal(m.elems[0].offsetExpr?.ops, [{ op: 'global.get', global: 0 }]);
  assert.equal(m.elems[1].exprs?.map((e) => e.ops[0]), [{ op: 'ref.func', func: 1 }, { op: 'ref.null', type: FUNCREF }]);
  assert.is(m.datas[0].mode, 'active');
  assert.is(new TextDecoder().decode(m.datas[0].bytes), 'hello');
  // Data bytes are views into the module, not copies.
  assert.is(m.datas[0].bytes.buffer, b.buffer);
  // an `i32.const N` offset: the value without an ops array (made only if asked), and no
  // object besides the segment (it answers as its own offset expression)
  assert.is(m.datas[0].offsetExpr?.i32, 16);
  assert.equal(m.datas[0].offsetExpr?.ops, [{ op: 'i32.const', value: 16 }]);
  assert.is(m.datas[0].offsetExpr?.nonConstAt, -1);
  assert.is(m.datas[0].offsetExpr, m.datas[0] as unknown);
  assert.is(m.datas[1].mode, 'passive');
  assert.is(m.datas[1].offsetExpr, null);
  assert.is(m.dataCount, 2);
  assert.equal(Array.from(localTypes(m, 1)), [I32, I32, F64, I64, I64]);
  assert.equal(Array.from(m.codes.body(0).localGroups), [1, F64, 2, I64]);
  assert.is(m.names?.functionNames.get(1), 'add');
  assert.is(m.names?.localNames.get(1)?.get(2), 'x');
  assert.ok(m.customs.some((c) => c.name === 'name'));
  assert.ok(m.declaredFuncRefs.has(2));
});

test('the name section is parsed when first read, once, not by the decode', () => {
  const m = decodeModule(wat(SAMPLE, { names: true }));
  // a warm run decodes every module it starts and reads no name unless something fails
  const parsed = (): unknown => (m as unknown as { parsedNames: unknown }).parsedNames;
  assert.is(parsed(), undefined);
  const names = m.names;
  assert.is(names?.functionNames.get(1), 'add');
  assert.is(m.names, names);
  assert.is(parsed(), names);
  // a module without one answers null
  assert.is(decodeModule(wat('(module (func))')).names, null);
});

test('constant expressions keep u32 immediates as written: f32 bits and indices of 2^31 and above', () => {
  // (global f32 (f32.const bits 0xffffffff)) (global i32 (global.get 0x80000000)): InstrReader
  // holds both as int32, the decoded ConstOps have the u32 values
  const m = decodeModule(new Uint8Array([...HEADER,
    6, 18, 2, 0x7d, 0, 0x43, 0xff, 0xff, 0xff, 0xff, 0x0b, 0x7f, 0, 0x23, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0b]));
  assert.equal(m.globalInits[0].ops, [{ op: 'f32.const', bits: 0xffffffff }]);
  assert.equal(m.globalInits[1].ops, [{ op: 'global.get', global: 0x80000000 }]);
});

test('every truncation of a valid module is a clean malformed error', () => {
  const b = wat(SAMPLE);
  for (let n = 0; n < b.length; n++) {
    let err: unknown = null;
    try { validateModule(b.subarray(0, n)); } catch (e) { err = e; }
    // A cut exactly between sections can leave a valid prefix; anything else must be rejected.
    if (err === null) continue;
    assert.instance(err, CompileError, `cut at ${n}: ${String(err)}`);
    assert.is((err as CompileError).kind, 'malformed', `cut at ${n}`);
  }
  // Cutting inside the code section's last body is always detected.
  malformed(b.subarray(0, b.length - 1));
});

test('truncated section and lying section sizes', () => {
  // Type section claims 10 bytes, 3 are there.
  malformed(bytes(HEADER, 0x01, 0x0a, 0x01, 0x60, 0x00), 'length out of bounds');
  // Section claims 4 GiB - 1.
  malformed(bytes(HEADER, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00), 'length out of bounds');
  // Section size shorter than its content.
  malformed(bytes(HEADER, section(1, 0x01, 0x60, 0x00), 0x00), 'unexpected end of section or function');
  // Section size longer than its content.
  malformed(bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00, 0x00)), 'section size mismatch');
  malformed(bytes(HEADER, 0x0d, 0x00), 'malformed section id');
  malformed(bytes(HEADER, section(3, 0x00), section(1, 0x00)), 'unexpected content after last section');
  malformed(bytes(0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0), 'magic header not detected');
  malformed(bytes(0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0), 'unknown binary version');
});

test('codeSectionSize: the code section\'s size from the headers alone (the image buffer is sized before the decode), 0 when absent or malformed', () => {
  const m = wat(SAMPLE);
  const info = decodeModule(m);
  // the bodies, their size prefixes and the count: at least the bodies' bytes, so the image
  // buffer made from it is as large as one made from the decoded bodies
  const size = codeSectionSize(m);
  assert.ok(size >= info.codes.bytes() && size < info.codes.bytes() + 5 * (info.codes.length + 1), `${size}`);
  assert.is(codeSectionSize(bytes(HEADER, section(1, 0x00))), 0, 'no code section');
  assert.is(codeSectionSize(bytes(HEADER, section(10, 0x00))), 1, 'an empty code section');
  assert.is(codeSectionSize(bytes(HEADER, 0x0a, 0x0a, 0x00)), 0, 'its size past the end');
  assert.is(codeSectionSize(bytes(HEADER, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), 0, 'a header\'s LEB too long');
  assert.is(codeSectionSize(bytes(0x00, 0x61, 0x73)), 0, 'no header');
  // another file whose bytes after the first 8 read as a code section header (here an ELF's)
  const elf = bytes(0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x0a, 0x05, 0, 0, 0, 0, 0);
  assert.is(codeSectionSize(elf), 0, 'not a wasm header');
  assert.is(codeSectionSize(bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x05, 0, 0, 0, 0, 0)), 5, 'the same bytes after a wasm header');
});

test('bad LEB128 in sections', () => {
  // Over-long function count (six bytes).
  malformed(bytes(HEADER, section(3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), 'integer representation too long');
  // Unused bits set in the fifth byte of a memory limit.
  malformed(bytes(HEADER, section(5, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f)), 'integer too large');
  // A u32 cut by the section end.
  malformed(bytes(HEADER, section(3, 0x01, 0x80)), 'unexpected end of section or function');
});

test('huge vector counts are rejected without allocating them', () => {
  const before = process.memoryUsage().arrayBuffers;
  // 2^32-1 types / functions / imports / data segments in a few bytes.
  for (const id of [1, 2, 3, 4, 5, 6, 7, 9, 11]) {
    malformed(bytes(HEADER, section(id, 0xff, 0xff, 0xff, 0xff, 0x0f)), 'unexpected end of section or function');
  }
  // A function type with 2^32-1 params.
  malformed(bytes(HEADER, section(1, 0x01, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f)));
  // A data segment claiming 4 GiB of bytes.
  malformed(bytes(HEADER, section(5, 0x01, 0x00, 0x01), section(11, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f)), 'length out of bounds');
  // br_table with 2^32-1 targets.
  const brTable = bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00), section(3, 0x01, 0x00),
    section(10, 0x01, 0x09, 0x00, 0x41, 0x00, 0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f));
  malformed(brTable, 'unexpected end of section or function');
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, 'allocated more than 16 MiB');
});

test('segment offsets: `i32.const N` alone is read as .i32 (ops on demand); anything longer takes the general path', () => {
  const data = (...expr: number[]): Uint8Array => bytes(HEADER, section(5, 0x01, 0x00, 0x01), section(11, 0x01, 0x00, ...expr, 0x02, 0x61, 0x62));
  const m = decodeModule(data(0x41, 0x7b, 0x0b)); // i32.const -5
  const e = m.datas[0].offsetExpr;
  assert.is(e?.i32, -5);
  assert.equal(e?.ops, [{ op: 'i32.const', value: -5 }]);
  assert.is(m.datas[0].bytesAt + 2, m.datas[0].bytesAt + m.datas[0].length);
  assert.is(new TextDecoder().decode(m.datas[0].bytes), 'ab');
  // i32.const 1, i32.const 2, i32.add: not a Wasm 2.0 constant expression, reported by validation
  const longer = decodeModule(data(0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b)).datas[0].offsetExpr;
  assert.is(longer?.i32, undefined);
  assert.is(longer?.ops.length, 2);
  assert.ok((longer?.nonConstAt ?? -1) >= 0);
  assert.throws(() => validateModule(data(0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b)), (x: unknown) => x instanceof CompileError && x.reason === 'constant expression required');
  // i32.const with an over-long LEB: the same malformed error as before
  malformed(data(0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b));
});

test("bodies: 'lazy' (compiled code's own module): the same bodies, delimited on first access of codes", () => {
  const b = wat(`(module (func (param i32) (local f64 i64 i64) (nop)) (func (result i32) (i32.const 7)))`);
  const eager = decodeModule(b);
  const lazy = decodeModule(b, { bodies: 'lazy' });
  assert.is(lazy.codeSectionOffset, eager.codeSectionOffset);
  assert.equal(lazy.codes, eager.codes);
  assert.is(lazy.codes, lazy.codes, 'decoded once');
  // a malformed body (a local of type 0x00) is reported only when the bodies are read
  const bad = bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00), section(3, 0x01, 0x00), section(10, 0x01, 0x04, 0x01, 0x01, 0x00, 0x0b));
  malformed(bad, 'malformed value type');
  const m = decodeModule(bad, { bodies: 'lazy' });
  assert.throws(() => m.codes, (e: unknown) => e instanceof CompileError && e.reason === 'malformed value type');
});

test('throughCode (a parallel-compile worker): a module cut after its code section decodes with the same bodies', () => {
  const b = wat(`(module (memory 1) (func (result i32) (i32.const 7)) (func (data.drop 0)) (data "abc") (data "de"))`);
  const whole = decodeModule(b);
  assert.is(whole.dataCount, 2);
  const cut = b.subarray(0, whole.codes.end(whole.codes.length - 1));
  assert.throws(() => decodeModule(cut), (e: unknown) => e instanceof CompileError && e.reason === 'data count and data section have inconsistent lengths');
  const m = decodeModule(cut, { throughCode: true });
  assert.equal(m.codes, whole.codes);
  assert.equal(m.funcTypeIndices, whole.funcTypeIndices);
  assert.is(m.datas.length, 0);
});

test('data segments: an i32.const offset, any other offset expression, passive', () => {
  const m = decodeModule(wat(`(module (import "e" "g" (global $g i32)) (memory 1)
    (data (global.get $g) "ab") (data (i32.const 7) "cde") (data "f"))`));
  const [g, c, p] = m.datas;
  assert.equal(g.offsetExpr?.ops, [{ op: 'global.get', global: 0 }]);
  assert.is(g.offsetExpr?.i32, undefined);
  assert.is(c.offsetExpr?.i32, 7);
  assert.equal([g.mode, c.mode, p.mode], ['active', 'active', 'passive']);
  assert.equal([g, c, p].map((d) => new TextDecoder().decode(d.bytes)), ['ab', 'cde', 'f']);
  assert.equal([g, c, p].map((d) => d.length), [2, 3, 1]);
  assert.equal([g, c, p].map((d) => d.memory), [0, 0, 0]);
  // the expression's byte range: `i32.const 7` (2 bytes) and `end`
  assert.is((c.offsetExpr?.end ?? 0) - (c.offsetExpr?.start ?? 0), 3);
  assert.is(m.bytes[c.offsetExpr?.start ?? 0], 0x41);
});

test('declared function references (C.refs): exports, global inits, element lists and expressions, declare segments', () => {
  const refs = (body: string): Uint8Array => wat(`(module (table 1 funcref)
    (func $e (export "e")) (func $g) (func $l) (func $x) (func $d) (func $none)
    (global funcref (ref.func $g))
    (elem (i32.const 0) func $l)
    (elem funcref (ref.func $x))
    (elem declare func $d)
    (func (result funcref) ${body}))`);
  const m = validateModule(refs('ref.func $d'));
  assert.equal([...m.declaredFuncRefs].sort(), [0, 1, 2, 3, 4]);
  for (const f of ['$e', '$g', '$l', '$x', '$d']) validateModule(refs(`ref.func ${f}`));
  // (an undeclared ref.func is the spec suite's: wat2wasm declares every function a body names)
});

test('2^32 locals and the implementation limit on locals', () => {
  const code = (...body: number[]): Uint8Array => bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00),
    section(3, 0x01, 0x00), section(10, 0x01, body.length, ...body));
  // 0xffffffff i32 + 2 i64: the sum overflows u32.
  const e = malformed(code(0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b), 'too many locals');
  assert.is(e.funcIndex, 0);
  // 50001 locals in one group: over the limit, rejected before anything is expanded.
  malformed(code(0x01, 0xd1, 0x86, 0x03, 0x7f, 0x0b), 'too many locals');
  // 50000 is accepted.
  const m = validateModule(code(0x01, 0xd0, 0x86, 0x03, 0x7f, 0x0b));
  assert.is(m.codes.numLocals(0), 50000);
  // 2^32-1 local groups.
  malformed(code(0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b));
});

test('invalid UTF-8 in import, export and custom section names', () => {
  const imp = (name: number[]): Uint8Array => bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00),
    section(2, 0x01, 0x01, 0x6d, name.length, ...name, 0x00, 0x00));
  assert.is(decodeModule(imp([0x66])).imports[0].name, 'f');
  malformed(imp([0xc0, 0x80]), 'malformed UTF-8 encoding');
  malformed(imp([0xed, 0xbf, 0xbf]), 'malformed UTF-8 encoding');
  malformed(imp([0x80]), 'malformed UTF-8 encoding');
  malformed(bytes(HEADER, section(7, 0x01, 0x01, 0xfe, 0x00, 0x00)), 'malformed UTF-8 encoding');
  malformed(bytes(HEADER, section(0, 0x02, 0xf8, 0x88)), 'malformed UTF-8 encoding');
  // A broken name *section* is ignored, as the spec requires for custom sections.
  const m = decodeModule(bytes(HEADER, section(0, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x05, 0x01, 0x00, 0x03, 0xff)));
  assert.is(m.customs[0].name, 'name');
});

test('malformed function bodies', () => {
  const fn = (...body: number[]): Uint8Array => bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00),
    section(3, 0x01, 0x00), section(10, 0x01, body.length, ...body));
  malformed(fn(0x00, 0x41, 0x01, 0x1a), 'END opcode expected');
  malformed(fn(0x00, 0x0b, 0x01), 'section size mismatch');
  malformed(fn(0x00, 0xff, 0x0b), 'illegal opcode');
  malformed(fn(0x00, 0xfc, 0x80, 0x02, 0x0b), 'illegal opcode');
  malformed(fn(0x00, 0x3f, 0x01, 0x1a, 0x0b), 'zero byte expected');
  malformed(fn(0x00, 0xd0, 0x7f, 0x1a, 0x0b), 'malformed reference type');
  malformed(fn(0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b), 'integer representation too long');
  malformed(bytes(HEADER, section(3, 0x01, 0x00)), 'function and code section have inconsistent lengths');
  malformed(bytes(HEADER, section(12, 0x01)), 'data count and data section have inconsistent lengths');
  const e = malformed(fn(0x00, 0x41, 0x01, 0x02));
  assert.is(e.funcIndex, 0);
});

test('SIMD bodies decode and validate: v128.const, lane and shuffle immediates', () => {
  const body = (...code: number[]): Uint8Array => bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00), section(3, 0x01, 0x00),
    section(10, 0x01, code.length + 2, 0x00, ...code, 0x0b));
  const C = [0xfd, 0x0c, ...new Array<number>(16).fill(7)]; // v128.const
  validateModule(body(...C, 0x1a));
  // i8x16.extract_lane_s with lane 15 is valid, 16 is not
  validateModule(body(...C, 0xfd, 0x15, 15, 0x1a));
  const invalid = (b: Uint8Array): string => {
    try { validateModule(b); } catch (e) { assert.is((e as CompileError).kind, 'invalid'); return (e as CompileError).reason; }
    throw new Error('accepted');
  };
  assert.is(invalid(body(...C, 0xfd, 0x15, 16, 0x1a)), 'invalid lane index');
  // i8x16.shuffle: lane indices index 32 bytes
  assert.is(invalid(body(...C, ...C, 0xfd, 0x0d, ...new Array<number>(15).fill(0), 32, 0x1a)), 'invalid lane index');
  validateModule(body(...C, ...C, 0xfd, 0x0d, ...new Array<number>(15).fill(0), 31, 0x1a));
  // an i32 where a v128 is expected
  assert.is(invalid(body(0x41, 0x00, 0xfd, 0x4d, 0x1a)), 'type mismatch');
  // multi-byte LEB sub-opcode (0x80 = i16x8.abs) and an undefined one (0x9a)
  validateModule(body(...C, 0xfd, 0x80, 0x01, 0x1a));
  malformed(body(...C, 0xfd, 0x9a, 0x01, 0x1a), 'illegal opcode');
  // a truncated v128.const
  malformed(bytes(HEADER, section(1, 0x01, 0x60, 0x00, 0x00), section(3, 0x01, 0x00), section(10, 0x01, 0x06, 0x00, 0xfd, 0x0c, 1, 2, 0x0b)));
});

test('random byte mutations never escape as anything but CompileError', () => {
  const base = wat(SAMPLE);
  let seed = 12345;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const b = base.slice();
    for (let k = 1 + rnd(3); k > 0; k--) b[8 + rnd(b.length - 8)] = rnd(256);
    try { validateModule(b); } catch (e) {
      if (!(e instanceof CompileError)) assert.unreachable(`mutation ${i}: ${String(e)}`);
      rejected++;
    }
  }
  assert.ok(rejected > 1000, `only ${rejected} mutants rejected`);
});

test('the name section read late is the one the decode used to parse: the last of two, what a malformed one held before its error (never a throw), in a lazy decode too', () => {
  const nameSection = (...content: number[]): number[] => section(0, 4, ...Array.from('name', (c) => c.charCodeAt(0)), ...content);
  // function names (subsection 1): [(1, "x")]; then one whose second name is not UTF-8 (0xff)
  const renamed = nameSection(1, 4, 1, 1, 1, 0x78);
  const broken = nameSection(1, 7, 2, 0, 1, 0x61, 1, 1, 0xff);
  const m = wat('(module (func $first) (func $second (export "e")))', { names: true });
  const two = bytes(m, renamed);
  for (const opts of [{}, { bodies: 'lazy' as const }]) {
    assert.is(decodeModule(m, opts).names?.functionNames.get(1), 'second');
    const last = decodeModule(two, opts).names;
    assert.equal([...(last?.functionNames ?? [])], [[1, 'x']], 'the last name section, whole');
    const partial = decodeModule(bytes(m, broken), opts);
    assert.equal([...(partial.names?.functionNames ?? [])], [[0, 'a']], 'what parsed before the bad name');
  }
  // a custom section's errors do not make the module malformed (the spec)
  validateModule(bytes(m, broken));
});

test.run();
