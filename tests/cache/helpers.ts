// Shared checks of the cache and serialization tests.
import * as assert from 'uvu/assert';
import { MODULE_FILE_CODE_ALIGN } from '../../abi/image.js';

/** Loaded code: the compiled bytes, then int3 up to whole pages (a file keeps code mappable). */
export function assertSameCode(loaded: Uint8Array, compiled: Uint8Array): void {
  assert.is(loaded.length % MODULE_FILE_CODE_ALIGN, 0, 'whole pages');
  assert.ok(loaded.length - compiled.length < MODULE_FILE_CODE_ALIGN, 'less than a page of padding');
  assert.equal(loaded.subarray(0, compiled.length), compiled);
  assert.ok(loaded.subarray(compiled.length).every((b) => b === 0xcc), 'int3 after the code');
}
