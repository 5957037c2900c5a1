// The code image's buffer (jit/compiler/image-buffer.ts): a large one is advised for transparent
// huge pages, so writing it faults a few times instead of once per 4 KiB page; an Assembler
// started in given memory writes there and still grows past it; the image is the same bytes.
import { test } from 'uvu';
import { hugePagesOnAdvice } from '../thp.js';
import * as assert from 'uvu/assert';
import { Assembler, rax } from '../../backend-x64/index.js';
import { imageBuffer } from '../../jit/compiler/image-buffer.js';
import { HUGE_PAGES_MIN } from '../../jit/runtime/libc.js';
import { compileInfo, compileModule } from '../../jit/compiler/module-compiler.js';
import { decodeModule } from '../../jit/frontend/decoder.js';
import { validateModule } from '../../jit/frontend/validator.js';
import { bytes, HEADER, section, wat } from '../jit/wat.js';


const minorFaults = (): number => process.resourceUsage().minorPageFault;

test('a large image buffer faults in huge pages where THP is available', () => {
  const size = 4 * HUGE_PAGES_MIN; // 16 MiB: 4,096 small pages
  const buf = imageBuffer(size);
  assert.is(buf.length, size);
  assert.is(Object.getPrototypeOf(buf), Uint8Array.prototype, 'a plain Uint8Array (one array kind in the encoder)');
  const f0 = minorFaults();
  for (let i = 0; i < size; i += 4096) buf[i] = i >> 12;
  const faults = minorFaults() - f0;
  for (let i = 0; i < size; i += 4096) assert.is(buf[i], (i >> 12) & 0xff);
  // without THP it is a plain buffer, written and read back above
  if (hugePagesOnAdvice()) assert.ok(faults < 1024, `${faults} faults for 4,096 pages`);
});

test('a small image buffer is a plain zero-filled Uint8Array', () => {
  const buf = imageBuffer(HUGE_PAGES_MIN - 1);
  assert.is(buf.length, HUGE_PAGES_MIN - 1);
  assert.is(buf.buffer.byteLength, HUGE_PAGES_MIN - 1);
});

test('an Assembler started in given memory writes there and grows past it', () => {
  for (const start of [new Uint8Array(0), new Uint8Array(16), imageBuffer(HUGE_PAGES_MIN)]) {
    const asm = new Assembler(start);
    const ref = new Assembler(64);
    const n = start.length + 1000; // past the end of the given memory
    for (let i = 0; i < n; i++) { asm.movRI(32, rax, i); ref.movRI(32, rax, i); }
    const a = asm.finish({ take: true }).code, b = ref.finish().code;
    assert.equal(a, b);
  }
});

test('the buffer made from the code section\'s header before the decode: the image of one made from the bodies; hostile headers fail as the decoder says', () => {
  const error = (f: () => unknown): string => { try { f(); return 'accepted'; } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; } };
  // the code section followed by data and custom sections; none at all (host-call thunks only)
  for (const m of [
    wat('(module (memory 1) (func (export "f") (result i32) i32.const 7) (data (i32.const 0) "abc"))', { names: true }),
    wat('(module (import "env" "h" (func $h (param i32))) (export "h" (func $h)))'),
  ]) {
    const info = decodeModule(m);
    assert.equal(compileModule(m).image.code, compileInfo(info).image.code);
  }
  // sizes past the end, a code section that lies about its size, another after it, no wasm at all:
  // the same CompileError as the decode and validation alone, no other exception
  const ok = wat('(module (func))');
  const hostile = [
    bytes(HEADER, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f),
    bytes(HEADER, section(1, 1, 0x60, 0, 0), section(3, 1, 0), section(10, 1, 3, 0, 0x0b)),
    bytes(ok, section(10, 1, 0)),
    bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0x0a, 8, 1, 2, 3, 4, 5, 6, 7, 8),
  ];
  for (const m of hostile) {
    const expected = error(() => validateModule(m));
    assert.match(expected, /^CompileError: /);
    assert.is(error(() => compileModule(m)), expected);
  }
});

test.run();
