// A fuzzing child process (forked by batch.ts): generates the modules it is given and compares
// each under V8 (reference) and kwasm-jit (user space), reporting progress before every call so
// the parent can bound a hang or a crash to one export and carry on in a fresh child.
import { moduleDifference, type ModuleResult } from './differential.js';
import { generateModule } from './generate.js';
import { compareWithKwasm } from './pair.js';

export interface ChildJob { seed: number; indices: number[] }

export type ChildMessage =
  | { type: 'phase'; index: number; export: string; side: 'ref' | 'test' | 'generate' }
  | { type: 'result'; index: number; result: ModuleResult; difference?: string }
  | { type: 'harness-error'; index: number; message: string };

function send(m: ChildMessage): void {
  process.send?.(m);
}

function runJob(job: ChildJob): void {
  for (const index of job.indices) {
    send({ type: 'phase', index, export: '', side: 'generate' });
    try {
      const bytes = generateModule(job.seed, index);
      const result = compareWithKwasm(bytes, (exp, side) => send({ type: 'phase', index, export: exp, side }));
      send({ type: 'result', index, result, difference: moduleDifference(result) });
    } catch (e) {
      send({ type: 'harness-error', index, message: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  }
  process.disconnect?.();
}

if (process.send) process.once('message', (job: ChildJob) => runJob(job));
