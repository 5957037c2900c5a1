// jit/node-binding.ts: Linux's errno numbers as node:os gives them, without loading node:os on
// the plain process.binding, and from node:os when Node wraps process.binding to warn.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoConstants, plainBinding } from '../../jit/node-binding.js';

const nodeBinding = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'jit', 'node-binding.js');

test('errnoConstants is os.constants.errno', () => {
  assert.equal(errnoConstants(), constants.errno);
  assert.is(errnoConstants().ENOENT, 2);
  assert.is(errnoConstants().EINTR, 4);
});

test('plainBinding: only the allowlisted bindings asked for, objects', () => {
  assert.is(typeof plainBinding('zlib')?.crc32, 'function');
  assert.is(typeof plainBinding('constants')?.os, 'object');
});

/** A child that imports node-binding.js and prints ENOENT and whether node:os's JS was loaded. */
function child(flags: string[]): { out: string; err: string } {
  const script = `import(${JSON.stringify(nodeBinding)}).then((b) => { process.stdout.write(b.errnoConstants().ENOENT + ' ' + process.moduleLoadList.includes('NativeModule os')); })`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return { out: r.stdout, err: r.stderr };
}

test('the errno numbers without node:os (~0.6 ms of a start); with --pending-deprecation from node:os, nothing printed', () => {
  assert.equal(child([]), { out: '2 false', err: '' });
  assert.equal(child(['--pending-deprecation']), { out: '2 true', err: '' });
});

test.run();
