// Bytes -> compiled code, for `kwasm-jit run` (either mode) and the embedding API's
// compileCached/compileFile: a serialized module (.kwasm, recognised by its magic) is validated
// and loaded; a wasm module comes from the cache or is compiled (and then cached). The compiler is
// a parameter: `run` imports it only after a miss, so a start from the cache never loads it.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { cacheEnabled, ModuleCache, type CacheOutcome } from './module-cache.js';
import { deserializeCompiled, isModuleFile, sha256 } from './serialize.js';
import { fileIdentity, rangesFromFile, readInto, readWithout, skippableRanges, statFd, wallClockNs, type Clock, type Ranges } from './wasm-file.js';
import { memoryImageSpan } from '../compiler/memory-image.js';

export interface Loaded {
  compiled: CompiledModule;
  /** 'file' for a serialized module given directly */
  source: CacheOutcome | 'file';
}

/** The code without compiling (a .kwasm file, a cache hit), or how to finish once it is compiled. */
export type Lookup = { loaded: Loaded } | { loaded: null; compiled: (c: CompiledModule) => Loaded };

/**
 * `cache: false` (--no-cache) or KWASM_CACHE=0 bypass the cache. Throws ModuleFileError (a
 * serialized module this build cannot load).
 */
export function lookupCompiled(bytes: Uint8Array, opts: { cache: boolean }, cache = ModuleCache.fromEnv()): Lookup {
  if (isModuleFile(bytes)) return { loaded: { compiled: deserializeCompiled(bytes), source: 'file' } };
  if (!opts.cache || !cacheEnabled()) return { loaded: null, compiled: (compiled) => ({ compiled, source: 'off' }) };
  return lookupHashed(bytes, sha256([bytes]), cache, () => {});
}

/** The cache's answer for `bytes` with `hash`; `stored` runs after a hit or a put. */
function lookupHashed(bytes: Uint8Array, hash: Uint8Array, cache: ModuleCache, stored: (c: CompiledModule, hit: boolean) => void): Lookup {
  const hit = cache.get(bytes, hash);
  if (hit) { stored(hit, true); return { loaded: { compiled: hit, source: 'hit' } }; }
  return { loaded: null, compiled: (compiled) => { cache.put(compiled, hash); stored(compiled, false); return { compiled, source: 'miss' }; } };
}

/** A Lookup of a file: on a miss, also the bytes to compile. */
export type FileLookup = { loaded: Loaded; bytes?: Uint8Array } | { loaded: null; bytes: Uint8Array; compiled: (c: CompiledModule) => Loaded };

/**
 * lookupCompiled for the module in the file at `path`. A file the cache has read whole before
 * and that has not changed since (wasm-file.ts) is neither read whole nor hashed: its module hash
 * comes from the cache's record of the file, and its code section's bodies are left unread.
 * Throws what reading the file throws (ENOENT ...) and ModuleFileError.
 */
export function lookupCompiledFile(path: string, opts: { cache: boolean }, cache = ModuleCache.fromEnv(), clock: Clock = wallClockNs): FileLookup {
  const fd = openSync(path, 'r');
  try {
    const st = statFd(fd);
    const size = Number(st.size);
    const identity = opts.cache && cacheEnabled() ? fileIdentity(st, clock()) : null;
    const hit = identity === null ? null : knownFileHit(fd, size, path, identity, cache, clock);
    if (hit !== null) return { loaded: { compiled: hit, source: 'hit' } };
    // not a regular file (a pipe, /dev/stdin), or one whose size says 0 (procfs, some FUSE file
    // systems): read to its end, as readFileSync does
    const sized = st.isFile() && size > 0;
    const bytes = sized ? new Uint8Array(size) : new Uint8Array(readFileSync(fd));
    if (sized) readInto(fd, bytes, 0, size, 0);
    if (identity === null || isModuleFile(bytes)) return { ...lookupCompiled(bytes, opts, cache), bytes };
    const hash = sha256([bytes]);
    // recorded only if the file did not change while it was read
    const settled = fileIdentity(statFd(fd), clock()) === identity;
    const record = (c: CompiledModule, hit: boolean): void => {
      // a miss's entry has an image when memoryImageSpan says so (serialize.ts builds it then)
      if (settled) cache.recordFile(identity, hash, skippableRanges(bytes, c.info, hit ? c.memoryImage !== undefined : memoryImageSpan(c.info) !== null));
    };
    return { ...lookupHashed(bytes, hash, cache, record), bytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * The cached code for a file the cache has a record of, read without the recorded ranges, or
 * null: no record, or anything amiss on the way (the file changed meanwhile, a stale record, an
 * entry gone or refused). Then the caller reads and hashes the file whole, as for any bytes.
 */
function knownFileHit(fd: number, size: number, path: string, identity: string, cache: ModuleCache, clock: Clock): CompiledModule | null {
  const known = cache.fileRecord(identity);
  if (known === null) return null;
  try {
    const part = readWithout(fd, size, known.ranges);
    // the identity again: the file must not have changed while it was read
    if (part === null || fileIdentity(statFd(fd), clock()) !== identity) return null;
    // absolute: the parts may be asked for after the process changed directory
    const hit = cache.get(part, known.hash, rangesFromFile(resolve(path), identity, part, known.ranges, known.hash, sha256, clock));
    // Left out must be exactly what this build leaves out for this entry (a record from another
    // build, or for an entry without the image it assumed, could name other bytes): else read
    // everything left out now, which also checks the module hash.
    if (hit !== null && !sameRanges(known.ranges, skippableRanges(part, hit.info, hit.memoryImage !== undefined))) hit.info.fill?.();
    return hit;
  } catch {
    // a file that shrank, a record that does not describe this module: the long way is right
    return null;
  }
}

function sameRanges(a: Ranges, b: Ranges): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** lookupCompiled, then `compile` on a miss. Also throws CompileError (invalid wasm). */
export function loadCompiled(bytes: Uint8Array, opts: { cache: boolean }, compile: (bytes: Uint8Array) => CompiledModule, cache = ModuleCache.fromEnv()): Loaded {
  const l = lookupCompiled(bytes, opts, cache);
  return l.loaded ?? l.compiled(compile(bytes));
}

/** lookupCompiledFile, then `compile` on a miss. */
export function loadCompiledFile(path: string, opts: { cache: boolean }, compile: (bytes: Uint8Array) => CompiledModule, cache = ModuleCache.fromEnv()): Loaded {
  const l = lookupCompiledFile(path, opts, cache);
  return l.loaded ?? l.compiled(compile(l.bytes));
}
