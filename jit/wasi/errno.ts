// WASI preview 1 errno values and the mapping from Node's `err.code`.
//
// Every host call returns one of these numbers. Host failures arrive as Node
// SystemErrors whose `code` is the POSIX name ("ENOENT"); the WASI numbering
// is different (alphabetical in the witx), so a table translates them.

/** `errno` from wasi_snapshot_preview1.witx, in witx order (value = index). */
const ERRNO_NAMES = [
  'SUCCESS', '2BIG', 'ACCES', 'ADDRINUSE', 'ADDRNOTAVAIL', 'AFNOSUPPORT', 'AGAIN', 'ALREADY',
  'BADF', 'BADMSG', 'BUSY', 'CANCELED', 'CHILD', 'CONNABORTED', 'CONNREFUSED', 'CONNRESET',
  'DEADLK', 'DESTADDRREQ', 'DOM', 'DQUOT', 'EXIST', 'FAULT', 'FBIG', 'HOSTUNREACH', 'IDRM',
  'ILSEQ', 'INPROGRESS', 'INTR', 'INVAL', 'IO', 'ISCONN', 'ISDIR', 'LOOP', 'MFILE', 'MLINK',
  'MSGSIZE', 'MULTIHOP', 'NAMETOOLONG', 'NETDOWN', 'NETRESET', 'NETUNREACH', 'NFILE', 'NOBUFS',
  'NODEV', 'NOENT', 'NOEXEC', 'NOLCK', 'NOLINK', 'NOMEM', 'NOMSG', 'NOPROTOOPT', 'NOSPC',
  'NOSYS', 'NOTCONN', 'NOTDIR', 'NOTEMPTY', 'NOTRECOVERABLE', 'NOTSOCK', 'NOTSUP', 'NOTTY',
  'NXIO', 'OVERFLOW', 'OWNERDEAD', 'PERM', 'PIPE', 'PROTO', 'PROTONOSUPPORT', 'PROTOTYPE',
  'RANGE', 'ROFS', 'SPIPE', 'SRCH', 'STALE', 'TIMEDOUT', 'TXTBSY', 'XDEV', 'NOTCAPABLE',
] as const;

export type ErrnoName = typeof ERRNO_NAMES[number];

/** Errno numbers by name: `Errno.NOENT === 44`. */
export const Errno: Readonly<Record<ErrnoName, number>> = Object.freeze(
  Object.fromEntries(ERRNO_NAMES.map((name, i) => [name, i])) as Record<ErrnoName, number>,
);

/** Name of an errno number ("NOENT"), for messages and tests. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/**
 * Node reports POSIX names; WASI's names are the same without the leading E
 * except for a few aliases Linux has (EWOULDBLOCK = EAGAIN, EOPNOTSUPP = ENOTSUP,
 * EDEADLOCK = EDEADLK). Anything unknown is EIO: a host error we cannot name
 * must still be an error the guest can handle, not a crash.
 */
const ALIASES: Readonly<Record<string, ErrnoName>> = {
  EWOULDBLOCK: 'AGAIN', EOPNOTSUPP: 'NOTSUP', EDEADLOCK: 'DEADLK', ENOTSUPP: 'NOTSUP',
};

export function errnoFromNodeCode(code: string | undefined): number {
  if (code === undefined) return Errno.IO;
  const alias = ALIASES[code];
  if (alias !== undefined) return Errno[alias];
  if (code.startsWith('E')) {
    const name = code.slice(1) as ErrnoName;
    if (Object.prototype.hasOwnProperty.call(Errno, name) && name !== 'SUCCESS') return Errno[name];
  }
  return Errno.IO;
}

/** Thrown inside the WASI layer to return an errno from the current host call. */
export class WasiError extends Error {
  readonly errno: number;
  constructor(errno: number, message?: string) {
    super(message ?? `WASI error ${errnoName(errno)}`);
    this.name = 'WasiError';
    this.errno = errno;
  }
}

/** Shorthand for `throw new WasiError(...)` in expressions. */
export function fail(errno: number, message?: string): never {
  throw new WasiError(errno, message);
}

/** A Node SystemError (has a string `code` such as "ENOENT"). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string'
    && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code ?? '');
}

/**
 * The errno a failed host call returns. WasiError carries its own; a Node
 * SystemError is translated; a Node argument check (code ERR_*, e.g. a length
 * out of range) means the guest passed an impossible value: INVAL; a plain
 * RangeError comes from a DataView access past the end of linear memory (a bad
 * guest pointer): FAULT. V8's own stack exhaustion must stay a trap, and
 * anything else is a bug in this layer: both are rethrown, not hidden as errnos.
 */
export function errnoOf(e: unknown): number {
  if (e instanceof WasiError) return e.errno;
  if (isSystemError(e)) return errnoFromNodeCode(e.code);
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  if (typeof code === 'string' && code.startsWith('ERR_')) return Errno.INVAL;
  if (e instanceof RangeError && !/call stack/i.test(e.message)) return Errno.FAULT;
  throw e;
}
