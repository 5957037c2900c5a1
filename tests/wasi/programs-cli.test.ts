// The C program suite through the real command line (`bin/kwasm-jit.js run`, the `kwasm-cli`
// engine) against node:wasi: same stdout, exit codes, stdin piping, 10 MB of output, traps and
// the --dir sandbox. Then what only the CLI has: the trap report with its wasm backtrace.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import '../hermetic-cache.js'; // the CLI's compiled-code cache in a temp dir, not ~/.cache
import { spawnSync } from 'node:child_process';
import { buildProgram } from '../programs/build.js';
import { CLI, TRAP_EXIT_STATUS } from '../programs/engines.js';
import { defineProgramTests } from './program-suite.js';

await defineProgramTests('kwasm-cli', 'kwasm-jit run (the CLI)');

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Function names of the backtrace lines (`    N: NAME (func I) +0xOFF`), innermost first. */
function frames(stderr: string): string[] {
  return [...stderr.matchAll(/^\s+\d+: (\S+) \(func \d+\) \+0x[0-9a-f]+$/gm)].map((m) => m[1]);
}

test('oob trap: message, status 134, backtrace from main out to _start by name-section names', async () => {
  const r = runCli([await buildProgram('oob.c')]);
  assert.is(r.status, TRAP_EXIT_STATUS);
  assert.is(r.stdout, 'before the trap\n');
  assert.match(r.stderr, /^kwasm-jit: wasm trap: out of bounds memory access$/m);
  const f = frames(r.stderr);
  assert.is(f[0], 'main', r.stderr);
  assert.ok(f.includes('_start'), r.stderr);
  assert.ok(f.indexOf('_start') > 0, 'callers come after the trapping function');
});

test('stack overflow: call stack exhausted (our stack-limit check), the recursion shown as frames of down, cut in the middle', async () => {
  const r = runCli([await buildProgram('stack_overflow.c')]);
  assert.is(r.status, TRAP_EXIT_STATUS);
  assert.match(r.stderr, /^kwasm-jit: wasm trap: call stack exhausted$/m);
  assert.not.match(r.stderr, /Maximum call stack|RangeError/);
  const f = frames(r.stderr);
  assert.ok(f.length >= 30 && f.length <= 41, `printed frames: ${f.length}`);
  assert.ok(f.slice(0, 30).every((n) => n === 'down'), r.stderr.slice(0, 2000));
  const omitted = /\.\.\. (\d+) frames omitted \.\.\./.exec(r.stderr);
  assert.ok(omitted && Number(omitted[1]) > 1000, 'a deep recursion, mostly omitted');
  assert.is(f[f.length - 1].startsWith('_start'), true, r.stderr.slice(-500));
});

test.run();
