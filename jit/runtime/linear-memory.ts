// Linear memory by reservation: 8 GiB + guard of PROT_NONE address space (MAP_NORESERVE, so it
// costs no RAM or commit), of which the first `pages * 64 KiB` are read-write. Compiled code
// addresses memory as r14 + zext32(index) + u32 offset: at most 2^33 - 2 + access size, always
// inside the reservation, so any out-of-bounds access faults and becomes a trap without a check.
import { mmapAnon, mmapFileFixed, munmap, mprotect, populateWrite, view, PROT, MAP, PAGE_SIZE } from './libc.js';
import { WASM_PAGE_SIZE, MEMORY_MAX_PAGES, MEMORY_RESERVATION } from '../../abi/calling-convention.js';

export const WASM_PAGE = WASM_PAGE_SIZE;
export const MAX_PAGES = MEMORY_MAX_PAGES;
/** Every 32-bit index plus 32-bit offset (plus a 16-byte access) lands below this. */
export const RESERVATION = MEMORY_RESERVATION;

const registry = new FinalizationRegistry<bigint>((base) => { try { munmap(base, RESERVATION); } catch { /* process teardown */ } });

export class LinearMemory {
  readonly base: bigint;
  private pagesNow: number;
  private cached: Buffer | undefined;
  private disposed = false;

  constructor(initialPages: number, readonly maxPages: number = MAX_PAGES) {
    if (!(initialPages >= 0 && initialPages <= maxPages && maxPages <= MAX_PAGES)) throw new RangeError('memory: bad page limits');
    this.base = mmapAnon(RESERVATION, PROT.NONE, MAP.NORESERVE);
    this.pagesNow = 0;
    registry.register(this, this.base, this);
    if (initialPages > 0) this.protect(0, initialPages);
    this.pagesNow = initialPages;
  }

  get pages(): number { return this.pagesNow; }
  get byteLength(): number { return this.pagesNow * WASM_PAGE; }

  /** Zero-copy view of the accessible prefix. Re-read after grow: the old view stays at the old length. */
  get buffer(): Buffer {
    if (this.disposed) throw new Error('memory disposed');
    if (!this.cached || this.cached.length !== this.byteLength) {
      this.cached = this.byteLength === 0 ? Buffer.alloc(0) : view(this.base, this.byteLength);
    }
    return this.cached;
  }

  /**
   * Faults in bytes [from, to) of the accessible prefix at once (libc populateWrite), before a
   * large write such as the data segments at instantiation. Best effort, never needed: false when
   * nothing was done (an empty range, or a kernel without MADV_POPULATE_WRITE).
   */
  prefault(from: number, to: number): boolean {
    const lo = Math.max(0, Math.floor(from / PAGE_SIZE) * PAGE_SIZE), hi = Math.min(this.byteLength, to);
    return to > from && hi > lo && populateWrite(this.base + BigInt(lo), BigInt(hi - lo));
  }

  /**
   * Maps `length` bytes of the file `fd` from `offset` over bytes [at, at + length) of the
   * accessible prefix, private and writable: copy-on-write, so writes stay in this memory and the
   * file never changes (a memory image, abi/image.ts MemoryImage). All page-aligned.
   */
  mapFile(at: number, length: number, fd: number, offset: number): void {
    if (at % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || offset % PAGE_SIZE !== 0 || at + length > this.byteLength) {
      throw new RangeError(`memory: a mapping of ${length} bytes at ${at} is not whole pages of this memory`);
    }
    if (length > 0) mmapFileFixed(this.base + BigInt(at), BigInt(length), PROT.READ | PROT.WRITE, fd, BigInt(offset));
  }

  /** memory.grow: returns the old page count, or -1 if the maximum would be exceeded. */
  grow(delta: number): number {
    const old = this.pagesNow;
    if (!Number.isInteger(delta) || delta < 0 || old + delta > this.maxPages) return -1;
    if (delta > 0) this.protect(old, old + delta);
    this.pagesNow = old + delta;
    return old;
  }

  private protect(fromPage: number, toPage: number): void {
    mprotect(this.base + BigInt(fromPage) * BigInt(WASM_PAGE), BigInt(toPage - fromPage) * BigInt(WASM_PAGE), PROT.READ | PROT.WRITE);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cached = undefined;
    registry.unregister(this);
    munmap(this.base, RESERVATION);
  }
}
