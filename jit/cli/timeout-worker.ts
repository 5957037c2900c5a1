// The `--timeout` worker (timeout.ts starts it): a file of its own next to timeout.ts, not eval'd
// source, so it resolves the same way in the tsc output and in the CLI bundle (jit/cli/bundle.ts
// makes it an entry point beside the chunk that holds timeout.ts).
import { workerData, parentPort } from 'node:worker_threads';
import { interruptViews, requestInterruptOn } from '../runtime/interrupt.js';

const { targets } = workerData as { targets: bigint[] };
const views = interruptViews(targets); // no ffi call once the wasm runs
const port = parentPort;
if (port === null) throw new Error('timeout-worker: not started as a worker');
port.on('message', (deadline: number) => {
  const fire = (): void => { requestInterruptOn(views); setTimeout(fire, 5); };
  setTimeout(fire, Math.max(0, deadline - Date.now()));
});
port.postMessage('ready');
