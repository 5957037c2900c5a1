// Path semantics the public wasi-testsuite checks (issue #16.1), on the WASI class:
// nanosecond times that leave the other time alone, POSIX's trailing-slash rules,
// path_open of directories and the rights O_TRUNC needs. Each test names the
// wasi-testsuite programs (tests/rust/wasm32-wasip1/src/bin/*.rs) it follows.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Errno, errnoName } from '../../jit/wasi/index.js';
import { DIRENT, FDSTAT, FILESTAT, Fstflags, Lookupflags, Oflags, Rights } from '../../jit/wasi/layout.js';
import { harness, RW, type Setup } from './harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-wasi-paths-'));
const { withDir, openFile } = harness(tmp);

const PATH = 1000, PATH2 = 1400, OUT = 900, STAT = 2000;
const FOLLOW = Lookupflags.SYMLINK_FOLLOW;
// Times with nanoseconds that microseconds cannot hold.
const A = 1_600_000_000_123_456_789n, M = 1_700_000_000_987_654_321n;

/** Errno names, so that a failure says "NOENT" rather than 44. */
function is(actual: number, ...expected: number[]): void {
  assert.ok(expected.includes(actual), `got ${errnoName(actual)}, expected ${expected.map(errnoName).join(' or ')}`);
}

/** The call with `path` (and `path2`) written to memory and passed as (ptr, len) pairs in place of '$1'/'$2'. */
function call(s: Setup, name: string, ...args: (number | bigint | string)[]): number {
  const raw: (number | bigint)[] = [];
  for (const a of args) {
    if (typeof a !== 'string') { raw.push(a); continue; }
    const at = raw.includes(PATH) ? PATH2 : PATH;
    raw.push(at, s.put(at, a));
  }
  return s.call(name, ...raw);
}

function open(s: Setup, path: string, oflags: number, base: bigint, dirflags = 0, inheriting = 0n): number {
  return call(s, 'path_open', 3, dirflags, path, oflags, base, inheriting, 0, OUT);
}

function times(s: Setup): { atim: bigint; mtim: bigint } {
  return { atim: s.dv().getBigUint64(STAT + FILESTAT.atim, true), mtim: s.dv().getBigUint64(STAT + FILESTAT.mtim, true) };
}

function pathTimes(s: Setup, path: string, flags = 0): { atim: bigint; mtim: bigint } {
  is(call(s, 'path_filestat_get', 3, flags, path, STAT), Errno.SUCCESS);
  return times(s);
}

test('fd_filestat_set_times: nanoseconds kept, the time not asked for left alone, *_NOW (fd_filestat_set, fstflags_validate)', () => {
  const s = withDir();
  const fd = openFile(s, 'f', Oflags.CREAT, RW | Rights.FD_FILESTAT_SET_TIMES);
  is(s.call('fd_filestat_set_times', fd, A, M, Fstflags.ATIM | Fstflags.MTIM), Errno.SUCCESS);
  is(s.call('fd_filestat_get', fd, STAT), Errno.SUCCESS);
  assert.equal(times(s), { atim: A, mtim: M });
  assert.is(lstatSync(join(s.dir, 'f'), { bigint: true }).mtimeNs, M);
  is(s.call('fd_filestat_set_times', fd, 0n, M - 100n, Fstflags.MTIM), Errno.SUCCESS);
  is(s.call('fd_filestat_get', fd, STAT), Errno.SUCCESS);
  assert.equal(times(s), { atim: A, mtim: M - 100n });
  is(s.call('fd_filestat_set_times', fd, 0n, 0n, Fstflags.ATIM_NOW), Errno.SUCCESS);
  is(s.call('fd_filestat_get', fd, STAT), Errno.SUCCESS);
  assert.is(times(s).mtim, M - 100n);
  assert.ok(times(s).atim > M, 'ATIM_NOW is now');
  is(s.call('fd_filestat_set_times', fd, 100n, 200n, Fstflags.MTIM | Fstflags.MTIM_NOW), Errno.INVAL);
  is(s.call('fd_filestat_set_times', fd, 100n, 200n, Fstflags.ATIM | Fstflags.ATIM_NOW), Errno.INVAL);
  is(s.call('fd_filestat_get', fd, STAT), Errno.SUCCESS);
  assert.is(times(s).mtim, M - 100n, 'a refused call changes nothing');
});

test('path_filestat_set_times: on a symlink itself without SYMLINK_FOLLOW, on its target with it, in nanoseconds (path_filestat, symlink_filestat)', () => {
  const s = withDir();
  writeFileSync(join(s.dir, 'file'), 'x');
  symlinkSync('file', join(s.dir, 'ln'));
  is(call(s, 'path_filestat_set_times', 3, 0, 'file', A, M, Fstflags.ATIM | Fstflags.MTIM), Errno.SUCCESS);
  assert.equal(pathTimes(s, 'file'), { atim: A, mtim: M });
  is(call(s, 'path_filestat_set_times', 3, 0, 'ln', 0n, M - 200n, Fstflags.MTIM), Errno.SUCCESS);
  assert.is(pathTimes(s, 'ln').mtim, M - 200n);
  assert.is(lstatSync(join(s.dir, 'ln'), { bigint: true }).mtimeNs, M - 200n);
  assert.equal(pathTimes(s, 'file'), { atim: A, mtim: M }, 'the target is untouched');
  assert.equal(pathTimes(s, 'ln', FOLLOW), { atim: A, mtim: M });
  is(call(s, 'path_filestat_set_times', 3, FOLLOW, 'ln', 0n, M + 300n, Fstflags.MTIM), Errno.SUCCESS);
  assert.equal(pathTimes(s, 'file'), { atim: A, mtim: M + 300n });
  assert.is(pathTimes(s, 'ln').mtim, M - 200n, 'the link is untouched');
  is(call(s, 'path_filestat_set_times', 3, 0, 'file', 0n, 1n, Fstflags.MTIM | Fstflags.MTIM_NOW), Errno.INVAL);
  is(call(s, 'path_filestat_set_times', 3, 0, 'file', 0n, 1n, Fstflags.ATIM | Fstflags.ATIM_NOW), Errno.INVAL);
  assert.equal(pathTimes(s, 'file'), { atim: A, mtim: M + 300n });
});

test('a new name ending in `/` must be a directory: path_link and path_symlink give NOENT and create nothing (path_link, path_symlink_trailing_slashes)', () => {
  const s = withDir();
  writeFileSync(join(s.dir, 'file'), 'x');
  is(call(s, 'path_link', 3, 0, 'file', 3, 'link/'), Errno.NOENT);
  is(call(s, 'path_symlink', 'source', 3, 'target/'), Errno.NOENT);
  assert.not.ok(existsSync(join(s.dir, 'link')) || existsSync(join(s.dir, 'target')));
  is(call(s, 'path_create_directory', 3, 'target'), Errno.SUCCESS);
  is(call(s, 'path_symlink', 'source', 3, 'target/'), Errno.EXIST);
  is(call(s, 'path_symlink', 'source', 3, 'target'), Errno.EXIST);
  is(call(s, 'path_link', 3, 0, 'file', 3, 'target'), Errno.EXIST);
  is(call(s, 'path_symlink', 'source', 3, 'file/'), Errno.NOTDIR, Errno.EXIST);
  is(call(s, 'path_link', 3, 0, 'target', 3, 'dirlink'), Errno.PERM, Errno.ACCES);
  is(call(s, 'path_link', 3, 0, 'file/', 3, 'x'), Errno.NOTDIR);
  is(call(s, 'path_link', 3, 0, 'file', 3, 'hard'), Errno.SUCCESS);
  assert.is(lstatSync(join(s.dir, 'file')).nlink, 2);
});

test('trailing slashes on the other path calls follow POSIX (unlink_file_, remove_directory_, path_rename_dir_trailing_slashes, interesting_paths)', () => {
  const s = withDir();
  writeFileSync(join(s.dir, 'file'), 'x');
  is(call(s, 'path_create_directory', 3, 'dir/'), Errno.SUCCESS);
  is(call(s, 'path_create_directory', 3, 'dir/nested'), Errno.SUCCESS);
  writeFileSync(join(s.dir, 'dir', 'nested', 'file'), 'deep');
  is(call(s, 'path_unlink_file', 3, 'dir'), Errno.ISDIR);
  is(call(s, 'path_unlink_file', 3, 'dir/'), Errno.ISDIR);
  is(call(s, 'path_unlink_file', 3, 'file/'), Errno.NOTDIR);
  is(call(s, 'path_remove_directory', 3, 'file'), Errno.NOTDIR);
  is(call(s, 'path_remove_directory', 3, 'file/'), Errno.NOTDIR);
  is(open(s, 'file/', 0, 0n), Errno.NOTDIR);
  is(open(s, 'dir/nested/file///', 0, 0n), Errno.NOTDIR);
  is(call(s, 'path_filestat_get', 3, 0, 'file/', STAT), Errno.NOTDIR);
  is(open(s, 'new/', Oflags.CREAT, RW), Errno.ISDIR);
  assert.not.ok(existsSync(join(s.dir, 'new')));
  is(open(s, 'dir/nested///', 0, 0n), Errno.SUCCESS);
  is(open(s, 'dir/.//nested/../../dir/nested/../nested///./file', 0, 0n), Errno.SUCCESS);
  is(open(s, 'dir/nested/../../../dir/nested/file', 0, 0n), Errno.PERM);
  is(call(s, 'path_rename', 3, 'dir/', 3, 'moved'), Errno.SUCCESS);
  is(call(s, 'path_rename', 3, 'moved', 3, 'dir/'), Errno.SUCCESS);
  is(call(s, 'path_rename', 3, 'dir/', 3, 'moved/'), Errno.SUCCESS);
  is(call(s, 'path_rename', 3, 'file', 3, 'other/'), Errno.NOTDIR);
  is(call(s, 'path_remove_directory', 3, 'moved/'), Errno.NOTEMPTY);
  is(call(s, 'path_unlink_file', 3, 'moved/nested/file'), Errno.SUCCESS);
  is(call(s, 'path_remove_directory', 3, 'moved/nested/'), Errno.SUCCESS);
  is(call(s, 'path_remove_directory', 3, 'moved/'), Errno.SUCCESS);
  assert.not.ok(existsSync(join(s.dir, 'moved')));
});

test('path_open of a directory: its own rights (FD_DATASYNC included) open it read-only; FD_WRITE is ISDIR (path_open_preopen)', () => {
  const s = withDir();
  is(s.call('fd_fdstat_get', 3, STAT), Errno.SUCCESS);
  const base = s.dv().getBigUint64(STAT + FDSTAT.rightsBase, true);
  const inheriting = s.dv().getBigUint64(STAT + FDSTAT.rightsInheriting, true);
  assert.ok((base & Rights.FD_DATASYNC) !== 0n);
  is(open(s, '.', 0, base, 0, inheriting), Errno.SUCCESS);
  is(open(s, '.', 0, 0n), Errno.SUCCESS);
  is(open(s, '.', Oflags.DIRECTORY, 0n), Errno.SUCCESS);
  is(open(s, '.', Oflags.DIRECTORY, Rights.FD_READ), Errno.SUCCESS);
  is(open(s, '.', Oflags.DIRECTORY, Rights.FD_READ | Rights.FD_WRITE), Errno.ISDIR);
  is(open(s, '.', 0, Rights.FD_WRITE), Errno.ISDIR);
  // A directory cannot be created or truncated through path_open (wasmtime: INVAL).
  is(open(s, 'sub', Oflags.DIRECTORY | Oflags.CREAT, 0n), Errno.INVAL);
  assert.not.ok(existsSync(join(s.dir, 'sub')));
});

test('path_open with O_TRUNC needs PATH_FILESTAT_SET_SIZE on the directory: NOTCAPABLE without it (truncation_rights)', () => {
  const s = withDir();
  writeFileSync(join(s.dir, 'file'), 'content');
  is(open(s, 'file', Oflags.TRUNC, 0n), Errno.SUCCESS);
  assert.is(readFileSync(join(s.dir, 'file'), 'utf8'), '');
  writeFileSync(join(s.dir, 'file'), 'content');
  is(s.call('fd_fdstat_get', 3, STAT), Errno.SUCCESS);
  const base = s.dv().getBigUint64(STAT + FDSTAT.rightsBase, true);
  const inheriting = s.dv().getBigUint64(STAT + FDSTAT.rightsInheriting, true);
  is(s.call('fd_fdstat_set_rights', 3, base & ~Rights.PATH_FILESTAT_SET_SIZE, inheriting), Errno.SUCCESS);
  is(open(s, 'file', Oflags.TRUNC, 0n), Errno.NOTCAPABLE);
  is(open(s, 'file', Oflags.TRUNC, RW), Errno.NOTCAPABLE);
  assert.is(readFileSync(join(s.dir, 'file'), 'utf8'), 'content');
  is(open(s, 'file', 0, RW), Errno.SUCCESS);
});

test('a final symlink: LOOP (or NOTDIR with O_DIRECTORY) without SYMLINK_FOLLOW, walked with it (nofollow_errors, dangling_symlink)', () => {
  const s = withDir();
  is(call(s, 'path_create_directory', 3, 'target'), Errno.SUCCESS);
  is(call(s, 'path_symlink', 'target', 3, 'symlink'), Errno.SUCCESS);
  is(open(s, 'symlink', Oflags.DIRECTORY, 0n), Errno.LOOP, Errno.NOTDIR);
  is(open(s, 'symlink', 0, 0n), Errno.LOOP);
  is(open(s, 'symlink', Oflags.DIRECTORY, 0n, FOLLOW), Errno.SUCCESS);
  is(open(s, 'symlink/', 0, 0n), Errno.SUCCESS);
  is(call(s, 'path_symlink', 'missing', 3, 'dangling'), Errno.SUCCESS);
  is(open(s, 'dangling', 0, 0n), Errno.LOOP);
  is(open(s, 'dangling', Oflags.DIRECTORY, 0n), Errno.LOOP, Errno.NOTDIR);
  is(open(s, 'dangling', 0, 0n, FOLLOW), Errno.NOENT);
  is(open(s, 'dangling', Oflags.CREAT | Oflags.EXCL, RW, FOLLOW), Errno.EXIST);
  is(open(s, 'dangling', Oflags.CREAT, RW, FOLLOW), Errno.SUCCESS);
  assert.ok(lstatSync(join(s.dir, 'missing')).isFile(), 'created where the link points');
  is(call(s, 'path_link', 3, FOLLOW, 'symlink', 3, 'x'), Errno.PERM, Errno.ACCES);
  is(call(s, 'path_readlink', 3, 'symlink', 3000, 64, OUT), Errno.SUCCESS);
  assert.is(Buffer.from(s.memory.buffer, 3000, s.dv().getUint32(OUT, true)).toString(), 'target');
  is(call(s, 'path_readlink', 3, 'symlink/', 3000, 64, OUT), Errno.INVAL);
  is(call(s, 'path_readlink', 3, 'target', 3000, 64, OUT), Errno.INVAL);
});

test('fd_readdir lists the directory the fd was opened on, even after its name was swapped for a symlink out of the grant', () => {
  const s = withDir();
  const outside = mkdtempSync(join(tmp, 'outside-'));
  writeFileSync(join(outside, 'secret'), 'x');
  mkdirSync(join(s.dir, 'd'));
  writeFileSync(join(s.dir, 'd', 'mine'), 'x');
  const fd = openFile(s, 'd', Oflags.DIRECTORY, Rights.FD_READDIR);
  renameSync(join(s.dir, 'd'), join(s.dir, 'moved'));
  symlinkSync(join(outside), join(s.dir, 'd'));
  is(s.call('fd_readdir', fd, 10000, 4096, 0n, OUT), Errno.SUCCESS);
  const used = s.dv().getUint32(OUT, true);
  const names: string[] = [];
  for (let p = 10000; p + DIRENT.size <= 10000 + used;) {
    const namlen = s.dv().getUint32(p + DIRENT.namlen, true);
    names.push(Buffer.from(s.memory.buffer, p + DIRENT.size, namlen).toString());
    p += DIRENT.size + namlen;
  }
  assert.equal(names.sort(), ['.', '..', 'mine']);
});

test('a trailing slash never makes the kernel follow a symlink out of the grant', () => {
  const s = withDir();
  const outside = mkdtempSync(join(tmp, 'outside-'));
  mkdirSync(join(outside, 'sub'));
  writeFileSync(join(outside, 'secret'), 'x');
  const before = readdirSync(outside).sort();
  symlinkSync(outside, join(s.dir, 'abs'));
  symlinkSync(join('..', basename(outside)), join(s.dir, 'rel'));
  writeFileSync(join(s.dir, 'file'), 'x');
  mkdirSync(join(s.dir, 'dir'));
  for (const link of ['abs', 'rel', 'abs/sub', 'rel/sub']) {
    const denied = (e: number): boolean => e !== Errno.SUCCESS;
    const slash = `${link}/`;
    for (const [what, errno] of [
      ['path_create_directory', call(s, 'path_create_directory', 3, `${slash}new`)],
      ['path_create_directory /', call(s, 'path_create_directory', 3, slash)],
      ['path_remove_directory', call(s, 'path_remove_directory', 3, slash)],
      ['path_unlink_file', call(s, 'path_unlink_file', 3, slash)],
      ['path_rename from', call(s, 'path_rename', 3, slash, 3, 'moved')],
      ['path_rename onto', call(s, 'path_rename', 3, 'dir', 3, slash)],
      ['path_symlink', call(s, 'path_symlink', 'file', 3, slash)],
      ['path_link', call(s, 'path_link', 3, 0, 'file', 3, slash)],
      ['path_link from', call(s, 'path_link', 3, 0, slash, 3, 'hard')],
      ['path_filestat_get', call(s, 'path_filestat_get', 3, 0, slash, STAT)],
      ['path_filestat_set_times', call(s, 'path_filestat_set_times', 3, 0, slash, 0n, 0n, Fstflags.MTIM)],
      ['path_readlink', call(s, 'path_readlink', 3, slash, 3000, 64, OUT)],
      ['path_open', open(s, slash, 0, 0n)],
      ['path_open creat', open(s, `${slash}created`, Oflags.CREAT, RW)],
    ] as const) {
      assert.ok(denied(errno), `${what} ${slash}: ${errnoName(errno)}`);
    }
  }
  assert.equal(readdirSync(outside).sort(), before);
  assert.ok(lstatSync(join(s.dir, 'abs')).isSymbolicLink() && lstatSync(join(s.dir, 'rel')).isSymbolicLink());
  assert.ok(lstatSync(join(s.dir, 'dir')).isDirectory());
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test('a path is its UTF-8 as written: a leading U+FEFF stays part of the name (no BOM stripped), bad UTF-8 is ILSEQ', () => {
  const s = withDir();
  is(call(s, 'path_create_directory', 3, '\ufeffbom'), Errno.SUCCESS);
  assert.equal(readdirSync(s.dir), ['\ufeffbom'], 'the name the guest gave, not "bom"');
  openFile(s, '\ufeffbom/\ufefff', Oflags.CREAT, RW);
  assert.ok(existsSync(join(s.dir, '\ufeffbom', '\ufefff')));
  is(call(s, 'path_open', 3, 0, 'bom', 0, RW, 0n, 0, OUT), Errno.NOENT);
  const bad = Uint8Array.of(0x61, 0xff, 0x62);
  is(s.call('path_create_directory', 3, PATH, s.put(PATH, bad)), Errno.ILSEQ);
});

test.run();
