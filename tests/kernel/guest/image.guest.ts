// Guest-side: hand-assembled images (abi/image.ts) loaded through /dev/kwasm and run in ring 0,
// reaching what compiled code reaches the way it does: another function of the image by a rel32
// call to its label, the kernel's trap stubs and host-call stub through the vmctx (images carry no
// relocations, LOAD copies the code). And the header words that used to describe relocations:
// a version 1 image or a nonzero reserved word is -EINVAL before anything is allocated.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { AluOp, rax, rcx, rsp, mem, ripRel } from '../../../backend-x64/index.js';
import { KwasmDevice, Status, ERRNO } from '../../../kernel-loader/ioctl.js';
import { encodeImage, IMAGE_VERSION, type CodeImage } from '../../../abi/image.js';
import { TrapCode } from '../../../abi/traps.js';
import { assembleImage, param, vm, CALL_BODIES } from '../../runtime/asm-helpers.js';

const test = suite('images');

const live = (): number[] => readFileSync('/sys/module/kwasm/parameters/live', 'utf8').trim().split(' ').map(Number);
const HOST_IMPORT = 5;

// tests/runtime/code.test.ts's blob (CALL_BODIES 0-3), plus a host call and another trap stub
function build(): CodeImage {
  return assembleImage([
    ...CALL_BODIES,
    // 4: (x) -> f1(x) + 2, function 1 called through its address in a register (lea rip-relative)
    (a, _self, entry) => {
      a.aluRI(AluOp.SUB, 64, rsp, 16);
      a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
      a.lea(64, rcx, ripRel(entry[1]!)); a.callR(rcx);
      a.aluRI(AluOp.ADD, 32, rax, 2);
    },
    // 5: (x) -> host import 5 (x) + 1 through the vmctx's host-call stub (one slot)
    (a) => {
      a.aluRI(AluOp.SUB, 64, rsp, 16);
      a.movRM(32, rax, param(0)); a.movMR(64, mem(rsp, 0), rax);
      a.movRI(32, rax, HOST_IMPORT); a.movRI(32, rcx, 1);
      a.callM(vm('hostCallStub'));
      a.aluRI(AluOp.ADD, 64, rax, 1);
    },
    // 6: traps "unreachable"
    (a) => { a.callM(vm('trapStubs', 8 * TrapCode.unreachable)); },
  ]);
}

/** pc the trap stub records for function fn, whose last instruction is the call: its return address, where the 5-byte epilogue starts */
const callEnd = (img: CodeImage, fn: number): bigint => {
  const f = img.functions[fn]!;
  return BigInt(f.offset + f.size - 5); // mov rsp, rbp (3); pop rbp (1); ret (1)
};

test('calls inside the image and to the stubs through the vmctx run in ring 0', () => {
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

test('an image of another version (1: relocation records, 2: globals through a vmctx pointer) and nonzero reserved header words are -EINVAL and leave nothing behind', () => {
  const img = build();
  const good = encodeImage(img);
  const withWord = (at: number, v: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  // version 1 as it was: the relocation count at +12, one record (rel32 to trap stub 0) before the function table
  const codeEnd = 24 + Math.ceil(img.code.length / 8) * 8;
  const v1 = new Uint8Array(good.length + 16);
  v1.set(good.subarray(0, codeEnd), 0);
  v1.set(good.subarray(codeEnd), codeEnd + 16);
  const dv = new DataView(v1.buffer);
  dv.setUint32(4, 1, true);
  dv.setUint32(12, 1, true);
  dv.setUint32(codeEnd, img.functions[2]!.offset + 5, true); dv.setUint8(codeEnd + 4, 1); dv.setUint8(codeEnd + 5, 1); dv.setInt32(codeEnd + 12, -4, true);
  const cases: [string, Uint8Array][] = [
    ['version 1 with a relocation record', v1],
    ['version 1 without relocations', withWord(4, 1)],
    ['version 2 (globals through a vmctx pointer)', withWord(4, 2)],
    [`version ${IMAGE_VERSION + 1}`, withWord(4, IMAGE_VERSION + 1)],
    ['reserved word at +12 (the old relocation count) = 1', withWord(12, 1)],
    ['reserved word at +12 = 0xffffffff', withWord(12, 0xffffffff)],
    ['reserved word at +20 = 1', withWord(20, 1)],
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
  // the same file still loads the untouched image afterwards
  d.load({ image: good });
  assert.is(d.invoke(0, [2n]).retInt & 0xffffffffn, 7n);
  d.close();
});

export default test;
