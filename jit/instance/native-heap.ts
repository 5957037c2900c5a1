// Native memory for things compiled code reads through pointers: global cells owned by the host
// (exported or created from JS) and table element arrays. Page-granular mmaps, viewed from JS
// through zero-copy Buffers.
import { mmapAnon, munmap, view, PROT, PAGE_SIZE } from '../runtime/libc.js';
import { wordsOf } from '../bytes.js';

export interface NativeBlock { addr: bigint; buf: Buffer; words: DataView; bytes: number; }

export function allocBlock(bytes: number): NativeBlock {
  const size = Math.max(PAGE_SIZE, Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE);
  const addr = mmapAnon(BigInt(size), PROT.READ | PROT.WRITE);
  const buf = view(addr, size);
  return { addr, buf, words: wordsOf(buf), bytes: size };
}

export function freeBlock(b: NativeBlock): void {
  munmap(b.addr, BigInt(b.bytes));
}

/** Bump allocator of 8-byte cells (global cells outlive instances: they are never freed). */
class CellArena {
  private block: NativeBlock | null = null;
  private used = 0;
  alloc(): { addr: bigint; words: DataView; off: number } {
    if (this.block === null || this.used + 8 > this.block.bytes) { this.block = allocBlock(65536); this.used = 0; }
    const off = this.used;
    this.used += 8;
    return { addr: this.block.addr + BigInt(off), words: this.block.words, off };
  }
}
export const cells = new CellArena();
