// Milliseconds on a monotonic clock, for the timings kwasm-jit reports (cache load, run time).
// Not performance.now(): Node's `performance` loads perf_hooks on first use, ~1.5 ms of every
// CLI start (in-process, first performance.now() against first process.hrtime.bigint()).
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
