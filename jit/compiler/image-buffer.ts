// The memory a module's code image is assembled in. A large image (ruby: 27 MB of code in a
// 34 MB buffer) written into a fresh Uint8Array takes one page fault per 4 KiB on first touch:
// ~8,800 faults, 80-150 ms of a ~1.2 s compile on the development VM. Here a large buffer is an
// anonymous mapping advised for transparent huge pages instead (libc adviseHugePages), so the
// same writes fault ~17 times; it is unmapped when the image's bytes are garbage (the
// FinalizationRegistry below: the buffer escapes as `image.code`, which instantiation copies
// and the cache writes, so nothing else knows when it dies). Small images, or a system without
// THP or without the mapping, get a plain Uint8Array: the bytes are the same either way.
import { adviseHugePages, mmapAnon, munmap, view, HUGE_PAGES_MIN, PROT } from '../runtime/libc.js';

const HUGE_PAGE = 2n << 20n;

interface Mapping { addr: bigint; length: bigint; }

const unmapWhenDead = new FinalizationRegistry<Mapping>((m) => munmap(m.addr, m.length));

/** A writable buffer of `capacity` bytes for an image's code (contents unspecified: the Assembler writes every byte it hands out). */
export function imageBuffer(capacity: number): Uint8Array {
  if (capacity < HUGE_PAGES_MIN) return new Uint8Array(capacity);
  // Reserve one huge page more than needed so the buffer can start 2 MiB-aligned: only aligned
  // 2 MiB stretches get huge pages.
  const length = (BigInt(capacity) + 2n * HUGE_PAGE - 1n) & ~(HUGE_PAGE - 1n);
  let addr: bigint;
  try {
    addr = mmapAnon(length, PROT.READ | PROT.WRITE, 0);
  } catch {
    return new Uint8Array(capacity);
  }
  const start = (addr + HUGE_PAGE - 1n) & ~(HUGE_PAGE - 1n);
  if (!adviseHugePages(start, BigInt(capacity))) {
    munmap(addr, length);
    return new Uint8Array(capacity);
  }
  // a plain Uint8Array over the mapping, not the Buffer view() makes: the Assembler's hot stores
  // then always see one kind of array, whatever the image's size
  const b = view(start, capacity);
  const buf = new Uint8Array(b.buffer, b.byteOffset, capacity);
  unmapWhenDead.register(buf.buffer, { addr, length });
  return buf;
}
