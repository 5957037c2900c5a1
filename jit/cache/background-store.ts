// Large cache entries are written by a worker thread (store-worker.ts) while this thread goes on
// to instantiate and run the module: the write of a 44 MB entry (ruby+stdlib.wasm) into fresh
// page-cache pages took 90-200 ms of a first run's critical path on the development VM
// (bench/results/startup.md). The process still ends with the entry in place: an 'exit' handler
// waits for the stores handed over (bounded by EXIT_WAIT_MS, START_WAIT_MS for a worker that
// never started; a store cut short leaves a temp file, removed later as stale, never a partial
// entry). A `get` in this process waits first too, so a put is seen by the next get as before.
// The worker is made on the first large store (~4-5 ms of this thread: node:worker_threads and
// the Worker) and unref'd: it never keeps the process alive by itself.
import type * as WorkerThreads from 'node:worker_threads';
import { builtin } from '../node-binding.js';
import { workerExecArgv } from '../worker-exec-argv.js';
import { existsSync } from 'node:fs';
import { writeWhole, evictDir } from './cache-files.js';

/** What the store worker does for one entry: writeWhole, then evictDir if it was written. */
export interface StoreJob { dir: string; name: string; tmp: string; bytes: Uint8Array; maxBytes: number }

/** The longest an exiting process (or a get) waits for its stores: far beyond any local write. */
const EXIT_WAIT_MS = 30_000;
/**
 * The longest it waits for a worker that has not started yet: one whose script fails to load
 * reports that as an event this thread's loop may never run again, so the wait cannot learn it.
 */
const START_WAIT_MS = 5_000;

/** Slots of the shared counter: stores handed over and not ended; 1 once the worker runs. */
const PENDING = 0, ALIVE = 1;

/** For tests: another worker script (one that fails to load, or none), a shorter START_WAIT_MS. */
export const storeInternals: { workerUrl?: URL; startWaitMs?: number } = {};

let worker: WorkerThreads.Worker | undefined;
/** The shared counter (PENDING, ALIVE); the worker takes PENDING down and notifies on it. */
let pending: Int32Array | undefined;
let startedAt = 0;
/** The worker failed to start or died: stores are written in place from now on. */
let broken = false;

function startWorker(): boolean {
  if (worker !== undefined) return true;
  if (broken) return false;
  try {
    const { Worker } = builtin('node:worker_threads') as typeof WorkerThreads;
    const counter = new Int32Array(new SharedArrayBuffer(8));
    // a sibling file in both layouts (tsc output and bundle), see jit/cli/bundle.ts WORKERS; a
    // copy of the package without it (bundled again by someone) writes in place
    const url = storeInternals.workerUrl ?? new URL('./store-worker.js', import.meta.url);
    if (!existsSync(url)) throw new Error('no store worker');
    const w = new Worker(url, { workerData: { pending: counter }, execArgv: workerExecArgv() });
    startedAt = Date.now();
    w.unref();
    // A worker that fails or dies ends its stores unfinished: stop waiting for them (when this
    // thread's event loop runs; an exit meanwhile waits out the bounds of waitForStores).
    // ('error' needs a listener of its own: unheard, it would be thrown here.)
    const gone = (): void => { broken = true; worker = undefined; Atomics.store(counter, PENDING, 0); };
    w.on('error', gone);
    w.on('exit', gone);
    worker = w;
    pending = counter;
    // first of the exit handlers: one registered before (a caller removing a temp cache home at
    // exit, as the tests do) must find the entry written, not being written
    process.prependListener('exit', () => { waitForStores(); });
    return true;
  } catch {
    broken = true;
    return false;
  }
}

/**
 * Hands `job` to the store worker, its bytes transferred (the caller must not use them again);
 * false if there is no worker (the caller writes the entry itself) or the bytes are not a whole
 * ArrayBuffer of their own (transferring would take more than them).
 */
export function storeInBackground(job: StoreJob): boolean {
  const b = job.bytes;
  if (!(b.buffer instanceof ArrayBuffer) || b.byteOffset !== 0 || b.byteLength !== b.buffer.byteLength) return false;
  if (!startWorker() || worker === undefined || pending === undefined) return false;
  Atomics.add(pending, PENDING, 1);
  try {
    worker.postMessage(job, [b.buffer]);
  } catch {
    Atomics.sub(pending, PENDING, 1);
    return false;
  }
  return true;
}

/** Some store handed to the worker has not ended (what the tests see of a put handed over). */
export function storesPending(): boolean {
  return pending !== undefined && Atomics.load(pending, PENDING) > 0;
}

/**
 * Waits until every store handed over has ended: EXIT_WAIT_MS at most, and no longer than
 * START_WAIT_MS after the worker was made if it has not started by then. Nothing pending (a
 * warm start never made the worker): no clock read.
 */
export function waitForStores(): void {
  const c = pending;
  if (c === undefined) return;
  let end = 0;
  for (let n = Atomics.load(c, PENDING); n > 0; n = Atomics.load(c, PENDING)) {
    const now = Date.now();
    if (end === 0) end = now + EXIT_WAIT_MS;
    const until = Atomics.load(c, ALIVE) === 1 ? end : Math.min(end, startedAt + (storeInternals.startWaitMs ?? START_WAIT_MS));
    if (now >= until) return;
    Atomics.wait(c, PENDING, n, until - now); // woken by a store's end or the worker's start
  }
}

/** The worker's side (store-worker.ts): it runs; then, per job, the job and the count down. */
export function storeWorkerStarted(counter: Int32Array): void {
  Atomics.store(counter, ALIVE, 1);
  Atomics.notify(counter, PENDING);
}

export function runStoreJob(job: StoreJob, counter: Int32Array): void {
  try {
    if (writeWhole(job.dir, job.name, job.tmp, job.bytes)) evictDir(job.dir, job.maxBytes);
  } finally {
    Atomics.sub(counter, PENDING, 1);
    Atomics.notify(counter, PENDING);
  }
}
