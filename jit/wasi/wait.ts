// The one wait primitive of every blocking WASI call (reading stdin or a socket, writing a full
// pipe, accepting, sleeping or waiting in poll_oneoff): ppoll(2) on the host fds, with a timeout
// that never reaches past the run's deadline. A guest blocked in a host call is therefore
// stopped at the deadline wherever it waits, just as compiled code is stopped by the watchdog
// (jit/cli/timeout.ts): the call throws `Interrupted`, which the CLI reports as the trap
// "interrupted" (exit 134).
import { ppoll } from './sys.js';

/** Thrown out of a host call when the run's deadline passes while it waits; never an errno. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** When the run must end (monotonic), or null for never. Set by the embedder (WASI.setDeadline). */
export class Deadline {
  private at: bigint | null = null;

  /** `ms` from now, or null to remove it. */
  set(ms: number | null): void {
    this.at = ms === null ? null : nowNs() + BigInt(Math.max(0, Math.round(ms * 1e6)));
  }

  get armed(): boolean { return this.at !== null; }

  /** Throws Interrupted once the deadline has passed. */
  check(): void {
    if (this.at !== null && nowNs() >= this.at) throw new Interrupted();
  }

  /** min(timeoutNs, time left), null when both are unlimited. */
  clamp(timeoutNs: bigint | null): bigint | null {
    if (this.at === null) return timeoutNs;
    const left = this.at - nowNs();
    return timeoutNs === null || left < timeoutNs ? left : timeoutNs;
  }
}

export interface PollFd { fd: number; events: number; revents: number; }

/**
 * Waits until one of `fds` is ready (revents filled in) or `timeoutNs` passed (null: no limit;
 * an empty `fds` makes this a sleep). Returns the number of ready fds, 0 on timeout. Throws
 * Interrupted when the deadline comes first.
 */
export function waitReady(deadline: Deadline, fds: PollFd[], timeoutNs: bigint | null): number {
  const until = timeoutNs === null ? null : nowNs() + timeoutNs;
  for (;;) {
    deadline.check();
    const left = until === null ? null : until - nowNs();
    const n = ppoll(fds, deadline.clamp(left !== null && left < 0n ? 0n : left));
    if (n > 0) return n;
    deadline.check();
    // n === 0: our timeout, the deadline's (checked above) or EINTR (go round again)
    if (until !== null && nowNs() >= until) return 0;
  }
}

/** Waits for `events` on one host fd (no timeout of its own: only the deadline ends it). */
export function waitFd(deadline: Deadline, fd: number, events: number): number {
  const p: PollFd = { fd, events, revents: 0 };
  waitReady(deadline, [p], null);
  return p.revents;
}
