// A parallel-compile worker thread (parallel-compile.ts): decode the module once, then claim
// chunks from the shared counter and post each one's compiled range (or its failure) to the
// port, bumping CHUNKS_DONE so the blocked compiling thread wakes. Loads the compiler and the
// decoder only (never capstone or keystone).
import { workerData } from 'node:worker_threads';
import { decodeModule } from '../frontend/decoder.js';
import { compileRange } from './compile-range.js';
import { CHUNKS_DONE, NEXT_CHUNK, describeFailure, type WorkerInput, type WorkerMessage } from './parallel-compile.js';

const input = workerData as WorkerInput;
const counters = new Int32Array(input.counters);
const n = input.bounds.length - 1;

function post(msg: WorkerMessage): void {
  input.port.postMessage(msg, 'range' in msg ? [msg.range.part.code.buffer as ArrayBuffer] : []);
  Atomics.add(counters, CHUNKS_DONE, 1);
  Atomics.notify(counters, CHUNKS_DONE);
}

// Started late (the other threads took every chunk already): do not decode for nothing.
if (Atomics.load(counters, NEXT_CHUNK) < n) {
  const info = decodeModule(input.bytes);
  for (let k = Atomics.add(counters, NEXT_CHUNK, 1); k < n; k = Atomics.add(counters, NEXT_CHUNK, 1)) {
    try {
      post({ chunk: k, range: compileRange(info, input.bounds[k], input.bounds[k + 1]) });
    } catch (e) {
      post({ chunk: k, failure: describeFailure(e) });
    }
  }
}
input.port.close();
