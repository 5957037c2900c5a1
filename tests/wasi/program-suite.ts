// Shared body of the program suite: every program of tests/programs/programs.ts
// under one engine of ours, next to node:wasi as the reference, each in its own
// child process. Both must meet the program's stated expectations, and ours
// must print the same stdout as the reference where the table says so.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAll } from '../programs/build.js';
import { TRAP_EXIT_STATUS } from '../programs/engines.js';
import { type Program, PROGRAMS } from '../programs/programs.js';
import { type RunResult, runProgram } from '../programs/run.js';

const REFERENCE = 'node-wasi';

function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${i}: ` +
    `${JSON.stringify(a.subarray(i, i + 60).toString())} vs ${JSON.stringify(b.subarray(i, i + 60).toString())}`;
}

function meetsExpectations(p: Program, r: RunResult): void {
  const where = `${p.name} under ${r.engine}`;
  assert.is(r.signal, null, `${where}: killed by ${String(r.signal)}\n${r.stderr}`);
  assert.is(r.status, p.expectExit, `${where}: exit status\nstderr: ${r.stderr}`);
  if (p.trap !== undefined) {
    assert.is(r.status, TRAP_EXIT_STATUS);
    assert.ok(r.stderr.endsWith(`trap: ${p.trap}\n`), `${where}: stderr ${JSON.stringify(r.stderr)}`);
  } else {
    assert.not.ok(/^trap:|child failed/m.test(r.stderr), `${where}: ${r.stderr}`);
  }
  if (p.expectStdout !== undefined) {
    const want = Buffer.from(p.expectStdout);
    assert.ok(r.stdout.equals(want), `${where}: stdout ${firstDifference(r.stdout, want)}`);
  }
  if (p.expectStderr !== undefined) assert.is(r.stderr, p.expectStderr, `${where}: stderr`);
  p.check?.(r);
}

/** Registers one uvu test per program for `engine` (then the caller runs test.run()). */
export async function defineProgramTests(engine: string, label: string): Promise<void> {
  await buildAll(PROGRAMS.map((p) => p.source));
  for (const p of PROGRAMS) {
    const title = p.noReference === undefined
      ? `${p.name}: node:wasi reference and ${label} both behave as stated`
      : `${p.name}: ${label} behaves as stated (no reference run: ${p.noReference})`;
    test(title, async () => {
      const runs = await Promise.all([
        runProgram(engine, p),
        ...(p.noReference === undefined ? [runProgram(REFERENCE, p)] : []),
      ]);
      const [ours, ref] = runs;
      try {
        if (ref !== undefined) meetsExpectations(p, ref);
        meetsExpectations(p, ours);
        p.checkOurs?.(ours);
        if (ref !== undefined && p.compareStdout) {
          assert.ok(ours.stdout.equals(ref.stdout), `${p.name}: stdout differs from node:wasi: ${firstDifference(ours.stdout, ref.stdout)}`);
        }
      } finally {
        for (const r of runs) r.cleanup();
      }
    });
  }
}
