// Guest-side: the in-kernel WASI table (kernel-loader/kernel-wasi.ts + kwasm_wasi.c). Files opened
// by path_open in user space are then read, written, sought and closed in ring 0, args and
// proc_exit are served there too; the proof is KernelInstance.hostCallExits (host calls that
// reached user space) staying put while the kernel's own served counter moves, and the results
// being what jit/wasi answers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { instantiateInKernel, KERNEL_HOST, type KernelFunction, type KernelInstance } from '../../../kernel-loader/loader.js';
import { KernelWasi } from '../../../kernel-loader/kernel-wasi.js';
import { Status } from '../../../kernel-loader/ioctl.js';
import { WASI, WASIExit, Errno, type WASIOptions } from '../../../jit/wasi/index.js';
import { RuntimeError } from '../../../jit/errors.js';

const test = suite('in-kernel WASI table');

export function wat(src: string): Uint8Array {
  const f = join(mkdtempSync('/tmp/kwasm-wasi-'), 'm');
  writeFileSync(`${f}.wat`, src);
  execFileSync('wat2wasm', [`${f}.wat`, '-o', `${f}.wasm`]);
  return readFileSync(`${f}.wasm`);
}
const fn = (x: unknown): KernelFunction => x as KernelFunction;

/**
 * jit/wasi wired to a kernel instance of `bytes` as `run --kernel` wires it: KernelWasi's
 * pull/push around every call user space serves, and every import the kernel can serve.
 */
export function inKernel(bytes: Uint8Array, opts: WASIOptions, reactor = true): { wasi: WASI; kw: KernelWasi; i: KernelInstance } {
  const wasi = new WASI(opts);
  const kw = new KernelWasi(wasi);
  const i = instantiateInKernel(bytes, kw.importObject(), { kernelImports: new Set(Object.keys(KERNEL_HOST)), onLoad: kw.attach });
  if (reactor) wasi.initialize({ exports: i.exports }); // a command is started (WASI.start) instead
  return { wasi, kw, i };
}

/** A FIFO opened O_RDWR | O_NONBLOCK: both ends in one fd, so nothing drains what is written. */
export function nonBlockingFifo(): number {
  const fifo = join(mkdtempSync('/tmp/kwasm-wasi-fifo-'), 'p');
  execFileSync('mkfifo', [fifo]);
  return openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
}

const SRC = `(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setflags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $asz (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $aget (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "f.txt")
  (data (i32.const 264) "null")
  (data (i32.const 512) "0123456789")
  (func (export "open") (param $oflags i32) (param $fdflags i32) (result i32)
    (call $open (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 5) (local.get $oflags)
      (i64.const -1) (i64.const -1) (local.get $fdflags) (i32.const 16)))
  (func (export "openNull") (result i32)
    (call $open (i32.const 3) (i32.const 0) (i32.const 264) (i32.const 4) (i32.const 0)
      (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 16)))
  (func (export "write") (param $fd i32) (param $n i32) (result i32) (local $r i32)
    (i32.store (i32.const 0) (i32.const 512)) (i32.store (i32.const 4) (i32.const 10))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $r (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $done (local.get $r))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $r))
  (func (export "read") (param $fd i32) (param $len i32) (result i32)
    (i32.store (i32.const 32) (i32.const 1024)) (i32.store (i32.const 36) (local.get $len))
    (call $read (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)))
  (func (export "readOverlap") (param $fd i32) (result i32)
    (i32.store (i32.const 32) (i32.const 40)) (i32.store (i32.const 36) (i32.const 8))
    (i32.store (i32.const 40) (i32.const 1024)) (i32.store (i32.const 44) (i32.const 4))
    (call $read (local.get $fd) (i32.const 32) (i32.const 2) (i32.const 48)))
  (func (export "seek") (param i32 i64 i32) (result i32) (call $seek (local.get 0) (local.get 1) (local.get 2) (i32.const 24)))
  (func (export "tell") (param i32) (result i32) (call $tell (local.get 0) (i32.const 24)))
  (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "fdstat") (param i32) (result i32) (call $fdstat (local.get 0) (i32.const 64)))
  (func (export "setflags") (param i32 i32) (result i32) (call $setflags (local.get 0) (local.get 1)))
  (func (export "argsizes") (result i32) (call $asz (i32.const 48) (i32.const 52)))
  (func (export "args") (result i32) (call $aget (i32.const 128) (i32.const 2048)))
  (func (export "exit") (param i32) (call $exit (local.get 0)))
  (func (export "u32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "u64") (param i32) (result i64) (i64.load (local.get 0))))`;

test('path_open\'d files: read/write/seek/tell/fdstat/close in ring 0 (no exits), user space sees the result', () => {
  const dir = mkdtempSync('/tmp/kwasm-wasi-sandbox-');
  const { wasi, kw, i } = inKernel(wat(SRC), { args: ['prog', 'arg1'], env: { A: 'b' }, preopens: { '/sandbox': dir } });
  const e = i.exports, u32 = fn(e.u32), u64 = fn(e.u64);
  const served = (): bigint => i.device.getFds().served;
  try {
    assert.is(fn(e.open)(9, 0), Errno.SUCCESS); // CREAT|TRUNC: user space (path_open)
    const fd = u32(16) as number;
    assert.is(fd, 4);
    const hostFd = wasi.wasiState.fds.get(fd).hostFd;
    let exits = i.hostCallExits, s0 = served();
    assert.is(fn(e.write)(fd, 1000), Errno.SUCCESS);
    assert.is(u32(8), 10);
    assert.is(fn(e.tell)(fd), Errno.SUCCESS);
    assert.is(u64(24), 10000n);
    assert.is(fn(e.seek)(fd, 3n, 0), Errno.SUCCESS);
    assert.is(fn(e.read)(fd, 4), Errno.SUCCESS);
    assert.is(u32(40), 4);
    assert.is(Buffer.from(i.readMemory(1024, 4)).toString(), '3456');
    assert.is(fn(e.seek)(fd, -2n, 2), Errno.SUCCESS); // END - 2
    assert.is(u64(24), 9998n);
    assert.is(fn(e.seek)(fd, -20000n, 1), Errno.INVAL);
    assert.is(fn(e.read)(fd, 100), Errno.SUCCESS);
    assert.is(u32(40), 2);
    assert.is(fn(e.fdstat)(fd), Errno.SUCCESS);
    assert.is((u32(64) as number) & 0xff, 4, 'REGULAR_FILE');
    assert.is(fn(e.seek)(1, 0n, 1), Errno.SPIPE); // stdio is a stream
    assert.is(fn(e.argsizes)(), Errno.SUCCESS);
    assert.equal([u32(48), u32(52)], [2, 'prog\0arg1\0'.length]);
    assert.is(fn(e.args)(), Errno.SUCCESS);
    assert.is(Buffer.from(i.readMemory(u32(132) as number, 5)).toString(), 'arg1\0');
    assert.is(i.hostCallExits, exits, 'every call above was served in ring 0');
    assert.is(served() - s0, 1010n, 'the kernel\'s own count: 1000 writes and 10 other calls');
    assert.is(readFileSync(join(dir, 'f.txt')).length, 10000, 'the bytes reached the host file');

    // fdstat_set_flags in ring 0 too (user space reads the flags back at its next pull); afterwards APPEND writes go to the end
    assert.is(fn(e.seek)(fd, 0n, 0), Errno.SUCCESS);
    assert.is(fn(e.setflags)(fd, 1), Errno.SUCCESS);
    assert.is(fn(e.setflags)(fd, 2), Errno.NOTSUP, 'a sync flag is fixed at open');
    assert.is(fn(e.setflags)(fd, 32), Errno.INVAL);
    assert.is(i.hostCallExits, exits);
    kw.pull();
    assert.is(wasi.wasiState.fds.get(fd).flags, 1);
    assert.is(fn(e.write)(fd, 1), Errno.SUCCESS);
    assert.is(readFileSync(join(dir, 'f.txt')).length, 10010);
    assert.is(fn(e.tell)(fd), Errno.SUCCESS);
    assert.is(u64(24), 10010n);

    // close in ring 0; the next call on that fd goes to user space, which has pulled the close
    exits = i.hostCallExits;
    assert.is(fn(e.close)(fd), Errno.SUCCESS);
    assert.is(i.hostCallExits, exits);
    assert.is(fn(e.close)(fd), Errno.BADF);
    assert.is(i.hostCallExits, exits + 1);
    assert.not.ok(wasi.wasiState.fds.has(fd));
    assert.throws(() => fstatSync(hostFd), /EBADF/, 'user space closed the host fd');
    // the freed number is reused by the next path_open, as in user mode
    assert.is(fn(e.open)(0, 0), Errno.SUCCESS);
    assert.is(u32(16), fd);
    assert.is(fn(e.read)(fd, 5), Errno.SUCCESS);
    assert.is(Buffer.from(i.readMemory(1024, 5)).toString(), '01234', 'a fresh position');
    assert.is(fn(e.write)(77, 1), Errno.BADF); // not in the table: user space's answer

    // proc_exit ends the call in ring 0, as jit/wasi's WASIExit; the instance stays usable
    exits = i.hostCallExits;
    assert.throws(() => fn(e.exit)(300), (x: unknown) => x instanceof WASIExit && x.code === 300);
    assert.is(i.hostCallExits, exits);
    assert.is(fn(e.tell)(fd), Errno.SUCCESS);
    kw.finish();
  } finally {
    i.close();
    wasi.close();
  }
});

test('fd_read whose first buffer overwrites its own second iovec: the iovecs are read once, before any I/O', () => {
  // iovs at 32 = [{40, 8}, {1024, 4}]: the first read lands on the second iovec and writes
  // "01234567" there, i.e. {buf: 0x33323130, len: 0x37363534}, far past the 64 KiB memory.
  // jit/wasi reads every iovec before the I/O, so the second buffer is still 1024; a kernel
  // that read the iovec again would kernel_read into an unbacked page of the reservation (oops).
  const dir = mkdtempSync('/tmp/kwasm-wasi-sandbox-');
  const { wasi, kw, i } = inKernel(wat(SRC), { args: ['prog'], preopens: { '/sandbox': dir } });
  const e = i.exports, u32 = fn(e.u32);
  try {
    assert.is(fn(e.open)(9, 0), Errno.SUCCESS);
    const fd = u32(16) as number;
    assert.is(fn(e.write)(fd, 2), Errno.SUCCESS);
    assert.is(fn(e.seek)(fd, 0n, 0), Errno.SUCCESS);
    const exits = i.hostCallExits;
    assert.is(fn(e.readOverlap)(fd), Errno.SUCCESS);
    assert.is(i.hostCallExits, exits, 'served in ring 0');
    assert.is(u32(48), 12, 'both iovecs, 8 + 4 bytes');
    assert.is(Buffer.from(i.readMemory(40, 8)).toString(), '01234567');
    assert.is(Buffer.from(i.readMemory(1024, 4)).toString(), '8901', 'the second buffer is the one checked');
    assert.is(fn(e.tell)(fd), Errno.SUCCESS);
    assert.is(fn(e.u64)(24), 12n);
    kw.finish();
  } finally {
    i.close();
    wasi.close();
  }
});

test('proc_exit in ring 0 hands out its code and nothing of an earlier call\'s xmm0', () => {
  const { wasi, kw, i } = inKernel(wat(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "f") (result f64) (f64.const 1.5))
    (func (export "x") (call $exit (i32.const 3))))`), { args: ['prog'] });
  try {
    assert.is(i.device.invoke(0).retFloat, 0x3ff8000000000000n, 'f (image function 0) returns 1.5 in xmm0');
    const r = i.device.invoke(1);
    assert.is(r.status, Status.exit);
    assert.is(r.retInt, 3n);
    assert.is(r.retFloat, 0n, 'not the 1.5 the previous call left in the vmctx');
    kw.finish();
  } finally {
    i.close();
    wasi.close();
  }
});

test('a write into a full non-blocking pipe nobody drains stops at the call\'s deadline (trap "interrupted")', () => {
  // 64 KiB fit into the FIFO, then EAGAIN after bytes moved: the kernel retries every 1 ms (as io.ts), but only
  // until the deadline; before, it retried until the process was killed.
  const pfd = nonBlockingFifo();
  const { wasi, kw, i } = inKernel(wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 3)
    (func (export "big") (param $fd i32) (result i32)
      (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 131072))
      (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))`), { args: ['prog'] });
  try {
    const out = wasi.wasiState.fds.get(1);
    wasi.wasiState.fds.set(7, { ...out, hostFd: pfd, ownsHostFd: false });
    kw.push();
    const exits = i.hostCallExits;
    i.setDeadline(500);
    const t0 = Date.now();
    assert.throws(() => fn(i.exports.big)(7), (x: unknown) => x instanceof RuntimeError && /interrupted/.test(x.message));
    assert.ok(Date.now() - t0 < 30000, 'stopped by the deadline');
    assert.is(i.hostCallExits, exits, 'the write was the kernel\'s, not user space\'s');
    i.setDeadline(undefined);
  } finally {
    i.close();
    wasi.close();
    closeSync(pfd);
  }
});

test('a "file" entry whose host fd cannot pwrite (a pipe) goes to user space, which answers as user mode', () => {
  // jit/wasi marks only regular files as files; a table that says "file" for a pipe must not make
  // the kernel write at the host offset while ignoring the entry's position
  const pfd = nonBlockingFifo();
  const { wasi, kw, i } = inKernel(wat(SRC), { args: ['prog'] });
  try {
    const out = wasi.wasiState.fds.get(1);
    wasi.wasiState.fds.set(7, { ...out, kind: 'file', hostFd: pfd, ownsHostFd: false, position: 0n });
    kw.push();
    const exits = i.hostCallExits;
    assert.is(fn(i.exports.write)(7, 1), Errno.SPIPE, 'jit/wasi pwrites at the position: ESPIPE on a pipe');
    assert.is(i.hostCallExits, exits + 1, 'the kernel left it to user space');
    kw.finish();
  } finally {
    i.close();
    wasi.close();
    closeSync(pfd);
  }
});

test('/dev/null (write and read are no-ops the kernel does itself) and a read-only fd (user space\'s EBADF)', () => {
  const { wasi, kw, i } = inKernel(wat(SRC), { args: ['prog'], preopens: { '/dev': '/dev' } });
  const e = i.exports, u32 = fn(e.u32);
  try {
    assert.is(fn(e.openNull)(), Errno.SUCCESS);
    const fd = u32(16) as number;
    const exits = i.hostCallExits, s0 = i.device.getFds().served;
    assert.is(fn(e.write)(fd, 500), Errno.SUCCESS);
    assert.is(u32(8), 10);
    assert.is(fn(e.read)(fd, 100), Errno.SUCCESS);
    assert.is(u32(40), 0);
    assert.is(i.hostCallExits, exits);
    assert.is(i.device.getFds().served - s0, 501n);
    // a stream whose host fd is not open for writing: the kernel leaves it to user space (no WARN)
    const ro = wasi.wasiState.fds.get(fd);
    wasi.wasiState.fds.set(7, { ...ro, hostFd: openSync('/dev/null', 'r') });
    kw.push();
    assert.is(fn(e.write)(7, 1), Errno.BADF);
    assert.is(i.hostCallExits, exits + 1);
    kw.finish();
  } finally {
    i.close();
    wasi.close();
  }
});

export default test;
