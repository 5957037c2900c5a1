// Hashes, checksums and random bytes, each builtin loaded on first use. A warm `run` needs none of
// them when its file is recorded (jit/cache/wasm-file.ts) and only a CRC-32 otherwise, and
// loading node:crypto costs a start ~4-5 ms of CPU (its JS, webcrypto), node:zlib ~5 ms (its JS
// loads Node's streams; bench/results/startup.md): so neither is imported statically, CRC-32
// comes from zlib's native binding where Node lets us reach it without node:zlib's JS, and the
// checks that only guard against accidents (a cache entry's or file record's corruption, a stale
// V8 code cache) use CRC-32, which is also ~10x faster than sha256 over a 45 MB entry. What must
// never collide (a cache key: a module must never find another's code) stays sha256.
import type * as Crypto from 'node:crypto';
import type * as Zlib from 'node:zlib';
import { builtin, plainBinding } from './node-binding.js';

let crypto: typeof Crypto | undefined;
let zlib: typeof Zlib | undefined;
const nodeCrypto = (): typeof Crypto => (crypto ??= builtin('node:crypto') as typeof Crypto);

/** sha256 of the concatenated `parts`. */
export function sha256(parts: readonly Uint8Array[]): Uint8Array {
  const h = nodeCrypto().createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** zlib's CRC-32 of `data` continuing from `value` (a u32). */
type Crc32 = (data: Uint8Array, value: number) => number;
let crcOf: Crc32 | undefined;

/**
 * The CRC-32 function: the zlib binding's own, the C++ function node:zlib's `crc32` validates its
 * arguments for and calls (Node >= 20.15), from the plain process.binding (node-binding.ts: 0.4
 * ms against ~5 ms for node:zlib, whose JS requires Node's streams); else, and if the binding
 * has no crc32, node:zlib's. Arguments are always a Uint8Array and a u32, the only ones the
 * binding accepts (it aborts the process on others, it does not throw).
 */
function crcFunction(): Crc32 {
  const native = plainBinding('zlib')?.crc32;
  if (typeof native === 'function') {
    const f = native as (data: Uint8Array, value: number) => number;
    return (data, value) => f(data, value >>> 0);
  }
  zlib ??= builtin('node:zlib') as typeof Zlib;
  // Node >= 20.15 (package.json engines); said plainly rather than as "crc32 is not a function"
  if (typeof zlib.crc32 !== 'function') throw new Error(`kwasm-jit needs Node >= 20.15 (zlib.crc32); this is ${process.version}`);
  return zlib.crc32;
}

/** CRC-32 (zlib's) of the concatenated `parts`, continuing from `value` (the CRC of what came before). */
export function crc32(parts: readonly Uint8Array[], value = 0): number {
  crcOf ??= crcFunction();
  for (const p of parts) value = crcOf(p, value >>> 0);
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
