// clock_res_get / clock_time_get.
//
// Realtime is derived from the monotonic clock plus the wall-clock time origin
// of this process (`performance.timeOrigin`), which gives microseconds instead
// of Date.now()'s milliseconds; it does not follow host clock adjustments made
// while the program runs. CPU time clocks use process.cpuUsage() (microseconds),
// and the thread clock is the process clock: a WASI program has one thread.

import type { CallContext } from './context.js';
import { Errno, fail } from './errno.js';
import { ClockId } from './layout.js';

/** The realtime clock's origin, on first use (Node's `performance` loads perf_hooks: not at every start). */
let origin: { ns: bigint; hr: bigint } | undefined;
function realtimeOrigin(): { ns: bigint; hr: bigint } {
  return (origin ??= {
    ns: BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n,
    hr: process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6)),
  });
}

/** Current time of a WASI clock in nanoseconds; EINVAL for an unknown clock. */
export function clockNow(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME: { const o = realtimeOrigin(); return o.ns + (process.hrtime.bigint() - o.hr); }
    case ClockId.MONOTONIC: return process.hrtime.bigint();
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME: {
      const u = process.cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    }
    default: return fail(Errno.INVAL, `unknown clock ${id}`);
  }
}

const RESOLUTION_NS: Readonly<Record<number, bigint>> = {
  [ClockId.REALTIME]: 1000n, [ClockId.MONOTONIC]: 1n,
  [ClockId.PROCESS_CPUTIME]: 1000n, [ClockId.THREAD_CPUTIME]: 1000n,
};

export function clock_res_get(ctx: CallContext, id: number, ptr: number): number {
  const res = RESOLUTION_NS[id];
  if (res === undefined) fail(Errno.INVAL);
  ctx.mem.u64(ptr, res);
  return Errno.SUCCESS;
}

export function clock_time_get(ctx: CallContext, id: number, _precision: bigint, ptr: number): number {
  ctx.mem.u64(ptr, clockNow(id));
  return Errno.SUCCESS;
}
