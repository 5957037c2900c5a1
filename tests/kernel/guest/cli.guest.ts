// Guest-side: `kwasm-jit run --kernel` runs WASI programs of tests/programs in ring 0 and they
// behave as in user mode: same stdout, same exit status, same trap. The user-mode reference runs
// on the host before the VM boots (tests/kernel/kernel.suite.ts writes build/kernel/cli-expected.json;
// the guest root is read-only and every node start under TCG costs seconds). File programs get a
// fresh /tmp tree with a sandbox preopened, as tests/programs/run.ts does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../../kernel-loader/vm/harness.js';
import { PROGRAMS, type Program, type ProgramContext } from '../../programs/programs.js';
import { buildProgram } from '../../programs/build.js';
import { cliArgs } from '../../programs/engines.js';
import type { RunResult } from '../../programs/run.js';

/** Programs run with --kernel in the VM (stdio in the kernel; files, args and exit through user space). */
export const KERNEL_CLI_PROGRAMS = ['hello', 'files', 'rename_unlink', 'cat', 'exit_proc_exit_300', 'oob'];

export interface Expected { status: number; stdout: string; trap: string | null }
export const EXPECTED_FILE = (): string => join(repoRoot(), 'build', 'kernel', 'cli-expected.json');
const BATCH = join(dirname(fileURLToPath(import.meta.url)), 'cli-batch.js');
const mark = (i: number): string => `\u0000@@KCLI ${i}\u0000`;

export interface BatchResult { program: Program; status: number; stdout: Buffer; stderr: string; result: RunResult }

/**
 * Runs the programs through the CLI (user mode, or ring 0 with `kernel`) in one node process
 * (cli-batch.ts), each with a fresh /tmp tree as tests/programs/run.ts makes. Stdin (the one
 * program that reads it, cat) is the batch's stdin.
 */
export async function runBatch(names: readonly string[], kernel: boolean): Promise<BatchResult[]> {
  const progs = names.map((n) => {
    const p = PROGRAMS.find((x) => x.name === n);
    if (!p) throw new Error(`no program ${n}`);
    return p;
  });
  const stdin = Buffer.concat(progs.map((p) => p.stdin ?? Buffer.alloc(0)));
  const ctxs: ProgramContext[] = [];
  const runs: string[][] = [];
  for (const p of progs) {
    const wasmPath = await buildProgram(p.source);
    const root = mkdtempSync(join(tmpdir(), `kwasm-kcli-${p.name}-`));
    const ctx: ProgramContext = { root, sandbox: join(root, 'sandbox'), outside: join(root, 'outside') };
    mkdirSync(ctx.sandbox);
    mkdirSync(ctx.outside);
    p.setup?.(ctx);
    ctxs.push(ctx);
    const extra = typeof p.args === 'function' ? p.args(ctx) : p.args ?? [];
    const args = cliArgs({
      wasmPath, args: [p.name, ...extra], env: p.env ?? {},
      preopens: p.sandbox === true ? { '/sandbox': ctx.sandbox } : {}, nonBlockingStdio: false,
    }).slice(1); // without 'run'
    runs.push(kernel ? ['--kernel', ...args] : args);
  }
  const started = Date.now();
  const { out, err } = await new Promise<{ out: Buffer; err: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BATCH, JSON.stringify(runs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const o: Buffer[] = [], e: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => o.push(d));
    child.stderr.on('data', (d: Buffer) => e.push(d));
    child.stdin.on('error', () => { /* the programs may not read all of stdin */ });
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`cli batch exited ${String(status)}: ${Buffer.concat(e).toString().slice(-2000)}`));
      else resolve({ out: Buffer.concat(o), err: Buffer.concat(e).toString() });
    });
  });
  const ms = Date.now() - started;
  return progs.map((p, i) => {
    const a = out.indexOf(mark(i)) + mark(i).length, b = i + 1 < progs.length ? out.indexOf(mark(i + 1)) : out.length;
    const ea = err.indexOf(mark(i)) + mark(i).length, eb = err.indexOf(`${mark(i)}status `, ea);
    const status = Number(/^status (\d+)/.exec(err.slice(eb + mark(i).length))?.[1] ?? -1);
    const stdout = out.subarray(a, b), stderr = err.slice(ea, eb), ctx = ctxs[i] as ProgramContext;
    const result: RunResult = {
      engine: kernel ? 'kwasm-cli --kernel' : 'kwasm-cli', status, signal: null, stdout, stderr, ctx, ms,
      cleanup: () => rmSync(ctx.root, { recursive: true, force: true }),
    };
    return { program: p, status, stdout, stderr, result };
  });
}

export const trapOf = (stderr: string): string | null => /^kwasm-jit: wasm trap: (.*)$/m.exec(stderr)?.[1] ?? null;

const test = suite('run --kernel');

test('WASI programs with --kernel match user mode (stdout, exit status, trap)', async () => {
  const expected = JSON.parse(readFileSync(EXPECTED_FILE(), 'utf8')) as Record<string, Expected>;
  const t0 = Date.now();
  const results = await runBatch(KERNEL_CLI_PROGRAMS, true);
  console.log(`  ${results.length} programs with --kernel in one process: ${Date.now() - t0} ms`);
  for (const { program: p, status, stdout, stderr, result } of results) {
    const want = expected[p.name];
    try {
      assert.ok(want, `user-mode reference for ${p.name}`);
      assert.is(stdout.toString('base64'), want.stdout, `${p.name}: stdout as in user mode (${JSON.stringify(stdout.toString().slice(0, 300))})`);
      assert.is(status, want.status, `${p.name}: exit status as in user mode (stderr: ${stderr.slice(0, 400)})`);
      assert.is(status, p.expectExit, `${p.name}: exit status`);
      assert.is(trapOf(stderr), want.trap, `${p.name}: trap as in user mode`);
      p.check?.(result);
      console.log(`  ${p.name}: exit ${status}, ${stdout.length} bytes out${want.trap ? `, trap ${want.trap}` : ''}`);
    } finally {
      result.cleanup();
    }
  }
});

export default test;
