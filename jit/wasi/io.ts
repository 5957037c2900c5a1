// Reads and writes on host fds, robust to what stdio can be, bounded by the run's deadline.
//
// Files are read and written at a position (pread/pwrite) and never block. Streams (stdio, pipes,
// sockets) may: the embedder's stdio may be non-blocking pipes (Node makes pipes non-blocking
// once `process.stdout` is touched) and our sockets are always non-blocking on the host, so
// EAGAIN means "wait" (wait.ts: ppoll, bounded by the deadline) for a guest fd in blocking mode
// and EAGAIN for one with FDFLAGS_NONBLOCK. With a deadline armed, a blocking stream is waited
// for *before* read(2)/write(2), which could otherwise block in the OS past it.

import { readSync, writeSync } from 'node:fs';
import type { CallContext } from './context.js';
import { Errno, fail, isSystemError } from './errno.js';
import type { FdEntry } from './fd-table.js';
import { Fdflags } from './layout.js';
import { POLL } from './sys.js';
import { waitFd } from './wait.js';

export function isAgain(e: unknown): boolean {
  return isSystemError(e) && (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK');
}

/**
 * Runs `op` on a stream, turning "would block" into waiting for `events` (blocking guest fd) or
 * EAGAIN (non-blocking guest fd). `partial`: what was already done in this call, returned
 * instead of EAGAIN (a short write is not an error).
 */
export function streamOp(ctx: CallContext, e: FdEntry, events: number, op: () => number, partial = 0): number {
  const nonblock = (e.flags & Fdflags.NONBLOCK) !== 0;
  const deadline = ctx.state.deadline;
  if (!nonblock && deadline.armed) waitFd(deadline, e.hostFd, events);
  for (;;) {
    try {
      return op();
    } catch (err) {
      if (!isAgain(err)) throw err;
      if (nonblock) return partial > 0 ? -1 : fail(Errno.AGAIN);
      waitFd(deadline, e.hostFd, events);
    }
  }
}

/**
 * Writes all of `data` (a non-blocking guest stream: as much as fits); `position` null = stream.
 * `before`: bytes this host call already wrote from earlier buffers (then "full" is a short write,
 * not EAGAIN).
 */
export function writeAll(ctx: CallContext, e: FdEntry, data: Uint8Array, position: bigint | null, before = 0): number {
  let done = 0;
  while (done < data.length) {
    if (position !== null) {
      done += writeSync(e.hostFd, data, done, data.length - done, Number(position + BigInt(done)));
      continue;
    }
    const n = streamOp(ctx, e, POLL.OUT, () => writeSync(e.hostFd, data, done, data.length - done, null), before + done);
    if (n < 0) break; // non-blocking and full: a short write
    done += n;
  }
  return done;
}

/**
 * One read (may be short); 0 at end of file. `before`: bytes this host call already read into
 * earlier buffers (then "would block" on a non-blocking guest stream is 0, a short count, not
 * EAGAIN, which would lose them).
 */
export function readOnce(ctx: CallContext, e: FdEntry, into: Uint8Array, position: bigint | null, before = 0): number {
  if (position === null && e.readAhead !== undefined) return takeReadAhead(e, into, false);
  const read = (): number => {
    try {
      return readSync(e.hostFd, into, 0, into.length, position);
    } catch (err) {
      if (isSystemError(err) && err.code === 'EOF') return 0;
      throw err;
    }
  };
  return position !== null ? read() : Math.max(0, streamOp(ctx, e, POLL.IN, read, before));
}

/**
 * Bytes read ahead on `e` (FdEntry.readAhead) into `into`: as many as fit (consumed unless `peek`);
 * with none left, its error is thrown, once (a socket reports an error once, a peek included).
 */
export function takeReadAhead(e: FdEntry, into: Uint8Array, peek: boolean): number {
  const ra = e.readAhead!;
  if (ra.data.length === 0) {
    e.readAhead = undefined;
    return fail(ra.errno); // never empty with errno 0 (dropped when it empties)
  }
  const n = Math.min(into.length, ra.data.length);
  into.set(ra.data.subarray(0, n));
  if (!peek) ra.data = ra.data.subarray(n);
  if (ra.data.length === 0 && ra.errno === 0) e.readAhead = undefined;
  return n;
}
