// poll_oneoff with clock and fd subscriptions.
//
// Node has no synchronous poll(2), so readiness of an fd cannot be waited for:
// regular files are always ready (as POSIX says), and streams (stdin, pipes)
// are reported ready at once — a following fd_read then blocks until data
// comes, which is what a single-threaded guest waiting on one fd wants.
// Clock subscriptions sleep the thread (Atomics.wait) until the earliest
// deadline when no fd event is ready.

import { fstatSync } from 'node:fs';
import type { CallContext } from './context.js';
import { clockNow } from './clock.js';
import { Errno, errnoOf, fail } from './errno.js';
import { ClockId, Eventtype, EVENT, Rights, Subclockflags, SUBSCRIPTION } from './layout.js';
import { sleepMs } from './io.js';

interface PendingEvent { userdata: bigint; error: number; type: number; nbytes: bigint; }

export function poll_oneoff(ctx: CallContext, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  if (nsubs === 0) fail(Errno.INVAL);
  const mem = ctx.mem;
  mem.slice(inPtr, nsubs * SUBSCRIPTION.size);
  mem.slice(outPtr, nsubs * EVENT.size);
  const ready: PendingEvent[] = [];
  const clocks: { userdata: bigint; deadline: bigint }[] = []; // deadlines on the monotonic clock
  const start = clockNow(ClockId.MONOTONIC);
  for (let i = 0; i < nsubs; i++) {
    const s = inPtr + i * SUBSCRIPTION.size;
    const userdata = mem.getU64(s + SUBSCRIPTION.userdata);
    const tag = mem.getU8(s + SUBSCRIPTION.tag);
    if (tag === Eventtype.CLOCK) {
      const id = mem.getU32(s + SUBSCRIPTION.clockId);
      const timeout = mem.getU64(s + SUBSCRIPTION.clockTimeout);
      const abs = (mem.getU16(s + SUBSCRIPTION.clockFlags) & Subclockflags.ABSTIME) !== 0;
      try {
        const wait = abs ? timeout - clockNow(id) : (clockNow(id), timeout);
        clocks.push({ userdata, deadline: start + (wait > 0n ? wait : 0n) });
      } catch (e) {
        ready.push({ userdata, error: errnoOf(e), type: tag, nbytes: 0n });
      }
    } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
      const fd = mem.getU32(s + SUBSCRIPTION.fd);
      try {
        const e = ctx.state.fds.get(fd, Rights.POLL_FD_READWRITE);
        // For a regular file, the bytes left to read are known; for the rest, unknown (0).
        let nbytes = 0n;
        if (tag === Eventtype.FD_READ && e.kind === 'file') {
          const left = fstatSync(e.hostFd, { bigint: true }).size - e.position;
          nbytes = left > 0n ? left : 0n;
        }
        ready.push({ userdata, error: Errno.SUCCESS, type: tag, nbytes });
      } catch (e) {
        ready.push({ userdata, error: errnoOf(e), type: tag, nbytes: 0n });
      }
    } else {
      ready.push({ userdata, error: Errno.INVAL, type: tag, nbytes: 0n });
    }
  }
  if (ready.length === 0 && clocks.length > 0) {
    const first = clocks.reduce((a, b) => (b.deadline < a ? b.deadline : a), clocks[0].deadline);
    for (let now = clockNow(ClockId.MONOTONIC); now < first; now = clockNow(ClockId.MONOTONIC)) {
      sleepMs(Number(first - now) / 1e6);
    }
  }
  const now = clockNow(ClockId.MONOTONIC);
  for (const c of clocks) {
    if (c.deadline <= now) ready.push({ userdata: c.userdata, error: Errno.SUCCESS, type: Eventtype.CLOCK, nbytes: 0n });
  }
  ready.forEach((ev, i) => {
    const o = outPtr + i * EVENT.size;
    mem.slice(o, EVENT.size).fill(0);
    mem.u64(o + EVENT.userdata, ev.userdata);
    mem.u16(o + EVENT.error, ev.error);
    mem.u8(o + EVENT.type, ev.type);
    mem.u64(o + EVENT.nbytes, ev.nbytes);
  });
  mem.u32(neventsPtr, ready.length);
  return Errno.SUCCESS;
}
