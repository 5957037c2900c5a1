// The user-space fd_write / fd_read fast path (jit/instance/native-wasi.ts, the fast stub in trampolines.ts): it is
// really taken for stream fds, and every answer (errno, nwritten, bytes on the fd) is the JS
// path's, including the cases that fall back to JS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants as C, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wat, fdWriteLoop } from '../jit/wat.js';
import * as api from '../../jit/instance/api.js';
import { WASI, Errno } from '../../jit/wasi/index.js';
import { nativeWasiOf, type NativeWasi } from '../../jit/instance/native-wasi.js';
import { native } from '../../jit/runtime/native.js';
import { SO_DATA, FAST_PAIRS } from '../../jit/runtime/so-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'kwasm-fastw-'));

// write(fd, iovs, n, nw) calls the import from wasm, so through vmctx.hostCallStub
const bytes = wat(`(module
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "read") (param i32 i32 i32 i32) (result i32)
    (call $fd_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "open") (param i32 i32 i32) (result i32)
    ;; dirfd, path, pathLen; create|trunc, rights fd_write, result fd at 4000
    (call $open (local.get 0) (i32.const 0) (local.get 1) (local.get 2) (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 4000))))`);

interface Run {
  write(fd: number, iovs: number, n: number, nw: number): number;
  read(fd: number, iovs: number, n: number, nr: number): number;
  close(fd: number): number;
  open(dirfd: number, path: number, len: number): number;
  mem: Buffer;
  fast: NativeWasi | undefined;
  out: string;
  dispose(): void;
}

let seq = 0;
function setup(fast: boolean, stdout?: number, stdinPath?: string): Run {
  const inFd = stdinPath === undefined ? undefined : openSync(stdinPath, 'r');
  const out = join(dir, `out${seq++}`);
  const outFd = stdout ?? openSync(out, 'w');
  const sub = join(dir, `d${seq++}`);
  mkdirSync(sub);
  const wasi = new WASI({ stdout: outFd, stdin: inFd, preopens: { '/d': sub } });
  const module = api.compile(bytes);
  const store = new api.Store();
  // the embedding API's own path: instantiate binds the native server unless KWASM_FAST_WASI=0
  if (!fast) process.env['KWASM_FAST_WASI'] = '0';
  let inst: api.Instance;
  try {
    inst = api.instantiate(module, wasi.getImportObject(), store);
  } finally { delete process.env['KWASM_FAST_WASI']; }
  const f = nativeWasiOf(inst);
  assert.is(f !== undefined, fast);
  wasi.initialize(inst);
  if (f) assert.ok(f.active, 'serving once initialize() bound the instance');
  const ex = inst.exports as Record<string, (...a: number[]) => number>;
  const memory = inst.exports['memory'] as { buffer: ArrayBuffer };
  return {
    write: ex['write']!, read: ex['read']!, close: ex['close']!, open: ex['open']!,
    get mem() { return Buffer.from(memory.buffer); },
    fast: f, out,
    dispose() { store.dispose(); if (stdout === undefined) closeSync(outFd); if (inFd !== undefined) closeSync(inFd); },
  };
}

/** iovecs at IOV for the strings placed from STR; returns [iovs, count]. */
const IOV = 10000, STR = 20000;
function iovecs(r: Run, parts: string[]): [number, number] {
  const m = r.mem;
  let at = STR;
  parts.forEach((p, i) => {
    m.write(p, at);
    m.writeUInt32LE(at, IOV + 8 * i);
    m.writeUInt32LE(Buffer.byteLength(p), IOV + 8 * i + 4);
    at += Buffer.byteLength(p);
  });
  return [IOV, parts.length];
}

/** The same sequence on the fast path and on the JS path: results and output must match. */
function both(scenario: (r: Run) => unknown[], stdinPath?: string): { fast: unknown[]; js: unknown[]; hits: bigint; outFast: Buffer; outJs: Buffer } {
  const f = setup(true, undefined, stdinPath), j = setup(false, undefined, stdinPath);
  try {
    const fast = scenario(f), js = scenario(j);
    return { fast, js, hits: f.fast!.hits, outFast: readFileSync(f.out), outJs: readFileSync(j.out) };
  } finally { f.dispose(); j.dispose(); }
}

test('stdout writes are served natively, with the JS path\'s bytes and nwritten', () => {
  const r = both((x) => {
    const [iov, n] = iovecs(x, ['hello ', '', 'world\n']);
    const res = [x.write(1, iov, n, 3000), x.mem.readUInt32LE(3000)];
    res.push(x.write(1, iov, 0, 3000), x.mem.readUInt32LE(3000)); // no iovecs: 0 bytes, success
    return res;
  });
  assert.equal(r.fast, [0, 12, 0, 0]);
  assert.equal(r.fast, r.js);
  assert.is(r.hits, 2n);
  assert.is(r.outFast.toString(), 'hello world\n');
  assert.equal(r.outFast, r.outJs);
});

test('a closed fd, a bad iovec and a bad nwritten pointer fall back to JS and get its answers', () => {
  const r = both((x) => {
    const [iov, n] = iovecs(x, ['abc']);
    const bad = x.write(7, iov, n, 3000);                     // not open: EBADF
    x.mem.writeUInt32LE(65534, IOV);                            // buf + len past the end: EFAULT
    const fault = x.write(1, iov, n, 3000);
    iovecs(x, ['xyz']);
    const nwOut = x.write(1, iov, n, 65535);                   // JS writes, then faults on nwritten
    const arrOut = x.write(1, 65532, 1, 3000);                 // the iovec array itself outside
    return [bad, fault, nwOut, arrOut];
  });
  assert.equal(r.fast, [Errno.BADF, Errno.FAULT, Errno.FAULT, Errno.FAULT]);
  assert.equal(r.fast, r.js);
  assert.is(r.hits, 0n);
  assert.equal(r.outFast, r.outJs);
});

test('a huge iovec count goes to JS: many small iovecs are written in order, more than IOV_MAX is INVAL', () => {
  const parts = Array.from({ length: 300 }, (_, i) => String.fromCharCode(97 + (i % 26)));
  const r = both((x) => {
    const [iov, n] = iovecs(x, parts);
    const ok = [x.write(1, iov, n, 3000), x.mem.readUInt32LE(3000)];
    return [...ok, x.write(1, iov, 0x7fffffff, 3000)];
  });
  assert.equal(r.fast, [0, 300, Errno.INVAL]); // 0x7fffffff iovecs: over IOV_MAX, refused before any is read
  assert.equal(r.fast, r.js);
  assert.is(r.hits, 0n);
  assert.is(r.outFast.toString(), parts.join(''));
  assert.equal(r.outFast, r.outJs);
});

test('after fd_close(1) the fd is not written natively, and a file reopened as fd 1 goes through JS', () => {
  const f = setup(true);
  try {
    const [iov, n] = iovecs(f, ['one\n']);
    assert.is(f.write(1, iov, n, 3000), 0);
    assert.is(f.fast!.hits, 1n);
    assert.is(f.close(1), 0);
    assert.is(f.write(1, iov, n, 3000), Errno.BADF);
    f.mem.write('x.txt', 3100);
    assert.is(f.open(3, 3100, 5), 0);
    assert.is(f.mem.readUInt32LE(4000), 1, 'lowest free fd reused');
    iovecs(f, ['file\n']);
    assert.is(f.write(1, iov, n, 3000), 0);
    assert.is(f.write(1, iov, n, 3000), 0);
    assert.is(f.fast!.hits, 1n, 'fd 1 is a file now: positions are kept in JS');
    assert.is(readFileSync(f.out).toString(), 'one\n');
  } finally { f.dispose(); }
});

test('stdin reads are served natively: one read per buffer, a short one ends the call, as jit/wasi', () => {
  const input = join(dir, 'input');
  writeFileSync(input, 'hello world\n');
  const iov = (x: Run, lens: number[]): number => {
    lens.forEach((n, i) => { x.mem.writeUInt32LE(STR + 100 * i, IOV + 8 * i); x.mem.writeUInt32LE(n, IOV + 8 * i + 4); });
    return lens.length;
  };
  const r = both((x) => {
    x.mem.fill(0, STR, STR + 400);
    const a = [x.read(0, IOV, iov(x, [3, 0, 100, 5]), 3000), x.mem.readUInt32LE(3000)];
    const got = [x.mem.toString('latin1', STR, STR + 3), x.mem.toString('latin1', STR + 200, STR + 209), x.mem[STR + 300]];
    const eof = [x.read(0, IOV, iov(x, [4]), 3000), x.mem.readUInt32LE(3000)];
    const bad = [x.read(9, IOV, 1, 3000), x.read(0, IOV, 0x7fffffff, 3000), x.read(1 << 20, IOV, 1, 3000)];
    x.mem.writeUInt32LE(65535, IOV);
    bad.push(x.read(0, IOV, 1, 3000));
    return [...a, ...got, ...eof, ...bad];
  }, input);
  assert.equal(r.fast, [0, 12, 'hel', 'lo world\n', 0, 0, 0, Errno.BADF, Errno.INVAL, Errno.BADF, Errno.FAULT]);
  assert.equal(r.fast, r.js);
  assert.is(r.hits, 2n);
});

test('a full non-blocking pipe: EAGAIN is waited on in poll(2) and short writes continue natively until all is written', async () => {
  const fifo = join(dir, 'fifo'), got = join(dir, 'fifo.out');
  execFileSync('mkfifo', [fifo]);
  // O_RDWR: opening does not wait for a reader; O_NONBLOCK: the 64 KiB pipe fills -> EAGAIN
  const fd = openSync(fifo, C.O_RDWR | C.O_NONBLOCK);
  const reader = spawn('sh', ['-c', `sleep 0.3; exec head -c ${32 * 32768} "${fifo}" > "${got}"`], { stdio: 'ignore' });
  const done = new Promise((res) => reader.on('close', res));
  const f = setup(true, fd);
  try {
    const m = f.mem;
    for (let i = 0; i < 32768; i++) m[STR + i] = 97 + (i % 26);
    for (let i = 0; i < 32; i++) { m.writeUInt32LE(STR, IOV + 8 * i); m.writeUInt32LE(32768, IOV + 8 * i + 4); }
    assert.is(f.write(1, IOV, 32, 3000), 0);
    assert.is(f.mem.readUInt32LE(3000), 32 * 32768);
    assert.is(f.fast!.hits, 1n);
  } finally { f.dispose(); }
  await done;
  closeSync(fd);
  const out = readFileSync(got);
  assert.is(out.length, 32 * 32768);
  assert.ok(out.every((b, i) => b === 97 + ((i % 32768) % 26)));
});

// A command through the package's embedding API exactly as the README shows it (compile,
// new WASI, instantiate(module, wasi.getImportObject()), wasi.start): its fd_write calls never
// reach JavaScript. jit/wasi calls every FdMirror after each call it serves that may move a
// position, so a mirror counting those is a count of JS-served fd_write calls.
const WRITES = 200;
const command = fdWriteLoop(WRITES);

async function embedded(): Promise<{ jsWrites: number; out: string; hits: bigint | undefined }> {
  const kwasm = await import('../../jit/index.js');
  const out = join(dir, `embedded${seq++}`);
  const fd = openSync(out, 'w');
  const store = new kwasm.Store();
  try {
    const wasi = new kwasm.WASI({ args: ['cmd'], stdout: fd });
    let jsWrites = 0;
    wasi.addMirror({ positions: true, push: (call) => { if (call.name === 'fd_write') jsWrites++; } });
    const instance = kwasm.instantiate(kwasm.compile(command), wasi.getImportObject(), store);
    assert.is(wasi.start(instance), 0);
    return { jsWrites, out: readFileSync(out, 'latin1'), hits: nativeWasiOf(instance)?.hits };
  } finally { store.dispose(); closeSync(fd); }
}

test('the embedding API (README example shape) serves fd_write natively: no call reaches JS', async () => {
  const r = await embedded();
  assert.is(r.out, 'line\n'.repeat(WRITES));
  assert.is(r.jsWrites, 0);
  assert.is(r.hits, BigInt(WRITES));
  // the same program with the native path off: every write is served in JS (the count is real)
  process.env['KWASM_FAST_WASI'] = '0';
  try {
    const off = await embedded();
    assert.is(off.out, r.out);
    assert.is(off.jsWrites, WRITES);
    assert.is(off.hits, undefined);
  } finally { delete process.env['KWASM_FAST_WASI']; }
});

test('a wrapped WASI function is the embedder\'s own host function: always called, never served natively', () => {
  const wasi = new WASI({});
  let calls = 0;
  const write = wasi.wasiImport['fd_write']!;
  const imports = { wasi_snapshot_preview1: { ...wasi.wasiImport, fd_write: (...a: unknown[]) => { calls++; return write(...a); } } };
  const store = new api.Store();
  try {
    const inst = api.instantiate(api.compile(bytes), imports, store);
    wasi.initialize(inst);
    const n = nativeWasiOf(inst);
    assert.ok(n?.active, 'fd_read (unwrapped) is still native');
    const ex = inst.exports as Record<string, (...a: number[]) => number>;
    assert.is(ex['write']!(1, 0, 0, 3000), 0);
    assert.is(calls, 1);
    assert.is(n?.hits, 0n);
  } finally { store.dispose(); }
});

test('before start()/initialize() nothing is served natively: JS answers (an error there), as without the path', () => {
  const wasi = new WASI({});
  const store = new api.Store();
  try {
    const inst = api.instantiate(api.compile(bytes), wasi.getImportObject(), store);
    const n = nativeWasiOf(inst);
    assert.is(n?.active, false);
    const ex = inst.exports as Record<string, (...a: number[]) => number>;
    assert.throws(() => ex['write']!(1, 0, 0, 3000), /start\(\) or initialize\(\) was not called/);
    assert.is(n?.hits, 0n);
  } finally { store.dispose(); }
});

/** Rss of our mapping starting at `start`, less any transparent huge pages (which say nothing of 4 KiB touches). */
function rssSmallPages(start: bigint): number {
  const blocks = readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  const b = blocks.find((x) => BigInt('0x' + x.slice(0, x.indexOf('-'))) === start);
  assert.ok(b, 'the fast table mapping');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(b!)![1]);
  return (kb('Rss') - kb('AnonHugePages')) * 1024;
}

test('a new fast table touches only the pages of the fds it mirrors (no zero fills over a fresh mapping)', () => {
  const d = native().data;
  const pairs = (): bigint[] => Array.from({ length: FAST_PAIRS }, (_, i) => d.readBigUInt64LE(SO_DATA.fastPairs + 16 * i + 8));
  const before = new Set(pairs().filter((t) => t !== 0n));
  const r = setup(true);
  try {
    const table = pairs().find((t) => t !== 0n && !before.has(t));
    assert.ok(table !== undefined);
    // header + fds, fd bits and errno map, and per mirrored fd (0-3) its rights, inheriting, fdstat
    // and position words: 6 pages; the zero fills of setFds made it 13 (40 KB more)
    const rss = rssSmallPages(table!);
    assert.ok(rss <= 7 * 4096, `fast table resident: ${rss / 1024} KB`);
    // still every fd the table mirrors, and the JS path's answers (first test) for a write
    const [iov, n] = iovecs(r, ['x']);
    assert.is(r.write(1, iov, n, 3000), 0);
    assert.is(r.fast!.hits, 1n);
  } finally { r.dispose(); }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
