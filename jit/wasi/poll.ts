// poll_oneoff: clock and fd subscriptions, waited for in the operating system.
//
// Regular files (and directories) are always ready, as POSIX says; every other fd (stdin, pipes,
// sockets, listening sockets: readable = a connection waits) goes into one ppoll(2) (wait.ts)
// whose timeout is the earliest clock subscription, bounded by the run's deadline. The number of
// subscriptions is bounded before anything is built (MAX_SUBSCRIPTIONS), so host memory stays
// small whatever the guest passes.

import { fstatSync } from 'node:fs';
import type { CallContext } from './context.js';
import { clockNow } from './clock.js';
import { Errno, errnoOf, fail } from './errno.js';
import { ClockId, Eventrwflags, Eventtype, EVENT, Rights, Subclockflags, SUBSCRIPTION } from './layout.js';
import { bytesReadable, POLL } from './sys.js';
import { waitReady, type PollFd } from './wait.js';

/**
 * Most subscriptions one poll_oneoff takes; more is EINVAL (as Linux poll(2) beyond
 * RLIMIT_NOFILE). Enough for a poll() over thousands of sockets, each with read and write.
 */
export const MAX_SUBSCRIPTIONS = 65536;

interface PendingEvent { userdata: bigint; error: number; type: number; nbytes: bigint; flags: number; }
/** `ahead`: bytes the fast path read ahead on this socket (FdEntry.readAhead): readable now, nbytes counts them */
interface FdWait { userdata: bigint; type: number; poll: PollFd; ahead?: number; }

const READABLE = POLL.IN | POLL.HUP | POLL.ERR;
const WRITABLE = POLL.OUT | POLL.HUP | POLL.ERR;

export function poll_oneoff(ctx: CallContext, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  if (nsubs === 0) fail(Errno.INVAL);
  if (nsubs > MAX_SUBSCRIPTIONS) fail(Errno.INVAL, `${nsubs} subscriptions, more than ${MAX_SUBSCRIPTIONS}`);
  const mem = ctx.mem;
  mem.slice(inPtr, nsubs * SUBSCRIPTION.size);
  mem.slice(outPtr, nsubs * EVENT.size);
  const ready: PendingEvent[] = [];
  const waits: FdWait[] = [];
  const clocks: { userdata: bigint; deadline: bigint }[] = []; // deadlines on the monotonic clock
  const start = clockNow(ClockId.MONOTONIC);
  let aheadReady = false;
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
        ready.push({ userdata, error: errnoOf(e), type: tag, nbytes: 0n, flags: 0 });
      }
    } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
      const fd = mem.getU32(s + SUBSCRIPTION.fd);
      try {
        const e = ctx.state.fds.get(fd, Rights.POLL_FD_READWRITE);
        if (e.kind === 'file' || e.kind === 'dir') {
          // For a regular file, the bytes left to read are known; always ready.
          let nbytes = 0n;
          if (tag === Eventtype.FD_READ && e.kind === 'file') {
            const left = fstatSync(e.hostFd, { bigint: true }).size - e.position;
            nbytes = left > 0n ? left : 0n;
          }
          ready.push({ userdata, error: Errno.SUCCESS, type: tag, nbytes, flags: 0 });
        } else {
          const w: FdWait = { userdata, type: tag, poll: { fd: e.hostFd, events: tag === Eventtype.FD_READ ? POLL.IN : POLL.OUT, revents: 0 } };
          if (tag === Eventtype.FD_READ && e.readAhead !== undefined) {
            w.ahead = e.readAhead.data.length;
            aheadReady = true;
          }
          waits.push(w);
        }
      } catch (e) {
        ready.push({ userdata, error: errnoOf(e), type: tag, nbytes: 0n, flags: 0 });
      }
    } else {
      ready.push({ userdata, error: Errno.INVAL, type: tag, nbytes: 0n, flags: 0 });
    }
  }
  // Something is ready already: only look which fds are too. Else sleep until the first clock.
  let timeout: bigint | null = null;
  if (ready.length > 0 || aheadReady) timeout = 0n;
  else if (clocks.length > 0) {
    const first = clocks.reduce((a, b) => (b.deadline < a ? b.deadline : a), clocks[0].deadline);
    timeout = first - clockNow(ClockId.MONOTONIC);
    if (timeout < 0n) timeout = 0n;
  }
  if (waits.length > 0 || timeout !== 0n) waitReady(ctx.state.deadline, waits.map((w) => w.poll), timeout);
  for (const w of waits) {
    const r = w.poll.revents | (w.ahead !== undefined ? POLL.IN : 0);
    if (r & POLL.NVAL) { ready.push({ userdata: w.userdata, error: Errno.BADF, type: w.type, nbytes: 0n, flags: 0 }); continue; }
    if ((r & (w.type === Eventtype.FD_READ ? READABLE : WRITABLE)) === 0) continue;
    const flags = r & POLL.HUP ? Eventrwflags.HANGUP : 0;
    ready.push({ userdata: w.userdata, error: Errno.SUCCESS, type: w.type, nbytes: w.type === Eventtype.FD_READ ? BigInt(w.ahead ?? 0) + readable(w.poll.fd) : 0n, flags });
  }
  const now = clockNow(ClockId.MONOTONIC);
  for (const c of clocks) {
    if (c.deadline <= now) ready.push({ userdata: c.userdata, error: Errno.SUCCESS, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
  }
  ready.forEach((ev, i) => {
    const o = outPtr + i * EVENT.size;
    mem.slice(o, EVENT.size).fill(0);
    mem.u64(o + EVENT.userdata, ev.userdata);
    mem.u16(o + EVENT.error, ev.error);
    mem.u8(o + EVENT.type, ev.type);
    mem.u64(o + EVENT.nbytes, ev.nbytes);
    mem.u16(o + EVENT.flags, ev.flags);
  });
  mem.u32(neventsPtr, ready.length);
  return Errno.SUCCESS;
}

/** Bytes a read would get at once (0 when the fd cannot tell, e.g. a listening socket). */
function readable(fd: number): bigint {
  try {
    return BigInt(bytesReadable(fd));
  } catch {
    return 0n;
  }
}
