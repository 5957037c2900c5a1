// The initial contents of a module's linear memory, for cache entries (abi/image.ts: a serialized
// module's memory image). A module whose active data segments all land at constant offsets in its
// own memory, inside the initial size, starts every instance with the same bytes there. The cache
// entry keeps them as whole pages, and instantiation maps those pages copy-on-write into the new
// memory (wasmtime's memory-init-cow) instead of copying every segment into fresh pages: only the
// pages the program touches are ever read (ruby+stdlib.wasm: 17.9k segments, 19 MB; copying them
// cost ~90 ms of CPU at instantiation here, mapping under 1 ms plus the faults of what runs).
// It lives with the compiler so that the compiler id (jit/cache/compiler-id.ts) covers it: an
// entry's image is as much this build's output as its code.
import type { ModuleInfo } from '../frontend/types.js';
import { MODULE_FILE_CODE_ALIGN as PAGE, type MemoryImagePages } from '../../abi/image.js';
import { WASM_PAGE_SIZE } from '../../abi/calling-convention.js';

/** Below this span the segments are copied as usual: a mapping is not worth a file's pages. */
const MIN_SPAN = 64 * PAGE;

/**
 * The page-aligned span [start, end) of memory 0 that its active data segments write, when
 * instantiation can take it as an image; null when it cannot: an imported memory (its contents
 * are not ours), an offset that is not a constant (`global.get`), a segment past the initial size
 * (instantiation must trap there), a small span, or a sparse one (a file of mostly zeros).
 */
export function memoryImageSpan(info: ModuleInfo): { start: number; end: number } | null {
  if (info.memories.length !== 1 || info.numImportedMemories !== 0) return null;
  const initial = info.memories[0].limits.min * WASM_PAGE_SIZE;
  let lo = Infinity, hi = 0, total = 0;
  for (const d of info.datas) {
    if (d.mode !== 'active') continue;
    const at = d.offsetExpr?.i32;
    if (d.memory !== 0 || at === undefined) return null;
    const offset = at >>> 0;
    if (offset + d.length > initial) return null;
    if (d.length === 0) continue;
    lo = Math.min(lo, offset);
    hi = Math.max(hi, offset + d.length);
    total += d.length;
  }
  if (total === 0) return null;
  const start = Math.floor(lo / PAGE) * PAGE, end = Math.ceil(hi / PAGE) * PAGE;
  return end - start < MIN_SPAN || total * 2 < end - start ? null : { start, end };
}

/** Memory 0's bytes over memoryImageSpan, the active data segments applied in order; or null. */
export function buildMemoryImage(info: ModuleInfo): MemoryImagePages | null {
  const span = memoryImageSpan(info);
  if (span === null) return null;
  const bytes = new Uint8Array(span.end - span.start);
  for (const d of info.datas) {
    if (d.mode === 'active' && d.length > 0) bytes.set(d.bytes, ((d.offsetExpr?.i32 as number) >>> 0) - span.start);
  }
  return { start: span.start, bytes };
}
