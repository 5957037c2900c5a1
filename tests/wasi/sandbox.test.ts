// The sandbox walk on a real directory tree: nothing may resolve outside
// the root, whatever mix of `..`, absolute paths and symlinks is used.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, constants as C, lstatSync, mkdirSync, mkdtempSync, openSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Errno, errnoName, WasiError } from '../../jit/wasi/errno.js';
import { O_PATH } from '../../jit/wasi/at.js';
import { MAX_SYMLINKS, type Walk, withWalk } from '../../jit/wasi/sandbox.js';

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
const rootDir = { hostFd: openSync(root, C.O_RDONLY | C.O_DIRECTORY), hostPath: root };

/** Where the walk ends: the host path of the final name (followed when `follow`), which may not exist. */
interface Resolved { host: string; exists: boolean; isSymlink: boolean }
function resolve(path: string, follow: boolean): Resolved {
  return withWalk(rootDir, path, (w: Walk) => {
    const host = w.hostPath(w.final(follow).name);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (st !== undefined) {
      // What the kernel opens for the same path (a second walk) is that very entry.
      withWalk(rootDir, path, (again: Walk) => {
        const { fd } = again.open(O_PATH, 0, follow);
        try {
          assert.is(readlinkSync(`/proc/self/fd/${fd}`), host, path);
        } finally {
          closeSync(fd);
        }
      });
    }
    return { host, exists: st !== undefined, isSymlink: st?.isSymbolicLink() === true };
  });
}

function errnoOfResolve(path: string, follow = true): string {
  try {
    const r = resolve(path, follow);
    return `resolved ${relative(root, r.host) || '.'}`;
  } catch (e) {
    if (e instanceof WasiError) return errnoName(e.errno);
    throw e;
  }
}

function inside(path: string, follow = true): string {
  const r = resolve(path, follow);
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
  assert.is(resolve('new_name', true).exists, false);
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
  const r = resolve('out_abs', false);
  assert.is(r.host, join(root, 'out_abs'));
  assert.ok(r.isSymlink);
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
  const r = resolve('dangling', true);
  assert.is(r.host, join(root, 'missing_target'));
  assert.is(r.exists, false);
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

test('name(): the final name is never followed; `.`/`..` at the end become `.`, which the kernel refuses to create or remove', () => {
  const nameOf = (p: string): string => withWalk(rootDir, p, (w) => w.name().name);
  for (const p of ['.', 'a/..', 'a/b/..', './']) assert.is(nameOf(p), '.', p);
  assert.is(withWalk(rootDir, 'a/b/new', (w) => w.hostPath(w.name().name)), join(root, 'a', 'b', 'new'));
  // The name itself is not followed: removing `out_abs` removes the link.
  assert.is(withWalk(rootDir, 'out_abs', (w) => w.hostPath(w.name().name)), join(root, 'out_abs'));
  // A trailing slash is kept for the kernel (POSIX: `new/` must be a directory).
  assert.is(nameOf('a/new/'), 'new/');
  assert.is(errnoOfResolve('../x'), 'PERM');
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
      r = resolve(path, true);
    } catch (e) {
      assert.instance(e, WasiError, path);
      refused++;
      continue;
    }
    resolved++;
    assert.ok(r.host === root || r.host.startsWith(`${root}/`), `${path} -> ${r.host}`);
    if (r.exists) {
      // Nothing left to follow, and the kernel's own resolution lands on the same entry.
      // (realpathSync.native is realpath(3): `..` after a symlink is physical, as in the kernel;
      // path.join and the JS realpathSync would collapse `x/..` lexically first.)
      assert.is(realpathSync.native(r.host), r.host, path);
      assert.is(realpathSync.native(`${root}/${path}`), r.host, path);
    }
  }
  assert.ok(resolved > 300 && refused > 300, `resolved ${resolved}, refused ${refused}`);
});

test.after(() => {
  closeSync(rootDir.hostFd);
  rmSync(top, { recursive: true, force: true });
});
test.run();
