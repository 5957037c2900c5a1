// The CLI process ends as soon as its command settles (jit/cli/code-cache.ts runBundle), and
// nothing is lost by it: every byte of output, to a pipe read slowly or to a file, whether the
// program returns, calls proc_exit or traps, and the exact exit status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleDir } from '../../jit/cli/bundle.js';
import { wat } from '../jit/wat.js';
import { CLI } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kwasm-exit-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const launcher = join(bundleDir(), 'cli.cjs');

/** `node -e` running `main` (a CommonJS module's source exporting main) through runBundle, as bin/kwasm-jit.js does. */
function fakeBundle(name: string, main: string): string[] {
  const file = join(tmp, `${name}.cjs`);
  writeFileSync(file, main);
  return ['-e', `require(${JSON.stringify(launcher)}).runBundle(${JSON.stringify(file)}, [])`];
}

interface Run { status: number | null; stdout: Buffer; stderr: string }

/** Runs node with `args`, its stdout a pipe read only after `delayMs` (so a large output fills it and queues). */
function slowReader(args: string[], delayMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), delayMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout: Buffer.concat(out), stderr }); });
  });
}

/** Runs node with `args`, stdout to a file; returns the status, the file's bytes and stderr. */
function toFile(args: string[]): Run {
  const path = join(tmp, 'out.bin');
  const fd = openSync(path, 'w');
  try {
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: readFileSync(path), stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

test('a command that settles while a timer is pending ends at once with its status (the timer would keep Node alive 60 s)', () => {
  const args = fakeBundle('pending', 'exports.main = async () => { setTimeout(() => {}, 60_000); return 5; };\n');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.signal, null, 'ended on its own');
  assert.is(r.status, 5, r.stderr);
});

test('the CLI\'s own output queued in a full pipe is all written before the process ends (1 MB stdout, 200 KB stderr)', async () => {
  const main = 'exports.main = async () => { process.stdout.write("o".repeat(1 << 20)); process.stderr.write("e".repeat(200_000)); return 3; };\n';
  const r = await slowReader(fakeBundle('queued', main), 300);
  assert.is(r.status, 3, r.stderr.slice(0, 200));
  assert.is(r.stdout.length, 1 << 20);
  assert.is(r.stderr.length, 200_000);
  const f = toFile(fakeBundle('queued', main));
  assert.is(f.status, 3);
  assert.is(f.stdout.length, 1 << 20);
});

// 32 writes of 64 KB ('a'), then proc_exit(7), or a trap after them
const bigOut = (end: string): Uint8Array => wat(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 97) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 32))))
    ${end}))`);

test('a program\'s large output, to a slow pipe and to a file, then proc_exit or a trap: every byte, the exact status', async () => {
  const exits = join(tmp, 'big-exit.wasm'), traps = join(tmp, 'big-trap.wasm');
  writeFileSync(exits, bigOut('(call $proc_exit (i32.const 7))'));
  writeFileSync(traps, bigOut('(unreachable)'));
  const all = Buffer.alloc(32 * 65536, 'a');
  // twice each: a cold cache (compile) and a warm one (the start this exit is for)
  for (let k = 0; k < 2; k++) {
    const p = await slowReader([CLI, 'run', exits], 300);
    assert.is(p.status, 7, p.stderr);
    assert.ok(p.stdout.equals(all), `pipe: ${p.stdout.length} bytes`);
    const f = toFile([CLI, 'run', exits]);
    assert.is(f.status, 7, f.stderr);
    assert.ok(f.stdout.equals(all), `file: ${f.stdout.length} bytes`);
    const t = await slowReader([CLI, 'run', traps], 300);
    assert.is(t.status, 134);
    assert.ok(t.stdout.equals(all), `trap, pipe: ${t.stdout.length} bytes`);
    assert.match(t.stderr, /^kwasm-jit: wasm trap: unreachable$/m);
  }
});

test('examples/hello.wasm: its greeting and its note about the missing grant, status 1, to a pipe and to a file', async () => {
  const hello = join(CLI, '..', '..', 'examples', 'hello.wasm');
  for (const r of [await slowReader([CLI, 'run', hello], 0), toFile([CLI, 'run', hello])]) {
    assert.is(r.status, 1, r.stderr);
    assert.is(r.stdout.toString(), 'hello, world, from WebAssembly compiled by kwasm-jit\n' +
      'no /message.txt (Capabilities insufficient): grant a directory with --dir HOST::/\n');
    assert.is(r.stderr, '');
  }
});

/** Our mappings of at least 4 GiB (a linear memory's reservation), as "start-end" lines of /proc/self/maps. */
function hugeMappings(): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m && BigInt('0x' + m[2]) - BigInt('0x' + m[1]) >= 1n << 32n) out.add(`${m[1]}-${m[2]}`);
  }
  return out;
}

test('run unmaps what it mapped unless the process ends next (main(argv, true): the exit unmaps it)', async () => {
  const { runCmd } = await import('../../jit/cli/run.js');
  const file = join(tmp, 'mem.wasm');
  writeFileSync(file, wat('(module (memory (export "memory") 1) (func (export "_start")))'));
  const before = hugeMappings();
  assert.is(await runCmd(['--no-cache', file]), 0);
  assert.equal([...hugeMappings()].filter((x) => !before.has(x)), [], 'freed after an embedder\'s run');
  assert.is(await runCmd(['--no-cache', file], true), 0);
  assert.is([...hugeMappings()].filter((x) => !before.has(x)).length, 1, 'left to the exit');
});

test.run();
