// Issue #12.2: two guests granted the same directory (tests/programs/c/race.c). `race swap`
// keeps swapping `d` between a real directory and a symlink to ../canary (outside the
// grant) while `race victim` truncates, creates, makes directories in or unlinks under `d/`. With a
// resolve-then-use sandbox the kernel re-resolves `d` at use time and the operation
// lands in canary/ within seconds; the fd walk (jit/wasi/sandbox.ts) must give 0 escapes.
// Both guests run under the real CLI in child processes, bounded by time and count.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAll } from '../programs/build.js';
import { CLI } from '../programs/engines.js';

/** How long the guests race (they stop by themselves; the kill is a backstop). Without the fd walk,
 * every kind of operation escaped within this time here, even on a loaded machine. */
const SECONDS = 5;
const MAX_ITERATIONS = 1_000_000;
const KILL_AFTER_MS = 120_000;
/** The victim's mode 4: open O_TRUNC, open O_CREAT, mkdir, unlink, in turn. */
const ALL_MODES = '4';

interface Run { status: number | null; stdout: string; stderr: string }

function runGuest(wasm: string, sandbox: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', '--dir', `${sandbox}::/`, wasm, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: KILL_AFTER_MS });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every entry of canary/ with its type, size, mtime and content hash, and the directory's own mtime. */
function snapshot(canary: string): string {
  const lines = [`. mtime=${lstatSync(canary, { bigint: true }).mtimeNs}`];
  for (const name of readdirSync(canary).sort()) {
    const p = join(canary, name);
    const st = lstatSync(p, { bigint: true });
    const hash = st.isFile() ? createHash('sha1').update(readFileSync(p)).digest('hex') : '-';
    lines.push(`${name} dir=${st.isDirectory()} size=${st.size} mtime=${st.mtimeNs} sha1=${hash}`);
  }
  return lines.join('\n');
}

const top = realpathSync(mkdtempSync(join(tmpdir(), 'kwasm-race-')));
const race = (await buildAll(['race.c'])).get('race.c') as string;

test('truncate, create, mkdir and unlink under d/ while d is swapped for a symlink out: nothing outside the grant changes', async () => {
  const sandbox = join(top, 'sandbox'), canary = join(top, 'canary');
  mkdirSync(join(sandbox, 'd'), { recursive: true });
  mkdirSync(canary);
  writeFileSync(join(canary, 'victim.txt'), 'victim original\n');
  writeFileSync(join(canary, 'victim2.txt'), 'victim2 original\n');
  writeFileSync(join(sandbox, 'd', 'victim.txt'), 'inside\n');
  writeFileSync(join(sandbox, 'd', 'victim2.txt'), 'inside2\n');
  const before = snapshot(canary);
  const limits = [String(MAX_ITERATIONS), String(SECONDS)];
  const [swap, victim] = await Promise.all([
    runGuest(race, sandbox, ['swap', ...limits]),
    runGuest(race, sandbox, ['victim', ...limits, ALL_MODES]),
  ]);
  assert.is(swap.status, 0, swap.stderr);
  assert.is(victim.status, 0, victim.stderr);
  // Not vacuous: the swapper swapped, and every kind of operation succeeded while `d` was real.
  const swaps = Number(/swaps (\d+)/.exec(swap.stdout)?.[1] ?? 0);
  assert.ok(swaps > 0, `swapper: ${swap.stdout}`);
  for (const op of ['truncated', 'created', 'mkdir', 'unlinked']) {
    assert.ok(Number(new RegExp(`${op} (\\d+)`).exec(victim.stdout)?.[1] ?? 0) > 0, `victim: ${victim.stdout}`);
  }
  assert.fixture(snapshot(canary), before);
});

test.after(() => rmSync(top, { recursive: true, force: true }));
test.run();
