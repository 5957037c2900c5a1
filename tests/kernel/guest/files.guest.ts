// Guest-side: path_open, fd_filestat_get and fd_pread in ring 0 (kmod/kwasm_path.c, kwasm_wasi.c;
// issue #15's file server). The same wat program runs in user mode (V8 + jit/wasi, the reference)
// and in kernel mode side by side on one sandbox; every call must answer the same (errno, fd,
// rights, the filestat's 64 bytes, the bytes read), hostile paths included, and the plain cases
// must not leave the kernel (KernelInstance.hostCallExits unchanged). Then the steady state:
// 10,000 opens + reads + closes in ring 0 leave the fd count flat, and a rename racing a `..`
// walk never lets ring 0 open a file outside the directory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, closeSync, constants, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WASI, Errno, type WASIOptions } from '../../../jit/wasi/index.js';
import type { KernelFunction } from '../../../kernel-loader/loader.js';
import { inKernel, wat } from './wasi.guest.js';

const test = suite('files in ring 0: path_open, fd_filestat_get, fd_pread');

// memory: 16 opened fd, 24 tell, 32.. iovecs, 40 nread, 64..128 filestat, 128..152 fdstat,
// 200/204 the loop's counters, 1024.. read buffers, 8192.. the path
const PATH = 8192;
const SRC = `(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "open") (param $len i32) (param $dirflags i32) (param $oflags i32) (param $base i64) (param $inh i32) (param $out i32) (result i32)
    (call $open (i32.const 3) (local.get $dirflags) (i32.const ${PATH}) (local.get $len) (local.get $oflags)
      (local.get $base) (i64.extend_i32_s (local.get $inh)) (i32.const 0) (local.get $out)))
  (func (export "stat") (param $fd i32) (param $out i32) (result i32) (call $stat (local.get $fd) (local.get $out)))
  (func (export "fdstat") (param $fd i32) (result i32) (call $fdstat (local.get $fd) (i32.const 128)))
  (func (export "pread") (param $fd i32) (param $buf i32) (param $len i32) (param $off i64) (result i32)
    (i32.store (i32.const 32) (local.get $buf)) (i32.store (i32.const 36) (local.get $len))
    (call $pread (local.get $fd) (i32.const 32) (i32.const 1) (local.get $off) (i32.const 40)))
  (func (export "pread2") (param $fd i32) (param $off i64) (result i32)
    (i32.store (i32.const 48) (i32.const 1024)) (i32.store (i32.const 52) (i32.const 3))
    (i32.store (i32.const 56) (i32.const 1100)) (i32.store (i32.const 60) (i32.const 5))
    (call $pread (local.get $fd) (i32.const 48) (i32.const 2) (local.get $off) (i32.const 40)))
  (func (export "tell") (param $fd i32) (result i32) (call $tell (local.get $fd) (i32.const 24)))
  (func (export "close") (param $fd i32) (result i32) (call $close (local.get $fd)))
  ;; n times: open the path read-only, read its first byte, close; counts byte != 'i' at 200 and
  ;; failed opens at 204; returns the opens that worked
  (func (export "loop") (param $len i32) (param $n i32) (result i32) (local $ok i32) (local $fd i32)
    (i32.store (i32.const 200) (i32.const 0)) (i32.store (i32.const 204) (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (if (call $open (i32.const 3) (i32.const 0) (i32.const ${PATH}) (local.get $len) (i32.const 0)
            (i64.const 0x200006) (i64.const 0) (i32.const 0) (i32.const 16))
        (then (i32.store (i32.const 204) (i32.add (i32.load (i32.const 204)) (i32.const 1))) (br $l)))
      (local.set $fd (i32.load (i32.const 16)))
      (i32.store8 (i32.const 1024) (i32.const 0))
      (i32.store (i32.const 32) (i32.const 1024)) (i32.store (i32.const 36) (i32.const 1))
      (drop (call $pread (local.get $fd) (i32.const 32) (i32.const 1) (i64.const 0) (i32.const 40)))
      (if (i32.ne (i32.load8_u (i32.const 1024)) (i32.const 0x69))
        (then (i32.store (i32.const 200) (i32.add (i32.load (i32.const 200)) (i32.const 1)))))
      (drop (call $close (local.get $fd)))
      (local.set $ok (i32.add (local.get $ok) (i32.const 1)))
      (br $l)))
    (local.get $ok)))`;

type Fn = (...a: Array<number | bigint>) => number;

/** One instance of SRC: its exports, its memory, and how many host calls left the kernel (user mode: none to count). */
interface Mode {
  readonly name: string;
  call(name: string, ...a: Array<number | bigint>): number;
  read(off: number, len: number): Buffer;
  write(off: number, b: Uint8Array): void;
  exits(): number;
  close(): void;
}

function userMode(bytes: Uint8Array, opts: WASIOptions): Mode {
  const wasi = new WASI(opts);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)), { wasi_snapshot_preview1: wasi.wasiImport as unknown as WebAssembly.ModuleImports });
  wasi.initialize({ exports: inst.exports });
  const mem = inst.exports.memory as WebAssembly.Memory;
  return {
    name: 'user',
    call: (name, ...a) => (inst.exports[name] as Fn)(...a),
    read: (off, len) => Buffer.from(mem.buffer, off, len),
    write: (off, b) => new Uint8Array(mem.buffer).set(b, off),
    exits: () => 0,
    close: () => wasi.close(),
  };
}

function kernelMode(bytes: Uint8Array, opts: WASIOptions): Mode & { served(): bigint } {
  const { wasi, kw, i } = inKernel(bytes, opts);
  return {
    name: 'kernel',
    call: (name, ...a) => (i.exports[name] as unknown as KernelFunction)(...a) as number,
    read: (off, len) => i.readMemory(off, len),
    write: (off, b) => i.writeMemory(off, b),
    exits: () => i.hostCallExits,
    served: () => i.device.getFds().served,
    close: () => {
      kw.finish();
      i.close();
      wasi.close();
    },
  };
}

/** The sandbox (and a directory next to it, outside the grant) with every kind of name the cases need. */
function sandbox(): { root: string; outside: string } {
  const top = mkdtempSync('/tmp/kwasm-files-');
  const root = join(top, 'root'), outside = join(top, 'outside');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'f.txt'), 'inside file, some bytes to read\n');
  writeFileSync(join(root, 'sub', 'g.txt'), 'in sub');
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(70_000, 'abcdefg'));
  writeFileSync(join(root, 'noperm.txt'), 'nobody may read this');
  chmodSync(join(root, 'noperm.txt'), 0);
  writeFileSync(join(root, 'utf-\u00e9.txt'), 'non-ASCII name');
  writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE');
  symlinkSync('f.txt', join(root, 'link-in'));
  symlinkSync('sub/g.txt', join(root, 'link-sub'));
  symlinkSync('sub', join(root, 'dirlink'));
  symlinkSync('chain2', join(root, 'chain1'));
  symlinkSync('chain3', join(root, 'chain2'));
  symlinkSync('sub/../f.txt', join(root, 'chain3'));
  symlinkSync('chain-out2', join(root, 'chain-out1'));
  symlinkSync('../outside/secret.txt', join(root, 'chain-out2'));
  symlinkSync('../outside/secret.txt', join(root, 'link-out'));
  symlinkSync(join(root, 'f.txt'), join(root, 'link-abs'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-abs-out'));
  symlinkSync('../root/f.txt', join(root, 'link-reenter'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  // atime after mtime and ctime and not older than a day: relatime leaves it alone on a read, so
  // a read in one mode cannot change what the other mode's fd_filestat_get reports
  const later = new Date(Date.now() + 3_600_000);
  for (const f of ['f.txt', 'sub/g.txt', 'big.bin', 'noperm.txt', 'utf-\u00e9.txt', '../outside/secret.txt']) {
    utimesSync(join(root, f), later, new Date(Date.now() - 60_000));
  }
  return { root, outside };
}

const FILE_READ_RIGHTS = 0x8a000bfn; // FILE_RIGHTS without FD_WRITE, FD_ALLOCATE, FD_FILESTAT_SET_SIZE
const READ_SEEK_STAT = 0x200006n;

/** Paths ring 0 serves (plain, relative, staying inside): no exit at all for open, stats, preads, tell, close. */
const SERVED = ['f.txt', 'sub/g.txt', 'sub/../f.txt', './f.txt', 'sub/./g.txt', 'sub//g.txt', 'big.bin', 'dirlink/g.txt', 'dirlink/../f.txt',
  `${'./'.repeat(2045)}f.txt`];
/** Paths ring 0 hands to user space (each way out, and what is not a plain regular file), with or without SYMLINK_FOLLOW. */
const HOSTILE = ['../x', 'a/../../x', '../outside/secret.txt', 'sub/../../outside/secret.txt', '/f.txt', '/etc/hostname', 'link-out',
  'link-abs', 'link-abs-out', 'link-reenter', 'chain-out1', 'loop1', 'fifo', 'sub', 'sub/', 'f.txt/', '.', '..', 'nope', 'sub/nope',
  'utf-\u00e9.txt', 'f.txt\0x', '', `${'./'.repeat(2043)}sub//g.txt`, `${'x'.repeat(300)}`, 'noperm.txt'];
/** Symlinks inside: served with SYMLINK_FOLLOW, user space's ELOOP without. */
const LINKS = ['link-in', 'link-sub', 'chain1'];

/** Everything one mode answers for `path` opened with `dirflags`, `base`, `inh`: the open, then (if it worked) fdstat, filestat, preads, tell, close. */
function probe(m: Mode, path: string, dirflags: number, base: bigint, inh: number): unknown[] {
  const bytes = Buffer.from(path, 'utf8');
  m.write(PATH, bytes);
  m.write(16, Buffer.alloc(4, 0xee));
  const r: unknown[] = [m.call('open', bytes.length, dirflags, 0, base, inh, 16)];
  if (r[0] !== Errno.SUCCESS) return r;
  const fd = m.read(16, 4).readUInt32LE(0);
  m.write(64, Buffer.alloc(100, 0xee));
  r.push(fd, m.call('fdstat', fd), m.read(128, 24).toString('hex'), m.call('stat', fd, 64), m.read(64, 64).toString('hex'));
  const pread = (len: number, off: bigint): void => {
    m.write(1024, Buffer.alloc(2048, 0));
    const e = m.call('pread', fd, 1024, len, off);
    const n = m.read(40, 4).readUInt32LE(0);
    r.push(e, e === Errno.SUCCESS ? n : -1, m.read(1024, Math.min(len, 2048)).toString('latin1'));
  };
  pread(8, 0n);
  pread(2000, 5n);            // a short read to the end
  pread(8, 1_000_000n);       // past the end: 0 bytes
  pread(8, 60_000n);
  pread(8, (1n << 53n) - 1n); // the last offset jit/wasi accepts
  pread(8, 1n << 53n);        // EFBIG
  pread(8, -1n);              // u64 max: EFBIG
  pread(0, 3n);               // nothing to read: 0
  r.push(m.call('pread2', fd, 2n), m.read(40, 4).readUInt32LE(0), m.read(1024, 3).toString('latin1'), m.read(1100, 5).toString('latin1'));
  r.push(m.call('pread', fd, 65530, 100, 0n)); // the buffer leaves memory: EFAULT
  r.push(m.call('tell', fd), m.read(24, 8).readBigUInt64LE(0), 'position untouched by pread');
  r.push(m.call('close', fd));
  return r;
}

test('path_open/fd_filestat_get/fd_pread: every case answers as user mode; the plain ones never leave ring 0', () => {
  const { root } = sandbox();
  const bytes = wat(SRC);
  const opts = { args: ['files'], preopens: { '/sandbox': root } };
  const u = userMode(bytes, opts), k = kernelMode(bytes, opts);
  // a writer on the FIFO, so that user space's blocking open of it (ring 0 never opens one) returns
  const fifoWriter = openSync(join(root, 'fifo'), constants.O_RDWR | constants.O_NONBLOCK);
  try {
    const cases: Array<[string, number, bigint, number, boolean]> = [];
    for (const p of SERVED) cases.push([p, 0, FILE_READ_RIGHTS, 0, true], [p, 1, READ_SEEK_STAT, -1, true]);
    for (const p of LINKS) cases.push([p, 1, FILE_READ_RIGHTS, 0, true], [p, 0, FILE_READ_RIGHTS, 0, false]);
    for (const p of HOSTILE) cases.push([p, 0, FILE_READ_RIGHTS, 0, false], [p, 1, FILE_READ_RIGHTS, 0, false]);
    // what ring 0 leaves to user space though the path is plain: write rights, oflags, other dirflags
    cases.push(['f.txt', 0, -1n, -1, false], ['f.txt', 0, 0x40n, 0, false], ['f.txt', 2, FILE_READ_RIGHTS, 0, false]);
    let served = 0;
    for (const [path, dirflags, base, inh, ring0] of cases) {
      const what = `${JSON.stringify(path.length > 40 ? `${path.slice(0, 20)}...(${path.length})` : path)} dirflags ${dirflags} base ${base}`;
      const exits = k.exits();
      const want = probe(u, path, dirflags, base, inh), got = probe(k, path, dirflags, base, inh);
      assert.equal(got, want, what);
      if (ring0) {
        assert.is(want[0], Errno.SUCCESS, `${what} opens`);
        assert.is(k.exits(), exits, `${what}: served in ring 0`);
        served++;
      }
    }
    assert.ok(served >= 20);
    // oflags DIRECTORY, a bad fd pointer, the directory's and a missing fd's stat, a bad stat pointer: user space's answers
    const more = (m: Mode): unknown[] => {
      m.write(PATH, Buffer.from('f.txt'));
      return [m.call('open', 5, 0, 2, FILE_READ_RIGHTS, 0, 16), m.call('open', 5, 0, 0, FILE_READ_RIGHTS, 0, 65534),
        m.call('stat', 3, 64), m.read(64, 64).toString('hex'), m.call('stat', 99, 64), m.call('stat', 3, 65500),
        m.call('pread', 3, 1024, 8, 0n), m.call('pread', 1, 1024, 8, 0n)];
    };
    assert.equal(more(k), more(u));
  } finally {
    closeSync(fifoWriter);
    u.close();
    k.close();
  }
});

test('ring 0 numbers opened files as user mode does (the lowest free fd) and user space adopts them at its next pull', () => {
  const { root } = sandbox();
  const bytes = wat(SRC);
  const opts = { args: ['files'], preopens: { '/sandbox': root } };
  const u = userMode(bytes, opts), k = kernelMode(bytes, opts);
  try {
    const run = (m: Mode): number[] => {
      const fds: number[] = [];
      m.write(PATH, Buffer.from('f.txt'));
      for (let n = 0; n < 4; n++) {
        assert.is(m.call('open', 5, 0, 0, READ_SEEK_STAT, 0, 16), Errno.SUCCESS);
        fds.push(m.read(16, 4).readUInt32LE(0));
      }
      assert.is(m.call('close', fds[1] as number), Errno.SUCCESS);
      assert.is(m.call('open', 5, 0, 0, READ_SEEK_STAT, 0, 16), Errno.SUCCESS);
      fds.push(m.read(16, 4).readUInt32LE(0));
      return fds;
    };
    const exits = k.exits();
    assert.equal(run(k), run(u));
    assert.is(k.exits(), exits, 'all in ring 0');
    // write rights: user space opens this one, after pulling the four files ring 0 opened
    k.write(PATH, Buffer.from('f.txt'));
    assert.is(k.call('open', 5, 0, 0, -1n, 0, 16), Errno.SUCCESS);
    assert.is(k.read(16, 4).readUInt32LE(0), 8, 'after 3..7: user space adopted ring 0\'s files');
    assert.is(k.exits(), exits + 1);
  } finally {
    u.close();
    k.close();
  }
});

test('fd_tell and fd_pread on a socket entry answer as user mode (fs.ts requireFile: ESPIPE; NOTCAPABLE without FD_SEEK)', () => {
  const bytes = wat(SRC);
  const u = userMode(bytes, { args: ['files'], listeners: [{ port: 0 }] });
  const k = kernelMode(bytes, { args: ['files'], listeners: [{ port: 0 }] });
  try {
    const exits = k.exits();
    const both = (m: Mode): number[] => [m.call('tell', 3), m.call('pread', 3, 1024, 8, 0n), m.call('stat', 3, 64), m.read(80, 1)[0] as number];
    assert.equal(both(k), both(u));
    assert.equal(both(u).slice(0, 3), [Errno.SPIPE, Errno.NOTCAPABLE, Errno.SUCCESS]);
    assert.is(k.exits(), exits, 'answered in ring 0');
  } finally {
    u.close();
    k.close();
  }
});

/** Open host fds of this process, and the system's allocated file handles (/proc/sys/fs/file-nr). */
const openFds = (): number => readdirSync('/proc/self/fd').length;
const fileHandles = (): number => Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').split(/\s+/)[0]);

test('10,000 opens, reads and closes in ring 0: no exit, the fd count and the system\'s file handles stay flat', async () => {
  const { root } = sandbox();
  const k = kernelMode(wat(SRC), { args: ['files'], preopens: { '/sandbox': root } });
  try {
    k.write(PATH, Buffer.from('f.txt'));
    assert.is(k.call('loop', 5, 10), 10); // warm-up
    const fds = openFds(), handles = fileHandles(), exits = k.exits(), served = k.served();
    assert.is(k.call('loop', 5, 10_000), 10_000);
    assert.equal([k.read(200, 4).readUInt32LE(0), k.read(204, 4).readUInt32LE(0)], [0, 0], 'every read saw the file, every open worked');
    assert.is(k.exits(), exits, 'nothing left the kernel');
    assert.is(k.served() - served, 30_000n, 'open, pread and close each served in ring 0');
    assert.is(openFds(), fds, 'every host fd ring 0 opened was closed');
    await new Promise((r) => setTimeout(r, 500)); // the close worker drops the last references
    const grown = fileHandles() - handles;
    assert.ok(grown < 1000, `${grown} more file handles allocated after 10,000 closed opens`);
  } finally {
    k.close();
  }
});

test('a rename racing the `..` of a ring-0 walk never opens a file outside the directory', async () => {
  const { root, outside } = sandbox();
  // a/b/c/d/../../../../f.txt is root/f.txt; with a/b moved to outside/x/b mid-walk, the same `..`s reach outside/f.txt
  mkdirSync(join(root, 'a', 'b', 'c', 'd'), { recursive: true });
  mkdirSync(join(outside, 'x'));
  writeFileSync(join(outside, 'f.txt'), 'OUTSIDE: escaped');
  const k = kernelMode(wat(SRC), { args: ['files'], preopens: { '/sandbox': root } });
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const w = new Worker(`
    const { renameSync } = require('node:fs');
    const { workerData: { flag, from, to } } = require('node:worker_threads');
    Atomics.store(flag, 0, 1);
    const end = Date.now() + 120000;
    let n = 0;
    for (; Atomics.load(flag, 0) === 1 && (n % 100 || Date.now() < end); n++) { renameSync(from, to); renameSync(to, from); }
    Atomics.store(flag, 1, n);
    Atomics.store(flag, 0, 3);
  `, { eval: true, workerData: { flag, from: join(root, 'a', 'b'), to: join(outside, 'x', 'b') } });
  try {
    const path = Buffer.from('a/b/c/d/../../../../f.txt');
    k.write(PATH, path);
    for (let t = 0; Atomics.load(flag, 0) !== 1 && t < 1000; t++) await new Promise((r) => setTimeout(r, 10));
    const served = k.served();
    let ok = 0, bad = 0, failed = 0;
    for (let round = 0; round < 10 && Atomics.load(flag, 0) === 1; round++) {
      ok += k.call('loop', path.length, 500);
      bad += k.read(200, 4).readUInt32LE(0);
      failed += k.read(204, 4).readUInt32LE(0);
    }
    Atomics.store(flag, 0, 2);
    for (let t = 0; Atomics.load(flag, 0) !== 3 && t < 3000; t++) await new Promise((r) => setTimeout(r, 10));
    const renames = Atomics.load(flag, 1);
    assert.is(bad, 0, `${bad} of ${ok} opens read a file outside the directory`);
    assert.ok(renames > 0 && ok > 0 && failed > 0, `not vacuous: ${renames} renames, ${ok} opens, ${failed} failed while b was away`);
    assert.ok(k.served() - served > BigInt(ok), 'ring 0 served the opens it could');
    console.log(`  (rename race: ${renames} rename pairs, ${ok} opens read root/f.txt, ${failed} failed, ${k.exits()} exits to user space)`);
  } finally {
    Atomics.store(flag, 0, 2);
    await w.terminate();
    k.close();
  }
});

export default test;
