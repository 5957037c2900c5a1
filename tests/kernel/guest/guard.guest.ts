// Guest-side: linear memory is an 8 GiB + 64 KiB kernel virtual reservation whose first pages are
// backed; a load anywhere past them is a page fault in ring 0 that the fixup_exception kprobe
// turns into a wasm trap (no oops, nothing in dmesg).
import { suite } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { KwasmDevice, Status, ERRNO, KWASM_IOC, INVOKE_STRUCT, KWASM_IOC_TRACE, TRACE_STRUCT, KWASM_IOCTL_VERSION } from '../../../kernel-loader/ioctl.js';
import { instantiateInKernel, type KernelFunction } from '../../../kernel-loader/loader.js';
import { TrapCode } from '../../../abi/traps.js';
import type { Trap } from '../../../jit/runtime/traps.js';
import { RuntimeError } from '../../../jit/errors.js';
import * as B from './blobs.js';

const test = suite('guard');
const PAGES = 1, BYTES = PAGES * 65536;

test('in-bounds loads see what MEM_WRITE stored', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: PAGES });
  const data = Buffer.alloc(8);
  data.writeUInt32LE(0xdeadbeef, 0);
  data.writeUInt32LE(0x12345678, 4);
  d.writeMemory(BYTES - 8, data);
  assert.is(d.invoke(0, [BigInt(BYTES - 8)]).retInt, 0xdeadbeefn);
  assert.is(d.invoke(0, [BigInt(BYTES - 4)]).retInt, 0x12345678n);
  assert.equal([...d.readMemory(BYTES - 8, 8)], [...data]);
  d.close();
});

const RESERVE = (8n << 30n) + 65536n;

test('loads anywhere in the 8 GiB reservation past the memory trap, 10,000 times', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32, B.RET42), memPages: PAGES });
  const started = Date.now();
  const N = 10_000;
  let x = 12345;
  for (let i = 0; i < N; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    // the first guard page, anywhere up to 4 GiB (i32 index), and up to the last u32 offset
    const off = i % 3 === 0 ? BigInt(BYTES + ((i * 4) % 4092))
      : i % 3 === 1 ? BigInt(BYTES) + BigInt(x) % ((1n << 32n) - BigInt(BYTES))
      : (1n << 32n) + BigInt(x) % ((1n << 33n) - (1n << 32n) - 4n);
    const r = d.invoke(0, [off]);
    if (!(r.status === Status.trap && r.trapCode === TrapCode.memoryOutOfBounds && r.trapPc === BigInt(B.LOAD32_PC) &&
        r.trapAddr === off && r.trapSignal === 11)) {
      assert.unreachable(`iteration ${i}, offset ${off}: ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
  }
  // the very last byte of the largest access (index 2^32-1 + offset 2^32-1 + 4 bytes) is still inside
  assert.ok((1n << 33n) + 2n <= RESERVE);
  assert.is(d.invoke(0, [(1n << 33n) - 2n]).trapCode, TrapCode.memoryOutOfBounds);
  // the instance is still healthy after the traps
  assert.is(d.invoke(1).retInt & 0xffn, 42n);
  console.log(`  ${N} out-of-bounds traps in ${Date.now() - started} ms`);
  d.close();
});

test('a memory of 0 pages is a reservation too: every access traps', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: 0 });
  for (const off of [0n, 4096n, 1n << 32n]) {
    const r = d.invoke(0, [off]);
    assert.is(r.status, Status.trap);
    assert.is(r.trapCode, TrapCode.memoryOutOfBounds);
    assert.is(r.trapAddr, off);
  }
  d.close();
});

const live = (): number[] => readFileSync('/sys/module/kwasm/parameters/live', 'utf8').trim().split(' ').map(Number);

test('every page an instance holds comes back when its file closes', () => {
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RET42), memPages: 3, stackBytes: 128 << 10 });
  // one code page, 32 stack pages, 48 memory pages
  assert.equal(live(), [(inst0 ?? 0) + 1, (pages0 ?? 0) + 1 + 32 + 48]);
  d.close();
  assert.equal(live(), [inst0, pages0]);
});

test('memory starts zeroed and backs exactly the declared pages', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: 3 });
  assert.ok(d.readMemory(0, 3 * 65536).every((b) => b === 0));
  d.writeMemory(3 * 65536 - 4, Buffer.from([1, 2, 3, 4]));
  assert.is(d.invoke(0, [BigInt(3 * 65536 - 4)]).retInt, 0x04030201n);
  assert.is(d.invoke(0, [BigInt(3 * 65536)]).trapCode, TrapCode.memoryOutOfBounds);
  d.close();
});

test('a straddling load (last 2 bytes in bounds) traps too', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: PAGES });
  const r = d.invoke(0, [BigInt(BYTES - 2)]);
  assert.is(r.status, Status.trap);
  assert.is(r.trapCode, TrapCode.memoryOutOfBounds);
  d.close();
});

/*
 * (module
 *   (func $rec (export "rec") (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
 *   (func (export "unr") (unreachable)))
 * as bytes (wat2wasm on the host): no wat2wasm process under TCG for 56 bytes.
 */
const TRAPS_WASM = Buffer.from('0061736d0100000001090260017f017f6000000303020001070d0203726563000003756e7200010a0f020900200041016a10000b0300000b', 'hex');
/** the smallest stack LOAD takes: a runaway recursion fills 16 KiB (64 KiB - kernel headroom - margin), ~1000 frames */
const SMALL_STACK = 64 << 10;

const meminfo = (): { availKiB: number; vmallocKiB: number; slabKiB: number; ownAnonKiB: number } => {
  const kib = (text: string, k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const m = readFileSync('/proc/meminfo', 'utf8'), self = readFileSync('/proc/self/status', 'utf8');
  return { availKiB: kib(m, 'MemAvailable'), vmallocKiB: kib(m, 'VmallocUsed'), slabKiB: kib(m, 'SUnreclaim'), ownAnonKiB: kib(self, 'RssAnon') };
};

/** Calls f expecting a trap of `code` as `kind` (the user-space error classes); returns its pc. */
function expectTrap(f: () => unknown, kind: new (m: string) => Error, code: number, i: number): bigint {
  try {
    f();
  } catch (e) {
    const trap = (e as Error & { trap?: Trap }).trap;
    if (e instanceof kind && trap?.code === code) return trap.pc;
    assert.unreachable(`iteration ${i}: ${String(e)} (trap code ${String(trap?.code)})`);
  }
  return assert.unreachable(`iteration ${i}: no trap`) as never;
}

/**
 * `n` INVOKEs of function `func` (`nslots` zero argument slots) that must all trap with `code` at `pc`.
 * The struct is built once in the device's scratch page and each iteration is one bare ioctl:
 * under TCG a call through ffi-rs costs about 0.5 ms, and building objects per call (InvokeResult,
 * Trap, Error) would double that for 20,000 calls. The kernel path is the same as any INVOKE's.
 */
function trapLoop(d: KwasmDevice, func: number, nslots: number, n: number, code: number, pc: bigint): void {
  const S = INVOKE_STRUCT, b = d.scratchBuf;
  b.fill(0, 0, S.size);
  b.writeUInt32LE(KWASM_IOCTL_VERSION, S.version);
  b.writeUInt32LE(func, S.funcIndex);
  b.writeUInt32LE(nslots, S.nslots);
  b.writeBigUInt64LE(d.scratchAddr + 512n, S.slotsPtr);
  b.writeBigUInt64LE(0n, 512);
  for (let i = 0; i < n; i++) {
    b.writeUInt32LE(0, S.memPages); // an output too; must be 0 on input
    const rc = d.rawIoctl(KWASM_IOC.INVOKE, d.scratchAddr);
    if (rc !== 0 || b.readUInt32LE(S.status) !== Status.trap || b.readUInt32LE(S.trapCode) !== code || b.readBigUInt64LE(S.trapPc) !== pc) {
      assert.unreachable(`iteration ${i}: rc ${rc}, status ${b.readUInt32LE(S.status)}, code ${b.readUInt32LE(S.trapCode)}, pc ${b.readBigUInt64LE(S.trapPc)} (want ${code} at ${pc})`);
    }
  }
}

test('compiled wasm: stack overflow and unreachable come back as traps 10,000 times each, nothing leaks', () => {
  const [inst0, pages0] = live();
  const before = meminfo();
  const inst = instantiateInKernel(TRAPS_WASM, {}, { stackBytes: SMALL_STACK });
  const rec = inst.exports.rec as KernelFunction, unr = inst.exports.unr as KernelFunction;
  // one code page, 16 stack pages, no memory: the instance's whole footprint, checked again after the loops
  const held = [(inst0 ?? 0) + 1, (pages0 ?? 0) + 1 + SMALL_STACK / 4096];
  assert.equal(live(), held);
  // through the exports first: the user-space error classes, with the Trap on them
  const overflowPc = expectTrap(() => rec.raw([0n]), RangeError, TrapCode.stackOverflow, -1);
  const unrPc = expectTrap(() => unr.raw([]), RuntimeError, TrapCode.unreachable, -1);
  const N = 10_000;
  let t = Date.now();
  // unbounded recursion: the prologue's stack check of the same call, ~340 frames deep, every time
  trapLoop(inst.device, 0, 1, N, TrapCode.stackOverflow, overflowPc);
  const overflowMs = Date.now() - t;
  t = Date.now();
  trapLoop(inst.device, 1, 0, N, TrapCode.unreachable, unrPc);
  console.log(`  ${N} stack overflows in ${overflowMs} ms, ${N} unreachable traps in ${Date.now() - t} ms (compiled wasm, 64 KiB wasm stack)`);
  // the instance still works after them, and the same pcs come back through the exports
  assert.is(expectTrap(() => rec.raw([7n]), RangeError, TrapCode.stackOverflow, N), overflowPc);
  // exact: traps allocate nothing in the module (no page, no instance)
  assert.equal(live(), held);
  inst.close();
  assert.equal(live(), [inst0, pages0]);
  const after = meminfo();
  /*
   * Tolerances, against what a leak per trap would add up to over 20,000 traps. An INVOKE itself
   * allocates nothing in kwasm; what it could leak is kwasm's own memory: vmalloc areas (a stack
   * or code area: at least a page each, 78 MiB in all; VmallocUsed may move 1 MiB, other kernel
   * users move it by a few pages), kmalloc'd instance parts (the vmctx alone is 1472 bytes, 28 MiB
   * in all; SUnreclaim may move 4 MiB of slab-cache noise) or pages (counted exactly by `live`).
   * MemAvailable also moves with this node process's heap and JIT code: its own anonymous memory
   * (RssAnon) is subtracted and 24 MiB more is allowed (page cache and 9p noise; a page per trap
   * would still be 78 MiB).
   */
  const vmalloc = after.vmallocKiB - before.vmallocKiB, slab = after.slabKiB - before.slabKiB;
  const lost = before.availKiB - after.availKiB - (after.ownAnonKiB - before.ownAnonKiB);
  console.log(`  after 20,000 traps and close: VmallocUsed ${vmalloc} kB, SUnreclaim ${slab} kB, MemAvailable ${after.availKiB - before.availKiB} kB (this process's own anonymous memory ${after.ownAnonKiB - before.ownAnonKiB} kB); live ${live().join(' ')}`);
  assert.ok(vmalloc < 1024, `VmallocUsed ${before.vmallocKiB} -> ${after.vmallocKiB} kB`);
  assert.ok(slab < 4096, `SUnreclaim ${before.slabKiB} -> ${after.slabKiB} kB`);
  assert.ok(lost < 24 * 1024, `MemAvailable ${before.availKiB} -> ${after.availKiB} kB, own RssAnon ${before.ownAnonKiB} -> ${after.ownAnonKiB} kB`);
});

test('TRACE: the trapping frame chain as code offsets, only after a trap', () => {
  const inst = instantiateInKernel(TRAPS_WASM, {}, { stackBytes: SMALL_STACK });
  const d = inst.device;
  const rec = inst.exports.rec as KernelFunction;
  assert.is(d.rawIoctl(KWASM_IOC_TRACE, d.scratchAddr), -ERRNO.EINVAL, 'version 0');
  const b = d.scratchBuf;
  b.fill(0, 0, TRACE_STRUCT.size);
  b.writeUInt32LE(KWASM_IOCTL_VERSION, TRACE_STRUCT.version);
  assert.is(d.rawIoctl(KWASM_IOC_TRACE, d.scratchAddr), -ERRNO.EINVAL, 'no trap yet');
  expectTrap(() => rec.raw([0n]), RangeError, TrapCode.stackOverflow, 0);
  const t = inst.trapTrace();
  // every frame is the return address after `call $rec` in $rec; the outermost frame returns
  // into kwasm_enter, outside the code, and ends the chain
  const start = BigInt(inst.module.funcOffsets[0]), end = BigInt(inst.module.funcOffsets[1]);
  // 16 KiB of recursion (64 KiB - 16 KiB kernel headroom - 32 KiB margin): 340 frames measured
  assert.ok(t.frames.length > 100 && t.frames.length <= 16384 / 16, `${t.frames.length} frames`);
  assert.ok(t.frames.every((f) => f === t.frames[0] && f > start && f <= end), 'all in $rec, the same call site');
  assert.ok(t.trapPc > start && t.trapPc <= end);
  b.fill(0, 0, TRACE_STRUCT.size);
  b.writeUInt32LE(KWASM_IOCTL_VERSION, TRACE_STRUCT.version);
  b.writeUInt32LE(1, TRACE_STRUCT.maxFrames);
  assert.is(d.rawIoctl(KWASM_IOC_TRACE, d.scratchAddr), -ERRNO.EINVAL, 'frames_ptr 0 with max_frames 1');
  b.writeUInt32LE(0, TRACE_STRUCT.maxFrames);
  assert.is(d.rawIoctl(KWASM_IOC_TRACE, d.scratchAddr), 0, 'count only');
  assert.is(b.readUInt32LE(TRACE_STRUCT.nframes), t.frames.length);
  // unr, entered straight from kwasm_enter: the trap's pc in unr, no caller frame
  assert.is(d.invoke(1).status, Status.trap);
  const u = inst.trapTrace();
  assert.equal(u.frames, []);
  assert.ok(u.trapPc > end, `pc ${u.trapPc} in unr`);
  inst.close();
  const e = KwasmDevice.open();
  e.scratchBuf.fill(0, 0, TRACE_STRUCT.size);
  e.scratchBuf.writeUInt32LE(KWASM_IOCTL_VERSION, TRACE_STRUCT.version);
  assert.is(e.rawIoctl(KWASM_IOC_TRACE, e.scratchAddr), -ERRNO.ENOENT, 'nothing loaded');
  e.close();
});

export default test;
