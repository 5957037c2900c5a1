// The sandbox resolver on a real directory tree: nothing may resolve outside
// the root, whatever mix of `..`, absolute paths and symlinks is used.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Errno, errnoName, WasiError } from '../../jit/wasi/errno.js';
import { checkOpenedInside, MAX_SYMLINKS, resolveName, resolvePath } from '../../jit/wasi/sandbox.js';

const top = realpathSync(mkdtempSync(join(tmpdir(), 'kwasm-sandbox-')));
const root = join(top, 'root');
mkdirSync(join(root, 'a', 'b'), { recursive: true });
mkdirSync(join(top, 'outside'));
writeFileSync(join(top, 'outside', 'secret'), 'secret');
writeFileSync(join(root, 'file'), 'inside');
writeFileSync(join(root, 'a', 'b', 'deep'), 'deep');
symlinkSync('file', join(root, 'to_file'));
symlinkSync('a/b', join(root, 'to_b'));
symlinkSync('../../file', join(root, 'a', 'b', 'up_to_file'));
symlinkSync('../outside/secret', join(root, 'out_rel'));
symlinkSync(join(top, 'outside', 'secret'), join(root, 'out_abs'));
symlinkSync('..', join(root, 'parent'));
symlinkSync('../../..', join(root, 'a', 'b', 'too_high'));
symlinkSync('self', join(root, 'self'));
symlinkSync('loop_b', join(root, 'loop_a'));
symlinkSync('loop_a', join(root, 'loop_b'));
symlinkSync('missing_target', join(root, 'dangling'));
symlinkSync('/', join(root, 'slash'));
// A chain of exactly MAX_SYMLINKS links ending at `file`, and one link longer.
for (let i = 0; i < MAX_SYMLINKS; i++) symlinkSync(i === MAX_SYMLINKS - 1 ? 'file' : `chain${i + 1}`, join(root, `chain${i}`));
symlinkSync('chain0', join(root, 'chain_too_long'));

function errnoOfResolve(path: string, follow = true): string {
  try {
    const r = resolvePath(root, path, follow);
    return `resolved ${relative(root, r.host) || '.'}`;
  } catch (e) {
    if (e instanceof WasiError) return errnoName(e.errno);
    throw e;
  }
}

function inside(path: string, follow = true): string {
  const r = resolvePath(root, path, follow);
  assert.ok(r.host === root || r.host.startsWith(`${root}/`), `${path} -> ${r.host}`);
  return relative(root, r.host) || '.';
}

test('plain paths, `.` and `..` that stay inside resolve under the root', () => {
  assert.is(inside('file'), 'file');
  assert.is(inside('./a/./b/deep'), 'a/b/deep');
  assert.is(inside('a/b/../../file'), 'file');
  assert.is(inside('a//b///deep'), 'a/b/deep');
  assert.is(inside('.'), '.');
  assert.is(inside('a/..'), '.');
  assert.is(inside('new_name'), 'new_name');
  assert.is(resolvePath(root, 'new_name', true).stat, undefined);
});

test('`..` above the root is PERM (wasmtime\'s errno), however it is reached', () => {
  for (const p of ['..', '../outside/secret', 'a/../..', 'a/b/../../../outside', './..', 'a/../../root/file']) {
    assert.is(errnoOfResolve(p), 'PERM', p);
  }
});

test('absolute paths are PERM', () => {
  for (const p of ['/etc/passwd', '/', `${root}/file`, '//file']) assert.is(errnoOfResolve(p), 'PERM', p);
});

test('symlinks are followed manually and re-checked at every step', () => {
  assert.is(inside('to_file'), 'file');
  assert.is(inside('to_b/deep'), 'a/b/deep');
  assert.is(inside('a/b/up_to_file'), 'file');
  assert.is(inside('to_b/up_to_file'), 'file');
  assert.is(errnoOfResolve('out_rel'), 'PERM');
  assert.is(errnoOfResolve('out_abs'), 'PERM');
  assert.is(errnoOfResolve('slash'), 'PERM');
  assert.is(errnoOfResolve('parent'), 'PERM');
  assert.is(errnoOfResolve('parent/outside/secret'), 'PERM');
  assert.is(errnoOfResolve('a/b/too_high/outside/secret'), 'PERM');
  assert.is(errnoOfResolve('to_b/too_high'), 'PERM');
});

test('a final symlink is not followed without SYMLINK_FOLLOW; intermediate ones always are', () => {
  const r = resolvePath(root, 'out_abs', false);
  assert.is(r.host, join(root, 'out_abs'));
  assert.ok(r.stat?.isSymbolicLink());
  assert.is(errnoOfResolve('out_rel/x', false), 'PERM');
  assert.is(inside('to_b/deep', false), 'a/b/deep');
  // A trailing slash asks for the directory, so the link is followed.
  assert.is(errnoOfResolve('parent/', false), 'PERM');
});

test('symlink loops are LOOP; a chain of MAX_SYMLINKS links is fine, one more is LOOP', () => {
  assert.is(errnoOfResolve('self'), 'LOOP');
  assert.is(errnoOfResolve('loop_a'), 'LOOP');
  assert.is(errnoOfResolve('loop_a/x'), 'LOOP');
  assert.is(inside('chain0'), 'file');
  assert.is(errnoOfResolve('chain_too_long'), 'LOOP');
});

test('a dangling symlink resolves to its (missing) target inside the root when followed', () => {
  const r = resolvePath(root, 'dangling', true);
  assert.is(r.host, join(root, 'missing_target'));
  assert.is(r.stat, undefined);
});

test('long paths, NUL bytes, empty paths, missing and non-directory components', () => {
  assert.is(errnoOfResolve('x'.repeat(256)), 'NAMETOOLONG');
  assert.is(errnoOfResolve('x'.repeat(255)), `resolved ${'x'.repeat(255)}`);
  assert.is(errnoOfResolve('é'.repeat(128)), 'NAMETOOLONG'); // 256 bytes in UTF-8
  assert.is(errnoOfResolve(Array(2100).fill('a').join('/')), 'NAMETOOLONG'); // 4199 bytes
  assert.is(errnoOfResolve(Array(2000).fill('.').join('/') + '/file'), 'resolved file'); // 4004 bytes
  assert.is(errnoOfResolve('file\0/etc/passwd'), 'INVAL');
  assert.is(errnoOfResolve('\0'), 'INVAL');
  assert.is(errnoOfResolve(''), 'NOENT');
  assert.is(errnoOfResolve('nope/file'), 'NOENT');
  assert.is(errnoOfResolve('file/x'), 'NOTDIR');
  assert.is(errnoOfResolve('file/'), 'NOTDIR');
  assert.is(errnoOfResolve('file/..'), 'NOTDIR');
});

test('resolveName refuses the root itself and `.`/`..` as the name to create or remove', () => {
  for (const p of ['.', 'a/..', 'a/b/..', './']) {
    try {
      resolveName(root, p, Errno.BUSY);
      assert.unreachable(`${p} was accepted as a name`);
    } catch (e) {
      assert.instance(e, WasiError);
      assert.is((e as WasiError).errno, Errno.BUSY, p);
    }
  }
  const n = resolveName(root, 'a/b/new', Errno.BUSY);
  assert.is(n.name, 'new');
  assert.is(n.host, join(root, 'a', 'b', 'new'));
  // The name itself is not followed: removing `out_abs` removes the link.
  assert.is(resolveName(root, 'out_abs', Errno.BUSY).host, join(root, 'out_abs'));
});

test('random paths: whatever resolves is under the root and is exactly where the kernel would go', () => {
  // Deterministic PRNG (xorshift32) so a failure names a reproducible path.
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
    return seed % n;
  };
  const parts = ['.', '..', 'a', 'b', 'deep', 'file', 'to_file', 'to_b', 'parent', 'out_rel', 'out_abs',
    'up_to_file', 'too_high', 'self', 'dangling', 'slash', 'outside', 'secret', 'root', 'chain0'];
  let resolved = 0, refused = 0;
  for (let i = 0; i < 3000; i++) {
    const path = Array.from({ length: 1 + rnd(6) }, () => parts[rnd(parts.length)]).join('/');
    let r;
    try {
      r = resolvePath(root, path, true);
    } catch (e) {
      assert.instance(e, WasiError, path);
      refused++;
      continue;
    }
    resolved++;
    assert.ok(r.host === root || r.host.startsWith(`${root}/`), `${path} -> ${r.host}`);
    if (r.stat !== undefined) {
      // Nothing left to follow, and the kernel's own resolution lands on the same entry.
      // (realpathSync.native is realpath(3): `..` after a symlink is physical, as in the kernel;
      // path.join and the JS realpathSync would collapse `x/..` lexically first.)
      assert.is(realpathSync.native(r.host), r.host, path);
      assert.is(realpathSync.native(`${root}/${path}`), r.host, path);
    }
  }
  assert.ok(resolved > 300 && refused > 300, `resolved ${resolved}, refused ${refused}`);
});

test('checkOpenedInside: an fd that (after a race) points outside the root is refused', () => {
  const inFd = openSync(join(root, 'a', 'b', 'deep'), 'r');
  const outFd = openSync(join(top, 'outside', 'secret'), 'r');
  const rootFd = openSync(root, 'r');
  try {
    checkOpenedInside(inFd, root);
    checkOpenedInside(rootFd, root);
    assert.throws(() => checkOpenedInside(outFd, root), (e: unknown) => e instanceof WasiError && e.errno === Errno.PERM);
    // A sibling whose name merely starts with the root's name is outside too.
    assert.throws(() => checkOpenedInside(inFd, join(root, 'a', 'b', 'de')), (e: unknown) => e instanceof WasiError);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
    closeSync(rootFd);
  }
});

test.after(() => rmSync(top, { recursive: true, force: true }));
test.run();
