// Path resolution under a directory capability.
//
// Every path a guest passes is relative to a directory fd; the result must
// stay inside that directory. The host's own resolver would follow `..` and
// symlinks anywhere, so resolution is done here component by component: each
// component is lstat'ed, a symlink is read and its target spliced into the
// remaining components (and checked like the rest), and `..` pops one level
// but never above the root. The root is the directory fd itself (not only the
// preopen), as in wasmtime/cap-std: a subdirectory handed to the guest is a
// capability for that subtree only.
//
// Errno policy, following current wasmtime (wasi-filesystem's "not-permitted",
// surfaced as preview 1 ERRNO_PERM = 63; older wasmtime and uvwasi used
// NOTCAPABLE = 76):
//   absolute path, `..` above the root, symlink to an absolute target or
//   whose target leaves the root         -> PERM
//   more than MAX_SYMLINKS expansions    -> LOOP
//   NUL byte in the path                 -> INVAL
//   component > 255 bytes or path > 4096 -> NAMETOOLONG
//   empty path                           -> NOENT
//
// Known limit: Node has no openat(), so resolution and the final operation are
// separate system calls; a host process racing to swap a checked directory for
// a symlink in between could redirect the operation. For path_open (the call
// that gives access to contents) the race is closed after the fact: the final
// component is opened with O_NOFOLLOW and the opened fd's real path (from
// /proc/self/fd on Linux) must still lie under the root, else the fd is closed
// and the call fails with PERM. Name operations (unlink, rename, mkdir, ...)
// keep the race.

import { lstatSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Errno, fail } from './errno.js';

export const MAX_SYMLINKS = 40;
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

export interface Resolved {
  /** Host path of the entry (it may not exist: see `stat`). Never outside `root`. */
  host: string;
  /** Components from the root to the entry, after resolution (empty = the root). */
  parts: string[];
  /** lstat of the entry, undefined when it does not exist. */
  stat: BigIntStats | undefined;
  /** The guest path ended in `/` or in `.`/`..`, so it names a directory, not a new name. */
  namesDirectory: boolean;
}

function lstatOrUndefined(p: string): BigIntStats | undefined {
  return lstatSync(p, { bigint: true, throwIfNoEntry: false });
}

/** Checks done before touching the file system. */
export function checkPathSyntax(path: string): string[] {
  if (path.includes('\0')) fail(Errno.INVAL, 'NUL byte in path');
  if (Buffer.byteLength(path) > PATH_MAX) fail(Errno.NAMETOOLONG, 'path too long');
  if (path.length === 0) fail(Errno.NOENT, 'empty path');
  if (path.startsWith('/')) fail(Errno.PERM, 'absolute path');
  const parts = path.split('/').filter((c) => c.length > 0);
  for (const c of parts) if (Buffer.byteLength(c) > NAME_MAX) fail(Errno.NAMETOOLONG, 'name too long');
  return parts;
}

/**
 * Resolves `path` under the directory `root` (a host path free of symlinks).
 * `follow` says whether a symlink in the last position is followed (symlinks in
 * any other position always are, as in POSIX).
 */
export function resolvePath(root: string, path: string, follow: boolean): Resolved {
  const queue = checkPathSyntax(path);
  const last = queue[queue.length - 1];
  const namesDirectory = path.endsWith('/') || last === '.' || last === '..';
  const stack: string[] = [];
  let expansions = 0;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) fail(Errno.PERM, 'path escapes its directory');
      stack.pop();
      continue;
    }
    const isLast = queue.length === 0;
    const host = join(root, ...stack, c);
    const st = lstatOrUndefined(host);
    if (st === undefined) {
      if (!isLast) fail(Errno.NOENT);
      stack.push(c);
      break;
    }
    if (st.isSymbolicLink() && (!isLast || follow || namesDirectory)) {
      if (++expansions > MAX_SYMLINKS) fail(Errno.LOOP, 'too many symlinks');
      const target = readlinkSync(host, 'utf8');
      if (target.startsWith('/')) fail(Errno.PERM, 'symlink to an absolute path');
      if (target.length === 0) fail(Errno.NOENT);
      // The target is relative to the link's directory, which is `stack` now.
      queue.unshift(...target.split('/').filter((t) => t.length > 0));
      if (target.endsWith('/') && queue.length === 0) queue.push('.');
      continue;
    }
    if (!isLast && !st.isDirectory()) fail(Errno.NOTDIR);
    stack.push(c);
  }
  const host = join(root, ...stack);
  const stat = lstatOrUndefined(host);
  if (namesDirectory && stat !== undefined && !stat.isDirectory()) fail(Errno.NOTDIR);
  return { host, parts: stack, stat, namesDirectory };
}

/**
 * For operations that create, remove or rename a name (mkdir, unlink, rename,
 * symlink, link): the last component is never followed and must be a plain name,
 * never the root itself (so `rmdir(".")` cannot remove a preopen).
 */
export interface ResolvedName extends Resolved { name: string; }

export function resolveName(root: string, path: string, whenNotAName: number): ResolvedName {
  const r = resolvePath(root, path, false);
  const name = r.parts[r.parts.length - 1];
  const parts = checkPathSyntax(path);
  const last = parts[parts.length - 1];
  if (name === undefined || last === '.' || last === '..') fail(whenNotAName, 'not a name');
  return { ...r, name };
}

/**
 * Where an open host fd really points, by /proc/self/fd (Linux); undefined when
 * that is not available (then only the pre-open resolution protects).
 */
function openedPath(hostFd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${hostFd}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** PERM unless the open host fd lies under `root` (see the race note at the top). */
export function checkOpenedInside(hostFd: number, root: string): void {
  const real = openedPath(hostFd);
  if (real === undefined) return;
  if (real !== root && !real.startsWith(root.endsWith('/') ? root : `${root}/`)) {
    fail(Errno.PERM, 'opened file is outside its directory (raced with a rename or symlink)');
  }
}
