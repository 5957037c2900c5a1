// Runs a seeded batch of modules in child processes (child.ts), `jobs` at a time, and bounds every
// call: a child that reports no progress for `stallMs` is killed and replaced, the module it was
// on is counted as a reference timeout (V8 did not finish: skipped, as the reference decides what
// is right) or becomes a finding (kwasm-jit did not finish, or its process died, where V8 had).
// A time bound by process rather than by kwasm-jit's own --timeout interrupt: it also covers a
// hang or crash of the compiler, of V8, and of the harness, and needs no per-module watchdog thread.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateModule } from './generate.js';
import type { ChildJob, ChildMessage } from './child.js';
import type { ModuleResult } from './differential.js';

export interface Finding {
  seed: number;
  index: number;
  /** one line: what differed */
  difference: string;
  /** the compared module, when the child got that far */
  result?: ModuleResult;
}

export interface BatchStats {
  modules: number;
  /** modules both engines refused or failed to instantiate alike (counted, not compared further) */
  instantiateFailedAlike: number;
  exportsCompared: number;
  /** exports not compared after a stack exhaustion on the reference (or after a finding) */
  exportsSkipped: number;
  /** modules where V8 (the reference) did not finish a call within stallMs */
  referenceTimeouts: number;
  harnessErrors: string[];
  findings: Finding[];
  ms: number;
}

export interface BatchOptions {
  seed: number;
  count: number;
  /** first module index (default 0) */
  start?: number;
  jobs?: number;
  /** no progress for this long (times the load per core) ends a child (default 20 s) */
  stallMs?: number;
  onFinding?: (f: Finding) => void;
  onProgress?: (done: number, stats: BatchStats) => void;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

interface Where { index: number; export: string; side: 'ref' | 'test' | 'generate'; at: number }

export async function runBatch(o: BatchOptions): Promise<BatchStats> {
  const t0 = Date.now();
  const stats: BatchStats = { modules: 0, instantiateFailedAlike: 0, exportsCompared: 0, exportsSkipped: 0, referenceTimeouts: 0, harnessErrors: [], findings: [], ms: 0 };
  const stallMs = o.stallMs ?? 20_000;
  const jobs = Math.max(1, o.jobs ?? 1);
  const first = o.start ?? 0;
  // interleaved queues: each child gets every jobs-th module
  const queues = Array.from({ length: jobs }, (_, j) => Array.from({ length: o.count }, (_, k) => first + k).filter((_, k) => k % jobs === j));
  let done = 0;

  const finding = (f: Finding): void => { stats.findings.push(f); o.onFinding?.(f); };
  const finished = (): void => { done++; stats.modules++; stats.ms = Date.now() - t0; o.onProgress?.(done, stats); };

  const record = (index: number, result: ModuleResult, difference: string | undefined): void => {
    stats.exportsCompared += result.exports.length;
    stats.exportsSkipped += result.skipped;
    if (!difference && result.instantiate.ref !== 'ok') stats.instantiateFailedAlike++;
    if (difference) finding({ seed: o.seed, index, difference, result });
  };

  /** Runs one queue to its end, through as many children as hangs and crashes need. */
  const drain = async (queue: number[]): Promise<void> => {
    let fruitless = 0;
    while (queue.length > 0) {
      const before = queue.length;
      const where = await runChild(queue, (m) => {
        if (m.type === 'result') { queue.shift(); record(m.index, m.result, m.difference); finished(); }
        else if (m.type === 'harness-error') { queue.shift(); stats.harnessErrors.push(`seed ${o.seed} module ${m.index}: ${m.message}`); finished(); }
      });
      if (where === undefined) {
        // ended without saying where: fine after its queue; a child that cannot even start must not loop
        if (queue.length === before && ++fruitless >= 3) throw new Error(`fuzz child ${CHILD} exits without doing anything`);
        continue;
      }
      fruitless = 0;
      queue.shift();
      if (where.why === 'stall' && where.side === 'ref') stats.referenceTimeouts++;
      else if (where.side === 'generate') stats.harnessErrors.push(`seed ${o.seed} module ${where.index}: wasm-opt ${where.why}`);
      else {
        const what = where.why === 'stall' ? `did not finish within ${stallMs} ms (times the load per core) where V8 did` : `killed the process (${where.why})`;
        finding({ seed: o.seed, index: where.index, difference: `export ${JSON.stringify(where.export)}: kwasm-jit ${what}` });
      }
      finished();
    }
  };

  /** One child over the queue; resolves to where it stopped if it hung or died, else undefined. */
  const runChild = (queue: number[], onMessage: (m: ChildMessage) => void): Promise<(Where & { why: string }) | undefined> =>
    new Promise((resolve) => {
      const child: ChildProcess = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let where: Where | undefined;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
      let stalled = false;
      const timer = setInterval(() => {
        // stretched by the load per core, as the VM stage's limit: a busy machine is no finding
        const load = Math.max(1, loadavg()[0] / cpus().length);
        if (where && Date.now() - where.at > stallMs * load) { stalled = true; child.kill('SIGKILL'); }
      }, 250);
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'phase') where = { index: m.index, export: m.export, side: m.side, at: Date.now() };
        else { where = undefined; onMessage(m); }
      });
      child.on('exit', (code, signal) => {
        clearInterval(timer);
        if (where === undefined || queue.length === 0) { resolve(undefined); return; }
        const why = stalled ? 'stall' : `exit ${signal ?? code}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
        resolve({ ...where, why });
      });
      child.send({ seed: o.seed, indices: [...queue] } satisfies ChildJob);
    });

  await Promise.all(queues.map((q) => drain(q)));
  stats.ms = Date.now() - t0;
  return stats;
}

/** One line of numbers for a log or a report. */
export function summary(s: BatchStats): string {
  return `${s.modules} modules, ${s.exportsCompared} exports compared, ${s.exportsSkipped} not compared (after a stack exhaustion or a finding), ` +
    `${s.instantiateFailedAlike} failed to instantiate alike, ${s.referenceTimeouts} reference timeouts, ` +
    `${s.harnessErrors.length} harness errors, ${s.findings.length} findings in ${(s.ms / 1000).toFixed(1)} s`;
}

/** A finding as text: what differed, how to regenerate it, both sides' observations and logs. */
export function report(f: Finding): string {
  const lines = [`seed ${f.seed} module ${f.index}: ${f.difference}`, `regenerate: node dist/tests/fuzz/fuzz.js --show ${f.seed}:${f.index}`];
  const r = f.result;
  if (r) {
    lines.push(`instantiate: v8 ${r.instantiate.ref}; kwasm-jit ${r.instantiate.test}`);
    for (const e of r.exports) {
      lines.push(`export ${JSON.stringify(e.name)}${e.difference ? `  <-- ${e.difference}` : ''}`);
      if (!e.difference) continue;
      for (const [who, obs] of [['v8', e.ref], ['kwasm-jit', e.test]] as const) {
        lines.push(`  ${who}: ${obs.outcome}; log ${obs.log}`, ...obs.state.map((s) => `    ${s}`));
      }
      if (e.logs) lines.push(`  v8 log: ${e.logs.ref.join(', ')}`, `  kwasm-jit log: ${e.logs.test.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function findingDir(out: string, f: Finding): string {
  return join(out, `seed-${f.seed}-module-${f.index}`);
}

/** Saves the module as -ttf made it and the report under OUT/seed-S-module-I/; returns that directory. */
export function saveFinding(out: string, f: Finding): string {
  const dir = findingDir(out, f);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'module.wasm'), generateModule(f.seed, f.index));
  writeFileSync(join(dir, 'report.txt'), report(f));
  return dir;
}
