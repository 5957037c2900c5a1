// Struct layouts and flag values of wasi_snapshot_preview1 (from its witx),
// as offset tables so that reading and writing guest structs names fields
// instead of scattering magic numbers. All structs are little-endian with the
// natural C alignment of wasm32.

export const IOVEC = { size: 8, buf: 0, bufLen: 4 } as const;

export const FDSTAT = { size: 24, filetype: 0, flags: 2, rightsBase: 8, rightsInheriting: 16 } as const;

export const FILESTAT = {
  size: 64, dev: 0, ino: 8, filetype: 16, nlink: 24, fileSize: 32, atim: 40, mtim: 48, ctim: 56,
} as const;

/** dirent header; the name (not NUL-terminated) follows immediately. */
export const DIRENT = { size: 24, next: 0, ino: 8, namlen: 16, type: 20 } as const;

export const PRESTAT = { size: 8, tag: 0, nameLen: 4 } as const;
export const PREOPENTYPE_DIR = 0;
/**
 * Not in preview 1 (whose preopentype has `dir` only): the prestat of a preopened socket. wasi-libc
 * scans fds from 3 and stops at the first EBADF, so a listener at fd 3 answering EBADF (wasmtime
 * does) would hide the --dir preopens after it; any other tag it skips.
 */
export const PREOPENTYPE_SOCKET = 1;

/** subscription: userdata, then a tagged union whose payload starts at 16. */
export const SUBSCRIPTION = {
  size: 48, userdata: 0, tag: 8,
  clockId: 16, clockTimeout: 24, clockPrecision: 32, clockFlags: 40,
  fd: 16,
} as const;

export const EVENT = { size: 32, userdata: 0, error: 8, type: 10, nbytes: 16, flags: 24 } as const;

export const Filetype = {
  UNKNOWN: 0, BLOCK_DEVICE: 1, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4,
  SOCKET_DGRAM: 5, SOCKET_STREAM: 6, SYMBOLIC_LINK: 7,
} as const;

export const Whence = { SET: 0, CUR: 1, END: 2 } as const;
export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;
export const Oflags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const Fdflags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
export const Lookupflags = { SYMLINK_FOLLOW: 1 } as const;
export const Fstflags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
export const Subclockflags = { ABSTIME: 1 } as const;
export const Eventtype = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const Eventrwflags = { HANGUP: 1 } as const;
export const Sdflags = { RD: 1, WR: 2 } as const;
export const ADVICE_MAX = 5; // normal, sequential, random, willneed, dontneed, noreuse

/** `rights` bits, witx order. */
const RIGHT_NAMES = [
  'FD_DATASYNC', 'FD_READ', 'FD_SEEK', 'FD_FDSTAT_SET_FLAGS', 'FD_SYNC', 'FD_TELL', 'FD_WRITE',
  'FD_ADVISE', 'FD_ALLOCATE', 'PATH_CREATE_DIRECTORY', 'PATH_CREATE_FILE', 'PATH_LINK_SOURCE',
  'PATH_LINK_TARGET', 'PATH_OPEN', 'FD_READDIR', 'PATH_READLINK', 'PATH_RENAME_SOURCE',
  'PATH_RENAME_TARGET', 'PATH_FILESTAT_GET', 'PATH_FILESTAT_SET_SIZE', 'PATH_FILESTAT_SET_TIMES',
  'FD_FILESTAT_GET', 'FD_FILESTAT_SET_SIZE', 'FD_FILESTAT_SET_TIMES', 'PATH_SYMLINK',
  'PATH_REMOVE_DIRECTORY', 'PATH_UNLINK_FILE', 'POLL_FD_READWRITE', 'SOCK_SHUTDOWN', 'SOCK_ACCEPT',
] as const;
export type RightName = typeof RIGHT_NAMES[number];
export const Rights: Readonly<Record<RightName, bigint>> = Object.freeze(
  Object.fromEntries(RIGHT_NAMES.map((n, i) => [n, 1n << BigInt(i)])) as Record<RightName, bigint>,
);

function union(...names: RightName[]): bigint {
  return names.reduce((acc, n) => acc | Rights[n], 0n);
}

/** Rights that make sense on a regular file (and on stdio). */
export const FILE_RIGHTS = union(
  'FD_DATASYNC', 'FD_READ', 'FD_SEEK', 'FD_FDSTAT_SET_FLAGS', 'FD_SYNC', 'FD_TELL', 'FD_WRITE',
  'FD_ADVISE', 'FD_ALLOCATE', 'FD_FILESTAT_GET', 'FD_FILESTAT_SET_SIZE', 'FD_FILESTAT_SET_TIMES',
  'POLL_FD_READWRITE',
);

/** Rights that make sense on a directory. */
export const DIR_RIGHTS = union(
  'FD_FDSTAT_SET_FLAGS', 'FD_SYNC', 'FD_DATASYNC', 'FD_ADVISE', 'PATH_CREATE_DIRECTORY',
  'PATH_CREATE_FILE', 'PATH_LINK_SOURCE', 'PATH_LINK_TARGET', 'PATH_OPEN', 'FD_READDIR',
  'PATH_READLINK', 'PATH_RENAME_SOURCE', 'PATH_RENAME_TARGET', 'PATH_FILESTAT_GET',
  'PATH_FILESTAT_SET_SIZE', 'PATH_FILESTAT_SET_TIMES', 'FD_FILESTAT_GET', 'FD_FILESTAT_SET_TIMES',
  'PATH_SYMLINK', 'PATH_REMOVE_DIRECTORY', 'PATH_UNLINK_FILE', 'POLL_FD_READWRITE',
);

/** A socket (listening or connected): a stream that can also accept and shut down. */
export const SOCKET_RIGHTS = union(
  'FD_READ', 'FD_WRITE', 'FD_FDSTAT_SET_FLAGS', 'FD_FILESTAT_GET', 'POLL_FD_READWRITE', 'SOCK_SHUTDOWN', 'SOCK_ACCEPT',
);

/** A pipe or terminal: no seeking, no telling. */
export const STREAM_RIGHTS = FILE_RIGHTS & ~union('FD_SEEK', 'FD_TELL');
