// Host-side: kernel-loader/kernel-wasi.ts keeps a kernel fd table in step with jit/wasi's, here
// against a fake device standing in for kwasm.ko's SET_FDS/GET_FDS/SET_ARGS (the VM stage runs
// it against the real one: tests/kernel/guest/wasi.guest.ts). What it must do: hand over argv,
// environ and the table at LOAD; before user space serves a call, take the kernel's file
// positions and close (host fd included) what the kernel's fd_close removed; after it, push only
// when jit/wasi's table changed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fstatSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelWasi } from '../../kernel-loader/kernel-wasi.js';
import { FdEntryFlag, FdKindCode, type KernelFdEntry, type KwasmDevice } from '../../kernel-loader/ioctl.js';
import { WASI, Errno } from '../../jit/wasi/index.js';
import { Filetype } from '../../jit/wasi/layout.js';

class FakeDevice {
  table: KernelFdEntry[] = [];
  sets = 0;
  args: Uint8Array[] = [];
  env: Uint8Array[] = [];
  setFds(entries: readonly KernelFdEntry[]): void { this.table = entries.map((e) => ({ ...e })); this.sets++; }
  getFds(): { entries: KernelFdEntry[]; served: bigint } { return { entries: this.table.map((e) => ({ ...e })), served: 0n }; }
  setArgs(args: readonly Uint8Array[], env: readonly Uint8Array[]): void { this.args = [...args]; this.env = [...env]; }
  closed = false;
  private hooks: (() => void)[] = [];
  beforeClose(fn: () => void): void { this.hooks.push(fn); }
  /** as KwasmDevice: hooks first, then the fd is gone and GET_FDS fails with EBADF */
  close(): void {
    for (const fn of this.hooks.splice(0)) fn();
    this.closed = true;
    this.getFds = () => { throw new Error('kwasm get fds: errno 9'); };
  }
}

function setup(): { wasi: WASI; kw: KernelWasi; dev: FakeDevice; call: (name: string, ...a: unknown[]) => number; mem: DataView; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-kwasi-'));
  writeFileSync(join(dir, 'f.txt'), 'hello');
  const wasi = new WASI({ args: ['prog', 'x'], env: { A: 'b' }, preopens: { '/sandbox': dir } });
  const memory = { buffer: new ArrayBuffer(65536) };
  wasi.initialize({ exports: { memory } });
  const kw = new KernelWasi(wasi);
  const dev = new FakeDevice();
  kw.attach(dev as unknown as KwasmDevice);
  const ns = kw.importObject().wasi_snapshot_preview1 as Record<string, (...a: unknown[]) => number>;
  const call = (name: string, ...a: unknown[]): number => (ns[name] as (...a: unknown[]) => number)(...a);
  return { wasi, kw, dev, call, mem: new DataView(memory.buffer), dir };
}

function open(call: (name: string, ...a: unknown[]) => number, mem: DataView): number {
  new Uint8Array(mem.buffer).set(Buffer.from('f.txt'), 256);
  assert.is(call('path_open', 3, 0, 256, 5, 0, -1n, -1n, 0, 16), Errno.SUCCESS);
  return mem.getUint32(16, true);
}

test('LOAD hands over argv, environ and the table (stdio, the preopen)', () => {
  const { dev, wasi } = setup();
  assert.equal(dev.args.map((b) => Buffer.from(b).toString()), ['prog\0', 'x\0']);
  assert.equal(dev.env.map((b) => Buffer.from(b).toString()), ['A=b\0']);
  // stdio is whatever this process was given: a pipe or tty is a stream, a socketpair (node's
  // child_process 'pipe', as under tests/run.ts) a socket entry the kernel serves as one
  const stdio = (fd: number): number => (wasi.wasiState.fds.get(fd).filetype === Filetype.SOCKET_STREAM ? FdKindCode.socket : FdKindCode.stream);
  assert.equal(dev.table.map((e) => [e.fd, e.kind]), [[0, stdio(0)], [1, stdio(1)], [2, stdio(2)], [3, FdKindCode.dir]]);
  assert.equal(dev.table.map((e) => e.hostFd).slice(0, 3), [0, 1, 2]);
  assert.is(dev.table[3]?.hostFd, wasi.wasiState.fds.get(3).hostFd);
  wasi.close();
});

test('path_open in user space is pushed; a call that changes nothing pushes nothing', () => {
  const { dev, call, mem, wasi } = setup();
  const sets = dev.sets;
  const fd = open(call, mem);
  assert.is(dev.sets, sets + 1);
  const e = dev.table.find((x) => x.fd === fd);
  assert.ok(e);
  assert.equal([e.kind, e.filetype, e.position, e.hostFd], [FdKindCode.file, 4, 0n, wasi.wasiState.fds.get(fd).hostFd]);
  assert.is(call('fd_prestat_get', 3, 64), Errno.SUCCESS);
  assert.is(dev.sets, sets + 1, 'nothing changed: no SET_FDS');
  assert.is(call('fd_fdstat_set_flags', fd, 1), Errno.SUCCESS);
  assert.is(dev.sets, sets + 2);
  assert.is(dev.table.find((x) => x.fd === fd)?.fdflags, 1);
  wasi.close();
});

test('the kernel\'s positions reach jit/wasi; what the kernel closed is closed in user space (host fd too) and its number reused', () => {
  const { dev, call, mem, wasi } = setup();
  const fd = open(call, mem);
  const hostFd = wasi.wasiState.fds.get(fd).hostFd;
  // the kernel read 3 bytes: its entry's position moved
  (dev.table.find((x) => x.fd === fd) as KernelFdEntry).position = 3n;
  assert.is(call('fd_tell', fd, 32), Errno.SUCCESS); // served here after the pull
  assert.is(mem.getBigUint64(32, true), 3n);
  // the kernel's fd_close removed it
  dev.table = dev.table.filter((x) => x.fd !== fd);
  assert.is(call('fd_close', fd), Errno.BADF, 'user space sees it closed, as user mode would');
  assert.not.ok(wasi.wasiState.fds.has(fd));
  assert.throws(() => fstatSync(hostFd), /EBADF/);
  assert.is(open(call, mem), fd, 'the lowest free number again');
  wasi.close();
});

test('a file the kernel\'s path_open made is adopted with its rights; closed and reopened at the same fd and host fd with other rights, it is a new entry', () => {
  const { dev, call, wasi, dir } = setup();
  const hostFd = openSync(join(dir, 'f.txt'), 'r');
  const base = { fd: 4, hostFd, kind: FdKindCode.file, filetype: 4, fdflags: 0, eflags: FdEntryFlag.CLOSE_HOST, position: 0n };
  dev.table.push({ ...base, rightsBase: 0x6n, rightsInheriting: 0n }); // FD_READ | FD_SEEK
  assert.is(call('fd_fdstat_get', 4, 64), Errno.SUCCESS); // user space pulls first
  const e = wasi.wasiState.fds.get(4);
  assert.equal([e.kind, e.hostFd, e.ownsHostFd, e.rightsBase, e.flags], ['file', hostFd, true, 0x6n, 0]);
  assert.is(call('fd_filestat_get', 4, 64), Errno.NOTCAPABLE, 'the kernel\'s rights, not more');
  // ring 0 closed it (host fd included) and opened another file on the same numbers, with FD_FILESTAT_GET
  dev.table = dev.table.filter((x) => x.fd !== 4);
  dev.table.push({ ...base, rightsBase: 0x200006n, rightsInheriting: 0n });
  assert.is(call('fd_filestat_get', 4, 64), Errno.SUCCESS, 'the new entry\'s rights');
  assert.ok(fstatSync(hostFd), 'the old entry did not close the host fd the kernel reused');
  assert.is(wasi.wasiState.fds.get(4).rightsBase, 0x200006n);
  wasi.close();
  assert.throws(() => fstatSync(hostFd), /EBADF/, 'the adopted file is ours to close');
});

test('a stdio entry the kernel closed loses only its wasm fd (the host fd is not ours); finish() pulls once more', () => {
  const { dev, kw, call, wasi } = setup();
  dev.table = dev.table.filter((x) => x.fd !== 1);
  kw.finish();
  assert.not.ok(wasi.wasiState.fds.has(1));
  assert.ok(fstatSync(1));
  assert.is(call('fd_fdstat_get', 1, 64), Errno.BADF);
  wasi.close();
});

test('closing the instance (its device) first does the final pull; WASI.close() after it touches no closed device', () => {
  const { dev, wasi } = setup();
  dev.table = dev.table.filter((x) => x.fd !== 1); // stdout closed in ring 0
  dev.close();
  assert.not.ok(wasi.wasiState.fds.has(1), 'the pull at close saw the kernel close fd 1');
  wasi.close(); // pulls every mirror first: must not reach the closed device
  assert.ok(fstatSync(1), 'the host stdout was not ours to close');
});

test.run();
