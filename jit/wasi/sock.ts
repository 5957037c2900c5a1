// sock_accept / sock_recv / sock_send / sock_shutdown.
//
// Preview 1 has no way to create sockets; a program only has the ones the
// embedder hands it (e.g. a connected socket as stdin, inetd style). recv and
// send on such an fd are reads and writes. Node cannot accept(2) or
// shutdown(2) a raw fd synchronously, so those return NOSYS. An fd that is not
// a socket gets NOTSOCK, a closed one BADF — never an exception.

import type { CallContext } from './context.js';
import { Errno, fail } from './errno.js';
import { type FdEntry } from './fd-table.js';
import { readOnce, writeAll } from './io.js';
import { Filetype } from './layout.js';

const RIFLAGS_RECV_PEEK = 1;
const RIFLAGS_RECV_WAITALL = 2;

function socket(ctx: CallContext, fd: number): FdEntry {
  const e = ctx.state.fds.get(fd);
  if (e.filetype !== Filetype.SOCKET_STREAM && e.filetype !== Filetype.SOCKET_DGRAM) fail(Errno.NOTSOCK);
  return e;
}

export function sock_accept(ctx: CallContext, fd: number, _flags: number, _fdPtr: number): number {
  socket(ctx, fd);
  return Errno.NOSYS;
}

export function sock_recv(ctx: CallContext, fd: number, riData: number, riLen: number, riFlags: number, roDatalenPtr: number, roFlagsPtr: number): number {
  const e = socket(ctx, fd);
  if (riFlags & RIFLAGS_RECV_PEEK) fail(Errno.NOTSUP);
  let total = 0;
  for (const buf of ctx.mem.iovecs(riData, riLen)) {
    let got = 0;
    while (got < buf.length) {
      const n = readOnce(ctx, e, buf.subarray(got), null);
      got += n;
      if (n === 0 || !(riFlags & RIFLAGS_RECV_WAITALL)) break;
    }
    total += got;
    if (got < buf.length) break;
  }
  ctx.mem.u32(roDatalenPtr, total);
  ctx.mem.u16(roFlagsPtr, 0);
  return Errno.SUCCESS;
}

export function sock_send(ctx: CallContext, fd: number, siData: number, siLen: number, _siFlags: number, soDatalenPtr: number): number {
  const e = socket(ctx, fd);
  let total = 0;
  for (const buf of ctx.mem.iovecs(siData, siLen)) total += writeAll(ctx, e, buf, null, total);
  ctx.mem.u32(soDatalenPtr, total);
  return Errno.SUCCESS;
}

export function sock_shutdown(ctx: CallContext, fd: number, _how: number): number {
  socket(ctx, fd);
  return Errno.NOSYS;
}
