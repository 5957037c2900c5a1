import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateHeader, repoRoot, HEADER_PATH } from '../../abi/gen-header.js';
import { VMCTX, VMCTX_LAYOUT, VMCTX_SIZE } from '../../abi/vmctx.js';
import { TRAP_KINDS, TrapCode, TRAP_STUB_COUNT } from '../../abi/traps.js';
import { encodeImage, decodeImage, IMAGE_VERSION, type CodeImage } from '../../abi/image.js';
import { ARG_GPRS, ARG_REG_SLOTS, ARG_XMMS, argRegister, V128_CODE } from '../../abi/calling-convention.js';
import { ALLOCATABLE_GPRS, ALLOCATABLE_XMMS, GPR } from '../../abi/regs.js';

test('committed kwasm_abi.h matches abi/ (run `npm run gen:abi` if this fails)', () => {
  const committed = readFileSync(join(repoRoot(), HEADER_PATH), 'utf8');
  assert.is(committed, generateHeader());
});

test('argument registers: distinct, allocatable, never rax (call_indirect\'s index and the record) nor a scratch', () => {
  assert.is(ARG_GPRS.length, ARG_REG_SLOTS);
  assert.is(ARG_XMMS.length, ARG_REG_SLOTS);
  assert.is(new Set(ARG_GPRS).size, ARG_REG_SLOTS);
  assert.is(new Set(ARG_XMMS).size, ARG_REG_SLOTS);
  for (const r of ARG_GPRS) assert.ok(ALLOCATABLE_GPRS.includes(r) && r !== GPR.rax, `gpr ${r}`);
  for (const r of ARG_XMMS) assert.ok(ALLOCATABLE_XMMS.includes(r), `xmm ${r}`);
  // by position: (i32, f64, i32) -> rdi, xmm1, rdx; a v128 and slot 6 stay in memory
  assert.equal([argRegister(0x7f, 0), argRegister(0x7c, 1), argRegister(0x7f, 2)],
    [{ kind: 'gpr', reg: GPR.rdi }, { kind: 'xmm', reg: 1 }, { kind: 'gpr', reg: GPR.rdx }]);
  assert.is(argRegister(V128_CODE, 0), null);
  assert.is(argRegister(0x7e, ARG_REG_SLOTS), null);
});

test('the kernel\'s entry macro KWASM_LOAD_ENTRY_ARG_REGS assembles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-abi-'));
  try {
    writeFileSync(join(dir, 'e.S'), `#include "${join(repoRoot(), HEADER_PATH)}"\n\t.text\nf:\n\tKWASM_LOAD_ENTRY_ARG_REGS %r11\n\tret\n`);
    execFileSync('gcc', ['-c', '-o', join(dir, 'e.o'), join(dir, 'e.S')]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('kwasm_abi.h compiles and its offsets agree with the TypeScript table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-abi-'));
  try {
    const probes = VMCTX_LAYOUT.map((f) => f.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase());
    const src = `#include "${join(repoRoot(), HEADER_PATH)}"\n#include <stdio.h>\nint main(void){\n${probes
      .map((p) => `printf("%d\\n", (int)KWASM_VMCTX_${p});`).join('\n')}\nprintf("%d\\n", (int)KWASM_TRAP_STACK_OVERFLOW);\nreturn 0;}\n`;
    writeFileSync(join(dir, 'p.c'), src);
    execFileSync('gcc', ['-Wall', '-Werror', '-o', join(dir, 'p'), join(dir, 'p.c')]);
    const nums = execFileSync(join(dir, 'p')).toString().trim().split('\n').map(Number);
    assert.equal(nums, [...VMCTX_LAYOUT.map((f) => f.offset), TrapCode.stackOverflow]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('vmctx fields do not overlap, are naturally aligned, and hot fields fit a disp8', () => {
  const sorted = [...VMCTX_LAYOUT].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i]!;
    assert.is(f.offset % f.size, 0, `${f.name} aligned`);
    const next = sorted[i + 1];
    if (next) assert.ok(f.offset + f.size * f.count <= next.offset, `${f.name} overlaps ${next.name}`);
    else assert.ok(f.offset + f.size * f.count <= VMCTX_SIZE);
  }
  for (const hot of ['memoryBase', 'stackLimit', 'interrupt', 'table0Base'] as const) assert.ok(VMCTX[hot] < 128, hot);
});

test('trap codes are dense, unique, and fit the stub table', () => {
  assert.equal(TRAP_KINDS.map((k) => k.code), TRAP_KINDS.map((_, i) => i));
  assert.is(new Set(TRAP_KINDS.map((k) => k.message)).size, TRAP_KINDS.length);
  assert.ok(TRAP_KINDS.length <= TRAP_STUB_COUNT);
  assert.is(TrapCode.memoryOutOfBounds, 2);
});

test('code image round-trips; a version 1 image (relocation records) and nonzero reserved words are refused by name', () => {
  const img: CodeImage = {
    code: new Uint8Array([0xe8, 0, 0, 0, 0, 0xc3, 0x90]),
    functions: [{ offset: 0, size: 7, typeIndex: 3 }],
  };
  const bytes = encodeImage(img);
  assert.equal(decodeImage(bytes), img);
  assert.is(bytes.length, 24 + 8 + 16); // header, code padded to 8, one function record
  const word = (at: number, v: number): Uint8Array => { const b = bytes.slice(); new DataView(b.buffer).setUint32(at, v, true); return b; };
  assert.throws(() => decodeImage(word(4, 1)), /format version 1 \(with relocation records\) is no longer supported/);
  assert.throws(() => decodeImage(word(4, IMAGE_VERSION + 1)), new RegExp(`format version ${IMAGE_VERSION + 1}, this build reads ${IMAGE_VERSION}`));
  assert.throws(() => decodeImage(word(12, 1)), /reserved header field not zero/); // version 1's relocation count
  assert.throws(() => decodeImage(word(20, 1)), /reserved header field not zero/);
});

test.run();
