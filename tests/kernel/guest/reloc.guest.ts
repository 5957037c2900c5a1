// Guest-side: images with relocations (abi/image.ts) loaded through /dev/kwasm, relocated by
// kmod/kwasm_reloc.c as jit/runtime/code-memory.ts does in user space: rel32 and abs64 against
// functions of the image and the kernel's runtime stubs (rel32 through the veneer island), and
// every malformed relocation refused with -EINVAL before anything is allocated.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { AluOp, rax, rcx, rsp, mem } from '../../../backend-x64/index.js';
import { KwasmDevice, Status, ERRNO } from '../../../kernel-loader/ioctl.js';
import { encodeImage, RelocKind, RelocTarget, RuntimeSymbol, RUNTIME_SYMBOL_COUNT, trapStubSymbol, type CodeImage } from '../../../abi/image.js';
import { TrapCode } from '../../../abi/traps.js';
import { assembleImage, param, RELOC_BODIES } from '../../runtime/asm-helpers.js';

const test = suite('relocations');

const live = (): number[] => readFileSync('/sys/module/kwasm/parameters/live', 'utf8').trim().split(' ').map(Number);
const HOST_IMPORT = 5;

// tests/runtime/code.test.ts's blob (RELOC_BODIES 0-3), plus an abs64 to a function and a rel32 host call
function build(): CodeImage {
  return assembleImage([
    ...RELOC_BODIES,
    // 4: (x) -> f1(x) + 2, calling function 1 through its absolute address (abs64 function)
    (a) => {
      a.aluRI(AluOp.SUB, 64, rsp, 16);
      a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
      a.movImm64Reloc(rcx, 1); a.callR(rcx);
      a.aluRI(AluOp.ADD, 32, rax, 2);
    },
    // 5: (x) -> host import 5 (x) + 1 through a rel32 to the host-call stub (one slot)
    (a) => {
      a.aluRI(AluOp.SUB, 64, rsp, 16);
      a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
      a.movRI(32, rax, HOST_IMPORT); a.movRI(32, rcx, 1);
      a.callReloc('hostCall');
      a.aluRI(AluOp.ADD, 64, rax, 1);
    },
    // 6: traps "unreachable": another runtime symbol, so the island holds three veneers
    (a) => { a.callReloc('trap:unreachable'); },
  ]);
}

/** pc the trap stub records for a call through relocation r: the return address, r's field + 4 */
const callEnd = (img: CodeImage, fn: number): bigint => {
  const f = img.functions[fn]!;
  const r = img.relocs.find((x) => x.offset >= f.offset && x.offset < f.offset + f.size)!;
  return BigInt(r.offset + (r.kind === 'rel32' ? 4 : 8 + 2)); // abs64: movabs field, then `call rcx` (ff d1)
};

test('the image uses every kind and target the format has', () => {
  const img = build();
  const seen = new Set(img.relocs.map((r) => `${r.kind}/${r.targetKind}`));
  assert.equal([...seen].sort(), ['abs64/function', 'abs64/runtime', 'rel32/function', 'rel32/runtime']);
});

test('rel32 and abs64 to functions and runtime stubs run in ring 0', () => {
  const img = build();
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  d.load({ image: encodeImage(img) });
  assert.equal(live(), [(inst0 ?? 0) + 1, (pages0 ?? 0) + 1 + 64]); // one code page, default 256 KiB stack, no memory pages
  for (const x of [14n, 0n, 1000n]) {
    assert.is(d.invoke(0, [x]).retInt & 0xffffffffn, x * 3n + 1n);
    assert.is(d.invoke(4, [x]).retInt & 0xffffffffn, x * 3n + 2n);
  }
  const t2 = d.invoke(2);
  assert.is(t2.status, Status.trap);
  assert.is(t2.trapCode, TrapCode.integerOverflow);
  assert.is(t2.trapPc, callEnd(img, 2));
  const t3 = d.invoke(3);
  assert.is(t3.status, Status.trap);
  assert.is(t3.trapCode, TrapCode.indirectCallTypeMismatch);
  assert.is(t3.trapPc, callEnd(img, 3));
  const t6 = d.invoke(6);
  assert.is(t6.trapCode, TrapCode.unreachable);
  assert.is(t6.trapPc, callEnd(img, 6));
  const h = d.invoke(5, [41n]);
  assert.is(h.status, Status.hostCall);
  assert.is(h.hostIndex, HOST_IMPORT);
  assert.equal(h.hostArgs, [41n]);
  const r = d.resume([100n], 1);
  assert.is(r.status, Status.returned);
  assert.is(r.retInt, 101n);
  d.close();
  assert.equal(live(), [inst0, pages0]);
});

test('a veneer island past the code\'s last page gets its own page', () => {
  // one function at the very end of the first page: call rel32 -> trap:unreachable. The code ends
  // 11 bytes before the page end, so the island (16-byte aligned) starts on the next page.
  const at = 4096 - 16;
  const code = new Uint8Array(at + 5).fill(0xcc);
  code[at] = 0xe8;
  const img: CodeImage = {
    code,
    relocs: [{ offset: at + 1, kind: 'rel32', targetKind: 'runtime', target: trapStubSymbol(TrapCode.unreachable), addend: -4 }],
    functions: [{ offset: at, size: 5, typeIndex: 0 }],
  };
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  d.load({ image: encodeImage(img) });
  assert.equal(live(), [(inst0 ?? 0) + 1, (pages0 ?? 0) + 2 + 64]); // two code pages
  for (let i = 0; i < 3; i++) {
    const t = d.invoke(0);
    assert.is(t.trapCode, TrapCode.unreachable);
    assert.is(t.trapPc, BigInt(at + 5));
  }
  d.close();
});

/** The encoded image with relocation record i's fields overwritten (byte offsets of abi/image.ts). */
function patched(img: CodeImage, i: number, set: (rec: DataView) => void): Uint8Array {
  const bytes = encodeImage(img);
  const at = 24 + Math.ceil(img.code.length / 8) * 8 + 16 * i;
  set(new DataView(bytes.buffer, bytes.byteOffset + at, 16));
  return bytes;
}

test('malformed relocations are -EINVAL and leave nothing behind', () => {
  const img = build();
  const n = img.code.length;
  const iRel = img.relocs.findIndex((r) => r.kind === 'rel32' && r.targetKind === 'runtime');
  const iAbs = img.relocs.findIndex((r) => r.kind === 'abs64' && r.targetKind === 'runtime');
  const iFun = img.relocs.findIndex((r) => r.kind === 'rel32' && r.targetKind === 'function');
  const cases: [string, Uint8Array][] = [
    ['rel32 field past the code', patched(img, iRel, (v) => v.setUint32(0, n - 3, true))],
    ['rel32 field at the code end', patched(img, iRel, (v) => v.setUint32(0, n, true))],
    ['abs64 field past the code', patched(img, iAbs, (v) => v.setUint32(0, n - 7, true))],
    ['offset 0xffffffff', patched(img, iAbs, (v) => v.setUint32(0, 0xffffffff, true))],
    ['kind 0', patched(img, iRel, (v) => v.setUint8(4, 0))],
    ['kind 3', patched(img, iRel, (v) => v.setUint8(4, 3))],
    ['kind 255', patched(img, iAbs, (v) => v.setUint8(4, 255))],
    ['target kind 0', patched(img, iRel, (v) => v.setUint8(5, 0))],
    ['target kind 3', patched(img, iFun, (v) => v.setUint8(5, 3))],
    ['reserved nonzero', patched(img, iFun, (v) => v.setUint16(6, 1, true))],
    ['function index = function count', patched(img, iFun, (v) => v.setUint32(8, img.functions.length, true))],
    ['function index 0xffffffff', patched(img, iFun, (v) => v.setUint32(8, 0xffffffff, true))],
    ['abs64 to a missing function', patched(img, iAbs, (v) => { v.setUint8(5, RelocTarget.function); v.setUint32(8, 99, true); })],
    ['runtime symbol = symbol count', patched(img, iRel, (v) => v.setUint32(8, RUNTIME_SYMBOL_COUNT, true))],
    ['abs64 runtime symbol past the host-call stub', patched(img, iAbs, (v) => v.setUint32(8, RuntimeSymbol.hostCall + 1, true))],
    // the field at offset 0 reaching the veneer island (after the code) with a huge addend
    ['rel32 to a veneer out of s32 range', patched(img, iRel, (v) => { v.setUint32(0, 0, true); v.setInt32(12, 0x7fffffff, true); })],
    ['rel32 to a function out of s32 range', patched(img, iFun, (v) => { v.setUint32(0, 0, true); v.setUint32(8, 1, true); v.setInt32(12, 0x7fffffff, true); })],
    ['rel32 backwards out of s32 range', patched(img, iFun, (v) => { v.setUint32(0, n - 4, true); v.setUint32(8, 0, true); v.setInt32(12, -0x80000000, true); })],
  ];
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  for (const [what, bytes] of cases) {
    try {
      d.load({ image: bytes });
      d.release();
      assert.unreachable(`${what}: loaded`);
    } catch (e) {
      assert.is((e as { errno?: number }).errno, ERRNO.EINVAL, `${what}: ${String(e)}`);
    }
    assert.equal(live(), [(inst0 ?? 0) + 0, pages0], what);
  }
  // the same file still loads the untouched image afterwards, and its relocations are right
  d.load({ image: encodeImage(img) });
  assert.is(d.invoke(0, [2n]).retInt & 0xffffffffn, 7n);
  d.close();
  // in range by one: a rel32 whose value is exactly S32_MAX / S32_MIN still loads (never run)
  const edge = (off: number, target: number, addend: number): Uint8Array =>
    patched(img, iFun, (v) => { v.setUint32(0, off, true); v.setUint32(8, target, true); v.setInt32(12, addend, true); });
  const f1 = img.functions[1]!.offset;
  const d2 = KwasmDevice.open();
  for (const bytes of [edge(f1, 1, 0x7fffffff), edge(f1, 1, -0x80000000)]) {
    d2.load({ image: bytes });
    d2.release();
  }
  d2.close();
  assert.equal(RelocKind.rel32, 1); // the numbering the patches above rely on
});

test('random relocation records: the kernel accepts exactly what the format allows (never run)', () => {
  const img = build();
  const n = img.code.length, nf = img.functions.length;
  let seed = 0x9e3779b9;
  const rnd = (): number => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
  const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length] as T;
  const u32 = (): number => (rnd() % 2 ? rnd() % (n - 7) : pick([n - 8, n - 4, n - 1, n, 0x7fffffff, 0xffffffff, rnd()])) >>> 0;
  /** abi/image.ts's rules and code-memory.ts's island (veneers in symbol order after the code, 16-byte aligned) */
  const valid = (rs: { offset: number; kind: number; tk: number; res: number; target: number; addend: number }[]): boolean => {
    let used = 0;
    for (const r of rs) {
      if (r.res !== 0 || (r.kind !== 1 && r.kind !== 2) || (r.tk !== 1 && r.tk !== 2)) return false;
      if (r.offset + (r.kind === 1 ? 4 : 8) > n) return false;
      if (r.target >= (r.tk === 2 ? nf : RUNTIME_SYMBOL_COUNT)) return false;
      if (r.kind === 1 && r.tk === 1) used |= 1 << r.target;
    }
    const island = Math.ceil(n / 16) * 16;
    const rank = (sym: number): number => [...Array(sym).keys()].filter((s) => used & (1 << s)).length;
    return rs.every((r) => {
      if (r.kind !== 1) return true;
      const s = r.tk === 2 ? img.functions[r.target]!.offset : island + 16 * rank(r.target);
      const v = s + r.addend - r.offset;
      return v >= -0x80000000 && v <= 0x7fffffff;
    });
  };
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  let loaded = 0, rejected = 0;
  for (let i = 0; i < 1500; i++) {
    const rs = Array.from({ length: 1 + (rnd() % 2) }, () => ({
      offset: u32(), kind: rnd() % 8 ? 1 + (rnd() % 2) : pick([0, 3, rnd() & 0xff]), tk: rnd() % 8 ? 1 + (rnd() % 2) : pick([0, 3, rnd() & 0xff]),
      res: rnd() % 16 ? 0 : rnd() & 0xffff, target: pick([0, 1, 2, 5, 15, 16, 17, nf - 1, nf, rnd()]) >>> 0,
      addend: pick([0, -4, 4, 0x7fffffff, -0x80000000, rnd() | 0]),
    }));
    const bytes = encodeImage({ ...img, relocs: [] });
    const withRelocs = new Uint8Array(bytes.length + 16 * rs.length);
    const codeEnd = 24 + Math.ceil(n / 8) * 8;
    withRelocs.set(bytes.subarray(0, codeEnd), 0);
    withRelocs.set(bytes.subarray(codeEnd), codeEnd + 16 * rs.length);
    const dv = new DataView(withRelocs.buffer);
    dv.setUint32(12, rs.length, true);
    rs.forEach((r, j) => {
      const at = codeEnd + 16 * j;
      dv.setUint32(at, r.offset, true); dv.setUint8(at + 4, r.kind); dv.setUint8(at + 5, r.tk);
      dv.setUint16(at + 6, r.res, true); dv.setUint32(at + 8, r.target, true); dv.setInt32(at + 12, r.addend, true);
    });
    const want = valid(rs);
    try {
      d.load({ image: withRelocs });
      d.release();
      loaded++;
      if (!want) assert.unreachable(`seed ${seed}: loaded ${JSON.stringify(rs)}`);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno !== ERRNO.EINVAL || want) throw e;
      rejected++;
    }
  }
  d.close();
  assert.equal(live(), [inst0, pages0]);
  assert.ok(loaded > 200 && rejected > 500, `loaded ${loaded}, rejected ${rejected}`);
});

export default test;
