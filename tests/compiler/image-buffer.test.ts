// The code image's buffer (jit/compiler/image-buffer.ts): a large one is advised for transparent
// huge pages, so writing it faults a few times instead of once per 4 KiB page; an Assembler
// started in given memory writes there and still grows past it; the image is the same bytes.
import { test } from 'uvu';
import { hugePagesOnAdvice } from '../thp.js';
import * as assert from 'uvu/assert';
import { Assembler, rax } from '../../backend-x64/index.js';
import { imageBuffer } from '../../jit/compiler/image-buffer.js';
import { HUGE_PAGES_MIN } from '../../jit/runtime/libc.js';


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

test.run();
