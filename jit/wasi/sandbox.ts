// Path resolution under a directory capability, without a race.
//
// Every path a guest passes is relative to a directory fd, and whatever it names
// must lie inside that directory (the fd itself is the root, not only the preopen,
// as in wasmtime/cap-std: a subdirectory handed to the guest is a capability for that
// subtree only). The walk holds an fd for every directory it passes through and opens
// each next component relative to the last one with openat(O_PATH | O_DIRECTORY |
// O_NOFOLLOW) (at.ts): the kernel never follows a symlink or `..` for us, and a
// directory, once opened, stays the one we checked even if someone renames or swaps
// names meanwhile. A symlink is read with readlinkat and its target's components are
// walked the same way from the link's directory; `..` closes the top fd and never
// pops the root. The final component goes to the kernel relative to the last fd:
// opened with O_NOFOLLOW, or named in mkdirat/unlinkat/renameat/linkat/symlinkat/
// utimensat. Nothing is ever done through a host path string.
//
// A trailing `/` (or a final `.`/`..`) means the path names a directory: lookups then
// follow a final symlink and require a directory; operations that create or remove
// the name pass it on with its `/`, so the kernel applies POSIX's rules (symlink or
// link to `new/` is NOENT, unlink of `file/` NOTDIR, ...) without following anything.
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

import { closeSync, constants as C, fstatSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import * as at from './at.js';
import { Errno, fail } from './errno.js';

export const MAX_SYMLINKS = 40;
const PATH_MAX = 4096;
const NAME_MAX = 255;

/** What a walk starts from: a directory's host fd (the root) and its host path (for FdEntry.hostPath only). */
export interface WalkRoot { readonly hostFd: number; readonly hostPath: string; }

/** A final name and the directory fd that holds it (valid until the walk is closed). */
export interface NameAt { readonly dir: number; readonly name: string; }

/** Checks done before touching the file system; returns the non-empty components. */
export function checkPathSyntax(path: string): string[] {
  if (path.includes('\0')) fail(Errno.INVAL, 'NUL byte in path');
  if (Buffer.byteLength(path) > PATH_MAX) fail(Errno.NAMETOOLONG, 'path too long');
  if (path.length === 0) fail(Errno.NOENT, 'empty path');
  if (path.startsWith('/')) fail(Errno.PERM, 'absolute path');
  const parts = path.split('/').filter((c) => c.length > 0);
  for (const c of parts) if (Buffer.byteLength(c) > NAME_MAX) fail(Errno.NAMETOOLONG, 'name too long');
  return parts;
}

function isHostErrno(e: unknown, ...errnos: number[]): boolean {
  return e instanceof at.HostCallError && errnos.includes(e.hostErrno);
}

/** close(2) whose failure is ignored: the error being reported is the first one. */
export function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* see above */ }
}

/**
 * One path being resolved under `root`. Call exactly one of the final operations
 * (name, final, open, stat), then close() (or use withWalk).
 */
export class Walk {
  /** dirs[0] is the root (borrowed); the others were opened by the walk (owned). */
  private readonly dirs: number[];
  /** Host names of dirs[1..], for hostPath(). */
  private readonly names: string[] = [];
  private readonly queue: string[];
  private expansions = 0;
  private directoryOnly: boolean;
  private used = false;

  constructor(private readonly root: WalkRoot, path: string) {
    this.queue = checkPathSyntax(path);
    this.dirs = [root.hostFd];
    this.directoryOnly = path.endsWith('/');
  }

  /** The directory fd the walk has reached (private: a caller gets it with its name, after the walk). */
  private get dir(): number { return this.dirs[this.dirs.length - 1]; }

  /** The path (or a symlink target spliced at its end) ends in `/`, `.` or `..`. */
  get mustBeDir(): boolean { return this.directoryOnly; }

  /** Host path of `name` in the current directory, as reached (for FdEntry.hostPath). */
  hostPath(name: string): string { return join(this.root.hostPath, ...this.names, name); }

  close(): void {
    for (const fd of this.dirs.splice(1)) closeQuietly(fd);
    this.names.length = 0;
  }

  private enter(c: string): void {
    if (c === '.') return;
    if (c === '..') {
      if (this.dirs.length === 1) fail(Errno.PERM, 'path escapes its directory');
      closeSync(this.dirs.pop() as number);
      this.names.pop();
      return;
    }
    let fd: number;
    try {
      fd = at.openat(this.dir, c, at.O_PATH | C.O_DIRECTORY | C.O_NOFOLLOW);
    } catch (e) {
      // ENOTDIR: a file or a symlink (O_PATH | O_NOFOLLOW | O_DIRECTORY on a link).
      if (isHostErrno(e, at.E.NOTDIR, at.E.LOOP) && this.splice(c)) return;
      throw e;
    }
    this.dirs.push(fd);
    this.names.push(c);
  }

  /**
   * If `name` in the current directory is a symlink, puts its target's components in
   * its place (they are walked from this same directory); false if it is not a link.
   */
  private splice(name: string): boolean {
    let target: string;
    try {
      target = at.readlinkat(this.dir, name).toString('utf8');
    } catch (e) {
      if (isHostErrno(e, at.E.INVAL, at.E.NOENT)) return false;
      throw e;
    }
    if (++this.expansions > MAX_SYMLINKS) fail(Errno.LOOP, 'too many symlinks');
    if (target.startsWith('/')) fail(Errno.PERM, 'symlink to an absolute path');
    if (target.length === 0) fail(Errno.NOENT, 'empty symlink');
    if (target.endsWith('/') && this.queue.length === 0) this.directoryOnly = true;
    this.queue.unshift(...target.split('/').filter((t) => t.length > 0));
    return true;
  }

  /**
   * Opens every directory on the way and returns the final component, not followed;
   * `.` when the path ends at a directory through `.` or `..`.
   */
  private last(): string {
    for (;;) {
      const c = this.queue.shift();
      if (c === undefined) return '.';
      if (this.queue.length > 0) {
        this.enter(c);
        continue;
      }
      if (c === '.' || c === '..') {
        this.enter(c);
        this.directoryOnly = true;
        return '.';
      }
      return c;
    }
  }

  /** A walk ends in one final operation; a second would silently start from where the first ended. */
  private once(): void {
    if (this.used) throw new Error('internal error: a sandbox Walk was used twice');
    this.used = true;
  }

  /** The name to create, remove or rename: never followed, its trailing `/` kept for the kernel. */
  name(): NameAt {
    this.once();
    const n = this.last();
    return { dir: this.dir, name: n !== '.' && this.directoryOnly ? `${n}/` : n };
  }

  /** The final name with a final symlink followed when `follow` (or the path ends in `/`). */
  final(follow: boolean): NameAt {
    this.once();
    for (;;) {
      const n = this.last();
      if (n === '.' || !(follow || this.directoryOnly) || !this.splice(n)) return { dir: this.dir, name: n };
    }
  }

  /**
   * openat of the final object with `flags` (plus O_NOFOLLOW always, and O_DIRECTORY
   * when the path names a directory); a final symlink is walked when `follow`.
   * Returns the new host fd (the caller owns it) and its host path.
   */
  open(flags: number, mode: number, follow: boolean): { fd: number; hostPath: string } {
    this.once();
    for (;;) {
      const n = this.last();
      const chase = n !== '.' && (follow || this.directoryOnly);
      // POSIX: O_CREAT with a trailing slash is EISDIR (and Linux before 6.4 would create
      // a regular file for O_CREAT | O_DIRECTORY).
      if (flags & C.O_CREAT && this.directoryOnly) fail(Errno.ISDIR, 'O_CREAT on a directory path');
      let fd: number;
      try {
        fd = at.openat(this.dir, n, flags | C.O_NOFOLLOW | (this.directoryOnly ? C.O_DIRECTORY : 0), mode);
      } catch (e) {
        if (chase && isHostErrno(e, at.E.LOOP, at.E.NOTDIR) && this.splice(n)) continue;
        throw e;
      }
      // O_PATH | O_NOFOLLOW opens a symlink itself instead of failing.
      if (chase && flags & at.O_PATH && fstatSync(fd).isSymbolicLink() && this.splice(n)) {
        closeSync(fd);
        continue;
      }
      return { fd, hostPath: this.hostPath(n) };
    }
  }

  /** lstat (or stat when `follow`) of the final object, nanosecond times included. */
  stat(follow: boolean): BigIntStats {
    const { fd } = this.open(at.O_PATH, 0, follow);
    try {
      return fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
  }
}

/** Runs `fn` on a walk of `path` under `root`, closing the walk's fds afterwards. */
export function withWalk<T>(root: WalkRoot, path: string, fn: (w: Walk) => T): T {
  const w = new Walk(root, path);
  try {
    return fn(w);
  } finally {
    w.close();
  }
}
