// Tables: arrays of u64 elements in native memory (funcref = address of a funcref record,
// externref = host handle, 0 = null). Compiled code finds base and length through a 16-byte
// descriptor in each instance that uses the table; a table shared by several instances keeps
// the list of those descriptors and rewrites them when it grows (and possibly moves).
import { TABLE_DESC } from '../../abi/vmctx.js';
import type { ValType } from '../frontend/types.js';
import { allocBlock, freeBlock, type NativeBlock } from './native-heap.js';
import type { Store } from './store.js';

/** Implementation limit on table elements (the spec allows any; allocation must stay sane). */
const TABLE_LIMIT = 10_000_000;

export class Table {
  private block: NativeBlock;
  private len: number;
  private descs: { words: DataView; off: number }[] = [];

  constructor(readonly store: Store, readonly elemType: ValType, initial: number, readonly max: number | null, init: bigint) {
    if (initial > TABLE_LIMIT) throw new RangeError('table too large');
    this.block = allocBlock(Math.max(8, initial * 8));
    this.len = initial;
    if (init !== 0n) for (let i = 0; i < initial; i++) this.block.words.setBigUint64(8 * i, init, true);
  }

  get length(): number { return this.len; }
  get base(): bigint { return this.block.addr; }

  /** Register an instance's descriptor (vmctx area) for this table. */
  attach(words: DataView, off: number): void {
    this.descs.push({ words, off });
    this.writeDesc(words, off);
  }

  private writeDesc(words: DataView, off: number): void {
    words.setBigUint64(off + TABLE_DESC.base, this.block.addr, true);
    words.setBigUint64(off + TABLE_DESC.length, BigInt(this.len), true);
  }

  getBits(i: number): bigint {
    if (i >= this.len) throw new RangeError('out of bounds table access');
    return this.block.words.getBigUint64(8 * i, true);
  }
  setBits(i: number, v: bigint): void {
    if (i >= this.len) throw new RangeError('out of bounds table access');
    this.block.words.setBigUint64(8 * i, v, true);
  }

  /**
   * items[src .. src+n) to elements dst.., bounds checked by the caller (table.init, tableInit in
   * segments.ts): one typed-array copy (ruby's 8,775-element segment: 0.2 ms, against 20-35 ms
   * as single writeBigUInt64LE calls in a fresh process). The block is a page-aligned mapping.
   */
  setBitsFrom(dst: number, items: readonly bigint[], src: number, n: number): void {
    if (dst + n > this.len) throw new RangeError('out of bounds table access');
    const b = this.block.buf;
    new BigUint64Array(b.buffer, b.byteOffset + 8 * dst, n).set(src === 0 && n === items.length ? items : items.slice(src, src + n));
  }

  /** table.grow: old length, or -1. */
  grow(delta: number, init: bigint): number {
    const old = this.len, n = old + delta;
    const limit = this.max === null ? TABLE_LIMIT : Math.min(this.max, TABLE_LIMIT);
    if (n > limit) return -1;
    if (n * 8 > this.block.bytes) {
      const next = allocBlock(Math.max(n * 8, this.block.bytes * 2));
      this.block.buf.copy(next.buf, 0, 0, old * 8);
      freeBlock(this.block);
      this.block = next;
    }
    for (let i = old; i < n; i++) this.block.words.setBigUint64(8 * i, init, true);
    this.len = n;
    for (const d of this.descs) this.writeDesc(d.words, d.off);
    return old;
  }

  /** JS API */
  get(i: number): unknown { return this.store.refFromBits(this.elemType, this.getBits(i)); }
  set(i: number, v: unknown): void { this.setBits(i, this.store.refToBits(this.elemType, v)); }

  /** Raw element view for bulk operations. */
  get elems(): Buffer { return this.block.buf; }
}
