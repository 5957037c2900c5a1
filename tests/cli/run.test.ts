// `kwasm-jit run` end to end: the real CLI in a child process on small modules (wat2wasm) and
// WASI programs (clang-14, cached by tests/programs/build.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wat } from '../jit/wat.js';
import { buildProgram, CFLAGS } from '../programs/build.js';
import { compileWasiSync } from '../programs/wasi-clang.js';
import { cli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-cli-'));
function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

const calc = file('calc.wasm', wat(`(module
  (import "env" "missing" (func $missing (param i32) (result i32)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "third") (param f32) (result f32) (f32.div (local.get 0) (f32.const 3)))
  (func (export "divmul") (param f64 f64) (result f64 f64)
    (f64.div (local.get 0) (local.get 1)) (f64.mul (local.get 0) (local.get 1)))
  (func $uses_missing (export "uses_missing") (result i32) (call $missing (i32.const 1)))
  (func $outer (export "outer") (result i32) (call $uses_missing))
  (func (export "boom") (unreachable)))`, { names: true }));

const spin = file('spin.wasm', wat(`(module (func $spin (export "_start") (loop $l (br $l))))`, { names: true }));
// Every iteration calls a defined function first: the loop header has no interrupt check of its
// own (the callee's prologue has it, jit/compiler/loop-scan.ts callsFirst).
const spinCall = file('spin-call.wasm', wat(`(module (func $tick (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func $spin (export "_start") (local i32) (loop $l local.get 0 call $tick local.set 0 br $l)))`, { names: true }));

// A WASI C program that prints its environment and spins forever when asked (--timeout).
const WASI_C = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern char **environ;
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "spin") == 0) { printf("spinning\\n"); fflush(stdout); for (volatile int i = 0;; i++) {} }
  if (argc > 1 && strcmp(argv[1], "read") == 0) {
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 3; }
    char buf[200]; size_t n = fread(buf, 1, sizeof buf - 1, f); buf[n] = 0; printf("%s", buf); return 0;
  }
  for (char **e = environ; *e; e++) printf("env %s\\n", *e);
  printf("argv0 %s argc %d\\n", argv[0], argc);
  return 0;
}`;
function buildWasiC(): string {
  const src = join(tmp, 'wasi.c'), out = join(tmp, 'wasi.wasm');
  writeFileSync(src, WASI_C);
  compileWasiSync(src, out, CFLAGS);
  return out;
}
const wasiProg = buildWasiC();

test('bad flags: a clear error naming the flag, the usage line, status 2, nothing run', async () => {
  for (const argv of [['run', '--frobnicate', calc], ['run', '--timeout', 'soon', calc], ['run'], ['frobnicate']]) {
    const r = await cli(argv);
    assert.is(r.status, 2, argv.join(' '));
    assert.is(r.stdout, '');
    if (argv[0] === 'run') assert.match(r.stderr, /usage: kwasm-jit run \[OPTIONS\] FILE\.wasm/);
  }
  assert.match((await cli(['run', '--frobnicate', calc])).stderr, /unknown option "--frobnicate"/);
});

test('--help documents every option and the exit statuses', async () => {
  const r = await cli(['run', '--help']);
  assert.is(r.status, 0);
  for (const s of ['--dir HOST[::GUEST]', '--env NAME=VALUE', '--invoke NAME', '--timeout MS', '--trap-unknown-imports', '--argv0', 'exit status', '134', 'KWASM_BENCH_TIMING']) {
    assert.ok(r.stdout.includes(s), `--help lacks ${s}`);
  }
  assert.match((await cli(['--help'])).stdout, /run \[OPTIONS\] FILE\.wasm/);
});

test('--invoke: typed arguments in, results printed one per line as wasmtime does', async () => {
  const inv = (name: string, ...args: string[]) => cli(['run', '--trap-unknown-imports', '--invoke', name, calc, ...args]);
  let r = await inv('add', '2147483647', '1');
  assert.is(r.stdout, '-2147483648\n');
  r = await inv('mul64', '0x100000000', '-3');
  assert.is(r.stdout, `${-3n * 2n ** 32n}\n`);
  r = await inv('third', '1');
  assert.is(r.stdout, '0.33333334\n');
  r = await inv('divmul', '1e300', '-1e10');
  assert.is(r.stdout, `-1${'0'.repeat(290)}\n-inf\n`);
  r = await inv('divmul', '-0', 'inf');
  assert.is(r.stdout, '-0\nNaN\n');
  assert.is(r.status, 0);
  r = await inv('add', '1');
  assert.is(r.status, 1);
  assert.match(r.stderr, /'add' takes 2 argument\(s\) \(i32, i32\), 1 given/);
  r = await inv('add', '1', 'two');
  assert.is(r.status, 1);
  assert.match(r.stderr, /argument 2 of 'add': "two" is not an integer/);
  r = await inv('nope');
  assert.is(r.status, 1);
  assert.match(r.stderr, /no exported function 'nope'/);
});

test('unknown imports: a link error naming the import without --trap-unknown-imports; with it, a trap only when called', async () => {
  let r = await cli(['run', '--invoke', 'add', calc, '1', '2']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /link error: unknown import env\.missing/);
  assert.is(r.stdout, '');
  r = await cli(['run', '--trap-unknown-imports', '--invoke', 'add', calc, '1', '2']);
  assert.is(r.stdout, '3\n');
  r = await cli(['run', '--trap-unknown-imports', '--invoke', 'outer', calc]);
  assert.is(r.status, 134);
  assert.match(r.stderr, /^kwasm-jit: wasm trap: call to unknown import env::missing$/m);
  assert.match(r.stderr, /0: uses_missing \(func \d+\)[^\n]*\n\s+1: outer \(func \d+\)/);
});

test('a trap: "wasm trap: KIND", a backtrace with the name-section name, status 134', async () => {
  const r = await cli(['run', '--invoke', 'boom', '--trap-unknown-imports', calc]);
  assert.is(r.status, 134);
  assert.match(r.stderr, /^kwasm-jit: wasm trap: unreachable$/m);
  assert.match(r.stderr, /^wasm backtrace:\n\s+0: boom \(func \d+\) \+0x[0-9a-f]+$/m);
});

test('--timeout interrupts an endless loop (wat loop, and a WASI C for(;;)) and reports it as a trap', async () => {
  const r = await cli(['run', '--timeout', '200', spin]);
  assert.is(r.status, 134);
  assert.match(r.stderr, /^kwasm-jit: wasm trap: interrupted \(--timeout 200 ms\)$/m);
  assert.match(r.stderr, /0: spin \(func 0\)/);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  const c = await cli(['run', '--timeout', '300', wasiProg, 'spin']);
  assert.is(c.status, 134);
  assert.is(c.stdout, 'spinning\n');
  assert.match(c.stderr, /wasm trap: interrupted/);
  assert.match(c.stderr, /0: main \(func \d+\)/);
  assert.ok(c.ms < 10_000, `took ${c.ms} ms`);
  const l = await cli(['run', '--timeout', '200', spinCall]);
  assert.is(l.status, 134);
  assert.match(l.stderr, /^kwasm-jit: wasm trap: interrupted \(--timeout 200 ms\)$/m);
  assert.match(l.stderr, /\d: spin \(func 1\)/);
  assert.ok(l.ms < 10_000, `took ${l.ms} ms`);
  console.log(`  (--timeout 200 ended after ${r.ms} ms, --timeout 300 after ${c.ms} ms, process start included)`);
});

test('--env sets exactly the given variables (none inherited), --argv0 sets argv[0]', async () => {
  const r = await cli(['run', '--env', 'A=1', '--env', 'B=x=y', '--env', 'EMPTY=', '--argv0', 'prog', wasiProg, 'extra'],
    { env: { ...process.env, LEAK: 'no' } });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'env A=1\nenv B=x=y\nenv EMPTY=\nargv0 prog argc 2\n');
  const d = await cli(['run', wasiProg]);
  assert.is(d.stdout, `argv0 ${wasiProg} argc 1\n`);
});

test('--dir HOST::GUEST grants HOST as GUEST and nothing else; --dir HOST keeps the host name', async () => {
  const host = join(tmp, 'granted');
  mkdirSync(host);
  writeFileSync(join(host, 'in.txt'), 'inside\n');
  writeFileSync(join(tmp, 'secret.txt'), 'outside\n');
  let r = await cli(['run', '--dir', `${host}::/data`, wasiProg, 'read', '/data/in.txt']);
  assert.is(r.stdout, 'inside\n');
  assert.is(r.status, 0);
  for (const path of ['/data/../secret.txt', `${tmp}/secret.txt`, '/secret.txt']) {
    r = await cli(['run', '--dir', `${host}::/data`, wasiProg, 'read', path]);
    assert.is(r.status, 3, `${path} must not open: ${r.stdout}`);
    assert.not.match(r.stdout, /outside/);
  }
  r = await cli(['run', '--dir', host, wasiProg, 'read', `${host}/in.txt`]);
  assert.is(r.stdout, 'inside\n');
  r = await cli(['run', '--dir', join(tmp, 'nonexistent'), wasiProg]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--dir/);
});

test('exit statuses: proc_exit code mod 256, 0 on return; stdin is the process\'s own', async () => {
  const exitProg = await buildProgram('exit.c');
  assert.is((await cli(['run', exitProg, '42', 'proc_exit'])).status, 42);
  assert.is((await cli(['run', exitProg, '300', 'exit'])).status, 44);
  assert.is((await cli(['run', exitProg, '0', 'return'])).status, 0);
  const input = 'line one\nline two\n'.repeat(1000);
  const r = await cli(['run', await buildProgram('cat.c')], { stdin: input });
  assert.is(r.status, 0);
  assert.ok(r.stdout === input, `cat: ${r.stdout.length} of ${input.length} bytes`);
});

test('KWASM_BENCH_TIMING=1 adds one @bench-timing line with compileMs, runMs and where the code came from', async () => {
  const r = await cli(['run', wasiProg], { env: { ...process.env, KWASM_BENCH_TIMING: '1' } });
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('@bench-timing '));
  assert.is(lines.length, 1, r.stderr);
  const t = JSON.parse(lines[0].slice('@bench-timing '.length)) as Record<string, number | string>;
  assert.equal(Object.keys(t).sort(), ['cache', 'compileMs', 'runMs']);
  assert.ok(Number(t.compileMs) > 0 && Number(t.runMs) > 0);
  assert.ok(['hit', 'miss'].includes(String(t.cache)), String(t.cache));
  assert.not.match((await cli(['run', wasiProg])).stderr, /@bench-timing/);
});

test('not a module, unreadable file: status 1 with the reason', async () => {
  const junk = file('junk.wasm', new TextEncoder().encode('not wasm'));
  let r = await cli(['run', junk]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /junk\.wasm: malformed/);
  r = await cli(['run', join(tmp, 'absent.wasm')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
  void readFileSync;
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
