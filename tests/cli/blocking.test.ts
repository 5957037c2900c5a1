// --timeout ends the run at the deadline wherever the guest is (issue #12.4): blocked reading
// stdin, sleeping in poll_oneoff, waiting in poll_oneoff on stdin. Each program would wait 60 s on
// its own; the run must end with the trap "interrupted" (status 134) well before that. No tight
// wall-clock bound: only "much earlier than the guest's own wait".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO, type CliResult } from './helpers.js';
import { wat } from '../jit/wat.js';

const GUEST_WAIT_MS = 60_000;
const tmp = mkdtempSync(join(tmpdir(), 'kwasm-blocking-'));

function file(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** The CLI with a stdin pipe that stays open (no data, no EOF) until the child exits. */
function runOpenStdin(args: readonly string[]): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: 'pipe' });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.on('error', () => { /* gone with the child */ });
    const timer = setTimeout(() => child.kill('SIGKILL'), GUEST_WAIT_MS + 10_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

const WASI = (name: string, params: string): string =>
  `(import "wasi_snapshot_preview1" "${name}" (func $${name} (param ${params}) (result i32)))`;

// /work/shared/bugs/stdinread.wat: fd_read(0) of 256 bytes
const stdinRead = file('stdinread.wasm', wat(`(module ${WASI('fd_read', 'i32 i32 i32 i32')}
  (memory (export "memory") 1)
  (data (i32.const 0) "\\10\\00\\00\\00\\00\\01\\00\\00")
  (func (export "_start") (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))`));

// sleep(60) as wasi-libc does it: one relative monotonic clock subscription
const sleep = file('sleep.wasm', wat(`(module ${WASI('poll_oneoff', 'i32 i32 i32 i32')}
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))                 ;; tag CLOCK
    (i32.store (i32.const 16) (i32.const 1))                 ;; MONOTONIC
    (i64.store (i32.const 24) (i64.const ${GUEST_WAIT_MS * 1_000_000}))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))`));

// poll_oneoff on stdin readable, with a 60 s clock next to it
const pollStdin = file('pollstdin.wasm', wat(`(module ${WASI('poll_oneoff', 'i32 i32 i32 i32')}
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const ${GUEST_WAIT_MS * 1_000_000}))
    (i32.store8 (i32.const 56) (i32.const 1))                ;; tag FD_READ
    (i32.store (i32.const 64) (i32.const 0))                 ;; fd 0
    (drop (call $poll_oneoff (i32.const 0) (i32.const 128) (i32.const 2) (i32.const 256)))))`));

for (const [what, prog] of [['reading stdin', stdinRead], ['sleeping in poll_oneoff', sleep], ['waiting in poll_oneoff for stdin', pollStdin]] as const) {
  test(`--timeout interrupts a guest ${what}: trap "interrupted", status 134, long before its own wait`, async () => {
    const r = await runOpenStdin(['run', '--timeout', '500', prog]);
    assert.is(r.status, 134, r.stderr);
    assert.match(r.stderr, /^kwasm-jit: wasm trap: interrupted \(--timeout 500 ms\)$/m);
    assert.match(r.stderr, /0: _start \(func 1\)/);
    assert.ok(r.ms < GUEST_WAIT_MS / 2, `took ${r.ms} ms`);
    console.log(`  (${what}: ended after ${r.ms} ms, process start included)`);
  });
}

test('without --timeout the same sleep runs to its end (a short one: 300 ms)', async () => {
  const short = file('short.wasm', wat(`(module ${WASI('poll_oneoff', 'i32 i32 i32 i32')}
    (memory (export "memory") 1)
    (func (export "_start")
      (i32.store (i32.const 16) (i32.const 1))
      (i64.store (i32.const 24) (i64.const 300000000))
      (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))`));
  const r = await runOpenStdin(['run', short]);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.ms >= 300, `took ${r.ms} ms`);
});

test('the embedding API: WASI.setDeadline ends a guest blocked on stdin with Interrupted', async () => {
  const { compile, instantiate, WASI: Wasi, Interrupted } = await import('../../jit/index.js');
  const fifo = join(tmp, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+'); // a writer exists (us): reads block, never EOF
  try {
    const wasi = new Wasi({ stdin: fd });
    const inst = instantiate(compile(readFileSync(stdinRead)), wasi.getImportObject());
    wasi.setDeadline(200);
    const t0 = Date.now();
    assert.throws(() => wasi.start(inst), (e: unknown) => e instanceof Interrupted);
    assert.ok(Date.now() - t0 < GUEST_WAIT_MS / 2);
    inst.store.dispose();
  } finally {
    closeSync(fd);
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
