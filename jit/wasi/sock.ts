// sock_accept / sock_recv / sock_send / sock_shutdown, on the host's own sockets.
//
// Preview 1 cannot create sockets: a program has the listeners the embedder preopens
// (`--tcplisten`, WASIOptions.listeners; listeners.ts), the connections it accepts from them, and
// any socket handed to it as stdio (inetd style). Our sockets are non-blocking on the host; a
// guest fd in blocking mode waits in the one wait primitive (io.ts streamOp -> wait.ts ppoll,
// bounded by the run's deadline), one with FDFLAGS_NONBLOCK gets EAGAIN. An fd that is not a
// socket gets NOTSOCK, a closed one BADF — never an exception.
//
// The shapes (guest fd -> host fd, flags, a wait on the host fd) are what ring 0 would serve on
// its mirrored fd table (issue #15).

import type { CallContext } from './context.js';
import { Errno, errnoOf, fail } from './errno.js';
import { type FdEntry, socketEntry } from './fd-table.js';
import { isAgain, readOnce, streamOp, takeReadAhead, writeAll } from './io.js';
import { Fdflags, Filetype, Rights, Sdflags } from './layout.js';
import * as sys from './sys.js';

const Riflags = { RECV_PEEK: 1, RECV_WAITALL: 2 } as const;

function socket(ctx: CallContext, fd: number, rights = 0n): FdEntry {
  const e = ctx.state.fds.get(fd);
  if (e.filetype !== Filetype.SOCKET_STREAM && e.filetype !== Filetype.SOCKET_DGRAM) fail(Errno.NOTSOCK);
  if ((e.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
  return e;
}

/** Accepts a connection: a new socket fd, with FDFLAGS_NONBLOCK if `flags` asks for it. */
export function sock_accept(ctx: CallContext, fd: number, flags: number, fdPtr: number): number {
  const e = socket(ctx, fd);
  if (flags & ~Fdflags.NONBLOCK) fail(Errno.INVAL);
  ctx.mem.slice(fdPtr, 4); // EFAULT before a connection is taken
  const hostFd = streamOp(ctx, e, sys.POLL.IN, () => sys.accept(e.hostFd));
  ctx.mem.u32(fdPtr, ctx.state.fds.add(socketEntry(hostFd, (flags & Fdflags.NONBLOCK) !== 0)));
  return Errno.SUCCESS;
}

export function sock_recv(ctx: CallContext, fd: number, riData: number, riLen: number, riFlags: number, roDatalenPtr: number, roFlagsPtr: number): number {
  const e = socket(ctx, fd, Rights.FD_READ);
  if (riFlags & ~(Riflags.RECV_PEEK | Riflags.RECV_WAITALL)) fail(Errno.INVAL);
  const bufs = ctx.mem.iovecs(riData, riLen).filter((b) => b.length > 0);
  ctx.mem.slice(roDatalenPtr, 4);
  ctx.mem.slice(roFlagsPtr, 2);
  let total = 0;
  if (riFlags & Riflags.RECV_PEEK) {
    // a peek looks at the first buffer's worth (as wasmtime); nothing is consumed
    if (bufs.length > 0 && e.readAhead !== undefined) total = peekAhead(e, bufs[0]);
    else if (bufs.length > 0) total = streamOp(ctx, e, sys.POLL.IN, () => sys.recv(e.hostFd, bufs[0], sys.MSG_PEEK));
  } else {
    const waitAll = (riFlags & Riflags.RECV_WAITALL) !== 0;
    for (const buf of bufs) {
      let got = 0;
      while (got < buf.length) {
        // after the first bytes, a non-blocking socket stops short instead of failing with EAGAIN
        const n = readOnce(ctx, e, buf.subarray(got), null, total + got);
        got += n;
        if (n <= 0 || !waitAll) break;
      }
      total += got;
      if (got < buf.length) break;
    }
  }
  // stream sockets never truncate a message: ro_flags is always 0 (no RECV_DATA_TRUNCATED)
  ctx.mem.u32(roDatalenPtr, total);
  ctx.mem.u16(roFlagsPtr, 0);
  return Errno.SUCCESS;
}

export function sock_send(ctx: CallContext, fd: number, siData: number, siLen: number, _siFlags: number, soDatalenPtr: number): number {
  const e = socket(ctx, fd, Rights.FD_WRITE);
  ctx.mem.slice(soDatalenPtr, 4);
  let total = 0;
  for (const buf of ctx.mem.iovecs(siData, siLen)) {
    const n = writeAll(ctx, e, buf, null, total);
    total += n;
    if (n < buf.length) break;
  }
  ctx.mem.u32(soDatalenPtr, total);
  return Errno.SUCCESS;
}

/**
 * A peek at a socket with bytes read ahead (FdEntry.readAhead): those bytes, then what the socket
 * holds after them, without waiting (a short peek is a peek); an error read ahead is the answer.
 */
function peekAhead(e: FdEntry, into: Uint8Array): number {
  const n = takeReadAhead(e, into, true);
  if (n === into.length) return n;
  try {
    return n + sys.recv(e.hostFd, into.subarray(n), sys.MSG_PEEK | sys.MSG_DONTWAIT);
  } catch (err) {
    // nothing more now (EAGAIN); an error the socket reported (once) comes after those bytes
    if (!isAgain(err)) e.readAhead!.errno = errnoOf(err);
    return n;
  }
}

/** how: SDFLAGS_RD, SDFLAGS_WR or both; anything else is EINVAL. */
export function sock_shutdown(ctx: CallContext, fd: number, how: number): number {
  const e = socket(ctx, fd);
  const both = Sdflags.RD | Sdflags.WR;
  if (how === 0 || (how & ~both) !== 0) fail(Errno.INVAL);
  sys.shutdown(e.hostFd, how === both ? sys.SHUT.RDWR : how === Sdflags.RD ? sys.SHUT.RD : sys.SHUT.WR);
  return Errno.SUCCESS;
}
