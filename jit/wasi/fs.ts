// fd_* and path_* host functions. Every function returns an errno; failures
// are thrown (WasiError, or a Node SystemError carrying the host errno) and
// turned into errno values by WASI.call() in index.ts.

import { closeSync, constants as C, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, type BigIntStats } from 'node:fs';
import * as at from './at.js';
import type { CallContext } from './context.js';
import { Errno, fail } from './errno.js';
import { type DirListingEntry, type FdEntry, filetypeOf } from './fd-table.js';
import { readOnce, writeAll } from './io.js';
import {
  ADVICE_MAX, DIR_RIGHTS, DIRENT, Fdflags, FDSTAT, FILE_RIGHTS, FILESTAT, Filetype, Fstflags, Lookupflags,
  Oflags, PREOPENTYPE_DIR, PREOPENTYPE_SOCKET, PRESTAT, Rights, STREAM_RIGHTS, Whence,
} from './layout.js';
import type { GuestMemory } from './memory.js';
import { checkPathSyntax, closeQuietly, type NameAt, withWalk } from './sandbox.js';

const OK = Errno.SUCCESS;
const R = Rights;

function writeFilestat(mem: GuestMemory, ptr: number, st: BigIntStats): void {
  mem.slice(ptr, FILESTAT.size).fill(0);
  mem.u64(ptr + FILESTAT.dev, st.dev);
  mem.u64(ptr + FILESTAT.ino, st.ino);
  mem.u8(ptr + FILESTAT.filetype, filetypeOf(st));
  mem.u64(ptr + FILESTAT.nlink, st.nlink);
  mem.u64(ptr + FILESTAT.fileSize, st.size);
  mem.u64(ptr + FILESTAT.atim, st.atimeNs);
  mem.u64(ptr + FILESTAT.mtim, st.mtimeNs);
  mem.u64(ptr + FILESTAT.ctim, st.ctimeNs);
}

function hostStat(e: FdEntry): BigIntStats {
  return fstatSync(e.hostFd, { bigint: true });
}

/** Files only: streams and sockets cannot seek (ESPIPE), directories have no offset (EBADF). */
function requireFile(e: FdEntry): void {
  if (e.kind === 'stream' || e.kind === 'socket') fail(Errno.SPIPE);
  if (e.kind === 'dir') fail(Errno.BADF);
}

function maxSafe(v: bigint): bigint {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(Errno.FBIG);
  return v;
}

function pathArg(ctx: CallContext, ptr: number, len: number): string {
  return ctx.mem.string(ptr, len);
}

/**
 * atime and mtime for a *_set_times call: nanoseconds as given, UTIME_NOW for *_NOW,
 * and UTIME_OMIT for a time not asked for, which the kernel then leaves alone.
 */
function newTimes(flags: number, atim: bigint, mtim: bigint): [at.Timespec, at.Timespec] {
  if ((flags & Fstflags.ATIM && flags & Fstflags.ATIM_NOW) || (flags & Fstflags.MTIM && flags & Fstflags.MTIM_NOW)) {
    fail(Errno.INVAL);
  }
  if (flags & ~(Fstflags.ATIM | Fstflags.ATIM_NOW | Fstflags.MTIM | Fstflags.MTIM_NOW)) fail(Errno.INVAL);
  const pick = (set: number, setNow: number, v: bigint): at.Timespec => {
    if (flags & setNow) return { sec: 0n, nsec: at.UTIME_NOW };
    if (flags & set) return { sec: v / 1_000_000_000n, nsec: v % 1_000_000_000n };
    return { sec: 0n, nsec: at.UTIME_OMIT };
  };
  return [pick(Fstflags.ATIM, Fstflags.ATIM_NOW, atim), pick(Fstflags.MTIM, Fstflags.MTIM_NOW, mtim)];
}

// ---- fd_* ---------------------------------------------------------------

export function fd_read(ctx: CallContext, fd: number, iovs: number, iovsLen: number, nreadPtr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_READ);
  let total = 0;
  for (const buf of ctx.mem.iovecs(iovs, iovsLen)) {
    if (buf.length === 0) continue;
    const n = readOnce(ctx, e, buf, e.kind === 'file' ? e.position : null, total);
    if (e.kind === 'file') e.position += BigInt(n);
    total += n;
    if (n < buf.length) break; // a short read: more would block on a pipe
  }
  ctx.mem.u32(nreadPtr, total);
  return OK;
}

export function fd_pread(ctx: CallContext, fd: number, iovs: number, iovsLen: number, offset: bigint, nreadPtr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_READ | R.FD_SEEK);
  requireFile(e);
  let total = 0;
  for (const buf of ctx.mem.iovecs(iovs, iovsLen)) {
    if (buf.length === 0) continue;
    const n = readOnce(ctx, e, buf, maxSafe(offset + BigInt(total)));
    total += n;
    if (n < buf.length) break;
  }
  ctx.mem.u32(nreadPtr, total);
  return OK;
}

export function fd_write(ctx: CallContext, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_WRITE);
  let total = 0;
  if (e.kind === 'file' && e.flags & Fdflags.APPEND) e.position = hostStat(e).size;
  for (const buf of ctx.mem.iovecs(iovs, iovsLen)) {
    if (buf.length === 0) continue;
    if (e.kind === 'file') {
      total += writeAll(ctx, e, buf, maxSafe(e.position));
      e.position += BigInt(buf.length);
    } else {
      const n = writeAll(ctx, e, buf, null, total);
      total += n;
      if (n < buf.length) break; // a non-blocking stream is full
    }
  }
  ctx.mem.u32(nwrittenPtr, total);
  return OK;
}

export function fd_pwrite(ctx: CallContext, fd: number, iovs: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_WRITE | R.FD_SEEK);
  requireFile(e);
  let total = 0;
  for (const buf of ctx.mem.iovecs(iovs, iovsLen)) {
    total += writeAll(ctx, e, buf, maxSafe(offset + BigInt(total)));
  }
  ctx.mem.u32(nwrittenPtr, total);
  return OK;
}

export function fd_seek(ctx: CallContext, fd: number, delta: bigint, whence: number, newOffsetPtr: number): number {
  const e = ctx.state.fds.get(fd);
  requireFile(e);
  const signed = BigInt.asIntN(64, delta);
  // Asking for the position only (CUR + 0) needs FD_TELL, anything else FD_SEEK.
  ctx.state.fds.get(fd, whence === Whence.CUR && signed === 0n ? R.FD_TELL : R.FD_SEEK);
  let base: bigint;
  if (whence === Whence.SET) base = 0n;
  else if (whence === Whence.CUR) base = e.position;
  else if (whence === Whence.END) base = hostStat(e).size;
  else return fail(Errno.INVAL);
  const pos = base + signed;
  if (pos < 0n) fail(Errno.INVAL);
  ctx.mem.u64(newOffsetPtr, pos);
  e.position = pos;
  return OK;
}

export function fd_tell(ctx: CallContext, fd: number, offsetPtr: number): number {
  const e = ctx.state.fds.get(fd);
  requireFile(e);
  ctx.state.fds.get(fd, R.FD_TELL);
  ctx.mem.u64(offsetPtr, e.position);
  return OK;
}

export function fd_close(ctx: CallContext, fd: number): number {
  ctx.state.fds.close(fd);
  return OK;
}

export function fd_renumber(ctx: CallContext, from: number, to: number): number {
  ctx.state.fds.renumber(from, to);
  return OK;
}

export function fd_datasync(ctx: CallContext, fd: number): number {
  fdatasyncSync(ctx.state.fds.get(fd, R.FD_DATASYNC).hostFd);
  return OK;
}

export function fd_sync(ctx: CallContext, fd: number): number {
  fsyncSync(ctx.state.fds.get(fd, R.FD_SYNC).hostFd);
  return OK;
}

/** Advice is a hint that POSIX lets us ignore (Node has no posix_fadvise); arguments are still checked. */
export function fd_advise(ctx: CallContext, fd: number, _offset: bigint, _len: bigint, advice: number): number {
  const e = ctx.state.fds.get(fd, R.FD_ADVISE);
  requireFile(e);
  if (advice > ADVICE_MAX) fail(Errno.INVAL);
  return OK;
}

/** posix_fallocate semantics: afterwards the file is at least offset+len long. */
export function fd_allocate(ctx: CallContext, fd: number, offset: bigint, len: bigint): number {
  const e = ctx.state.fds.get(fd, R.FD_ALLOCATE);
  requireFile(e);
  if (len === 0n) fail(Errno.INVAL);
  const end = maxSafe(offset + len);
  if (hostStat(e).size < end) ftruncateSync(e.hostFd, Number(end));
  return OK;
}

export function fd_fdstat_get(ctx: CallContext, fd: number, ptr: number): number {
  const e = ctx.state.fds.get(fd);
  const mem = ctx.mem;
  mem.slice(ptr, FDSTAT.size).fill(0);
  mem.u8(ptr + FDSTAT.filetype, e.filetype);
  mem.u16(ptr + FDSTAT.flags, e.flags);
  mem.u64(ptr + FDSTAT.rightsBase, e.rightsBase);
  mem.u64(ptr + FDSTAT.rightsInheriting, e.rightsInheriting);
  return OK;
}

/** APPEND and NONBLOCK may change; the sync flags are fixed at open (Node has no fcntl). */
export function fd_fdstat_set_flags(ctx: CallContext, fd: number, flags: number): number {
  const e = ctx.state.fds.get(fd, R.FD_FDSTAT_SET_FLAGS);
  const fixed = Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC;
  if ((flags & fixed) !== (e.flags & fixed)) fail(Errno.NOTSUP);
  if (flags & ~(fixed | Fdflags.APPEND | Fdflags.NONBLOCK)) fail(Errno.INVAL);
  e.flags = flags;
  return OK;
}

/** Rights can only be dropped. */
export function fd_fdstat_set_rights(ctx: CallContext, fd: number, base: bigint, inheriting: bigint): number {
  const e = ctx.state.fds.get(fd);
  if ((base & ~e.rightsBase) !== 0n || (inheriting & ~e.rightsInheriting) !== 0n) fail(Errno.NOTCAPABLE);
  e.rightsBase = base;
  e.rightsInheriting = inheriting;
  return OK;
}

export function fd_filestat_get(ctx: CallContext, fd: number, ptr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_FILESTAT_GET);
  writeFilestat(ctx.mem, ptr, hostStat(e));
  return OK;
}

export function fd_filestat_set_size(ctx: CallContext, fd: number, size: bigint): number {
  const e = ctx.state.fds.get(fd, R.FD_FILESTAT_SET_SIZE);
  if (e.kind !== 'file') fail(Errno.INVAL);
  ftruncateSync(e.hostFd, Number(maxSafe(size)));
  return OK;
}

export function fd_filestat_set_times(ctx: CallContext, fd: number, atim: bigint, mtim: bigint, flags: number): number {
  const e = ctx.state.fds.get(fd, R.FD_FILESTAT_SET_TIMES);
  const [a, m] = newTimes(flags, atim, mtim);
  at.futimens(e.hostFd, a, m);
  return OK;
}

export function fd_prestat_get(ctx: CallContext, fd: number, ptr: number): number {
  const e = ctx.state.fds.get(fd);
  // wasi-libc scans fds from 3 until EBADF to find the preopens; listeners come first (layout.ts).
  if (e.kind === 'socket') {
    ctx.mem.u8(ptr + PRESTAT.tag, PREOPENTYPE_SOCKET);
    ctx.mem.u32(ptr + PRESTAT.nameLen, 0);
    return OK;
  }
  if (e.preopenName === undefined) fail(Errno.BADF);
  ctx.mem.u8(ptr + PRESTAT.tag, PREOPENTYPE_DIR);
  ctx.mem.u32(ptr + PRESTAT.nameLen, Buffer.byteLength(e.preopenName));
  return OK;
}

export function fd_prestat_dir_name(ctx: CallContext, fd: number, ptr: number, len: number): number {
  const e = ctx.state.fds.get(fd);
  if (e.preopenName === undefined) fail(Errno.BADF);
  const name = Buffer.from(e.preopenName);
  if (len < name.length) fail(Errno.NAMETOOLONG);
  ctx.mem.slice(ptr, name.length).set(name);
  return OK;
}

/** WASI file types by getdents64's DT_* (FIFOs have none, as in filetypeOf). */
const FILETYPE_OF_DT: ReadonlyMap<number, number> = new Map([
  [at.DT.REG, Filetype.REGULAR_FILE], [at.DT.DIR, Filetype.DIRECTORY], [at.DT.LNK, Filetype.SYMBOLIC_LINK],
  [at.DT.CHR, Filetype.CHARACTER_DEVICE], [at.DT.BLK, Filetype.BLOCK_DEVICE], [at.DT.SOCK, Filetype.SOCKET_STREAM],
]);

/** Bounds the listing a guest can make the host hold for one directory fd. */
const MAX_LISTING = 1 << 20;

/** The directory's entries, read through its fd (see at.readDirectory), never by its path. */
function listDirectory(e: FdEntry): DirListingEntry[] {
  return at.readDirectory(e.hostFd, MAX_LISTING).map((d) => ({
    name: d.name, ino: d.ino,
    type: FILETYPE_OF_DT.get(d.type) ?? (d.type === at.DT.UNKNOWN ? typeAt(e.hostFd, d.name) : Filetype.UNKNOWN),
  }));
}

/** For a file system that does not fill in d_type: the entry's type through the directory fd. */
function typeAt(dir: number, name: string): number {
  let fd: number;
  try {
    fd = at.openat(dir, name, at.O_PATH | C.O_NOFOLLOW);
  } catch {
    return Filetype.UNKNOWN; // removed meanwhile
  }
  try {
    return filetypeOf(fstatSync(fd));
  } finally {
    closeSync(fd);
  }
}

/**
 * Fills `buf` with dirents starting after `cookie` (cookie n = entry index n);
 * the last entry may be cut short, which tells the caller to call again with
 * a bigger buffer, as the witx describes.
 */
export function fd_readdir(ctx: CallContext, fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number): number {
  const e = ctx.state.fds.get(fd, R.FD_READDIR);
  if (e.kind !== 'dir') fail(Errno.NOTDIR);
  if (cookie === 0n || e.listing === undefined) e.listing = listDirectory(e);
  const out = ctx.mem.slice(buf, bufLen);
  let used = 0;
  for (let i = Number(cookie); i < e.listing.length && used < bufLen; i++) {
    const ent = e.listing[i];
    const name = Buffer.from(ent.name);
    const rec = Buffer.alloc(DIRENT.size + name.length);
    rec.writeBigUInt64LE(BigInt(i + 1), DIRENT.next);
    rec.writeBigUInt64LE(ent.ino, DIRENT.ino);
    rec.writeUInt32LE(name.length, DIRENT.namlen);
    rec.writeUInt8(ent.type, DIRENT.type);
    name.copy(rec, DIRENT.size);
    const n = Math.min(rec.length, bufLen - used);
    out.set(rec.subarray(0, n), used);
    used += n;
  }
  ctx.mem.u32(bufusedPtr, used);
  return OK;
}

// ---- path_* -------------------------------------------------------------
// Each resolves its path with a sandbox.ts walk from the directory's host fd and
// acts on the final name relative to the walk's last directory fd (see there).

export function path_create_directory(ctx: CallContext, fd: number, pathPtr: number, pathLen: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_CREATE_DIRECTORY);
  withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => {
    const n = w.name();
    at.mkdirat(n.dir, n.name);
  });
  return OK;
}

export function path_filestat_get(ctx: CallContext, fd: number, flags: number, pathPtr: number, pathLen: number, ptr: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_FILESTAT_GET);
  const st = withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => w.stat((flags & Lookupflags.SYMLINK_FOLLOW) !== 0));
  writeFilestat(ctx.mem, ptr, st);
  return OK;
}

export function path_filestat_set_times(ctx: CallContext, fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fst: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_FILESTAT_SET_TIMES);
  const [a, m] = newTimes(fst, atim, mtim);
  withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => {
    // The final object as an O_PATH fd (a symlink itself when not followed), then
    // utimensat on that fd: nothing is looked up by name after the walk.
    const { fd: target } = w.open(at.O_PATH, 0, (flags & Lookupflags.SYMLINK_FOLLOW) !== 0);
    try {
      at.utimensat(target, '', a, m, at.AT.EMPTY_PATH);
    } finally {
      closeSync(target);
    }
  });
  return OK;
}

export function path_link(ctx: CallContext, oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
  const od = ctx.state.fds.dir(oldFd, R.PATH_LINK_SOURCE);
  const nd = ctx.state.fds.dir(newFd, R.PATH_LINK_TARGET);
  const oldPath = pathArg(ctx, oldPtr, oldLen);
  const newPath = pathArg(ctx, newPtr, newLen);
  withWalk(od, oldPath, (o) => {
    const old = o.final((oldFlags & Lookupflags.SYMLINK_FOLLOW) !== 0);
    // `dir/` names a directory, which cannot be hard-linked (or fails as the kernel says).
    if (o.mustBeDir) {
      requireDirectory(old);
      fail(Errno.PERM, 'hard link to a directory');
    }
    withWalk(nd, newPath, (w) => {
      const n = w.name();
      at.linkat(old.dir, old.name, n.dir, n.name, 0);
    });
  });
  return OK;
}

/**
 * Host open(2) access mode from the rights asked for, as wasi-libc derives them from
 * O_ACCMODE. FD_DATASYNC is not among the writing rights: fdatasync works on a
 * read-only fd, and directories carry it (a directory opened with its own rights
 * must not be opened for writing, which the host refuses with EISDIR).
 */
function accessMode(base: bigint): number {
  const read = (base & (R.FD_READ | R.FD_READDIR)) !== 0n;
  const write = (base & (R.FD_WRITE | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE)) !== 0n;
  if (read && write) return C.O_RDWR;
  return write ? C.O_WRONLY : C.O_RDONLY;
}

/** Host open(2) flags for a path_open's oflags and fdflags. */
function openFlags(oflags: number, base: bigint, fdflags: number): number {
  let flags = accessMode(base);
  if (oflags & Oflags.DIRECTORY) flags |= C.O_DIRECTORY;
  if (oflags & Oflags.CREAT) flags |= C.O_CREAT;
  if (oflags & Oflags.EXCL) flags |= C.O_EXCL;
  if (oflags & Oflags.TRUNC) flags |= C.O_TRUNC;
  if (fdflags & Fdflags.DSYNC) flags |= C.O_DSYNC;
  if (fdflags & (Fdflags.SYNC | Fdflags.RSYNC)) flags |= C.O_SYNC;
  if (fdflags & Fdflags.NONBLOCK) flags |= C.O_NONBLOCK;
  return flags;
}

export function path_open(
  ctx: CallContext, fd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number,
  base: bigint, inheriting: bigint, fdflags: number, fdPtr: number,
): number {
  const fds = ctx.state.fds;
  // Creating needs PATH_CREATE_FILE and truncating PATH_FILESTAT_SET_SIZE on the directory.
  const d = fds.dir(fd, R.PATH_OPEN | (oflags & Oflags.CREAT ? R.PATH_CREATE_FILE : 0n)
    | (oflags & Oflags.TRUNC ? R.PATH_FILESTAT_SET_SIZE : 0n));
  // A directory cannot be created, exclusively or not, nor truncated (wasmtime: INVAL).
  if (oflags & Oflags.DIRECTORY && oflags & (Oflags.CREAT | Oflags.EXCL | Oflags.TRUNC)) fail(Errno.INVAL);
  const path = pathArg(ctx, pathPtr, pathLen);
  ctx.mem.slice(fdPtr, 4); // a bad result pointer must fail before a host fd is opened
  const opened = withWalk(d, path, (w) => w.open(openFlags(oflags, base, fdflags), 0o666, (dirflags & Lookupflags.SYMLINK_FOLLOW) !== 0));
  let entry: FdEntry;
  try {
    const st = fstatSync(opened.fd);
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'stream';
    const allowed = kind === 'dir' ? DIR_RIGHTS : kind === 'file' ? FILE_RIGHTS : STREAM_RIGHTS;
    entry = {
      kind, hostFd: opened.fd, ownsHostFd: true, filetype: filetypeOf(st),
      rightsBase: base & d.rightsInheriting & allowed,
      rightsInheriting: inheriting & d.rightsInheriting,
      flags: fdflags & (Fdflags.APPEND | Fdflags.NONBLOCK | Fdflags.DSYNC | Fdflags.SYNC | Fdflags.RSYNC),
      position: 0n, hostPath: opened.hostPath,
    };
  } catch (e) {
    closeQuietly(opened.fd);
    throw e;
  }
  ctx.mem.u32(fdPtr, fds.add(entry));
  return OK;
}

/** NOTDIR (or NOENT, ...) unless `n` is a directory; `n` is final, so nothing is followed. */
function requireDirectory(n: NameAt): void {
  closeSync(at.openat(n.dir, n.name, at.O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW));
}

export function path_readlink(ctx: CallContext, fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, bufusedPtr: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_READLINK);
  const target = withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => {
    const n = w.final(false);
    // `x/` and `x/.` name a directory, which is not a link (once it is found to exist).
    if (n.name === '.' || w.mustBeDir) {
      requireDirectory(n);
      fail(Errno.INVAL, 'not a symlink');
    }
    return at.readlinkat(n.dir, n.name);
  });
  const n = Math.min(target.length, bufLen);
  ctx.mem.slice(buf, n).set(target.subarray(0, n));
  ctx.mem.u32(bufusedPtr, n);
  return OK;
}

export function path_remove_directory(ctx: CallContext, fd: number, pathPtr: number, pathLen: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_REMOVE_DIRECTORY);
  withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => {
    const n = w.name();
    at.unlinkat(n.dir, n.name, at.AT.REMOVEDIR);
  });
  return OK;
}

export function path_rename(ctx: CallContext, fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
  const od = ctx.state.fds.dir(fd, R.PATH_RENAME_SOURCE);
  const nd = ctx.state.fds.dir(newFd, R.PATH_RENAME_TARGET);
  const oldPath = pathArg(ctx, oldPtr, oldLen);
  const newPath = pathArg(ctx, newPtr, newLen);
  withWalk(od, oldPath, (o) => {
    const old = o.name();
    withWalk(nd, newPath, (w) => {
      const n = w.name();
      at.renameat(old.dir, old.name, n.dir, n.name);
    });
  });
  return OK;
}

/**
 * The link text is stored, not resolved; still, a target that could never be
 * followed inside the sandbox (absolute) is refused with PERM, as cap-std does.
 */
export function path_symlink(ctx: CallContext, oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_SYMLINK);
  const target = pathArg(ctx, oldPtr, oldLen);
  checkPathSyntax(target);
  withWalk(d, pathArg(ctx, newPtr, newLen), (w) => {
    const n = w.name();
    at.symlinkat(target, n.dir, n.name);
  });
  return OK;
}

export function path_unlink_file(ctx: CallContext, fd: number, pathPtr: number, pathLen: number): number {
  const d = ctx.state.fds.dir(fd, R.PATH_UNLINK_FILE);
  withWalk(d, pathArg(ctx, pathPtr, pathLen), (w) => {
    const n = w.name();
    at.unlinkat(n.dir, n.name, 0);
  });
  return OK;
}
