// The cache's store worker (background-store.ts): writes each large entry it is handed as the
// compiling thread would have, then counts it done in the shared counter that an exiting process
// waits on. Loads background-store.ts and what it imports (node:fs, the cache's file functions),
// never the compiler.
import { parentPort, workerData } from 'node:worker_threads';
import { runStoreJob, storeWorkerStarted, type StoreJob } from './background-store.js';

const { pending } = workerData as { pending: Int32Array };
parentPort?.on('message', (job: StoreJob) => runStoreJob(job, pending));
storeWorkerStarted(pending);
