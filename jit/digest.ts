// Hashes, checksums and random bytes, each builtin loaded on first use. A warm `run` needs none of
// them when its file is recorded (jit/cache/wasm-file.ts) and only a CRC-32 otherwise, and
// loading node:crypto costs a start ~4-5 ms of CPU (its JS, webcrypto), node:zlib ~1.5 ms
// (bench/results/startup.md): so neither is imported statically, and the checks that only guard
// against accidents (a cache entry's or file record's corruption, a stale V8 code cache) use
// CRC-32, which is also ~10x faster than sha256 over a 45 MB entry. What must never collide (a
// cache key: a module must never find another's code) stays sha256.
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';

const load = createRequire(import.meta.url);
let crypto: typeof Crypto | undefined;
let zlib: typeof Zlib | undefined;
const nodeCrypto = (): typeof Crypto => (crypto ??= load('node:crypto') as typeof Crypto);

/** sha256 of the concatenated `parts`. */
export function sha256(parts: readonly Uint8Array[]): Uint8Array {
  const h = nodeCrypto().createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** CRC-32 (zlib's) of the concatenated `parts`, continuing from `value` (the CRC of what came before). */
export function crc32(parts: readonly Uint8Array[], value = 0): number {
  zlib ??= load('node:zlib') as typeof Zlib;
  // Node >= 20.15 (package.json engines); said plainly rather than as "crc32 is not a function"
  if (typeof zlib.crc32 !== 'function') throw new Error(`kwasm-jit needs Node >= 20.15 (zlib.crc32); this is ${process.version}`);
  for (const p of parts) value = zlib.crc32(p, value);
  return value >>> 0;
}

/** Fills `buf` with cryptographically strong random bytes (WASI random_get). */
export function randomFill(buf: Uint8Array): void {
  nodeCrypto().randomFillSync(buf);
}

/** `n` random bytes in hex (unguessable temp file names). */
export function randomHex(n: number): string {
  return nodeCrypto().randomBytes(n).toString('hex');
}
