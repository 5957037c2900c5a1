// The cache directory's files, written and bounded the same way whether the compiling thread
// stores an entry itself or the store worker does it for a large one (store-worker.ts).
import { readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE_SUFFIX = '.kwsm';
export const FILE_SUFFIX = '.kwid';
export const TMP_SUFFIX = '.tmp';
/** A temp file older than this was left by a process that died mid-write. */
const STALE_TMP_MS = 10 * 60_000;

/**
 * `bytes` as the file `name` in `dir`: written whole to the temp file `tmp` (a name no other
 * writer uses: see ModuleCache.tempName), then renamed over `name`, so a reader sees a whole file
 * or none; false (and no temp file left) if it could not be.
 */
export function writeWhole(dir: string, name: string, tmp: string, bytes: Uint8Array): boolean {
  const path = join(dir, tmp);
  try {
    writeFileSync(path, bytes, { mode: 0o600, flag: 'wx' });
    renameSync(path, join(dir, name));
    return true;
  } catch {
    try { unlinkSync(path); } catch { /* never created */ }
    return false;
  }
}

/** Least recently used entries (and file records) out until `dir` holds at most `maxBytes`; stale temp files out. */
export function evictDir(dir: string, maxBytes: number, now = Date.now()): void {
  const entries: { path: string; size: number; mtime: number }[] = [];
  let total = 0;
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    const path = join(dir, n);
    let st;
    try { st = statSync(path); } catch { continue; } // removed by another process meanwhile
    if (n.endsWith(TMP_SUFFIX)) {
      if (now - st.mtimeMs > STALE_TMP_MS) try { unlinkSync(path); } catch { /* gone */ }
      continue;
    }
    if (!n.endsWith(CACHE_SUFFIX) && !n.endsWith(FILE_SUFFIX)) continue;
    entries.push({ path, size: st.size, mtime: st.mtimeMs });
    total += st.size;
  }
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const e of entries) {
    if (total <= maxBytes) break;
    try { unlinkSync(e.path); } catch { /* another process evicted it */ }
    total -= e.size;
  }
}
