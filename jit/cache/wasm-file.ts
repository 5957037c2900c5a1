// A wasm module read from its file, for the cache. The cache's key is the module's sha256, and
// for a large module reading and hashing the bytes is a good part of a warm start (ruby+stdlib.wasm:
// 30 MB, ~95 ms to read and ~75 ms to hash here, against ~480 ms for V8's whole lazy start). So
// the cache also records, per file it has read whole, the file's identity -> its module hash and
// the byte ranges a start from the cache does without (module-cache.ts, `.kwid` files): the code
// section's bodies (the entry has their code) and, when the entry maps a memory image, the
// contents of the large active data segments (the image has them). A later start from the same
// unchanged file finds the hash by the identity and reads the module without those ranges; they
// are read, and the whole module's hash checked again, only if someone asks for them (the
// decoder's `fill`: serialize, --disasm, a data segment's bytes).
//
// The identity is what git's index and ccache's direct mode trust: device, inode, size, and the
// modification and status-change times in nanoseconds. The kernel sets ctime on every change to
// the file's contents or metadata and no system call sets it back, so a file whose identity is
// unchanged has not been written since (a file replaced by rename has another inode or ctime).
// One race is left: a write within the same timestamp tick as the read that recorded the
// identity. So, as git does for "racily clean" entries, only a file whose times are at least
// SETTLE_NS old is recorded or trusted, and the identity is taken again after the read and must
// not have changed.
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { ModuleFileError } from '../../abi/image.js';
import type { ModuleInfo } from '../frontend/types.js';
import { codeSectionRange } from '../frontend/sections.js';
import { peekLeb, peeked } from '../compiler/peek.js';

/** Changed more recently than this: may still change within the tick of the last change. */
const SETTLE_NS = 2_000_000_000n;

/**
 * The identity of a regular file that has not changed for SETTLE_NS, or null (changed recently,
 * a size of 0, or a file system without times: then the module is read and hashed whole, as any bytes are).
 */
export function fileIdentity(st: BigIntStats, nowNs: bigint = wallClockNs()): string | null {
  // size 0: no wasm module is empty, so the size says nothing (procfs, some FUSE file systems)
  if (!st.isFile() || st.size === 0n || st.ctimeNs <= 0n || st.mtimeNs <= 0n) return null;
  if (nowNs - st.ctimeNs < SETTLE_NS || nowNs - st.mtimeNs < SETTLE_NS) return null;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** The clock file times are compared with (a parameter where tests need a later "now"). */
export type Clock = () => bigint;
export const wallClockNs: Clock = () => BigInt(Date.now()) * 1_000_000n;

export function statFd(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** Reads exactly `length` bytes at `at` into `out` at `to`; a short file is a ModuleFileError. */
export function readInto(fd: number, out: Uint8Array, to: number, length: number, at: number): void {
  for (let done = 0; done < length;) {
    const n = readSync(fd, out, to + done, length - done, at + done);
    if (n === 0) throw new ModuleFileError('file shrank while being read');
    done += n;
  }
}

/** Byte ranges [start, end) of a module file, sorted and disjoint: [s0, e0, s1, e1, ...]. */
export type Ranges = readonly number[];

/** Active data segments at least this long are left out when the entry has a memory image. */
const BIG_SEGMENT = 4096;

/** Where the code section's bodies are in a module's bytes (after its function count), or null. */
function bodiesRange(bytes: Uint8Array): [number, number] | null {
  const section = codeSectionRange(bytes);
  return section !== null && peekLeb(bytes, section[0], section[1]) ? [peeked.end, section[1]] : null;
}

/**
 * The ranges of the module `bytes` (decoded as `info`) a start from a cache entry does without:
 * its bodies, and with `image` (the entry maps a memory image) its large active data segments.
 */
export function skippableRanges(bytes: Uint8Array, info: ModuleInfo, image: boolean): Ranges {
  // in file order: the code section comes before the data section
  const out: number[] = [];
  const bodies = bodiesRange(bytes);
  if (bodies !== null && bodies[1] > bodies[0]) out.push(bodies[0], bodies[1]);
  if (image) {
    for (const d of info.datas) if (d.mode === 'active' && d.length >= BIG_SEGMENT) out.push(d.bytesAt, d.bytesAt + d.length);
  }
  return out;
}

/** Sorted, disjoint, inside a file of `size` bytes. */
export function validRanges(r: Ranges, size: number): boolean {
  if (r.length % 2 !== 0) return false;
  let last = 8; // the header is always read
  for (let i = 0; i < r.length; i += 2) {
    if (!(Number.isInteger(r[i]) && r[i] >= last && r[i + 1] > r[i] && r[i + 1] <= size)) return false;
    last = r[i + 1];
  }
  return true;
}

/**
 * The module in `fd` (`size` bytes) without the `skip` ranges (zeros there: those pages of the
 * buffer are never touched either), or null if the ranges do not fit the file.
 */
export function readWithout(fd: number, size: number, skip: Ranges): Uint8Array | null {
  if (!validRanges(skip, size)) return null;
  const bytes = new Uint8Array(size);
  let pos = 0;
  for (let i = 0; i <= skip.length; i += 2) {
    const to = i < skip.length ? skip[i] : size;
    readInto(fd, bytes, pos, to - pos, pos);
    pos = skip[i + 1];
  }
  return bytes;
}

/**
 * How the skipped ranges come in later: from the file at `path` if it still has `identity`, then
 * the whole module must hash to `moduleHash` again. Throws ModuleFileError if not (the file
 * changed since the module was loaded: what is missing is gone with the old contents).
 */
export function rangesFromFile(path: string, identity: string, bytes: Uint8Array, skip: Ranges, moduleHash: Uint8Array,
  sha256: (parts: Uint8Array[]) => Uint8Array, clock: Clock = wallClockNs): () => void {
  const changed = (): ModuleFileError => new ModuleFileError(`${path} changed since its module was loaded`);
  return () => {
    let fd: number;
    // removed (or made unreadable) since: as changed, what is missing went with it
    try { fd = openSync(path, 'r'); } catch { throw changed(); }
    try {
      if (fileIdentity(statFd(fd), clock()) !== identity) throw changed();
      for (let i = 0; i < skip.length; i += 2) readInto(fd, bytes, skip[i], skip[i + 1] - skip[i], skip[i]);
    } finally {
      closeSync(fd);
    }
    if (!Buffer.from(sha256([bytes])).equals(moduleHash)) {
      for (let i = 0; i < skip.length; i += 2) bytes.fill(0, skip[i], skip[i + 1]);
      throw changed();
    }
  };
}
