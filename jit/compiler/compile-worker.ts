// A parallel-compile pool worker (parallel-compile.ts): waits for compile jobs on its port; for
// each, decodes the module (up to its code section), then claims chunks from the back of the
// shared counters and posts each one's compiled range until nothing is left. A chunk that fails
// is not posted and ends this worker's part in the job: the compiling thread compiles it in
// place and reports the error as the single-threaded compile does. Loads the compiler and the
// decoder only (never capstone or keystone).
import { workerData, type MessagePort } from 'node:worker_threads';
import { decodeModule } from '../frontend/decoder.js';
import { PartCompiler, type CompiledRange } from './compile-range.js';
import { BACK, FRONT, PLACED, chunkBytesFor, claimBack, type CompileJob, type WorkerMessage } from './parallel-compile.js';

const port = (workerData as { port: MessagePort }).port;

function run(job: CompileJob): void {
  const state = new Int32Array(job.state);
  // A job that ended while this worker was busy with an earlier one: do not decode for nothing.
  if (Atomics.load(state, BACK) <= Atomics.load(state, FRONT)) return;
  const info = decodeModule(job.bytes, { throughCode: true });
  const imp = info.numImportedFuncs, codes = info.codes;
  const codeEnd = codes.end(codes.length - 1);
  const start = (f: number): number => (f - imp < codes.length ? codes.start(f - imp) : codeEnd);
  const parts = new PartCompiler(info);
  for (let done = 0; ; done++) {
    const c = claimBack(state, start, (unclaimed) => chunkBytesFor(job, unclaimed, done));
    if (c === null) return;
    let range: CompiledRange | null;
    try {
      // given up once the compiling thread placed a function of it itself
      range = parts.compile(c.from, c.to, () => Atomics.load(state, PLACED) > c.from);
    } catch {
      return;
    }
    if (range === null) continue;
    const msg: WorkerMessage = { job: job.id, range };
    port.postMessage(msg, [range.part.code.buffer as ArrayBuffer]);
  }
}

port.on('message', (job: CompileJob) => {
  run(job);
  const done: WorkerMessage = { job: job.id };
  port.postMessage(done);
});
