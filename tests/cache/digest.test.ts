// jit/digest.ts's CRC-32: zlib's, whichever way it is reached (the zlib binding through the plain
// process.binding, or node:zlib when Node wraps process.binding to warn), continued across parts,
// and reaching it neither loads node:zlib's JS nor prints anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../../jit/digest.js';

const digest = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'jit', 'digest.js');

test('crc32 is zlib\'s CRC-32, over parts and continued from a value', () => {
  const data = randomBytes(100_003);
  const whole = zlibCrc32(data) >>> 0;
  assert.is(crc32([data]), whole);
  assert.is(crc32([data.subarray(0, 7), data.subarray(7, 5000), data.subarray(5000)]), whole);
  assert.is(crc32([data.subarray(77)], crc32([data.subarray(0, 77)])), whole);
  assert.is(crc32([]), 0);
  assert.is(crc32([new Uint8Array(0)], 0xffffffff), 0xffffffff);
  assert.is(crc32([Buffer.from('hello')]), 907060870);
});

/** A child that imports digest.js, prints the CRC-32 of 'hello' and whether node:zlib's JS was loaded. */
function child(flags: string[]): { out: string; err: string } {
  const script = `import(${JSON.stringify(digest)}).then((d) => { process.stdout.write(d.crc32([Buffer.from('hello')]) + ' ' + process.moduleLoadList.includes('NativeModule zlib')); })`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return { out: r.stdout, err: r.stderr };
}

test('the native CRC-32 loads no node:zlib (its JS loads Node\'s streams, ~5 ms of a start)', () => {
  assert.equal(child([]), { out: '907060870 false', err: '' });
});

test('--pending-deprecation (process.binding then warns): node:zlib\'s crc32 instead, same value, no warning printed', () => {
  assert.equal(child(['--pending-deprecation']), { out: '907060870 true', err: '' });
  assert.equal(child(['--throw-deprecation', '--pending-deprecation']), { out: '907060870 true', err: '' });
});

test.run();
