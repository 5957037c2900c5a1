// One run of a command, measured as a start-up benchmark needs: wall time from spawn to exit and
// the CPU (user + system) of the child and every thread and process it made, from bash's `times`
// (its second line: the children's totals), so V8's platform threads and workers count too.
// Output goes to /dev/null: the measurement is of the process, not of a terminal.
import { execFileSync } from 'node:child_process';

export interface ChildCost { wall: number; cpu: number }

export function childCost(cmd: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildCost {
  const t0 = performance.now();
  const out = execFileSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'bash', ...cmd], { encoding: 'utf8', env });
  const wall = performance.now() - t0;
  const secs = (s: string): number => { const m = /(\d+)m([\d.]+)s/.exec(s); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
  const [u, s] = (out.trim().split('\n')[1] ?? '').split(/\s+/);
  return { wall, cpu: (secs(u ?? '') + secs(s ?? '')) * 1000 };
}
