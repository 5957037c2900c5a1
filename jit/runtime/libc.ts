// libc through ffi-rs: the handful of calls the runtime needs, all with addresses as BigInt.
//
// Every call here costs one ffi crossing (~6 us), so the runtime uses them only at setup
// (mmap, mprotect, ...) and at memory.grow, never per wasm call. Native memory is reached from JS
// through zero-copy Buffers made by `view()`.
import { open, define, DataType, createExternalBuffer, type JsExternal } from './ffi.js';

const LIB = 'libc';
open({ library: LIB, path: '' });

const I32 = DataType.I32, I64 = DataType.BigInt;
const fns = define({
  mmap: { library: LIB, retType: I64, paramsType: [I64, I64, I32, I32, I32, I64], errno: true },
  munmap: { library: LIB, retType: I32, paramsType: [I64, I64], errno: true },
  mprotect: { library: LIB, retType: I32, paramsType: [I64, I64, I32], errno: true },
  madvise: { library: LIB, retType: I32, paramsType: [I64, I64, I32], errno: true },
  // memmove(p, p, 0) returns p as an ffi-rs External: the only way to turn an address into
  // something createExternalBuffer accepts.
  memmove: { library: LIB, retType: DataType.External, paramsType: [I64, I64, I64] },
});

export const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;
export const MAP = { PRIVATE: 0x02, FIXED: 0x10, ANONYMOUS: 0x20, NORESERVE: 0x4000, STACK: 0x20000 } as const;
export const PAGE_SIZE = 4096;

export class LibcError extends Error {
  constructor(fn: string, readonly errno: number, msg: string) {
    super(`${fn}: ${msg} (errno ${errno})`);
  }
}

function check(fn: string, r: { value: number | bigint; errnoCode: number; errnoMessage: string }): void {
  if (r.value === -1 || r.value === -1n) throw new LibcError(fn, r.errnoCode, r.errnoMessage);
}

/** Anonymous private mapping; returns its address. */
export function mmapAnon(length: bigint, prot: number, extraFlags = 0): bigint {
  const r = fns.mmap([0n, length, prot, MAP.PRIVATE | MAP.ANONYMOUS | extraFlags, -1, 0n]);
  check('mmap', r as { value: bigint; errnoCode: number; errnoMessage: string });
  return r.value as bigint;
}

/**
 * A private mapping of `length` bytes of file `fd` from `offset` (page-aligned) placed exactly at
 * `addr`, replacing what was mapped there (a reservation of ours). Private: our writes, were the
 * pages ever writable, would never reach the file; prot is the caller's (code: READ|EXEC only).
 */
export function mmapFileFixed(addr: bigint, length: bigint, prot: number, fd: number, offset: bigint): void {
  const r = fns.mmap([addr, length, prot, MAP.PRIVATE | MAP.FIXED, fd, offset]);
  check('mmap', r as { value: bigint; errnoCode: number; errnoMessage: string });
  if (r.value !== addr) throw new LibcError('mmap', 0, `MAP_FIXED mapping at 0x${(r.value as bigint).toString(16)}, not 0x${addr.toString(16)}`);
}

export function munmap(addr: bigint, length: bigint): void {
  check('munmap', fns.munmap([addr, length]));
}

export function mprotect(addr: bigint, length: bigint, prot: number): void {
  check('mprotect', fns.mprotect([addr, length, prot]));
}

const MADV_POPULATE_WRITE = 23;

/**
 * Faults in [addr, addr + length) for writing in one call (MADV_POPULATE_WRITE, Linux 5.14)
 * instead of one page fault per 4 KiB page on first touch: 19 MB of data segments take ~6 ms
 * this way against ~120 ms of faults on the development VM (where a fault costs ~25 us), and
 * fewer kernel entries anywhere. Best effort: false (nothing done) on an older kernel (EINVAL).
 */
export function populateWrite(addr: bigint, length: bigint): boolean {
  const r = fns.madvise([addr, length, MADV_POPULATE_WRITE]) as { value: number };
  return r.value === 0;
}

const MADV_HUGEPAGE = 14;
/** Below this a region spans too few huge pages to be worth advising (and would pin whole 2 MiB pages). */
export const HUGE_PAGES_MIN = 4 << 20;

/**
 * Asks for transparent huge pages over [addr, addr + length) (MADV_HUGEPAGE; the 2 MiB-aligned
 * stretches of it get them where THP is `madvise` or `always`): first touches then fault in 2 MiB
 * at a time, ~17 faults for 34 MB instead of ~8,800 (~100 ms on the development VM, where a 4 KiB
 * fault costs ~12-25 us). Best effort: false where THP is off or absent.
 */
export function adviseHugePages(addr: bigint, length: bigint): boolean {
  const r = fns.madvise([addr, length, MADV_HUGEPAGE]) as { value: number };
  return r.value === 0;
}

function pointer(addr: bigint): JsExternal {
  return fns.memmove([addr, addr, 0n]) as JsExternal;
}

/** Zero-copy Buffer over native memory the caller keeps mapped for the Buffer's lifetime. */
export function view(addr: bigint, length: number): Buffer {
  return createExternalBuffer(pointer(addr), length);
}
