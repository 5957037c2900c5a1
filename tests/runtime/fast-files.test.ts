// The user-space fast path on files (jit/instance/native-wasi.ts, trampolines.ts serveOpen,
// serveFilestat, serveFdstat, serveClose, the pread op and fd_read's file variant): a read-only
// path_open of a regular file, fd_read, fd_pread, fd_filestat_get, fd_fdstat_get and fd_close are
// served natively — the new fd joins jit/wasi's table at the next call JS serves, a closed one
// leaves it, a position moved natively is the one JS sees (and the reverse) — and every answer,
// fd number and byte is the JS
// path's (the same scenario with KWASM_FAST_WASI=0), including what must stay in JS: escapes,
// absolute and escaping symlinks, O_NOFOLLOW on a link, directories, trailing slashes, creation,
// write rights.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wat } from '../jit/wat.js';
import { instantiateWasi } from './fast-wasi.js';
import { WASI, Errno } from '../../jit/wasi/index.js';
import { FILE_RIGHTS, Rights } from '../../jit/wasi/layout.js';
import { nativeWasiOf } from '../../jit/instance/native-wasi.js';
import * as api from '../../jit/instance/api.js';

const bytes = wat(`(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $tell (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "open") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $open (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)))
  (func (export "pread") (param i32 i32 i32 i64 i32) (result i32)
    (call $pread (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "read") (param i32 i32 i32 i32) (result i32) (call $read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "filestat") (param i32 i32) (result i32) (call $filestat (local.get 0) (local.get 1)))
  (func (export "fdstat") (param i32 i32) (result i32) (call $fdstat (local.get 0) (local.get 1)))
  (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "seek") (param i32 i64 i32 i32) (result i32) (call $seek (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "tell") (param i32 i32) (result i32) (call $tell (local.get 0) (local.get 1))))`);

type Fn = (...a: (number | bigint)[]) => number;
const PATH = 100, FD = 96, RES = 92, IOV = 1000, BUF = 2000, STAT = 3000;
const FOLLOW = 1, CREAT = 1;
/** what wasi-libc asks for in open(O_RDONLY) (no write right: the case served natively) */
const READ_ONLY = FILE_RIGHTS & ~(Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE);
const ALL = (1n << 64n) - 1n;

function tree(): string {
  const top = mkdtempSync(join(tmpdir(), 'kwasm-fast-files-'));
  const root = join(top, 'root');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(top, 'outside.txt'), 'outside the sandbox\n');
  writeFileSync(join(root, 'a.txt'), 'hello world\n');
  writeFileSync(join(root, 'sub', 'b.txt'), 'in sub\n');
  symlinkSync('a.txt', join(root, 'link-in'));
  symlinkSync('../a.txt', join(root, 'sub', 'link-up-in'));
  symlinkSync('../outside.txt', join(root, 'link-up'));
  symlinkSync(join(top, 'outside.txt'), join(root, 'link-abs'));
  return top;
}

async function scenario(fast: boolean, top: string): Promise<{ steps: unknown[]; hits: bigint | undefined }> {
  const fdsBefore = readdirSync('/proc/self/fd').length;
  const wasi = new WASI({ preopens: { '/r': join(top, 'root') } });
  const { store, inst } = instantiateWasi(bytes, wasi, fast);
  const ex = inst.exports as Record<string, Fn>;
  const mem = (): Buffer => Buffer.from((inst.exports['memory'] as { buffer: ArrayBuffer }).buffer);
  const steps: unknown[] = [];
  const n = nativeWasiOf(inst);
  assert.is(n?.active ?? false, fast);
  const hits0 = n?.hits ?? 0n;
  /** path_open from the preopen (fd 3): [errno, new fd or -1] */
  const open = (path: string, opts: { follow?: boolean; oflags?: number; base?: bigint } = {}): number => {
    mem().fill(0, PATH, PATH + 256);
    mem().write(path, PATH, 'latin1');
    mem().writeInt32LE(-1, FD);
    const e = ex['open']!(3, opts.follow === false ? 0 : FOLLOW, PATH, path.length, opts.oflags ?? 0, opts.base ?? READ_ONLY, ALL, 0, FD);
    const fd = mem().readInt32LE(FD);
    steps.push(['open', path, e, fd]);
    return fd;
  };
  const pread = (fd: number, len: number, at: bigint): void => {
    mem().writeUInt32LE(BUF, IOV); mem().writeUInt32LE(len, IOV + 4);
    const e = ex['pread']!(fd, IOV, 1, at, RES);
    steps.push(['pread', fd, at, e, e === 0 ? mem().toString('latin1', BUF, BUF + mem().readUInt32LE(RES)) : null]);
  };
  const read = (fd: number, len: number): void => {
    mem().writeUInt32LE(BUF, IOV); mem().writeUInt32LE(len, IOV + 4);
    const e = ex['read']!(fd, IOV, 1, RES);
    steps.push(['read', fd, e, e === 0 ? mem().toString('latin1', BUF, BUF + mem().readUInt32LE(RES)) : null]);
  };
  const filestat = (fd: number): void => {
    mem().fill(0xaa, STAT, STAT + 64);
    const e = ex['filestat']!(fd, STAT);
    // atim left out: the first run's reads move it (relatime) before the second run looks
    steps.push(['filestat', fd, e, mem().toString('hex', STAT, STAT + 40) + mem().toString('hex', STAT + 48, STAT + 64)]);
  };
  const fdstat = (fd: number): void => {
    mem().fill(0xaa, STAT, STAT + 24);
    const e = ex['fdstat']!(fd, STAT);
    steps.push(['fdstat', fd, e, mem().toString('hex', STAT, STAT + 24)]);
  };
  const close = (fd: number): void => { steps.push(['close', fd, ex['close']!(fd)]); };
  const tell = (fd: number): void => {
    const e = ex['tell']!(fd, RES);
    steps.push(['tell', fd, e, mem().readBigUInt64LE(RES)]);
  };
  const seek = (fd: number, to: bigint): void => { steps.push(['seek', fd, ex['seek']!(fd, to, 0, RES), mem().readBigUInt64LE(RES)]); };
  try {
    const a = open('a.txt');
    filestat(a);
    pread(a, 5, 6n);
    pread(a, 5, 100n);                   // past the end: 0 bytes
    fdstat(a);                            // path_open's rights (natively, from the stub's table)
    read(a, 5);                           // natively, from position 0
    read(a, 1);
    tell(a);                              // JS: the natively opened fd is in jit/wasi's table, at the position the stub moved (6)
    seek(a, 2n);                          // JS moves it; the stub reads from there
    read(a, 3);
    tell(a);
    const b = open('sub/b.txt');
    pread(b, 64, 0n);
    close(a);
    close(a);                             // BADF: gone from both tables
    open('sub/../a.txt');                 // takes a's number again
    open('sub/link-up-in');               // a link that stays inside
    const l = open('link-in');
    pread(l, 64, 0n);
    open('link-in', { follow: false });   // LOOP (JS)
    open('link-abs');                     // PERM: an absolute link (JS)
    open('link-up');                      // PERM: escapes (JS)
    open('../outside.txt');               // PERM (JS)
    open('/r/a.txt');                     // PERM: absolute (JS)
    open('missing');                      // NOENT (JS)
    open('a.txt/');                       // NOTDIR (JS)
    const d = open('sub');                // a directory: JS opens it
    fdstat(d);
    open('sub/b.txt', { base: READ_ONLY | Rights.FD_WRITE }); // a write right: JS
    open('new.txt', { oflags: CREAT });   // creation: JS
    filestat(d);                          // a directory: JS
    close(d);
    close(b);
    close(l);
    const hits = n === undefined ? undefined : n.hits - hits0;
    return { steps, hits };
  } finally {
    store.dispose();
    wasi.close();
    // every host fd the run opened (natively or in JS) is closed exactly once
    steps.push(['fds after', readdirSync('/proc/self/fd').length - fdsBefore]);
  }
}

test('path_open, fd_pread, fd_filestat_get and fd_close on files: served natively with the JS path\'s answers, fd numbers and bytes', async () => {
  const top = tree();
  try {
    const fast = await scenario(true, top);
    rmSync(join(top, 'root', 'new.txt'), { force: true });
    const js = await scenario(false, top);
    assert.equal(fast.steps, js.steps);
    const st = statSync(join(top, 'root', 'a.txt'), { bigint: true });
    const steps = js.steps as [string, ...unknown[]][];
    const errnos = steps.filter((s) => s[0] === 'open').map((s) => [s[1], s[2]]);
    assert.equal(errnos, [
      ['a.txt', Errno.SUCCESS], ['sub/b.txt', Errno.SUCCESS], ['sub/../a.txt', Errno.SUCCESS], ['sub/link-up-in', Errno.SUCCESS],
      ['link-in', Errno.SUCCESS], ['link-in', Errno.LOOP], ['link-abs', Errno.PERM], ['link-up', Errno.PERM],
      ['../outside.txt', Errno.PERM], ['/r/a.txt', Errno.PERM], ['missing', Errno.NOENT], ['a.txt/', Errno.NOTDIR],
      ['sub', Errno.SUCCESS], ['sub/b.txt', Errno.SUCCESS], ['new.txt', Errno.SUCCESS],
    ]);
    // the filestat a native fstat wrote: dev, ino, REGULAR_FILE, nlink, size, times in ns
    const fs = Buffer.from(steps[1]![3] as string, 'hex');
    assert.equal([fs.readBigUInt64LE(0), fs.readBigUInt64LE(8), fs.readUInt8(16), fs.readBigUInt64LE(24), fs.readBigUInt64LE(32), fs.readBigUInt64LE(40), fs.readBigUInt64LE(48)],
      [st.dev, st.ino, 4, st.nlink, st.size, st.mtimeNs, st.ctimeNs]);
    assert.equal(steps.filter((s) => s[0] === 'pread'), [['pread', 4, 6n, 0, 'world'], ['pread', 4, 100n, 0, ''], ['pread', 5, 0n, 0, 'in sub\n'], ['pread', 7, 0n, 0, 'hello world\n']]);
    assert.equal(steps.filter((s) => s[0] === 'read' || s[0] === 'tell' || s[0] === 'seek'),
      [['read', 4, 0, 'hello'], ['read', 4, 0, ' '], ['tell', 4, 0, 6n], ['seek', 4, 0, 2n], ['read', 4, 0, 'llo'], ['tell', 4, 0, 5n]]);
    assert.equal(steps.filter((s) => s[0] === 'close').map((s) => s[2]), [0, Errno.BADF, 0, 0, 0]);
    assert.equal(steps[steps.length - 1], ['fds after', 0]);
    // natively: 5 opens of regular files, 1 filestat, 4 preads, 3 reads, 2 fdstats (the file's and
    // the directory's), 4 closes (the BADF one, fd_tell, fd_seek and the directory's filestat are JS's)
    assert.is(fast.hits, 19n);
    assert.is(js.hits, undefined);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});


// wasi-libc's open() then fstat(): path_open and fd_filestat_get in one go, with no host call
// between (the stat path_open's own fstat took is reused: one syscall less per file an HTTP server
// serves), and the same with a host call between that changes the file (the stat must be fresh)
const pairBytes = wat(`(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
  (import "env" "poke" (func $poke))
  (memory (export "memory") 1)
  ;; path at 100 (length $len), new fd at 96, its filestat at 3000; errno of each call at 80/84
  (func $doOpen (param $len i32)
    (i32.store (i32.const 80) (call $open (i32.const 3) (i32.const 1) (i32.const 100) (local.get $len) (i32.const 0)
      (i64.const ${READ_ONLY}) (i64.const -1) (i32.const 0) (i32.const 96))))
  (func $stat (param $fd i32) (i32.store (i32.const 84) (call $filestat (local.get $fd) (i32.const 3000))))
  (func (export "openStat") (param $len i32) (call $doOpen (local.get $len)) (call $stat (i32.load (i32.const 96))))
  (func (export "openPokeStat") (param $len i32) (call $doOpen (local.get $len)) (call $poke) (call $stat (i32.load (i32.const 96))))
  ;; two opens, then the first one's filestat: the stat kept is the second file's
  (func (export "openOpenStat") (param $len i32) (local $first i32)
    (call $doOpen (local.get $len)) (local.set $first (i32.load (i32.const 96)))
    (call $doOpen (local.get $len)) (call $stat (local.get $first))))`);

async function pairScenario(fast: boolean, root: string): Promise<{ steps: unknown[]; reused: bigint | undefined }> {
  writeFileSync(join(root, 'f.txt'), 'twelve bytes');
  const wasi = new WASI({ preopens: { '/r': root } });
  if (!fast) process.env['KWASM_FAST_WASI'] = '0';
  const store = new api.Store();
  let inst: api.Instance;
  try {
    const imports = { ...wasi.getImportObject(), env: { poke: () => { appendFileSync(join(root, 'f.txt'), ' and more'); } } };
    inst = api.instantiate(api.compile(pairBytes), imports, store);
  } finally { delete process.env['KWASM_FAST_WASI']; }
  wasi.initialize(inst);
  const ex = inst.exports as Record<string, Fn>;
  const mem = (): Buffer => Buffer.from((inst.exports['memory'] as { buffer: ArrayBuffer }).buffer);
  mem().write('f.txt', 100, 'latin1');
  const steps: unknown[] = [];
  try {
    for (const f of ['openStat', 'openPokeStat', 'openOpenStat']) {
      mem().fill(0xaa, STAT, STAT + 64);
      ex[f]!(5);
      // errnos, the fd, and the filestat's size
      steps.push([f, mem().readUInt32LE(80), mem().readUInt32LE(84), mem().readUInt32LE(96), mem().readBigUInt64LE(STAT + 32)]);
    }
    return { steps, reused: fast ? nativeWasiOf(inst)!.statReused : undefined };
  } finally {
    store.dispose();
    wasi.close();
  }
}

test('open() then fstat(): the native path_open\'s stat answers the fd_filestat_get right after it, never across another host call', async () => {
  const top = mkdtempSync(join(tmpdir(), 'kwasm-fast-stat-'));
  try {
    const fast = await pairScenario(true, top);
    const js = await pairScenario(false, top);
    assert.equal(fast.steps, js.steps);
    // sizes: 12, then 21 after poke appended 9 bytes (a stale stat would say 12), then 21
    assert.equal(js.steps, [['openStat', 0, 0, 4, 12n], ['openPokeStat', 0, 0, 5, 21n], ['openOpenStat', 0, 0, 7, 21n]]);
    // only the first pair reuses the stat: poke is a host call between, and openOpenStat asks for another fd
    assert.is(fast.reused, 1n);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test.run();
