// The *at system calls the path layer needs, through ffi-rs (Node has none of them).
//
// Every name operation of the sandbox (sandbox.ts) is done relative to a directory fd
// the walk opened, never by a host path string: a path string is re-resolved by the
// kernel at every call, so another process swapping a directory for a symlink between
// the check and the use would redirect it (issue #12). Only the final name goes to the
// kernel, and with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW wherever the call would follow it.
//
// Strings and out-buffers go through one native scratch area (paths are copied in as
// NUL-terminated UTF-8; readlinkat writes there), so no call allocates on the native side.
// Calls are synchronous and JS is single-threaded, so one area serves every call.
// A failure throws WasiError with the host errno translated (errno.ts).

import { errnoConstants, errnoName } from '../node-binding.js';
import { defineLazily, DataType } from '../runtime/ffi.js';
import { Errno, errnoFromNodeCode, WasiError } from './errno.js';
import { mmapAnon, PROT, view } from '../runtime/libc.js';

const LIB = 'libc'; // opened by runtime/libc.ts (`open({library: 'libc', path: ''})`)
const I32 = DataType.I32, PTR = DataType.BigInt;

const fns = defineLazily(() => ({
  // openat is variadic in glibc; the mode is read only with O_CREAT, and integer
  // arguments travel in the same registers either way on x86-64.
  openat: { library: LIB, retType: I32, paramsType: [I32, PTR, I32, I32], errno: true },
  readlinkat: { library: LIB, retType: I32, paramsType: [I32, PTR, PTR, PTR], errno: true },
  mkdirat: { library: LIB, retType: I32, paramsType: [I32, PTR, I32], errno: true },
  unlinkat: { library: LIB, retType: I32, paramsType: [I32, PTR, I32], errno: true },
  renameat: { library: LIB, retType: I32, paramsType: [I32, PTR, I32, PTR], errno: true },
  linkat: { library: LIB, retType: I32, paramsType: [I32, PTR, I32, PTR, I32], errno: true },
  symlinkat: { library: LIB, retType: I32, paramsType: [PTR, I32, PTR], errno: true },
  utimensat: { library: LIB, retType: I32, paramsType: [I32, PTR, PTR, I32], errno: true },
  futimens: { library: LIB, retType: I32, paramsType: [I32, PTR], errno: true },
  lseek: { library: LIB, retType: DataType.I64, paramsType: [I32, PTR, I32], errno: true },
  // syscall(SYS_getdents64, fd, buf, count): glibc 2.36 has no getdents64 wrapper.
  syscall: { library: LIB, retType: DataType.I64, paramsType: [PTR, I32, PTR, PTR], errno: true },
}));

const SYS_GETDENTS64 = 217n; // x86-64

/** Linux open(2) flags Node's fs.constants lacks (every fd opened here is close-on-exec, as Node's own). */
export const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
export const AT = { SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, EMPTY_PATH: 0x1000 } as const;
/** timespec.tv_nsec values of utimensat(2). */
export const UTIME_NOW = (1n << 30n) - 1n;
export const UTIME_OMIT = (1n << 30n) - 2n;

/** Linux errno numbers the walk tests for. */
const ERRNO = errnoConstants();
export const E = {
  NOENT: ERRNO.ENOENT, NOTDIR: ERRNO.ENOTDIR, LOOP: ERRNO.ELOOP,
  INVAL: ERRNO.EINVAL,
} as const;

// Scratch layout: two string slots (a name may be a whole symlink target, up to PATH_MAX
// bytes plus the NUL), the readlink buffer, two timespecs, the getdents64 buffer.
const SLOT = 8192;
const DENTS = 32768;
const SCRATCH = { str0: 0, str1: SLOT, link: 2 * SLOT, times: 3 * SLOT, dents: 3 * SLOT + 4096, size: 3 * SLOT + 4096 + DENTS } as const;
let scratchAddr = 0n;
let scratch: Buffer | undefined;

function area(): Buffer {
  if (scratch === undefined) {
    scratchAddr = mmapAnon(BigInt(SCRATCH.size), PROT.READ | PROT.WRITE);
    scratch = view(scratchAddr, SCRATCH.size);
  }
  return scratch;
}

/** Native address of scratch offset `off` (mapping the area first if need be). */
function addr(off: number): bigint {
  area();
  return scratchAddr + BigInt(off);
}

/** Copies `s` (no NUL inside: checked by sandbox.ts) into slot `at`; returns its address. */
function cstr(s: string, at: number): bigint {
  const b = area();
  const n = b.write(s, at, SLOT - 1, 'utf8');
  if (Buffer.byteLength(s) !== n) throw new WasiError(Errno.NAMETOOLONG, 'name too long');
  b[at + n] = 0;
  return addr(at);
}

/** The error a failed call throws: `errno` is the host's, `hostErrno` keeps it for the walk's decisions. */
export class HostCallError extends WasiError {
  constructor(readonly call: string, readonly hostErrno: number) {
    // host errno number -> WASI errno by the errno's name (so the one name table in errno.ts decides)
    super(errnoFromNodeCode(errnoName(hostErrno)), `${call}: host errno ${hostErrno}`);
  }
}

interface Ret { value: number; errnoCode: number }

function check(call: string, r: Ret): number {
  if (r.value < 0) throw new HostCallError(call, r.errnoCode);
  return r.value;
}

/** openat(2); returns the new fd (the caller owns it). */
export function openat(dir: number, name: string, flags: number, mode = 0): number {
  return check('openat', fns().openat([dir, cstr(name, SCRATCH.str0), flags | O_CLOEXEC, mode]) as Ret);
}

/** readlinkat(2): the link's text as stored (raw bytes). */
export function readlinkat(dir: number, name: string): Buffer {
  const n = check('readlinkat', fns().readlinkat([dir, cstr(name, SCRATCH.str0), addr(SCRATCH.link), BigInt(SLOT)]) as Ret);
  return Buffer.from(area().subarray(SCRATCH.link, SCRATCH.link + n));
}

export function mkdirat(dir: number, name: string, mode = 0o777): void {
  check('mkdirat', fns().mkdirat([dir, cstr(name, SCRATCH.str0), mode]) as Ret);
}

export function unlinkat(dir: number, name: string, flags: number): void {
  check('unlinkat', fns().unlinkat([dir, cstr(name, SCRATCH.str0), flags]) as Ret);
}

export function renameat(oldDir: number, oldName: string, newDir: number, newName: string): void {
  check('renameat', fns().renameat([oldDir, cstr(oldName, SCRATCH.str0), newDir, cstr(newName, SCRATCH.str1)]) as Ret);
}

export function linkat(oldDir: number, oldName: string, newDir: number, newName: string, flags: number): void {
  check('linkat', fns().linkat([oldDir, cstr(oldName, SCRATCH.str0), newDir, cstr(newName, SCRATCH.str1), flags]) as Ret);
}

export function symlinkat(target: string, dir: number, name: string): void {
  check('symlinkat', fns().symlinkat([cstr(target, SCRATCH.str1), dir, cstr(name, SCRATCH.str0)]) as Ret);
}

/** A utimensat/futimens time: seconds and nanoseconds, or UTIME_NOW / UTIME_OMIT in `nsec`. */
export interface Timespec { sec: bigint; nsec: bigint }

function timesPtr(atime: Timespec, mtime: Timespec): bigint {
  const b = area();
  b.writeBigInt64LE(atime.sec, SCRATCH.times);
  b.writeBigInt64LE(atime.nsec, SCRATCH.times + 8);
  b.writeBigInt64LE(mtime.sec, SCRATCH.times + 16);
  b.writeBigInt64LE(mtime.nsec, SCRATCH.times + 24);
  return addr(SCRATCH.times);
}

export function utimensat(dir: number, name: string, atime: Timespec, mtime: Timespec, flags: number): void {
  const times = timesPtr(atime, mtime);
  check('utimensat', fns().utimensat([dir, cstr(name, SCRATCH.str0), times, flags]) as Ret);
}

export function futimens(fd: number, atime: Timespec, mtime: Timespec): void {
  check('futimens', fns().futimens([fd, timesPtr(atime, mtime)]) as Ret);
}

/** One entry of a directory as getdents64 reports it (`type` is the DT_* value, 0 when unknown). */
export interface Dirent { name: string; ino: bigint; type: number }
export const DT = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 } as const;

/**
 * Every entry of the open directory `fd` (`.` and `..` included), read from the fd itself
 * (rewound first) rather than by a path, which may since name something else.
 * At most `limit` entries: a guest cannot make the host build an unbounded list.
 */
export function readDirectory(fd: number, limit: number): Dirent[] {
  check('lseek', fns().lseek([fd, 0n, 0 /* SEEK_SET */]) as Ret);
  const b = area();
  const out: Dirent[] = [];
  for (;;) {
    const n = check('getdents64', fns().syscall([SYS_GETDENTS64, fd, addr(SCRATCH.dents), BigInt(DENTS)]) as Ret);
    if (n === 0) return out;
    // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[] (NUL-terminated).
    for (let p = SCRATCH.dents; p < SCRATCH.dents + n;) {
      const reclen = b.readUInt16LE(p + 16);
      const nameEnd = b.indexOf(0, p + 19);
      out.push({ ino: b.readBigUInt64LE(p), type: b[p + 18], name: b.toString('utf8', p + 19, nameEnd) });
      if (out.length > limit) throw new WasiError(Errno.NOMEM, `directory has more than ${limit} entries`);
      p += reclen;
    }
  }
}
