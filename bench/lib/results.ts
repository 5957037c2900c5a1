// Collected measurements and their summaries: medians per program and runner, ratios to native,
// checksum agreement.
import type { RunResult } from './exec.js';
import type { Program } from './programs.js';
import type { Runner } from './runners.js';
import { geomean, median, spread } from './stats.js';

export interface RunnerState {
  runner: Runner;
  /** Undefined while available; otherwise why this runner is skipped. */
  unavailable?: string;
}

export interface ProgramResults {
  program: Program;
  args: string[];
  /** Runs per runner id, in repetition order. */
  runs: Map<string, RunResult[]>;
}

export interface CellSummary {
  /** Median wall time of the child process, ms. */
  totalMs: number;
  /** Median in-process run time (native: the wall time), ms, when the runner reports it. */
  runMs?: number;
  compileMs?: number;
  spread: number;
  checksum?: string;
  /** First failure of any repetition: the cell is reported as failed. */
  error?: string;
}

export function summarize(runs: readonly RunResult[]): CellSummary | undefined {
  if (runs.length === 0) return undefined;
  const failed = runs.find((r) => !r.ok);
  const ok = runs.filter((r) => r.ok);
  const opt = (xs: (number | undefined)[]): number | undefined => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length === ok.length && v.length > 0 ? median(v) : undefined;
  };
  return {
    totalMs: median(ok.map((r) => r.wallMs)),
    runMs: opt(ok.map((r) => r.timing.runMs)),
    compileMs: opt(ok.map((r) => r.timing.compileMs)),
    spread: spread(ok.map((r) => r.wallMs)),
    checksum: ok[0]?.checksum,
    error: failed?.error,
  };
}

export interface Agreement {
  ok: boolean;
  /** The checksum everyone printed (native's when they disagree). */
  reference?: string;
  /** Human-readable list of who printed what, when they disagree. */
  detail?: string;
}

/** Every successful run of every runner must print the same checksum. */
export function agreement(pr: ProgramResults, runners: readonly RunnerState[]): Agreement {
  const seen = new Map<string, string[]>(); // checksum -> runner labels
  for (const { runner } of runners) {
    for (const r of pr.runs.get(runner.id) ?? []) {
      if (!r.ok || r.checksum === undefined) continue;
      const who = seen.get(r.checksum) ?? [];
      if (!who.includes(runner.label)) who.push(runner.label);
      seen.set(r.checksum, who);
    }
  }
  const nativeSum = pr.runs.get('native')?.find((r) => r.ok)?.checksum;
  if (seen.size <= 1) return { ok: true, reference: [...seen.keys()][0] };
  const detail = [...seen.entries()].map(([sum, who]) => `${who.join(', ')}: \`${sum}\``).join('; ');
  return { ok: false, reference: nativeSum, detail };
}

/** Ratio of a runner's median to native's median for one program (total or run time). */
export function ratio(pr: ProgramResults, runnerId: string, which: 'total' | 'run'): number | undefined {
  const base = summarize(pr.runs.get('native') ?? []);
  const cell = summarize(pr.runs.get(runnerId) ?? []);
  if (!base || !cell || base.error || cell.error) return undefined;
  const num = which === 'total' ? cell.totalMs : cell.runMs;
  if (num === undefined) return undefined;
  return num / base.totalMs;
}

export function geomeanRatio(results: readonly ProgramResults[], runnerId: string, which: 'total' | 'run'): number {
  return geomean(results.map((pr) => ratio(pr, runnerId, which)).filter((x): x is number => x !== undefined));
}
