// Guest linear memory access for one host call.
//
// A view is made fresh from `memory.buffer` at the start of every call: a
// `memory.grow` replaces the ArrayBuffer (in V8 and in kwasm-jit alike), so a
// view kept across calls would be detached or too short.

import { Errno, fail } from './errno.js';
import { IOVEC } from './layout.js';

/** Most iovecs one call takes (Linux's IOV_MAX); more is EINVAL. */
export const IOV_MAX = 1024;
/** Most bytes one read or write call moves, as Linux's MAX_RW_COUNT; more is a short count. */
export const MAX_RW_COUNT = 0x7ffff000;

/** What both engines give us: an object whose `.buffer` is the current memory. */
export interface MemoryLike { readonly buffer: ArrayBufferLike; }

// made on the first string read: constructing one costs a start ~0.5M instructions (Node's JS).
// ignoreBOM: a leading U+FEFF is part of the guest's path, not a byte-order mark to drop.
let utf8: TextDecoder | undefined;

export class GuestMemory {
  readonly view: DataView;
  readonly bytes: Uint8Array;

  constructor(memory: MemoryLike) {
    this.view = new DataView(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
  }

  /** `len` bytes at `ptr`, as a view into memory (no copy). EFAULT if out of range. */
  slice(ptr: number, len: number): Uint8Array {
    if (ptr + len > this.bytes.length) fail(Errno.FAULT, `range ${ptr}+${len} outside memory`);
    return this.bytes.subarray(ptr, ptr + len);
  }

  u8(ptr: number, v: number): void { this.view.setUint8(ptr, v); }
  u16(ptr: number, v: number): void { this.view.setUint16(ptr, v, true); }
  u32(ptr: number, v: number): void { this.view.setUint32(ptr, v, true); }
  u64(ptr: number, v: bigint): void { this.view.setBigUint64(ptr, BigInt.asUintN(64, v), true); }

  getU8(ptr: number): number { return this.view.getUint8(ptr); }
  getU16(ptr: number): number { return this.view.getUint16(ptr, true); }
  getU32(ptr: number): number { return this.view.getUint32(ptr, true); }
  getU64(ptr: number): bigint { return this.view.getBigUint64(ptr, true); }

  /** Raw path/name bytes; paths are checked for NUL and UTF-8 by the sandbox. */
  string(ptr: number, len: number): string {
    const raw = this.slice(ptr, len);
    try {
      return (utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })).decode(raw);
    } catch {
      return fail(Errno.ILSEQ, 'path is not valid UTF-8');
    }
  }

  /**
   * The buffers an iovec/ciovec array points to, in order (views, no copy). Bounded before
   * anything is built, whatever the guest passes: more than IOV_MAX entries is EINVAL (as Linux
   * readv/writev), and the list ends where the total reaches MAX_RW_COUNT (a short read or
   * write, as Linux does), so a host call never holds more than IOV_MAX views.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    if (count > IOV_MAX) fail(Errno.INVAL, `${count} iovecs, more than IOV_MAX (${IOV_MAX})`);
    this.slice(ptr, count * IOVEC.size);
    const out: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < count && total < MAX_RW_COUNT; i++) {
      const at = ptr + i * IOVEC.size;
      const len = Math.min(this.getU32(at + IOVEC.bufLen), MAX_RW_COUNT - total);
      out.push(this.slice(this.getU32(at + IOVEC.buf), len));
      total += len;
    }
    return out;
  }
}
