// Issue #12.4: modules whose shape the CLI used to answer with "internal error", exit 70 and a JS
// stack: exports with 1,000 parameters or results through --invoke (they work), a host call with
// 3,000 parameters (a clean trap, no crash), and a WASI module without `_start` or without an
// exported memory (one clear line naming what is missing, exit 1). Issue #12.6: names a module
// chose reach the terminal with control characters escaped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wat } from '../jit/wat.js';
import { cli, type CliResult } from './helpers.js';
import { argOf, resultOf, weighted, manySlotsWat } from '../runtime/many-slots.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-shape-'));
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, wat(text));
  return p;
}

/** one line on stderr, no JS stack, exit 1 */
function cleanError(r: CliResult, what: RegExp): void {
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, what);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(r.stderr, /internal error|    at /);
}

test('--invoke an export with 1,000 parameters', async () => {
  const f = file('p1000.wasm', manySlotsWat(1000, { imports: false, results: false }));
  const r = await cli(['run', '--invoke', 'params', f, ...Array.from({ length: 1000 }, (_, i) => String(argOf(i)))]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `${weighted(1000, argOf)}\n`);
});

test('--invoke an export with 1,000 results prints them one per line', async () => {
  const f = file('r1000.wasm', manySlotsWat(1000, { imports: false }));
  const r = await cli(['run', '--invoke', 'results', f]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, Array.from({ length: 1000 }, (_, i) => `${resultOf(i)}\n`).join(''));
});

test('a host call with 3,000 parameters to a missing import: a clean trap, the process exits normally', async () => {
  const f = file('h3000.wasm', manySlotsWat(3000, { exports: false, results: false }));
  const r = await cli(['run', '--trap-unknown-imports', '--invoke', 'callParams', f]);
  assert.is(r.status, 134, r.stderr);
  assert.match(r.stderr, /wasm trap: call to unknown import env::params/);
});

test('a WASI command without _start: one line naming it, exit 1', async () => {
  const f = file('nostart.wasm', '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory (export "memory") 1))');
  cleanError(await cli(['run', f]), /must export a function "_start"/);
});

test('a WASI module without an exported memory: one line naming it, exit 1 (also with --invoke)', async () => {
  const f = file('nomem.wasm', '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory 1) (func (export "_start")) (func (export "f")))');
  cleanError(await cli(['run', f]), /must export its memory as "memory"/);
  cleanError(await cli(['run', '--invoke', 'f', f]), /must export its memory as "memory"/);
});

test('names the module chose are printed with control characters escaped (no terminal escape sequences)', async () => {
  const f = file('esc.wasm', `(module (import "env" "\\1b]0;owned\\07\\1b[2J" (func)) (func (export "_start") (call 0)))`);
  const link = await cli(['run', f]);
  assert.is(link.status, 1, link.stderr);
  assert.ok(link.stderr.includes('env.\\x1b]0;owned\\x07\\x1b[2J'), link.stderr);
  assert.not.ok(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(link.stderr), 'no raw control character reaches stderr');
  // no name section: the backtrace names the function by its export name
  const g = file('trapname.wasm', '(module (func (export "\\1b[31mboom") unreachable))');
  const trap = await cli(['run', '--invoke', '\u001b[31mboom', g]);
  assert.is(trap.status, 134, trap.stderr);
  assert.ok(trap.stderr.includes('0: \\x1b[31mboom'), trap.stderr);
  assert.not.ok(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(trap.stderr), 'no raw control character reaches stderr');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
