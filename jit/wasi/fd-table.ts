// The guest's file descriptor table: stdio, preopened directories, opened
// files and directories, each with its WASI rights and flags.
//
// Files are read and written with pread/pwrite at a position kept here (Node
// has no lseek), which also makes fd_seek/fd_tell exact. Stdio and other
// streams have no position and use the host's (`null` position).

import { closeSync, fstatSync, type BigIntStats } from 'node:fs';
import { Errno, fail } from './errno.js';
import { DIR_RIGHTS, Fdflags, Filetype, FILE_RIGHTS, SOCKET_RIGHTS, STREAM_RIGHTS } from './layout.js';

/**
 * 'stream': stdio and other fds read and written at the host's own offset; 'socket': a TCP socket
 * of ours (listening or accepted), non-blocking on the host, served by sock.ts and the stream
 * paths (kernel mode mirrors it as a socket entry: kwasm.ko serves it in ring 0, issue #15).
 */
export type FdKind = 'file' | 'dir' | 'stream' | 'socket';

export interface DirListingEntry { name: string; ino: bigint; type: number; }

export interface FdEntry {
  kind: FdKind;
  /** Host file descriptor, or -1 when there is none. */
  hostFd: number;
  /** Whether fd_close closes hostFd (stdio given by the embedder is not ours to close). */
  ownsHostFd: boolean;
  filetype: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  /** fdflags (APPEND is emulated, NONBLOCK recorded, the sync flags fixed at open). */
  flags: number;
  /** Current offset of a file; unused by streams and directories. */
  position: bigint;
  /** Host path of a directory or file as it was reached (fd_readdir lists a directory by it; path_* calls use hostFd, never this). */
  hostPath: string;
  /** Guest name of a preopened directory. */
  preopenName?: string;
  /** fd_readdir snapshot, taken when a listing starts at cookie 0. */
  listing?: DirListingEntry[];
  /**
   * What the native fast path's poll_oneoff took from this socket ahead of the guest's read (to
   * learn nbytes without a FIONREAD, trampolines.ts readAhead), here while JS serves a call (its
   * FdMirror pull brings it, push takes it back): reads get it first (io.ts readOnce, sock.ts peek,
   * poll.ts). Never on a table without a native server.
   */
  readAhead?: ReadAhead;
}

/** Bytes read ahead on a socket, then (with none left) the WASI errno that read met, 0 = none. */
export interface ReadAhead { data: Buffer; errno: number; }

export function filetypeOf(st: BigIntStats | { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): number {
  if (st.isFile()) return Filetype.REGULAR_FILE;
  if (st.isDirectory()) return Filetype.DIRECTORY;
  if (st.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (st.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (st.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (st.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN; // FIFOs have no WASI file type
}

/**
 * An entry for a host fd given by the embedder (stdio). It is always a stream,
 * even when the host fd is a regular file: the host fd's offset is shared with
 * whoever opened it (`(echo a; prog) > out`, `prog >> log`), and Node has no
 * lseek to learn it, so reads and writes must go through the host's own offset.
 */
export function stdioEntry(hostFd: number): FdEntry {
  let filetype: number = Filetype.CHARACTER_DEVICE;
  try {
    // bigint as every stat of a warm start (jit/cache/wasm-file.ts statFd): Node's number Stats
    // class is JS compiled on its first use
    filetype = filetypeOf(fstatSync(hostFd, { bigint: true }));
  } catch {
    // A closed stdio fd: keep the entry so the guest gets EBADF from the host on use.
  }
  return {
    kind: 'stream', hostFd, ownsHostFd: false, filetype,
    rightsBase: STREAM_RIGHTS, rightsInheriting: 0n, flags: 0, position: 0n, hostPath: '',
  };
}

/**
 * A socket of ours: host fd non-blocking (blocking is the guest's view, emulated by waiting,
 * io.ts), `nonblock` the guest's FDFLAGS_NONBLOCK. `owned`: closed by fd_close / WASI.close().
 */
export function socketEntry(hostFd: number, nonblock: boolean, owned = true): FdEntry {
  return {
    kind: 'socket', hostFd, ownsHostFd: owned, filetype: Filetype.SOCKET_STREAM,
    rightsBase: SOCKET_RIGHTS, rightsInheriting: SOCKET_RIGHTS, flags: nonblock ? Fdflags.NONBLOCK : 0,
    position: 0n, hostPath: '',
  };
}

/**
 * A regular file a native server opened for path_open (the user-space stub, kwasm.ko) with
 * path_open's rights; ours to close. hostPath stays empty: neither had the path as a host
 * string, and nothing reads a file's.
 */
export function openedFileEntry(hostFd: number, rightsBase: bigint, rightsInheriting: bigint): FdEntry {
  return {
    kind: 'file', hostFd, ownsHostFd: true, filetype: Filetype.REGULAR_FILE,
    rightsBase, rightsInheriting, flags: 0, position: 0n, hostPath: '',
  };
}

export function preopenEntry(hostFd: number, hostPath: string, guestName: string): FdEntry {
  return {
    kind: 'dir', hostFd, ownsHostFd: true, filetype: Filetype.DIRECTORY,
    rightsBase: DIR_RIGHTS, rightsInheriting: DIR_RIGHTS | FILE_RIGHTS,
    flags: 0, position: 0n, hostPath, preopenName: guestName,
  };
}

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();

  /** The entry for `fd`; EBADF if closed, NOTCAPABLE if it lacks any of `rights`. */
  get(fd: number, rights = 0n): FdEntry {
    const e = this.entries.get(fd);
    if (e === undefined) return fail(Errno.BADF);
    if ((e.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
    return e;
  }

  /** A directory entry, for path_* calls: ENOTDIR for a file fd. */
  dir(fd: number, rights: bigint): FdEntry {
    const e = this.get(fd);
    if (e.kind !== 'dir') fail(Errno.NOTDIR);
    if ((e.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
    return e;
  }

  has(fd: number): boolean { return this.entries.has(fd); }

  /** Every open fd with its entry, in fd order (a snapshot: later changes do not show). */
  list(): [number, FdEntry][] { return [...this.entries].sort((a, b) => a[0] - b[0]); }

  set(fd: number, e: FdEntry): void { this.entries.set(fd, e); }

  /** Adds at the lowest free number, as POSIX open() does. */
  add(e: FdEntry): number {
    let fd = 0;
    while (this.entries.has(fd)) fd++;
    this.entries.set(fd, e);
    return fd;
  }

  close(fd: number): void {
    const e = this.get(fd);
    this.entries.delete(fd);
    if (e.ownsHostFd && e.hostFd >= 0) closeSync(e.hostFd);
  }

  renumber(from: number, to: number): void {
    const e = this.get(from);
    this.get(to);
    if (from === to) return;
    this.close(to);
    this.entries.delete(from);
    this.entries.set(to, e);
  }

  /** Closes every host fd this table owns (after the program ended). */
  closeAll(): void {
    for (const fd of [...this.entries.keys()]) {
      try { this.close(fd); } catch { /* already gone */ }
    }
  }
}
