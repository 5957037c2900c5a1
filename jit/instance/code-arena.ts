// Code memory for a store: one large PROT_NONE reservation registered once as a compiled-code
// range for the trap handler (which has room for only ~127 ranges, and a spec script loads
// hundreds of small modules), carved into page-aligned pieces. Each piece is written while RW
// and sealed RX before it runs: W^X holds page by page, as with the runtime's loadCode.
// Images carry no relocations (everything goes through r15), so loading is a copy,
// or for code still in a cache entry (image.file) a private read+exec mapping of the file's pages:
// only the pages that run are ever read, and nothing is written (never writable, W^X).
import { adviseHugePages, mmapAnon, mmapFileFixed, munmap, mprotect, view, HUGE_PAGES_MIN, PROT, MAP, PAGE_SIZE } from '../runtime/libc.js';
import { registerCodeRange, unregisterCodeRange } from '../runtime/native.js';
import { fillBytes } from '../bytes.js';
import { imageCodeLength, type CodeImage } from '../../abi/image.js';

const CHUNK = 256n << 20n;

export interface PlacedCode { base: bigint; size: number; }

export class CodeArena {
  private chunks: bigint[] = [];
  private cur = 0n;
  private used = 0n;

  load(img: CodeImage): PlacedCode {
    // a file-backed image's length is known without reading its code (`code` reads it on demand)
    const length = imageCodeLength(img);
    const size = BigInt(Math.ceil(Math.max(1, length) / PAGE_SIZE) * PAGE_SIZE);
    if (size > CHUNK) throw new RangeError('code image too large');
    if (this.chunks.length === 0 || this.used + size > CHUNK) {
      this.cur = mmapAnon(CHUNK, PROT.NONE, MAP.NORESERVE);
      this.chunks.push(this.cur);
      registerCodeRange(this.cur, this.cur + CHUNK);
      this.used = 0n;
    }
    const base = this.cur + this.used;
    this.used += size;
    const f = img.file;
    if (f !== undefined && BigInt(f.length) === size && f.offset % PAGE_SIZE === 0) {
      mmapFileFixed(base, size, PROT.READ | PROT.EXEC, f.fd, BigInt(f.offset));
      return { base, size: length };
    }
    // A large image's copy would fault once per 4 KiB page (ruby: ~7,000 faults, ~85 ms here);
    // in huge pages it faults once per 2 MiB (and its code then takes fewer iTLB entries).
    if (size >= BigInt(HUGE_PAGES_MIN)) adviseHugePages(base, size);
    mprotect(base, size, PROT.READ | PROT.WRITE);
    const buf = view(base, Number(size));
    buf.set(img.code, 0);
    fillBytes(buf, 0xcc, img.code.length); // int3 after the code
    mprotect(base, size, PROT.READ | PROT.EXEC);
    return { base, size: img.code.length };
  }

  dispose(): void {
    for (const c of this.chunks) { unregisterCodeRange(c); munmap(c, CHUNK); }
    this.chunks = [];
  }
}
