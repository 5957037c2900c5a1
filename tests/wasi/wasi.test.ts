// The WASI class driven directly (no wasm code): memory as a WebAssembly.Memory,
// host functions called as an engine would call them (i32 as number, i64 as BigInt).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errno, WASI, WASI_FUNCTIONS, type WasmType } from '../../jit/wasi/index.js';
import { DIRENT, EVENT, FILESTAT, Rights, SUBSCRIPTION } from '../../jit/wasi/layout.js';
import { buildAll } from '../programs/build.js';
import { PROGRAMS } from '../programs/programs.js';
import { harness, RW } from './harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-wasi-unit-'));
const { setup, withDir, openFile } = harness(tmp);

test('one import per witx function, shaped like node:wasi', () => {
  const s = setup();
  assert.is(WASI_FUNCTIONS.length, 46);
  assert.equal(Object.keys(s.wasi.wasiImport).sort(), WASI_FUNCTIONS.map((f) => f.name).sort());
  assert.is(s.wasi.getImportObject().wasi_snapshot_preview1, s.wasi.wasiImport);
});

// Minimal reader of a module's type and import sections, to check the table
// against what clang + wasi-libc really import.
function importSignatures(bytes: Uint8Array): Map<string, string> {
  let p = 8;
  const u32 = (): number => { let r = 0, shift = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return r >>> 0; };
  const name = (): string => { const n = u32(); const s = Buffer.from(bytes.subarray(p, p + n)).toString(); p += n; return s; };
  const vt = (b: number): string => ({ 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' } as Record<number, string>)[b] ?? '?';
  const types: string[] = [];
  const out = new Map<string, string>();
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        p++; // 0x60
        const params = Array.from({ length: u32() }, () => vt(bytes[p++]));
        const results = Array.from({ length: u32() }, () => vt(bytes[p++]));
        types.push(`(${params.join(',')})->(${results.join(',')})`);
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const mod = name(); const field = name(); const kind = bytes[p++];
        if (kind !== 0) throw new Error('only function imports expected');
        const t = types[u32()];
        if (mod === 'wasi_snapshot_preview1') out.set(field, t);
      }
    }
    p = end;
  }
  return out;
}

test('the signature table matches the imports of every compiled test program', async () => {
  const built = await buildAll(PROGRAMS.map((p) => p.source));
  const table = new Map(WASI_FUNCTIONS.map((f) => [f.name, `(${f.params.join(',')})->(${(f.results as WasmType[]).join(',')})`]));
  const seen = new Set<string>();
  for (const path of built.values()) {
    for (const [name, sig] of importSignatures(readFileSync(path))) {
      assert.is(table.get(name), sig, name);
      seen.add(name);
    }
  }
  assert.ok(seen.size >= 35, `only ${seen.size} distinct imports exercised`);
});

test('memory is looked up on every call: after memory.grow the new pages are usable', () => {
  const s = setup({ args: ['prog', 'ünï'] });
  assert.is(s.call('args_sizes_get', 70000, 70004), Errno.FAULT); // beyond the single page
  s.memory.grow(1);
  assert.is(s.call('args_sizes_get', 70000, 70004), Errno.SUCCESS);
  assert.is(s.dv().getUint32(70000, true), 2);
  assert.is(s.dv().getUint32(70004, true), 5 + Buffer.byteLength('ünï') + 1);
  assert.is(s.call('args_get', 70100, 70200), Errno.SUCCESS);
  const second = s.dv().getUint32(70104, true);
  assert.is(Buffer.from(s.memory.buffer, second, Buffer.byteLength('ünï') + 1).toString(), 'ünï\0');
});

test('environ is NAME=VALUE strings', () => {
  const s = setup({ env: { A: '1', B: 'x=y' } });
  assert.is(s.call('environ_sizes_get', 0, 4), Errno.SUCCESS);
  assert.is(s.dv().getUint32(0, true), 2);
  assert.is(s.dv().getUint32(4, true), 4 + 6);
  assert.is(s.call('environ_get', 16, 64), Errno.SUCCESS);
  assert.is(Buffer.from(s.memory.buffer, 64, 10).toString(), 'A=1\0B=x=y\0');
});

test('preopens are fds 3.. with their guest names; fd_prestat_get on other fds is BADF', () => {
  const s = withDir();
  assert.is(s.call('fd_prestat_get', 3, 0), Errno.SUCCESS);
  assert.is(s.dv().getUint8(0), 0);
  assert.is(s.dv().getUint32(4, true), 5);
  assert.is(s.call('fd_prestat_dir_name', 3, 16, 2), Errno.NAMETOOLONG);
  assert.is(s.call('fd_prestat_dir_name', 3, 16, 5), Errno.SUCCESS);
  assert.is(Buffer.from(s.memory.buffer, 16, 5).toString(), '/data');
  assert.is(s.call('fd_prestat_get', 1, 0), Errno.BADF);
  assert.is(s.call('fd_prestat_get', 4, 0), Errno.BADF);
});

test('files: write, seek with a negative i64 (BigInt), tell, read, filestat', () => {
  const s = withDir();
  const fd = openFile(s, 'f.txt', 1 /* CREAT */, RW);
  const len = s.put(2000, 'hello ');
  s.put(2100, 'world');
  const iov = 3000;
  s.dv().setUint32(iov, 2000, true); s.dv().setUint32(iov + 4, len, true);
  s.dv().setUint32(iov + 8, 2100, true); s.dv().setUint32(iov + 12, 5, true);
  assert.is(s.call('fd_write', fd, iov, 2, 3100), Errno.SUCCESS);
  assert.is(s.dv().getUint32(3100, true), 11);
  assert.is(readFileSync(join(s.dir, 'f.txt'), 'utf8'), 'hello world');
  assert.is(s.call('fd_seek', fd, -5n, 2 /* END */, 3200), Errno.SUCCESS);
  assert.is(s.dv().getBigUint64(3200, true), 6n);
  assert.is(s.call('fd_seek', fd, -7n, 0 /* SET */, 3200), Errno.INVAL);
  assert.is(s.call('fd_seek', fd, 0n, 9, 3200), Errno.INVAL);
  assert.is(s.call('fd_tell', fd, 3208), Errno.SUCCESS);
  assert.is(s.dv().getBigUint64(3208, true), 6n);
  s.dv().setUint32(iov, 4000, true); s.dv().setUint32(iov + 4, 64, true);
  assert.is(s.call('fd_read', fd, iov, 1, 3100), Errno.SUCCESS);
  assert.is(s.dv().getUint32(3100, true), 5);
  assert.is(Buffer.from(s.memory.buffer, 4000, 5).toString(), 'world');
  assert.is(s.call('fd_filestat_get', fd, 5000), Errno.SUCCESS);
  assert.is(s.dv().getUint8(5000 + FILESTAT.filetype), 4);
  assert.is(s.dv().getBigUint64(5000 + FILESTAT.fileSize, true), 11n);
  assert.is(s.call('fd_close', fd), Errno.SUCCESS);
  assert.is(s.call('fd_close', fd), Errno.BADF);
});

test('rights: an fd opened read-only cannot write (NOTCAPABLE), rights can be dropped but not added', () => {
  const s = withDir();
  writeFileSync(join(s.dir, 'r.txt'), 'abc');
  const fd = openFile(s, 'r.txt', 0, Rights.FD_READ | Rights.FD_SEEK);
  s.dv().setUint32(3000, 2000, true); s.dv().setUint32(3004, 1, true);
  assert.is(s.call('fd_write', fd, 3000, 1, 3100), Errno.NOTCAPABLE);
  assert.is(s.call('fd_fdstat_set_rights', fd, Rights.FD_READ | Rights.FD_WRITE, 0n), Errno.NOTCAPABLE);
  assert.is(s.call('fd_fdstat_set_rights', fd, Rights.FD_SEEK, 0n), Errno.SUCCESS);
  assert.is(s.call('fd_read', fd, 3000, 1, 3100), Errno.NOTCAPABLE);
  assert.is(s.call('fd_fdstat_get', fd, 3200), Errno.SUCCESS);
  assert.is(s.dv().getBigUint64(3208, true), Rights.FD_SEEK);
  assert.is(readFileSync(join(s.dir, 'r.txt'), 'utf8'), 'abc');
});

test('fd_readdir: cookies continue a listing, a too-small buffer is filled completely', () => {
  const s = withDir();
  for (const n of ['alpha', 'beta', 'gamma']) writeFileSync(join(s.dir, n), '');
  mkdirSync(join(s.dir, 'sub'));
  const dirFd = openFile(s, '.', 2 /* DIRECTORY */, Rights.FD_READDIR);
  const parse = (buf: number, used: number): { name: string; next: bigint; type: number }[] => {
    const out = [];
    for (let p = buf; p + DIRENT.size <= buf + used;) {
      const namlen = s.dv().getUint32(p + DIRENT.namlen, true);
      if (p + DIRENT.size + namlen > buf + used) break;
      out.push({
        name: Buffer.from(s.memory.buffer, p + DIRENT.size, namlen).toString(),
        next: s.dv().getBigUint64(p + DIRENT.next, true), type: s.dv().getUint8(p + DIRENT.type),
      });
      p += DIRENT.size + namlen;
    }
    return out;
  };
  assert.is(s.call('fd_readdir', dirFd, 10000, 4096, 0n, 9000), Errno.SUCCESS);
  const all = parse(10000, s.dv().getUint32(9000, true));
  assert.equal(all.map((e) => e.name).sort(), ['.', '..', 'alpha', 'beta', 'gamma', 'sub']);
  assert.is(all.find((e) => e.name === 'sub')?.type, 3);
  assert.is(all.find((e) => e.name === 'beta')?.type, 4);
  // Resume after the third entry.
  assert.is(s.call('fd_readdir', dirFd, 20000, 4096, all[2].next, 9000), Errno.SUCCESS);
  assert.equal(parse(20000, s.dv().getUint32(9000, true)).map((e) => e.name), all.slice(3).map((e) => e.name));
  // 30 bytes: one whole "." entry (25 bytes) and 5 bytes of the next; bufused = buf_len says "more".
  assert.is(s.call('fd_readdir', dirFd, 30000, 30, 0n, 9000), Errno.SUCCESS);
  assert.is(s.dv().getUint32(9000, true), 30);
  assert.is(s.call('fd_readdir', 1, 30000, 30, 0n, 9000), Errno.NOTCAPABLE);
});

test('stdio options: stdout to a file (all iovecs, in order), stdin from a file', () => {
  const outPath = join(tmp, 'stdout.txt');
  const inPath = join(tmp, 'stdin.txt');
  writeFileSync(inPath, 'from stdin');
  const outFd = openSync(outPath, 'w');
  writeSync(outFd, 'kept:'); // the embedder already wrote: the shared offset is 5, not 0
  const inFd = openSync(inPath, 'r');
  try {
    const s = setup({ stdout: outFd, stdin: inFd });
    s.put(100, 'one,'); s.put(200, 'two');
    s.dv().setUint32(0, 100, true); s.dv().setUint32(4, 4, true);
    s.dv().setUint32(8, 200, true); s.dv().setUint32(12, 3, true);
    assert.is(s.call('fd_write', 1, 0, 2, 50), Errno.SUCCESS);
    assert.is(readFileSync(outPath, 'utf8'), 'kept:one,two');
    s.dv().setUint32(0, 300, true); s.dv().setUint32(4, 100, true);
    assert.is(s.call('fd_read', 0, 0, 1, 50), Errno.SUCCESS);
    assert.is(s.dv().getUint32(50, true), 10);
    assert.is(Buffer.from(s.memory.buffer, 300, 10).toString(), 'from stdin');
    assert.is(s.call('fd_read', 0, 0, 1, 50), Errno.SUCCESS);
    assert.is(s.dv().getUint32(50, true), 0); // end of file
    // stdio goes through the host fd's own (shared) offset, which we cannot seek.
    assert.is(s.call('fd_seek', 0, 0n, 0, 60), Errno.SPIPE);
  } finally {
    closeSync(outFd);
    closeSync(inFd);
  }
});

test('start(): returns the proc_exit code, 0 when _start returns; runs once; checks exports', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const w1 = new WASI();
  assert.is(w1.start({ exports: { memory, _start: () => w1.wasiImport.proc_exit(3) } }), 3);
  assert.throws(() => w1.start({ exports: { memory, _start: () => 0 } }), /already started/);
  assert.is(new WASI().start({ exports: { memory, _start: () => 0 } }), 0);
  assert.throws(() => new WASI().start({ exports: { memory } }), /_start/);
  assert.throws(() => new WASI().start({ exports: { _start: () => 0 } }), /memory/);
  const boom = new Error('guest trap');
  assert.throws(() => new WASI().start({ exports: { memory, _start: () => { throw boom; } } }), /guest trap/);
  let inits = 0;
  new WASI().initialize({ exports: { memory, _initialize: () => { inits++; } } });
  assert.is(inits, 1);
  assert.throws(() => new WASI().initialize({ exports: { memory, _start: () => 0 } }), /reactor/);
});

test('poll_oneoff: a relative clock sleeps; a bad fd is reported at once as an event error', () => {
  const s = setup();
  const sub = 0, ev = 1000;
  s.dv().setBigUint64(sub + SUBSCRIPTION.userdata, 42n, true);
  s.dv().setUint8(sub + SUBSCRIPTION.tag, 0);
  s.dv().setUint32(sub + SUBSCRIPTION.clockId, 1, true);
  s.dv().setBigUint64(sub + SUBSCRIPTION.clockTimeout, 15_000_000n, true);
  const t0 = process.hrtime.bigint();
  assert.is(s.call('poll_oneoff', sub, ev, 1, 2000), Errno.SUCCESS);
  assert.ok(process.hrtime.bigint() - t0 >= 15_000_000n);
  assert.is(s.dv().getUint32(2000, true), 1);
  assert.is(s.dv().getBigUint64(ev + EVENT.userdata, true), 42n);
  // Add an fd subscription on a closed fd: reported without sleeping.
  const sub2 = sub + SUBSCRIPTION.size;
  s.dv().setBigUint64(sub2 + SUBSCRIPTION.userdata, 7n, true);
  s.dv().setUint8(sub2 + SUBSCRIPTION.tag, 1);
  s.dv().setUint32(sub2 + SUBSCRIPTION.fd, 99, true);
  s.dv().setBigUint64(sub + SUBSCRIPTION.clockTimeout, 5_000_000_000n, true);
  const t1 = process.hrtime.bigint();
  assert.is(s.call('poll_oneoff', sub, ev, 2, 2000), Errno.SUCCESS);
  assert.ok(process.hrtime.bigint() - t1 < 2_000_000_000n);
  assert.is(s.dv().getUint32(2000, true), 1);
  assert.is(s.dv().getBigUint64(ev + EVENT.userdata, true), 7n);
  assert.is(s.dv().getUint16(ev + EVENT.error, true), Errno.BADF);
  assert.is(s.call('poll_oneoff', sub, ev, 0, 2000), Errno.INVAL);
});

test('path operations: mkdir, symlink (absolute target refused), readlink, rename, unlink, rmdir', () => {
  const s = withDir();
  const path = (p: string, at = 1000): [number, number] => [at, s.put(at, p)];
  assert.is(s.call('path_create_directory', 3, ...path('d')), Errno.SUCCESS);
  assert.is(s.call('path_create_directory', 3, ...path('d')), Errno.EXIST);
  assert.is(s.call('path_symlink', ...path('d', 2000), 3, ...path('ln')), Errno.SUCCESS);
  assert.is(s.call('path_symlink', ...path('/etc', 2000), 3, ...path('abs')), Errno.PERM);
  assert.is(s.call('path_readlink', 3, ...path('ln'), 3000, 64, 3100), Errno.SUCCESS);
  assert.is(Buffer.from(s.memory.buffer, 3000, s.dv().getUint32(3100, true)).toString(), 'd');
  assert.is(s.call('path_rename', 3, ...path('d'), 3, ...path('e', 2000)), Errno.SUCCESS);
  assert.is(s.call('path_unlink_file', 3, ...path('ln')), Errno.SUCCESS);
  assert.is(s.call('path_unlink_file', 3, ...path('e')), Errno.ISDIR);
  assert.is(s.call('path_remove_directory', 3, ...path('.')), Errno.INVAL);
  assert.is(s.call('path_remove_directory', 3, ...path('e')), Errno.SUCCESS);
  assert.equal(readdirSync(s.dir), []);
  assert.is(s.call('path_filestat_get', 3, 1, ...path('nothing'), 5000), Errno.NOENT);
  assert.is(s.call('path_create_directory', 1, ...path('x')), Errno.NOTDIR);
  assert.is(s.call('path_create_directory', 9, ...path('x')), Errno.BADF);
});

test('fd_allocate extends, set_size truncates, set_times sets, advise checks its argument, renumber moves', () => {
  const s = withDir();
  const fd = openFile(s, 'g', 1, RW | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_ADVISE
    | Rights.FD_FILESTAT_SET_TIMES | Rights.FD_SYNC | Rights.FD_DATASYNC);
  const size = (): number => readFileSync(join(s.dir, 'g')).length;
  assert.is(s.call('fd_allocate', fd, 10n, 90n), Errno.SUCCESS);
  assert.is(size(), 100);
  assert.is(s.call('fd_allocate', fd, 0n, 10n), Errno.SUCCESS);
  assert.is(size(), 100); // never shrinks
  assert.is(s.call('fd_filestat_set_size', fd, 7n), Errno.SUCCESS);
  assert.is(size(), 7);
  assert.is(s.call('fd_advise', fd, 0n, 0n, 2), Errno.SUCCESS);
  assert.is(s.call('fd_advise', fd, 0n, 0n, 6), Errno.INVAL);
  assert.is(s.call('fd_sync', fd), Errno.SUCCESS);
  assert.is(s.call('fd_datasync', fd), Errno.SUCCESS);
  // MTIM set to an exact time, atime left alone; ATIM together with ATIM_NOW is invalid.
  assert.is(s.call('fd_filestat_set_times', fd, 0n, 1_500_000_000_000_000_000n, 4), Errno.SUCCESS);
  assert.is(statSync(join(s.dir, 'g')).mtimeMs, 1_500_000_000_000);
  assert.is(s.call('fd_filestat_set_times', fd, 0n, 0n, 1 | 2), Errno.INVAL);
  const len = s.put(1000, 'g');
  assert.is(s.call('path_filestat_set_times', 3, 0, 1000, len, 0n, 1_600_000_000_000_000_000n, 4), Errno.SUCCESS);
  assert.is(statSync(join(s.dir, 'g')).mtimeMs, 1_600_000_000_000);
  const other = openFile(s, 'g', 0, Rights.FD_READ);
  assert.is(s.call('fd_renumber', fd, other), Errno.SUCCESS);
  assert.is(s.call('fd_tell', fd, 0), Errno.BADF);
  assert.is(s.call('fd_tell', other, 0), Errno.SUCCESS); // `other` now is the first fd, with its rights
  assert.is(s.call('fd_renumber', other, 55), Errno.BADF);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
