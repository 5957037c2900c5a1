// What the section headers alone tell, without decoding the module: whether the bytes start as a
// wasm module, and where its code section is. Apart from the decoder (which uses hasMagic), so
// that what needs only this (the cache's file reader, linked into the CLI's launcher, which every
// start runs) does not take in the decoder's tables.
import { Reader } from './reader.js';

/** `\0asm`, the first four bytes of every wasm module. */
export function hasMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
}

/**
 * Where the code section's contents are, [start, end) (its function count, then the bodies), read
 * from the section headers alone; null when there is none, the bytes are no wasm module or a
 * header is malformed (decodeModule reports that). The compiler sizes the image buffer from it
 * before the decode (codeSectionSize); the cache skips the bodies with it (jit/cache/wasm-file.ts).
 */
export function codeSectionRange(bytes: Uint8Array): [number, number] | null {
  // not a wasm file (an ELF, a text file): no buffer three times its size before decode says so
  if (bytes.length < 8 || !hasMagic(bytes) || bytes[4] !== 1) return null;
  const r = new Reader(bytes, 8);
  try {
    while (r.pos < bytes.length) {
      const id = r.u8();
      const size = r.u32();
      if (size > bytes.length - r.pos) return null;
      if (id === 10) return [r.pos, r.pos + size];
      r.pos += size;
    }
  } catch {
    // a malformed header: the decoder reports it with its position
  }
  return null;
}

/** The code section's size in bytes (its count and bodies with their size prefixes), 0 without one (codeSectionRange). */
export function codeSectionSize(bytes: Uint8Array): number {
  const range = codeSectionRange(bytes);
  return range === null ? 0 : range[1] - range[0];
}
