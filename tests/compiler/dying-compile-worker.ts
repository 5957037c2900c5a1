// A compile worker that claims one chunk and dies without a word (as one killed or out of
// memory would): parallel.test.ts checks the compiling thread finishes that chunk itself.
import { workerData } from 'node:worker_threads';
import { NEXT_CHUNK, type WorkerInput } from '../../jit/compiler/parallel-compile.js';

const input = workerData as WorkerInput;
Atomics.add(new Int32Array(input.counters), NEXT_CHUNK, 1);
process.exit(1);
