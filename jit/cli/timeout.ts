// `--timeout MS`: while compiled code runs, the main thread is blocked inside the kwasm_enter ffi
// call, so no timer of ours can fire there. A worker thread sleeps until the deadline and then
// asks the runtime to interrupt (jit/runtime/interrupt.ts: all-ones stack limit + flag), which the
// next loop header or function prologue turns into the trap "interrupted".
//
// The worker repeats the request every few ms after the deadline: a store resets the flag when a
// call into wasm starts, so a single early request could be lost in that window. It must be
// stopped (`stop()`) before the vmctx is freed, as it writes into it.
import { Worker } from 'node:worker_threads';

export class Watchdog {
  private constructor(private readonly worker: Worker) {}

  /** Starts the worker and waits until it has loaded the runtime (not counted in the timeout). */
  static async create(targets: readonly bigint[]): Promise<Watchdog> {
    // a sibling file in both layouts (tsc output and bundle), see timeout-worker.ts
    const worker = new Worker(new URL('./timeout-worker.js', import.meta.url), { workerData: { targets } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    // Never keep the CLI alive on its own account.
    worker.unref();
    return new Watchdog(worker);
  }

  /** The clock starts now; messages reach the worker even while this thread is blocked in wasm. */
  arm(ms: number): void {
    this.worker.postMessage(Date.now() + ms);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
