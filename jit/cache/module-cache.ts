// The persistent compiled-code cache, on by default (as wasmtime's): one serialized module
// (serialize.ts, without the wasm) per (module hash, compiler id, CPU features), in
// $XDG_CACHE_HOME/kwasm-jit (else ~/.cache/kwasm-jit), a directory of our own with mode 0700.
//
// Entries are written to a temp file and renamed into place, so a reader sees a whole entry or
// none, and two processes filling the same entry at once both succeed (the last rename wins; both
// files are valid). Anything that does not decode (corrupt, truncated, another build's, another
// CPU's) is a miss: the module is compiled again and the entry replaced, never executed. The
// directory is bounded (KWASM_CACHE_MAX_MB, default 1024): after a write the least recently used
// entries (mtime, refreshed by a hit unless less than REFRESH_NS old) go until it fits.
// A large entry is written by a worker thread while this one goes on (background-store.ts); the
// process waits for it before it ends.
// Beside the entries, one small `.kwid` file per wasm file read whole: its identity (wasm-file.ts),
// module hash and the ranges a start from the cache does without, so that a start from an
// unchanged file neither reads those nor hashes the module.
// Disabled by `run --no-cache`, or KWASM_CACHE=0 (also off/false/no) in the environment.
import { closeSync, lstatSync, mkdirSync, openSync, utimesSync, type BigIntStats } from 'node:fs';
import { nodeOs } from '../node-binding.js';
import { join } from 'node:path';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { compilerId } from './compiler-id.js';
import { hostCpuFeatures } from './features.js';
import { deserializeCompiledFile, ModuleFileError, serializeCompiled } from './serialize.js';
import { crc32, randomHex } from '../digest.js';
import { bytesOf, hex, latin1, utf8Hex, wordsOf } from '../bytes.js';
import { readInto, statFd, type Ranges } from './wasm-file.js';
import { CACHE_SUFFIX, FILE_SUFFIX, TMP_SUFFIX, evictDir, writeWhole } from './cache-files.js';
import { storeInBackground, waitForStores } from './background-store.js';

const HASH_BYTES = 32;
/** A file record's CRC-32. */
const SUM_BYTES = 4;
/**
 * A hit sets an entry's or file record's mtime to now (LRU: evict) unless it is already within
 * this of now: least recently used to the minute is all eviction needs, and a start then does
 * without utimes (its syscall and Node's JS, compiled on first call) when it ran a minute ago.
 */
const REFRESH_NS = 60_000_000_000n;
/** A file record is 40 + 8 * ranges + identity bytes; anything longer is no record of ours. */
const MAX_RECORD_BYTES = 16 << 20;
/**
 * Entries of at least this many bytes are written by the store worker (background-store.ts):
 * below it the write costs less than starting the worker (~4-5 ms of this thread).
 */
const BACKGROUND_MIN_BYTES = 8 << 20;

export function cacheEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.KWASM_CACHE ?? '').toLowerCase();
  return !['0', 'off', 'false', 'no'].includes(v);
}

/**
 * os.homedir(): $HOME when set (libuv asks it first), else the password database's; node:os
 * (~0.6 ms of a start) loaded only for that (jit/node-binding.ts).
 */
function homeDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home !== undefined && home !== '' ? home : nodeOs().homedir();
}

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative $XDG_CACHE_HOME is invalid and ignored.
  const root = xdg !== undefined && xdg.startsWith('/') ? xdg : join(homeDir(env), '.cache');
  return join(root, 'kwasm-jit');
}

function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.KWASM_CACHE_MAX_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : 1024 * 1024 * 1024;
}

export type CacheOutcome = 'hit' | 'miss' | 'off';

/** A hit on the file `path` with status `st`: most recently used now (REFRESH_NS); a failure (evicted meanwhile) is harmless. */
function refresh(path: string, st: BigIntStats, nowMs = Date.now()): void {
  const age = BigInt(nowMs) * 1_000_000n - st.mtimeNs;
  if (age < REFRESH_NS && age > -REFRESH_NS) return;
  // seconds as numbers: no Date objects
  try { utimesSync(path, nowMs / 1000, nowMs / 1000); } catch { /* evicted */ }
}

export class ModuleCache {
  private usable: boolean | undefined;
  /** Why the directory was refused, for the one warning. */
  refused: string | undefined;

  /** `backgroundMin`: entries this large or larger are stored by the store worker. */
  constructor(readonly dir: string, readonly maxBytes: number, readonly backgroundMin = BACKGROUND_MIN_BYTES) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ModuleCache {
    return new ModuleCache(cacheDir(env), cacheMaxBytes(env));
  }

  /**
   * The entry file name for a module: every input that decides the code is in it, written out
   * (module hash, compiler id, feature mask in hex): the two hashes are collision-resistant
   * already, so hashing them again would only cost a start node:crypto.
   */
  entryName(moduleHash: Uint8Array): string {
    return `${hex(moduleHash)}-${hex(compilerId())}-${hostCpuFeatures().toString(16).padStart(8, '0')}${CACHE_SUFFIX}`;
  }

  /**
   * Creates the directory (0700) once. One that cannot be made (read-only home) means no cache,
   * silently, as a full disk does; one that is not ours or that others may write to (they could
   * plant code) is refused with one line on stderr.
   */
  private ready(): boolean {
    if (this.usable !== undefined) return this.usable;
    try {
      // made only when absent (a warm start's directory exists: one lstat, no mkdir); bigint, the
      // one Stats class a warm start makes (wasm-file.ts statFd: Node's Stats classes are JS
      // compiled on first use)
      let st = lstatSync(this.dir, { bigint: true, throwIfNoEntry: false });
      if (st === undefined) {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        st = lstatSync(this.dir, { bigint: true });
      }
      if (!st.isDirectory()) this.refused = 'not a directory';
      else if (process.getuid !== undefined && st.uid !== BigInt(process.getuid())) this.refused = 'owned by another user';
      else if ((st.mode & 0o022n) !== 0n) this.refused = 'writable by group or others';
    } catch {
      return (this.usable = false);
    }
    if (this.refused !== undefined) process.stderr.write(`kwasm-jit: compiled-code cache ${this.dir} not used: ${this.refused}\n`);
    return (this.usable = this.refused === undefined);
  }

  /**
   * The cached code for `wasm`, or null (absent, or present and not loadable: see the header).
   * `fill`: `wasm` lacks parts (wasm-file.ts), this reads them if they are asked for.
   */
  get(wasm: Uint8Array, moduleHash: Uint8Array, fill?: () => void): CompiledModule | null {
    if (!this.ready()) return null;
    // an entry this process put is in place before it is looked up
    waitForStores();
    const path = join(this.dir, this.entryName(moduleHash));
    let compiled: CompiledModule, st: BigIntStats | undefined;
    try {
      // large code stays in the file, to be mapped (serialize.ts)
      compiled = deserializeCompiledFile(path, wasm, moduleHash, fill, (s) => { st = s; });
    } catch (e) {
      // absent or unreadable (fs errors carry a code), or not loadable: a miss
      if (e instanceof ModuleFileError || (e instanceof Error && 'code' in e)) return null;
      throw e;
    }
    if (st !== undefined) refresh(path, st);
    return compiled;
  }

  /** Stores `compiled` (best effort: a full disk or a vanished directory only costs the next start). */
  put(compiled: CompiledModule, moduleHash: Uint8Array): void {
    if (!this.ready()) return;
    const file = serializeCompiled(compiled, false, moduleHash);
    if (file.length > this.maxBytes) return;
    const name = this.entryName(moduleHash);
    if (file.length >= this.backgroundMin && storeInBackground({ dir: this.dir, name, tmp: this.tempName(name), bytes: file, maxBytes: this.maxBytes })) return;
    if (this.write(name, file)) this.evict();
  }

  /** The name of a file identity's record: the identity in hex, so any identity string makes a plain name. */
  private fileName(identity: string): string {
    return utf8Hex(identity) + FILE_SUFFIX;
  }

  /**
   * What was recorded for a file identity (wasm-file.ts): its module hash and skippable ranges,
   * or null. Record: u32 CRC-32 of the rest, module hash, u32 count n, n u32 pairs [start, end),
   * the identity (UTF-8): a damaged record is no record.
   */
  fileRecord(identity: string): { hash: Uint8Array; ranges: Ranges } | null {
    if (!this.ready()) return null;
    const path = join(this.dir, this.fileName(identity));
    let file: Uint8Array, st: BigIntStats;
    try {
      // open, fstat and read as the entry's (serialize.ts): functions a start has compiled
      // already, where readFileSync is four more of Node's, compiled on first call
      const fd = openSync(path, 'r');
      try {
        st = statFd(fd);
        if (!st.isFile() || st.size > BigInt(MAX_RECORD_BYTES)) return null;
        file = new Uint8Array(Number(st.size));
        readInto(fd, file, 0, file.length, 0);
      } finally {
        closeSync(fd);
      }
    } catch { return null; }
    const w = wordsOf(file);
    if (file.length < SUM_BYTES + HASH_BYTES + 4 || w.getUint32(0, true) !== crc32([bytesOf(file, SUM_BYTES)])) return null;
    const at = SUM_BYTES; // the record after its checksum
    const n = w.getUint32(at + HASH_BYTES, true), idAt = at + HASH_BYTES + 4 + 8 * n;
    // the identity is stored too: a record is used only for the identity it was made for (an
    // ASCII string of numbers: compared as text, without Buffer's equals and from, which a warm
    // start would compile for this alone)
    if (n > 1 << 20 || file.length <= idAt || latin1(file, idAt) !== identity) return null;
    const ranges: number[] = [];
    for (let i = 0; i < 2 * n; i++) ranges.push(w.getUint32(at + HASH_BYTES + 4 + 4 * i, true));
    refresh(path, st);
    return { hash: bytesOf(file, at, at + HASH_BYTES).slice(), ranges };
  }

  /** Records that the file with `identity` holds the module with `moduleHash` (best effort). */
  recordFile(identity: string, moduleHash: Uint8Array, ranges: Ranges): void {
    if (!this.ready() || moduleHash.length !== HASH_BYTES || ranges.length % 2 !== 0) return;
    const head = Buffer.alloc(HASH_BYTES + 4 + 4 * ranges.length);
    head.set(moduleHash);
    head.writeUInt32LE(ranges.length / 2, HASH_BYTES);
    ranges.forEach((r, i) => head.writeUInt32LE(r, HASH_BYTES + 4 + 4 * i));
    const body = Buffer.concat([head, Buffer.from(identity)]);
    const sum = Buffer.alloc(SUM_BYTES);
    sum.writeUInt32LE(crc32([body]));
    this.write(this.fileName(identity), Buffer.concat([sum, body]));
  }

  /** A temp file name for `name` that no other writer uses (this process's id and random bytes). */
  private tempName(name: string): string {
    return `.${name}.${process.pid}.${randomHex(6)}${TMP_SUFFIX}`;
  }

  /** `bytes` as the file `name`, written whole to a temp file then renamed; false if it could not be. */
  private write(name: string, bytes: Uint8Array): boolean {
    return writeWhole(this.dir, name, this.tempName(name), bytes);
  }

  /** Least recently used entries (and file records) out until the directory fits; stale temp files out. */
  evict(now = Date.now()): void {
    evictDir(this.dir, this.maxBytes, now);
  }
}
