// Blocking reads and writes on host fds, robust to what stdio can be.
//
// The embedder's stdio may be non-blocking pipes (Node makes pipes
// non-blocking once `process.stdout` is touched), so EAGAIN is retried after a
// short synchronous sleep instead of surfacing to a guest that expects a
// blocking fd, and a short write is continued until everything is written.

import { readSync, writeSync } from 'node:fs';
import { isSystemError } from './errno.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (the guest is synchronous). */
export function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

function isAgain(e: unknown): boolean {
  return isSystemError(e) && (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK');
}

/** Writes all of `data`; `position` null means the fd's own offset (streams). */
export function writeAll(fd: number, data: Uint8Array, position: bigint | null): number {
  let done = 0;
  while (done < data.length) {
    try {
      const at = position === null ? null : Number(position + BigInt(done));
      done += writeSync(fd, data, done, data.length - done, at);
    } catch (e) {
      if (!isAgain(e)) throw e;
      sleepMs(1);
    }
  }
  return done;
}

/** One read (may be short); 0 at end of file. */
export function readOnce(fd: number, into: Uint8Array, position: bigint | null): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, position);
    } catch (e) {
      if (isSystemError(e) && e.code === 'EOF') return 0;
      if (!isAgain(e)) throw e;
      sleepMs(1);
    }
  }
}
