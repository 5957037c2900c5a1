// Parallel compilation. The compiling thread works through the bodies from the front, one
// function at a time, straight into the image's Assembler (exactly the single-threaded path: no
// part, no copy, no labels made twice); worker threads (compile-worker.ts) take chunks from the
// back, each compiled apart into a part (compile-range.ts). Both ends claim under one small lock
// on shared counters (FRONT, BACK), so no function is claimed twice. Where they meet, this
// thread appends the workers' parts in function order (`appendPart`: the image is the
// single-threaded one byte for byte) and compiles in place whatever is not there yet (a chunk
// still being compiled, a worker that failed, died or never started): it never waits for a
// worker (though a worker without a core of its own still slows it down: see compileThreads).
//
// Errors: a worker that fails on a chunk posts nothing for it and stops; this thread compiles
// that chunk in place and throws what the single-threaded compile throws (the lowest failing
// function first, since it goes in order).
//
// Workers stay alive between compiles (unref'd, ended after POOL_IDLE_MS without work): the
// second compile in a process finds V8 warmed up in them. A cold worker is expensive: starting
// it, loading and decoding, and above all V8 compiling its own copy of our compiler (TurboFan on
// the same cores): see compileThreads for when that is worth it.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { workerExecArgv } from '../worker-exec-argv.js';
import type { Assembler, Label } from '../../backend-x64/index.js';
import type { ImageFunction } from '../../abi/image.js';
import type { ModuleInfo } from '../frontend/types.js';
import { FUNCTION_ALIGN, RangeCompiler, type CompiledRange } from './compile-range.js';
import type { ModuleEnv } from './masm.js';

/**
 * Shared counters (Int32Array over a SharedArrayBuffer): the lock, the first function not claimed
 * from the front, the first one claimed from the back, and the first function the compiling
 * thread has not placed yet once they met (a worker gives up a chunk that starts below it: its
 * part would be ignored).
 */
export const LOCK = 0, FRONT = 1, BACK = 2, PLACED = 3;
const STATE_WORDS = 4;

/** What a worker is sent per compile. */
export interface CompileJob {
  id: number;
  /** The module up to the end of its code section, shared by every worker (decodeModule throughCode). */
  bytes: Uint8Array;
  state: SharedArrayBuffer;
  /** Threads on this compile (guided chunk sizes). */
  threads: number;
  /** Fixed bytes of bodies per chunk (tests), else guided. */
  chunkBytes: number;
}

/** What a worker posts for each chunk it compiled, and once when it has no more for the job (`range` absent). */
export interface WorkerMessage { job: number; range?: CompiledRange }

/**
 * Guided chunk sizes: a chunk is about the unclaimed bodies / (threads * GUIDED_SHARE), so chunks
 * shrink where the two ends meet; a worker's first chunks are smaller still (MIN_CHUNK_BYTES,
 * doubling), as a cold worker compiles them slowly.
 */
const GUIDED_SHARE = 4;
const MIN_CHUNK_BYTES = 16 << 10, MAX_CHUNK_BYTES = 1 << 20;
/** Idle pool workers end after this long (each holds an isolate with the compiler warmed up). */
const POOL_IDLE_MS = 30_000;

function lock(s: Int32Array): void {
  // The critical sections are a few loads and stores: spin, yielding the core now and then in
  // case the holder was descheduled.
  for (let i = 0; Atomics.compareExchange(s, LOCK, 0, 1) !== 0; i++) if ((i & 1023) === 1023) Atomics.wait(s, LOCK, 1, 1);
}
function unlock(s: Int32Array): void {
  Atomics.store(s, LOCK, 0);
}

/** The compiling thread's claim: the next function from the front, or -1 once the workers have the rest. */
function claimFront(s: Int32Array): number {
  lock(s);
  const f = s[FRONT];
  const ok = f < s[BACK];
  if (ok) s[FRONT] = f + 1;
  unlock(s);
  return ok ? f : -1;
}

/**
 * A worker's claim: functions [lo, BACK) of about `bytesFor(unclaimed)` bytes of bodies (at least
 * one function), or null when nothing is left. `start(i)` is function i's body offset (the code
 * section's end for the last index + 1), increasing.
 */
export function claimBack(s: Int32Array, start: (f: number) => number, bytesFor: (unclaimed: number) => number): { from: number; to: number } | null {
  lock(s);
  const f = s[FRONT], b = s[BACK];
  if (b <= f) { unlock(s); return null; }
  const limit = start(b) - bytesFor(start(b) - start(f));
  // the highest lo in [f, b - 1] with start(lo) <= limit, else f
  let lo = f, hi = b - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (start(mid) <= limit) lo = mid; else hi = mid - 1;
  }
  s[BACK] = lo;
  unlock(s);
  return { from: lo, to: b };
}

/** A worker's chunk size: guided by what is unclaimed, and small while the worker is new to this compile. */
export function chunkBytesFor(job: Pick<CompileJob, 'threads' | 'chunkBytes'>, unclaimed: number, done: number): number {
  if (job.chunkBytes > 0) return job.chunkBytes;
  const guided = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.ceil(unclaimed / (job.threads * GUIDED_SHARE))));
  return Math.min(guided, MIN_CHUNK_BYTES * 2 ** Math.min(done, 10));
}

/**
 * Threads for a compile that did not ask for a number: KWASM_COMPILE_THREADS, else one. Measured
 * on 2 cores (bench/results/startup.md, "Compile throughput"): cold workers, as a process's first
 * compile gets, cost more CPU than they save and do not shorten it; warm pool workers (a later
 * compile in the same process, asked for with `threads`) do.
 */
export function compileThreads(): number {
  const env = process.env.KWASM_COMPILE_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`KWASM_COMPILE_THREADS must be an integer from 1 to 256, not '${env}'`);
    return n;
  }
  return 1;
}

// ---- the worker pool ------------------------------------------------------------------------

interface PoolWorker { worker: Worker; port: MessagePort; url: string }
const pool: PoolWorker[] = [];
let idleTimer: NodeJS.Timeout | undefined;
let nextJob = 1;

function spawn(url: URL): PoolWorker | null {
  const { port1, port2 } = new MessageChannel();
  try {
    const worker = new Worker(url, { workerData: { port: port2 }, transferList: [port2], execArgv: workerExecArgv() });
    worker.unref();
    const pw: PoolWorker = { worker, port: port1, url: url.href };
    // A worker that fails or exits leaves the pool; its chunks are compiled here.
    const drop = (): void => { const i = pool.indexOf(pw); if (i >= 0) pool.splice(i, 1); port1.close(); };
    worker.on('error', drop);
    worker.on('exit', drop);
    return pw;
  } catch {
    port1.close();
    return null;
  }
}

/** Up to `n` workers running `url`, started now if the pool has fewer. */
function workers(n: number, url: URL): PoolWorker[] {
  const out = pool.filter((w) => w.url === url.href).slice(0, n);
  while (out.length < n) {
    const w = spawn(url);
    if (w === null) break;
    pool.push(w);
    out.push(w);
  }
  return out;
}

const WORKER_URL = new URL('./compile-worker.js', import.meta.url);

/**
 * Starts pool workers for a compile on `threads` threads before it needs them: they load the
 * compiler while this thread decodes and validates the module.
 */
export function startCompileWorkers(threads: number): void {
  workers(threads - 1, WORKER_URL);
}

/** Ends every pool worker now (they also end by themselves after POOL_IDLE_MS without work). */
export function closeCompilePool(): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
  for (const w of pool.splice(0)) { w.port.close(); void w.worker.terminate().catch(() => {}); }
}

function armIdleTimer(): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = setTimeout(closeCompilePool, POOL_IDLE_MS);
  idleTimer.unref();
}

// ---- the compiling thread -------------------------------------------------------------------

/**
 * For tests: another worker script; `workersFirst`: this thread leaves every function to the
 * workers and waits for their parts (until `waitMs` after the start) before compiling one in place.
 */
export interface ParallelInternals { workerUrl?: URL; workersFirst?: { waitMs: number } }

/** How a parallel compile went (tests, benchmarks). */
export interface ParallelStats { workers: number; partsAppended: number; functionsHere: number }
export let lastParallelStats: ParallelStats = { workers: 0, partsAppended: 0, functionsHere: 0 };

/**
 * Compiles the module's bodies into `asm` (at its position, as RangeCompiler would) on this
 * thread and up to `threads - 1` pool workers; returns each function's offset, size and type.
 * `funcLabels` are the image's function labels (ids 0..n-1, created first).
 */
export function compileParallel(info: ModuleInfo, asm: Assembler, env: ModuleEnv, funcLabels: Label[], threads: number,
  chunkBytes = 0, internals: ParallelInternals = {}): ImageFunction[] {
  const first = info.numImportedFuncs, end = info.funcTypeIndices.length;
  const state = new Int32Array(new SharedArrayBuffer(4 * STATE_WORDS));
  state[FRONT] = first;
  state[BACK] = end;
  const here = new RangeCompiler(info, asm, env);
  const functions: ImageFunction[] = [];
  const stats: ParallelStats = { workers: 0, partsAppended: 0, functionsHere: 0 };
  lastParallelStats = stats;
  const compileHere = (f: number): void => { here.compile(f, f + 1, functions); stats.functionsHere++; };
  if (end === first) return functions;

  // The workers get the module up to the end of its code section, copied once into shared memory.
  const codeEnd = info.codes.end(info.codes.length - 1);
  const bytes = new Uint8Array(new SharedArrayBuffer(codeEnd));
  bytes.set(info.bytes.subarray(0, codeEnd));
  const job: CompileJob = { id: nextJob++, bytes, state: state.buffer as SharedArrayBuffer, threads, chunkBytes };
  const ws = workers(threads - 1, internals.workerUrl ?? WORKER_URL);
  for (const w of ws) w.port.postMessage(job);
  stats.workers = ws.length;

  try {
    const parts = new Map<number, CompiledRange>();
    let finished = 0; // workers done with this job
    const drain = (): void => {
      for (const w of ws) {
        for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
          const msg = m.message as WorkerMessage;
          if (msg.job !== job.id) continue;
          if (msg.range === undefined) finished++; else parts.set(msg.range.from, msg.range);
        }
      }
    };
    const deadline = performance.now() + (internals.workersFirst?.waitMs ?? 0);
    const waitFor = (done: () => boolean): void => {
      while (!done() && finished < ws.length && performance.now() < deadline) { Atomics.wait(state, LOCK, 0, 5); drain(); }
    };
    waitFor(() => Atomics.load(state, BACK) <= first);
    for (let f = claimFront(state); f >= 0; f = claimFront(state)) compileHere(f);
    // The rest was claimed by workers: their parts in order, in place what is missing.
    const external = (l: number): Label => {
      if (l >= end) throw new Error(`parallel compile: a part left label ${l} unbound`);
      return funcLabels[l];
    };
    for (let f = Atomics.load(state, FRONT); f < end;) {
      drain();
      waitFor(() => parts.has(f));
      const r = parts.get(f);
      if (r === undefined) { Atomics.store(state, PLACED, f + 1); compileHere(f); f++; continue; }
      asm.align(FUNCTION_ALIGN);
      const base = asm.appendPart(r.part, external);
      for (let i = 0; i < r.functions.length; i++) {
        const fn = r.functions[i];
        asm.bindOffset(funcLabels[r.from + i], base + fn.offset);
        functions.push({ offset: base + fn.offset, size: fn.size, typeIndex: fn.typeIndex });
      }
      stats.partsAppended++;
      f = r.to;
    }
  } finally {
    // Nothing is left to claim (also after an error here): workers go back to waiting.
    lock(state);
    state[FRONT] = end;
    state[BACK] = end;
    state[PLACED] = end; // and a chunk in progress is given up
    unlock(state);
    armIdleTimer();
  }
  return functions;
}
