// Guest-side (inside the VM only): code loaded through /dev/kwasm runs in ring 0 from W^X pages
// on its own stack, with the caller's FPU state preserved, and results come back by ioctl.
import { suite } from 'uvu';
import { readFileSync, writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { KwasmDevice, Status } from '../../../kernel-loader/ioctl.js';
import { TrapCode } from '../../../abi/traps.js';
import { VMCTX_SIZE } from '../../../abi/vmctx.js';
import { IMAGE_VERSION } from '../../../abi/image.js';
import * as B from './blobs.js';

const test = suite('ring0');

test('version ioctl matches the ABI this build was compiled with', () => {
  const d = KwasmDevice.open();
  const v = d.version();
  d.close();
  assert.is(v.version, 1);
  assert.is(v.vmctxSize, VMCTX_SIZE);
  assert.is(v.imageVersion, IMAGE_VERSION);
});

test('mov eax, 42; ret runs in ring 0 and returns 42', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RET42) });
  const r = d.invoke(0);
  d.close();
  assert.is(r.status, Status.returned);
  assert.is(r.retInt & 0xffffffffn, 42n);
});

test('arguments travel in stack slots (ABI calling convention)', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RET42, B.ADD) });
  assert.is(d.invoke(1, [40n, 2n]).retInt, 42n);
  assert.is(d.invoke(1, [-1n, 1n]).retInt, 0n);
  assert.is(d.invoke(0).retInt & 0xffn, 42n);
  d.close();
});

test('f64 result comes back from xmm0', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.F64_1_5) });
  const r = d.invoke(0);
  d.close();
  const f = Buffer.alloc(8);
  f.writeBigUInt64LE(r.retFloat);
  assert.is(f.readDoubleLE(0), 1.5);
});

test('W^X: the code pages execute but a write to them faults (read-only in ring 0)', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RET42, B.SELF_WRITE) });
  for (let i = 0; i < 10; i++) {
    const r = d.invoke(1);
    assert.is(r.status, Status.trap);
    assert.is(r.trapCode, TrapCode.memoryOutOfBounds);
    assert.is(r.trapPc, BigInt(B.RET42.length + B.SELF_WRITE_PC));
  }
  // the write never landed: the first instruction is still `mov eax, 42`
  assert.is(d.invoke(0).retInt & 0xffn, 42n);
  d.close();
});

test('kernel_fpu_begin/end: MXCSR is clean for wasm and the caller keeps its own', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.CLOBBER_MXCSR, B.READ_MXCSR, B.CLOBBER_XMM) });
  for (let i = 0; i < 100; i++) {
    assert.is(d.invoke(0).status, Status.returned);
    assert.is(d.invoke(2).status, Status.returned);
    // every entry starts from the default MXCSR, whatever the previous run left
    assert.is(Number(d.invoke(1).retInt & 0xffffn), 0x1f80);
    // and the caller's rounding mode is untouched (round-down would give 0.3 exactly)
    assert.is(0.1 + 0.2, 0.30000000000000004);
  }
  d.close();
});

test('ud2 and #DE in ring 0 become traps, not oopses', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.UD2, B.DIV0, B.STUB_UNREACHABLE) });
  const u = d.invoke(0);
  assert.is(u.status, Status.trap);
  assert.is(u.trapCode, TrapCode.unreachable);
  assert.is(u.trapPc, 0n);
  const z = d.invoke(1);
  assert.is(z.status, Status.trap);
  assert.is(z.trapCode, TrapCode.integerDivideByZero);
  assert.is(z.trapPc, BigInt(B.UD2.length + 9)); // offsets are from the start of the code
  const s = d.invoke(2);
  assert.is(s.status, Status.trap);
  assert.is(s.trapCode, TrapCode.unreachable);
  assert.is(s.trapPc, BigInt(B.UD2.length + B.DIV0.length + 7)); // return address of the stub call
  assert.is(s.trapSignal, 0);
  d.close();
});

test('a host call the kernel does not serve stops the wasm stack; RESUME continues it, once', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.HOST_CALL) });
  assert.throws(() => d.resume([], 0), /EINVAL/); // nothing pending
  const r = d.invoke(0);
  assert.is(r.status, Status.hostCall);
  assert.is(r.hostIndex, 0);
  assert.equal(r.hostArgs, []);
  assert.is(d.resume([], 0).status, Status.returned);
  assert.throws(() => d.resume([], 0), /EINVAL/); // answered already
  assert.is(d.invoke(0).status, Status.hostCall);
  assert.is(d.invoke(0).status, Status.hostCall); // a new invoke abandons the stopped stack
  d.close(); // closing with a call pending frees everything (live counters at the end)
});

test('live instances are capped (max_instances, default 1024: 8 GiB of kernel address space each): the next LOAD is ENOSPC', () => {
  const param = '/sys/module/kwasm/parameters/max_instances';
  const live = (): number => Number(readFileSync('/sys/module/kwasm/parameters/live', 'utf8').split(' ')[0]);
  assert.is(readFileSync(param, 'utf8').trim(), '1024');
  const before = live(), cap = before + 4;
  const open: KwasmDevice[] = [];
  // the cap lowered for the test: 1024 LOADs cost ~8 s under TCG and prove nothing more
  writeFileSync(param, String(cap));
  try {
    for (let i = before; i < cap; i++) {
      const d = KwasmDevice.open();
      open.push(d);
      d.load({ image: B.image(B.RET42), stackBytes: 64 * 1024 });
    }
    assert.is(live(), cap);
    const extra = KwasmDevice.open();
    open.push(extra);
    assert.throws(() => extra.load({ image: B.image(B.RET42), stackBytes: 64 * 1024 }), /ENOSPC/);
    assert.is(live(), cap, 'the refused LOAD left nothing behind');
    assert.is(open[0].invoke(0).retInt & 0xffffffffn, 42n, 'the others still run');
    open.pop()?.close();
    open.pop()?.close();
    const again = KwasmDevice.open();
    open.push(again);
    again.load({ image: B.image(B.RET42), stackBytes: 64 * 1024 });
    assert.is(again.invoke(0).retInt & 0xffffffffn, 42n, 'a freed slot is usable again');
  } finally {
    writeFileSync(param, '1024');
    for (const d of open) d.close();
  }
  assert.is(live(), before);
});

test('stack overflow on the dedicated wasm stack is caught by the prologue check', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RECURSE), stackBytes: 256 << 10 });
  for (let i = 0; i < 20; i++) {
    const r = d.invoke(0);
    assert.is(r.status, Status.trap);
    assert.is(r.trapCode, TrapCode.stackOverflow);
  }
  // still usable afterwards
  d.release();
  d.load({ image: B.image(B.RET42) });
  assert.is(d.invoke(0).retInt & 0xffn, 42n);
  d.close();
});

export default test;
