// Parallel compilation: the module's bodies are cut into chunks of about `chunkBytes` of code,
// and this thread plus (threads - 1) worker threads (compile-worker.ts) claim chunks from one
// shared counter until none is left. Each chunk is compiled apart (compile-range.ts) into a part
// that the module compiler appends in chunk order, so the image is the single-threaded one byte
// for byte. The call stays synchronous (compileModule is): this thread works through chunks
// itself, then blocks in Atomics.wait until the workers' results arrive on their ports.
//
// Failure: a chunk's CompileError (invalid body, unsupported feature) is reported exactly as the
// single-threaded compile reports it, the lowest failing function first. A worker that fails to
// start, or dies, costs time, never the result: its chunks are compiled here once no result has
// arrived for STALL_MS (they are deterministic, so a late duplicate is harmless).
import { availableParallelism, loadavg } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CompileError, type CompileErrorKind } from '../errors.js';
import type { ModuleInfo } from '../frontend/types.js';
import { compileRange, type CompiledRange } from './compile-range.js';

/**
 * Bodies below this many bytes compile on one thread. A worker costs CPU before it is useful:
 * ~0.1-0.2 s to load the compiler's modules, decoding the module again (~0.3 s for ruby+stdlib's
 * 30 MB), and V8 warming up its own copy of the compiler (its first chunks compile ~2-3x slower
 * than a warm thread's; ~1.5 s of extra CPU on ruby+stdlib, whose 11.4 MB of bodies take ~3 s
 * single-threaded from a cold start). Below ~4 MB (about a second of compiling) a worker's
 * start-up eats most of what it could save.
 */
export const PARALLEL_MIN_BODY_BYTES = 4 << 20;
/**
 * Guided chunk sizes: each chunk is about the bodies left / (threads * GUIDED_SHARE), so chunks
 * shrink towards the end and the last ones finish at about the same time on every thread (a
 * worker compiles its first chunks slowly while V8 warms up its copy of the compiler).
 */
const GUIDED_SHARE = 4;
const MIN_CHUNK_BYTES = 16 << 10, MAX_CHUNK_BYTES = 1 << 20;
/** No result for this long while chunks are outstanding: a worker died; compile its chunks here. */
const STALL_MS = 10_000;

/** Shared counters (Int32Array over a SharedArrayBuffer). */
export const NEXT_CHUNK = 0, CHUNKS_DONE = 1;

/** What a worker is started with (workerData). */
export interface WorkerInput {
  bytes: Uint8Array;
  /** Chunk k is functions [bounds[k], bounds[k + 1]). */
  bounds: Uint32Array;
  counters: SharedArrayBuffer;
  port: MessagePort;
}

/** A failed chunk, as it crosses threads. */
export interface ChunkFailure { compileError: boolean; kind: CompileErrorKind; reason: string; offset: number; funcIndex: number; message: string }

/** What a worker posts for each chunk it claimed. */
export type WorkerMessage = { chunk: number; range: CompiledRange } | { chunk: number; failure: ChunkFailure };

export function describeFailure(e: unknown): ChunkFailure {
  if (e instanceof CompileError) return { compileError: true, kind: e.kind, reason: e.reason, offset: e.offset, funcIndex: e.funcIndex, message: e.message };
  return { compileError: false, kind: 'invalid', reason: '', offset: 0, funcIndex: -1, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

function rethrow(f: ChunkFailure, from: number, to: number): never {
  if (f.compileError) throw new CompileError(f.kind, f.reason, f.offset, f.funcIndex);
  throw new Error(`compiling functions ${from}..${to - 1} failed: ${f.message}`);
}

/**
 * Threads to use for a module with this many bytes of bodies: every core for a large module,
 * unless the machine is already busy (1-minute load average >= cores, as `make -l` decides:
 * then a worker only adds its start-up cost to the CPU this process gets). KWASM_COMPILE_THREADS
 * overrides both.
 */
export function compileThreads(bodyBytes: number, load = loadavg()[0], cores = availableParallelism()): number {
  const env = process.env.KWASM_COMPILE_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`KWASM_COMPILE_THREADS must be an integer from 1 to 256, not '${env}'`);
    return n;
  }
  return bodyBytes >= PARALLEL_MIN_BODY_BYTES && cores > 1 && load < cores ? cores : 1;
}

/**
 * Chunk boundaries: consecutive functions, guided sizes (see GUIDED_SHARE) or about `chunkBytes`
 * of bodies each; at least one function per chunk.
 */
export function planChunks(info: ModuleInfo, threads: number, chunkBytes?: number): Uint32Array {
  const first = info.numImportedFuncs, end = info.funcTypeIndices.length;
  let left = 0;
  for (const b of info.codes) left += b.end - b.start;
  const targetFor = (remaining: number): number => chunkBytes
    ?? Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.ceil(remaining / (threads * GUIDED_SHARE))));
  const bounds = [first];
  let acc = 0, target = targetFor(left);
  for (let f = first; f < end; f++) {
    const b = info.codes[f - first];
    acc += b.end - b.start;
    if (acc >= target && f + 1 < end) { bounds.push(f + 1); left -= acc; acc = 0; target = targetFor(left); }
  }
  if (end > first) bounds.push(end);
  return Uint32Array.from(bounds);
}

/** For tests of the failure paths: another worker script, a shorter stall, this thread leaving every chunk to the workers. */
export interface ParallelInternals { workerUrl?: URL; stallMs?: number; workersOnly?: boolean }

/** Compiles the module's bodies on `threads` threads; the ranges come back in function order. */
export function compileRangesParallel(info: ModuleInfo, threads: number, chunkBytes?: number, internals: ParallelInternals = {}): CompiledRange[] {
  const workerUrl = internals.workerUrl ?? new URL('./compile-worker.js', import.meta.url);
  const stallMs = internals.stallMs ?? STALL_MS;
  const bounds = planChunks(info, threads, chunkBytes);
  const n = bounds.length - 1;
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const results: (CompiledRange | undefined)[] = new Array<CompiledRange | undefined>(n);
  const failures: (ChunkFailure | undefined)[] = new Array<ChunkFailure | undefined>(n);
  let settled = 0;
  const settle = (k: number, r: CompiledRange | undefined, f: ChunkFailure | undefined): void => {
    if (results[k] !== undefined || failures[k] !== undefined) return; // a duplicate (stall fallback)
    results[k] = r; failures[k] = f;
    settled++;
  };
  const runHere = (k: number): void => {
    try { settle(k, compileRange(info, bounds[k], bounds[k + 1]), undefined); } catch (e) { settle(k, undefined, describeFailure(e)); }
  };

  const workers: Worker[] = [], ports: MessagePort[] = [];
  for (let i = 0; i < Math.min(threads - 1, n - 1); i++) {
    const { port1, port2 } = new MessageChannel();
    const input: WorkerInput = { bytes: info.bytes, bounds, counters: counters.buffer as SharedArrayBuffer, port: port2 };
    try {
      const w = new Worker(workerUrl, { workerData: input, transferList: [port2] });
      w.unref();
      // Errors surface as missing results (see the header); the event must still be handled.
      w.on('error', () => {});
      workers.push(w);
      ports.push(port1);
    } catch {
      port1.close();
      break; // no more workers: this thread does their share
    }
  }
  try {
    if (internals.workersOnly !== true) for (let k = Atomics.add(counters, NEXT_CHUNK, 1); k < n; k = Atomics.add(counters, NEXT_CHUNK, 1)) runHere(k);
    // End game: rather than wait for a worker's chunk, compile the lowest unsettled one here as
    // well (the result is the same whoever finishes first): the wall time is never worse than
    // this thread doing the remaining chunks itself.
    let lastProgress = performance.now();
    let stolen = 0;
    while (settled < n) {
      const seen = Atomics.load(counters, CHUNKS_DONE);
      const before = settled;
      for (const p of ports) {
        for (let m = receiveMessageOnPort(p); m !== undefined; m = receiveMessageOnPort(p)) {
          const msg = m.message as WorkerMessage;
          if ('range' in msg) settle(msg.chunk, msg.range, undefined);
          else settle(msg.chunk, undefined, msg.failure);
        }
      }
      if (settled > before) lastProgress = performance.now();
      if (settled === n) break;
      if (internals.workersOnly !== true) {
        while (stolen < n && (results[stolen] !== undefined || failures[stolen] !== undefined)) stolen++;
        if (stolen < n) { runHere(stolen); continue; }
      }
      if (performance.now() - lastProgress > stallMs) {
        for (let k = 0; k < n; k++) if (results[k] === undefined && failures[k] === undefined) runHere(k);
        break;
      }
      Atomics.wait(counters, CHUNKS_DONE, seen, 250);
    }
  } finally {
    // Workers past their last chunk exit by themselves; one still starting would decode the
    // module for nothing.
    Atomics.store(counters, NEXT_CHUNK, n);
    for (const w of workers) void w.terminate().catch(() => {});
    for (const p of ports) p.close();
  }
  for (let k = 0; k < n; k++) {
    const f = failures[k];
    if (f !== undefined) rethrow(f, bounds[k], bounds[k + 1]);
  }
  return results as CompiledRange[];
}
