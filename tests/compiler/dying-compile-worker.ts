// A compile worker that claims a chunk and dies without a word (as one killed or out of memory
// would): parallel.test.ts checks the compiling thread compiles that chunk itself.
import { workerData, type MessagePort } from 'node:worker_threads';
import { claimBack, type CompileJob } from '../../jit/compiler/parallel-compile.js';

(workerData as { port: MessagePort }).port.on('message', (job: CompileJob) => {
  claimBack(new Int32Array(job.state), (f) => f, () => 1);
  process.exit(1);
});
