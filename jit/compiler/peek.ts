// Look-ahead in wasm bytes: the compiler's one- to three-instruction shapes (set-target.ts,
// scaled-index.ts), whose bytes the validator checks when it reaches them, and the cache's walk
// over section headers (jit/cache/wasm-file.ts): bytes that do not decode here are only "no
// match", never an error.

/** Value and end position of the last successful peekLeb (one reused record: no allocation). */
export const peeked = { value: 0, end: 0 };

/**
 * The LEB128 group sequence at b[p] (at most 5 bytes, before `end`) read as unsigned into
 * `peeked`; false when it runs past `end` or past 5 bytes. A signed LEB of a non-negative value
 * reads the same, with bit 0x40 of its last byte clear.
 */
export function peekLeb(b: Uint8Array, p: number, end: number): boolean {
  let v = 0, shift = 0, byte = 0x80;
  while ((byte & 0x80) !== 0) {
    if (p >= end || shift > 28) return false;
    byte = b[p++];
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  peeked.value = v;
  peeked.end = p;
  return true;
}
