// The C program suite: each program runs under node:wasi (the reference) and
// under the `v8` stand-in engine (V8 + our jit/wasi), each in its own child
// process. Both must meet the program's stated expectations, and our stdout
// must equal the reference's byte for byte where the table says so.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildAll } from '../programs/build.js';
import { TRAP_EXIT_STATUS } from '../programs/engines.js';
import { type Program, PROGRAMS } from '../programs/programs.js';
import { type RunResult, runProgram } from '../programs/run.js';

const REFERENCE = 'node-wasi';
const OURS = 'v8';

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

await buildAll(PROGRAMS.map((p) => p.source));

for (const p of PROGRAMS.filter((q) => q.noReference !== undefined)) {
  test(`${p.name}: our WASI (on V8) behaves as stated (no reference run: ${p.noReference ?? ''})`, async () => {
    const ours = await runProgram(OURS, p);
    try {
      meetsExpectations(p, ours);
      p.checkOurs?.(ours);
    } finally {
      ours.cleanup();
    }
  });
}

for (const p of PROGRAMS.filter((q) => q.noReference === undefined)) {
  test(`${p.name}: node:wasi reference and our WASI (on V8) both behave as stated`, async () => {
    const [ref, ours] = await Promise.all([runProgram(REFERENCE, p), runProgram(OURS, p)]);
    try {
      meetsExpectations(p, ref);
      meetsExpectations(p, ours);
      p.checkOurs?.(ours);
      if (p.compareStdout) {
        assert.ok(ours.stdout.equals(ref.stdout), `${p.name}: stdout differs from node:wasi: ${firstDifference(ours.stdout, ref.stdout)}`);
      }
    } finally {
      ref.cleanup();
      ours.cleanup();
    }
  });
}

test.run();
