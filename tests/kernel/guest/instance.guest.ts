// Guest-side: compiler-produced modules instantiated in ring 0 (kernel-loader/loader.ts):
// exports with every number type, globals, tables + call_indirect, data segments, memory.grow in
// the kernel, traps as the user-space error kinds, host calls answered by user space through
// RESUME, and the in-kernel WASI fast path.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instantiateInKernel, KernelUnsupportedError, type KernelFunction } from '../../../kernel-loader/loader.js';
import { RuntimeError } from '../../../jit/errors.js';
import { stdioEntry } from '../../../jit/wasi/fd-table.js';
import { Errno } from '../../../jit/wasi/errno.js';
import { SLOT_COUNTS, argOf, resultOf, weighted, manySlotsWat, manySlotsImports } from '../../runtime/many-slots.js';

const test = suite('kernel instances');
const tmp = mkdtempSync('/tmp/kwasm-wat-');
let n = 0;
function wat(src: string): Uint8Array {
  const f = join(tmp, `m${n++}`);
  writeFileSync(`${f}.wat`, src);
  execFileSync('wat2wasm', [`${f}.wat`, '-o', `${f}.wasm`]);
  return readFileSync(`${f}.wasm`);
}
const fn = (x: unknown): KernelFunction => x as KernelFunction;

test('exports of every number type, globals, data, call_indirect', () => {
  const i = instantiateInKernel(wat(`(module
    (memory 1 4) (data (i32.const 16) "kwasm")
    (global $g (mut i32) (i32.const 40)) (global $k i64 (i64.const -5))
    (table 2 funcref) (elem (i32.const 0) $inc $dbl)
    (type $t (func (param i32) (result i32)))
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
    (func (export "fmul") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
    (func (export "dsqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
    (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
    (func (export "k") (result i64) (global.get $k))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "ind") (param i32 i32) (result i32) (call_indirect (type $t) (local.get 1) (local.get 0)))
    (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))`));
  const e = i.exports;
  assert.is(fn(e.add)(40, 2), 42);
  assert.is(fn(e.add)(-1, -1), -2);
  assert.is(fn(e.add64)(1n << 40n, -3n), (1n << 40n) - 3n);
  assert.is(fn(e.fmul)(1.5, 4), 6);
  assert.is(fn(e.dsqrt)(2), Math.SQRT2);
  assert.is(fn(e.bump)(), 41);
  assert.is(fn(e.bump)(), 42);
  assert.is(fn(e.k)(), -5n);
  assert.is(String.fromCharCode(...[16, 17, 18, 19, 20].map((a) => fn(e.byte)(a) as number)), 'kwasm');
  assert.is(fn(e.ind)(0, 10), 11);
  assert.is(fn(e.ind)(1, 10), 20);
  assert.equal(fn(e.swap)(1, 2), [2, 1]);
  // memory.grow is served in the kernel: the new page is mapped and zeroed, the max is enforced
  assert.is(fn(e.size)(), 1);
  assert.is(fn(e.grow)(2), 1);
  assert.is(fn(e.size)(), 3);
  assert.is(fn(e.peek)(3 * 65536 - 4), 0);
  fn(e.poke)(3 * 65536 - 4, 1234);
  assert.is(fn(e.peek)(3 * 65536 - 4), 1234);
  assert.is(fn(e.grow)(2), -1);
  assert.is(fn(e.grow)(1), 3);
  assert.throws(() => fn(e.peek)(4 * 65536), (x: Error) => x instanceof RuntimeError && x.message === 'out of bounds memory access');
  // traps come back as the user-space kinds; the instance stays usable
  assert.throws(() => fn(e.ind)(2, 0), (x: Error) => x instanceof RuntimeError && x.message === 'undefined element');
  assert.is(fn(e.add)(1, 2), 3);
  i.close();
});

test('traps: unreachable, divide by zero, stack exhaustion', () => {
  const i = instantiateInKernel(wat(`(module
    (func (export "u") unreachable)
    (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func $r (export "rec") (param i32) (result i32) (i32.add (call $r (local.get 0)) (i32.const 1))))`));
  assert.throws(() => fn(i.exports.u)(), (x: Error) => x instanceof RuntimeError && x.message === 'unreachable');
  assert.throws(() => fn(i.exports.div)(1, 0), (x: Error) => x.message === 'integer divide by zero');
  assert.throws(() => fn(i.exports.div)(-2147483648, -1), (x: Error) => x.message === 'integer overflow');
  assert.throws(() => fn(i.exports.rec)(0), (x: Error) => x instanceof RangeError && x.message === 'call stack exhausted');
  assert.is(fn(i.exports.div)(7, 2), 3);
  i.close();
});

test('host calls: user space answers through RESUME, many times, and a throwing import abandons the stack', () => {
  let calls = 0;
  const src = `(module (import "env" "f" (func $f (param i32 i64 f64) (result i32)))
    (func (export "loop") (param i32) (result i32) (local i32)
      (block (loop (br_if 1 (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (call $f (local.get 0) (i64.const 7) (f64.const 0.5))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
      (local.get 1)))`;
  const i = instantiateInKernel(wat(src), { env: { f: (a: number, b: bigint, c: number): number => { calls++; return a + Number(b) + (c === 0.5 ? 1 : 100); } } });
  assert.is(fn(i.exports.loop)(3), (3 + 8) + (2 + 8) + (1 + 8));
  assert.is(fn(i.exports.loop)(1000), 1000 * 1001 / 2 + 8000);
  assert.is(calls, 1003);
  i.close();
  const j = instantiateInKernel(wat(src), { env: { f: (a: number): number => { if (a === 2) throw new Error('boom'); return 1; } } });
  assert.throws(() => fn(j.exports.loop)(5), /boom/);
  assert.is(fn(j.exports.loop)(1), 1); // the abandoned stack is reused from its top
  // closing the file while a call is stopped at a host call frees everything (live counters at the end)
  const k = instantiateInKernel(wat(src), { env: { f: (): number => { k.close(); throw new Error('closed'); } } });
  assert.throws(() => fn(k.exports.loop)(1), /closed/);
  j.close();
});

test('in-kernel WASI: fd_write to stdout and clock/random without leaving ring 0; bad pointers are EFAULT', () => {
  const src = `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func $c (param i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
    (memory 1) (data (i32.const 64) "hello from ring 0\\n")
    (func (export "hello") (result i32)
      (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 18))
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (i32.load (i32.const 8)))
    (func (export "badptr") (result i32)
      (i32.store (i32.const 0) (i32.const 65530)) (i32.store (i32.const 4) (i32.const 18))
      (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (func (export "now") (result i64) (drop (call $c (i32.const 1) (i64.const 0) (i32.const 16))) (i64.load (i32.const 16)))
    (func (export "rnd") (result i32) (call $r (i32.const 65535) (i32.const 2)))
    (func (export "file") (result i32) (call $w (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 8))))`;
  const hostCalls: string[] = [];
  const trace = (name: string) => (): number => { hostCalls.push(name); return 52; };
  const kernel = new Set(['wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.clock_time_get', 'wasi_snapshot_preview1.random_get']);
  const i = instantiateInKernel(wat(src), { wasi_snapshot_preview1: { fd_write: trace('fd_write'), clock_time_get: trace('clock'), random_get: trace('random') } }, { kernelImports: kernel });
  assert.is(fn(i.exports.hello)(), 18);
  assert.is(fn(i.exports.badptr)(), 21); // EFAULT: the iovec reaches past memory.size
  const t = fn(i.exports.now)() as bigint;
  assert.ok(t > 0n, String(t));
  assert.is(fn(i.exports.rnd)(), 21);
  assert.equal(hostCalls, []); // none of them left the kernel
  assert.is(fn(i.exports.file)(), 52, 'fd 5 is not the process\'s stdio: served in user space');
  assert.equal(hostCalls, ['fd_write']);
  i.close();
});

test('in-kernel WASI: fd_seek/fd_fdstat_get on stdio answer as jit/wasi does; other fds and bad pointers', () => {
  const src = `(module
    (import "wasi_snapshot_preview1" "fd_seek" (func $s (param i32 i64 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $f (param i32 i32) (result i32)))
    (memory 1)
    (func (export "seek") (param i32 i64 i32 i32) (result i32) (call $s (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "fdstat") (param i32 i32) (result i32)
      (memory.fill (local.get 1) (i32.const 0xaa) (i32.const 24)) (call $f (local.get 0) (local.get 1)))
    (func (export "fdstatRaw") (param i32 i32) (result i32) (call $f (local.get 0) (local.get 1)))
    (func (export "u8") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "u16") (param i32) (result i32) (i32.load16_u (local.get 0)))
    (func (export "u64") (param i32) (result i64) (i64.load (local.get 0))))`;
  const hostCalls: string[] = [];
  const trace = (name: string) => (): number => { hostCalls.push(name); return 52; };
  const kernel = new Set(['wasi_snapshot_preview1.fd_seek', 'wasi_snapshot_preview1.fd_fdstat_get']);
  const i = instantiateInKernel(wat(src), { wasi_snapshot_preview1: { fd_seek: trace('fd_seek'), fd_fdstat_get: trace('fd_fdstat_get') } }, { kernelImports: kernel });
  const e = i.exports;
  for (const fd of [0, 1, 2]) {
    // user mode: stdio is a stream whatever the host fd is, so every seek is ESPIPE, before any check
    assert.is(fn(e.seek)(fd, 0n, 0, 8), Errno.SPIPE);
    assert.is(fn(e.seek)(fd, 5n, 1, 70000), Errno.SPIPE);
    assert.is(fn(e.seek)(fd, 0n, 9, 8), Errno.SPIPE);
    const want = stdioEntry(fd);
    assert.is(fn(e.fdstat)(fd, 100), Errno.SUCCESS);
    assert.is(fn(e.u8)(100), want.filetype, `fd ${fd} filetype`);
    assert.is(fn(e.u16)(102), want.flags);
    for (const pad of [101, 104, 105, 106, 107]) assert.is(fn(e.u8)(pad), 0, `padding byte ${pad - 100} zeroed`);
    assert.is(fn(e.u64)(108), want.rightsBase, `fd ${fd} rights`);
    assert.is(fn(e.u64)(116), want.rightsInheriting);
  }
  assert.is(fn(e.fdstatRaw)(1, 65536 - 23), Errno.FAULT); // 24 bytes past memory.size
  assert.is(fn(e.fdstatRaw)(1, -1), Errno.FAULT);
  assert.equal(hostCalls, []); // none of them left the kernel
  assert.is(fn(e.seek)(3, 0n, 0, 8), 52, 'fd 3 is not the process\'s stdio: served in user space');
  assert.is(fn(e.fdstatRaw)(7, 8), 52);
  assert.equal(hostCalls, ['fd_seek', 'fd_fdstat_get']);
  i.close();
});

test('in-kernel WASI: poll_oneoff on clocks sleeps in ring 0 with jit/wasi/poll.ts\'s events; fd subscriptions go to user space', () => {
  const src = `(module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $p (param i32 i32 i32 i32) (result i32)))
    (memory 1)
    (func (export "sub") (param $i i32) (param $ud i64) (param $tag i32) (param $id i32) (param $t i64) (param $fl i32)
      (local $a i32) (local.set $a (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 48))))
      (memory.fill (local.get $a) (i32.const 0) (i32.const 48))
      (i64.store (local.get $a) (local.get $ud)) (i32.store8 offset=8 (local.get $a) (local.get $tag))
      (i32.store offset=16 (local.get $a) (local.get $id)) (i64.store offset=24 (local.get $a) (local.get $t))
      (i32.store16 offset=40 (local.get $a) (local.get $fl)))
    (func (export "poll") (param i32 i32 i32 i32) (result i32)
      (memory.fill (i32.const 4096) (i32.const 0xaa) (i32.const 256)) (i32.store (i32.const 8) (i32.const -1))
      (call $p (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "u32") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "u64") (param i32) (result i64) (i64.load (local.get 0))))`;
  const hostCalls: string[] = [];
  const i = instantiateInKernel(wat(src), { wasi_snapshot_preview1: { poll_oneoff: (): number => { hostCalls.push('poll'); return 52; } } },
    { kernelImports: new Set(['wasi_snapshot_preview1.poll_oneoff']) });
  const e = i.exports, sub = fn(e.sub), poll = fn(e.poll), u32 = fn(e.u32), u64 = fn(e.u64);
  const event = (k: number) => ({ userdata: u64(4096 + 32 * k), errType: u32(4096 + 32 * k + 8), nbytes: u64(4096 + 32 * k + 16), flags: u64(4096 + 32 * k + 24) });
  assert.is(poll(1024, 4096, 0, 8), Errno.INVAL);
  // one relative monotonic clock of 30 ms: sleeps, then one CLOCK event
  sub(0, 77n, 0, 1, 30_000_000n, 0);
  let t0 = process.hrtime.bigint();
  assert.is(poll(1024, 4096, 1, 8), Errno.SUCCESS);
  assert.ok(process.hrtime.bigint() - t0 >= 30_000_000n);
  assert.is(u32(8), 1);
  assert.equal(event(0), { userdata: 77n, errType: 0, nbytes: 0n, flags: 0n });
  // an unknown clock id is an INVAL event and then nothing sleeps (the 10 s clock is not due)
  sub(1, 88n, 0, 9, 0n, 0);
  sub(0, 77n, 0, 1, 10_000_000_000n, 0);
  t0 = process.hrtime.bigint();
  assert.is(poll(1024, 4096, 2, 8), Errno.SUCCESS);
  assert.ok(process.hrtime.bigint() - t0 < 5_000_000_000n);
  assert.is(u32(8), 1);
  assert.equal(event(0), { userdata: 88n, errType: Errno.INVAL, nbytes: 0n, flags: 0n });
  // absolute realtime in the past and relative 0: both due at once, in subscription order
  sub(0, 1n, 0, 0, 1n, 1);
  sub(1, 2n, 0, 1, 0n, 0);
  assert.is(poll(1024, 4096, 2, 8), Errno.SUCCESS);
  assert.is(u32(8), 2);
  assert.equal([event(0).userdata, event(1).userdata], [1n, 2n]);
  // bad pointers: subscriptions or events past memory.size are EFAULT; nevents last (events written)
  assert.is(poll(65536 - 48, 4096, 2, 8), Errno.FAULT);
  assert.is(poll(1024, 65536 - 32, 2, 8), Errno.FAULT);
  assert.is(poll(1024, 4096, 2, 65534), Errno.FAULT);
  assert.is(event(1).userdata, 2n);
  assert.equal(hostCalls, []);
  // any fd subscription: the whole call is user space's
  sub(1, 3n, 1, 0, 0n, 0);
  assert.is(poll(1024, 4096, 2, 8), 52);
  assert.equal(hostCalls, ['poll']);
  i.close();
});

test('modules kernel mode cannot run yet are rejected with a clear error', () => {
  assert.throws(() => instantiateInKernel(wat('(module (import "m" "t" (table 1 funcref)))'), { m: { t: {} } }),
    (x: Error) => x instanceof KernelUnsupportedError && x.message === 'not supported in kernel mode yet: imported tables');
});

test('memory export: .buffer is an mmap of the kernel pages (grows, bad mappings refused, outlives close)', () => {
  const i = instantiateInKernel(wat(`(module (memory (export "memory") 1 4)
    (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`));
  const e = i.exports, mem = e.memory as { buffer: ArrayBuffer };
  const b1 = mem.buffer;
  assert.is(b1.byteLength, 65536);
  fn(e.poke)(100, 0x11223344);
  assert.is(new DataView(b1).getUint32(100, true), 0x11223344, 'wasm store seen through the mapping');
  new DataView(b1).setUint32(200, 0xcafe, true);
  assert.is(fn(e.peek)(200), 0xcafe, 'store through the mapping seen by wasm');
  assert.is(fn(e.grow)(2), 1);
  const b2 = mem.buffer;
  assert.is(b2.byteLength, 3 * 65536, 'a grown memory gets a longer buffer');
  new DataView(b2).setUint32(2 * 65536 + 8, 77, true);
  assert.is(fn(e.peek)(2 * 65536 + 8), 77);
  assert.is(new DataView(b2).getUint32(100, true), 0x11223344);
  // the device refuses mappings it must not give: too long, private, executable, nonzero offset
  const d = i.device;
  assert.throws(() => d.mapMemory(4 * 65536), /EINVAL/, 'longer than memory.size');
  assert.throws(() => d.mapMemory(0), /EINVAL/, 'zero length');
  assert.throws(() => d.mapMemory(65536, { private: true }), /EINVAL/, 'private');
  assert.throws(() => d.mapMemory(65536, { exec: true }), /EINVAL|EPERM/, 'executable');
  assert.throws(() => d.mapMemory(4096, { offset: 4096 }), /EINVAL/, 'offset');
  // a mapping kept past close still reads the (now unreferenced by the kernel) pages, no fault
  const kept = d.mapMemory(65536);
  fn(e.poke)(300, 99);
  i.close();
  assert.is(kept.buf.readUInt32LE(300), 99, 'the mapping keeps its pages after the instance is gone');
  d.unmapMemory(kept.addr, 65536);
});

// Issue #12.1 in ring 0: slots live on the wasm stack (no vmctx area). Exports take any count
// that fits on the stack; a host call leaving for user space carries at most
// KWASM_HOSTCALL_SLOTS (64) slots, more is trap "host function failed"; more than 64 results
// cannot be described to the kernel (KernelUnsupportedError). Nothing else changes: the table's
// call_indirect still reaches its targets and the instance goes on.
for (const n of SLOT_COUNTS) {
  test(`${n} parameters and results in ring 0: a working call or a clean error`, () => {
    const args = Array.from({ length: n }, (_, i) => argOf(i));
    const seen: { args?: bigint[] } = {};
    const i = instantiateInKernel(wat(manySlotsWat(n, { results: n <= 64 })), manySlotsImports(n, seen));
    try {
      const e = i.exports;
      assert.is(fn(e.params)(...args), weighted(n, argOf));
      if (n <= 64) {
        assert.equal(fn(e.results)(), Array.from({ length: n }, (_, k) => resultOf(k)));
        assert.is(fn(e.callParams)(), 77n);
        assert.equal(seen.args, args);
        assert.is(fn(e.callResults)(), weighted(n, resultOf));
      } else {
        assert.throws(() => fn(e.callParams)(), (x: unknown) => x instanceof RuntimeError && /host function failed/.test(x.message));
        assert.is(seen.args, undefined, 'the host never saw a partial call');
        assert.throws(() => instantiateInKernel(wat(manySlotsWat(n, { imports: false }))), (x: unknown) => x instanceof KernelUnsupportedError && /more than 64 results/.test(x.message));
      }
      assert.is(fn(e.ind)(0, 10), 11);
      assert.is(fn(e.ind)(1, 10), 20);
      assert.is(fn(e.params)(...args), weighted(n, argOf), 'the instance goes on');
    } finally {
      i.close();
    }
  });
}

export default test;
