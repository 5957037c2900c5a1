// Shared checks of the cache and serialization tests.
import * as assert from 'uvu/assert';
import { crc32 } from 'node:zlib';
import { MODULE_FILE_CODE_ALIGN } from '../../abi/image.js';

/** Loaded code: the compiled bytes, then int3 up to whole pages (a file keeps code mappable). */
export function assertSameCode(loaded: Uint8Array, compiled: Uint8Array): void {
  assert.is(loaded.length % MODULE_FILE_CODE_ALIGN, 0, 'whole pages');
  assert.ok(loaded.length - compiled.length < MODULE_FILE_CODE_ALIGN, 'less than a page of padding');
  assert.equal(loaded.subarray(0, compiled.length), compiled);
  assert.ok(loaded.subarray(compiled.length).every((b) => b === 0xcc), 'int3 after the code');
}

/** A record as module-cache.ts writes it: u32 CRC-32 of the body, then module hash, n, ranges, identity. */
export function record(hash: Uint8Array, ranges: number[], identity: string): Buffer {
  const head = Buffer.alloc(36 + 4 * ranges.length);
  head.set(hash);
  head.writeUInt32LE(ranges.length / 2, 32);
  ranges.forEach((r, i) => head.writeUInt32LE(r, 36 + 4 * i));
  const body = Buffer.concat([head, Buffer.from(identity)]);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE(crc32(body));
  return Buffer.concat([sum, body]);
}
