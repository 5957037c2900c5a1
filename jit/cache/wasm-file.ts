// A wasm module read from its file, for the cache. The cache's key is the module's sha256, and
// for a large module reading and hashing the bytes is a good part of a warm start (ruby+stdlib.wasm:
// 30 MB, ~95 ms to read and ~75 ms to hash here, against ~480 ms for V8's whole lazy start). So
// the cache also records, per file it has read whole, the file's identity -> its module hash
// (module-cache.ts, `.kwid` files). A later start from the same unchanged file finds the hash by
// the identity, and reads the module without its code section's bodies, which a cache hit never
// needs (the code was compiled from them); they are read, and the whole module's hash checked
// again, only if someone asks for them (the decoder's `beforeBodies`: serialize, --disasm).
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

/** Changed more recently than this: may still change within the tick of the last change. */
const SETTLE_NS = 2_000_000_000n;
const SECTION_CODE = 10;
/** A section's id and size (u32 LEB), at most. */
const SECTION_HEADER_MAX = 6;
const LEB_U32_MAX = 5;
/** `\0asm`, version 1 */
const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The identity of a regular file that has not changed for SETTLE_NS, or null (changed recently,
 * or a file system without times: then the module is read and hashed whole, as any bytes are).
 */
export function fileIdentity(st: BigIntStats, nowNs: bigint = wallClockNs()): string | null {
  if (!st.isFile() || st.ctimeNs <= 0n || st.mtimeNs <= 0n) return null;
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

/** A u32 LEB at `at`: [value, length], or null if malformed or cut off before `end`. */
function leb(b: Uint8Array, at: number, end: number): [number, number] | null {
  let v = 0;
  for (let i = 0; i < LEB_U32_MAX && at + i < end; i++) {
    const byte = b[at + i];
    v += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return v > 0xffffffff ? null : [v, i + 1];
  }
  return null;
}

export interface WasmWithoutBodies {
  /** the whole file's length: every section read, except the code section's bodies (zeros) */
  bytes: Uint8Array;
  bodiesAt: number;
  bodiesEnd: number;
}

/**
 * The module in `fd` (`size` bytes) without its code section's bodies, or null if its sections
 * do not delimit (then it is read whole and the decoder says what is wrong). The left-out range
 * is never written, so its pages of the buffer are never touched either.
 */
export function readWithoutBodies(fd: number, size: number): WasmWithoutBodies | null {
  if (size < 8) return null;
  const bytes = new Uint8Array(size);
  readInto(fd, bytes, 0, 8, 0);
  if (!WASM_HEADER.every((b, i) => bytes[i] === b)) return null;
  let bodies: WasmWithoutBodies | null = null;
  for (let pos = 8; pos < size;) {
    const head = Math.min(SECTION_HEADER_MAX, size - pos);
    readInto(fd, bytes, pos, head, pos);
    const len = leb(bytes, pos + 1, pos + head);
    if (len === null) return null;
    const contentAt = pos + 1 + len[1], end = contentAt + len[0];
    if (end > size) return null;
    if (bytes[pos] === SECTION_CODE && bodies === null) {
      const countBytes = Math.min(LEB_U32_MAX, end - contentAt);
      readInto(fd, bytes, contentAt, countBytes, contentAt);
      const count = leb(bytes, contentAt, contentAt + countBytes);
      if (count === null) return null;
      bodies = { bytes, bodiesAt: contentAt + count[1], bodiesEnd: end };
    } else {
      readInto(fd, bytes, contentAt, end - contentAt, contentAt);
    }
    pos = end;
  }
  return bodies;
}

/**
 * How the bodies come in later: from the file at `path` if it still has `identity`, then the
 * whole module must hash to `moduleHash` again. Throws ModuleFileError if not (the file changed
 * since the module was loaded: its code section is gone with the old contents).
 */
export function bodiesFromFile(path: string, identity: string, w: WasmWithoutBodies, moduleHash: Uint8Array,
  sha256: (parts: Uint8Array[]) => Uint8Array, clock: Clock = wallClockNs): () => void {
  return () => {
    const fd = openSync(path, 'r');
    try {
      if (fileIdentity(statFd(fd), clock()) !== identity) throw new ModuleFileError(`${path} changed since its module was loaded`);
      readInto(fd, w.bytes, w.bodiesAt, w.bodiesEnd - w.bodiesAt, w.bodiesAt);
    } finally {
      closeSync(fd);
    }
    if (!Buffer.from(sha256([w.bytes])).equals(moduleHash)) {
      w.bytes.fill(0, w.bodiesAt, w.bodiesEnd);
      throw new ModuleFileError(`${path} changed since its module was loaded`);
    }
  };
}
