// Guest-side: `kwasm-jit run --kernel` runs WASI programs of tests/programs in ring 0 and they
// behave as in user mode: same stdout, same exit status, same trap. The user-mode reference runs
// on the host before the VM boots (tests/kernel/kernel.suite.ts writes build/kernel/cli-expected.json;
// the guest root is read-only and every node start under TCG costs seconds). File programs get a
// fresh /tmp tree with a sandbox preopened, as tests/programs/run.ts does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../../kernel-loader/vm/harness.js';
import { PROGRAMS, type Program, type ProgramContext } from '../../programs/programs.js';
import { cliArgs } from '../../programs/engines.js';
import { prepareProgram, type RunResult } from '../../programs/run.js';

/**
 * Programs run with --kernel in the VM: files (read/write/seek/close of path_open'd fds, stdio
 * numbers reused for files), args/environ and proc_exit in the kernel; path_* and errors on fds
 * the kernel does not hold (unsupported) through user space.
 */
export const KERNEL_CLI_PROGRAMS = ['hello', 'files', 'rename_unlink', 'cat', 'exit_proc_exit_300', 'oob', 'args_env', 'exit_exit_7', 'stdio_reuse', 'unsupported'];

export interface Expected {
  status: number; stdout: string; trap: string | null; backtrace: string | null;
  /** the CLI's first own line on stderr ('kwasm-jit: ...'): its error or trap message */
  message: string | null;
}
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
    const { ctx, cfg } = await prepareProgram(p, 'kcli');
    ctxs.push(ctx);
    // one guest process runs the whole batch with inherited stdio: never non-blocking
    const args = cliArgs({ ...cfg, nonBlockingStdio: false }).slice(1); // without 'run'
    runs.push(kernel ? ['--kernel', ...args] : args);
  }
  const started = Date.now();
  const outs = await spawnBatch(runs, stdin);
  const ms = Date.now() - started;
  return progs.map((p, i) => {
    const { status, stdout, stderr } = outs[i] as BatchOutput, ctx = ctxs[i] as ProgramContext;
    const result: RunResult = {
      engine: kernel ? 'kwasm-cli --kernel' : 'kwasm-cli', status, signal: null, stdout, stderr, ctx, ms,
      cleanup: () => rmSync(ctx.root, { recursive: true, force: true }),
    };
    return { program: p, status, stdout, stderr, result };
  });
}

interface BatchOutput { status: number; stdout: Buffer; stderr: string }

/** Runs `kwasm-jit run` command lines (without 'run') one after the other in one node process (cli-batch.ts). */
async function spawnBatch(runs: readonly string[][], stdin: Buffer): Promise<BatchOutput[]> {
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
  return runs.map((_, i) => {
    const a = out.indexOf(mark(i)) + mark(i).length, b = i + 1 < runs.length ? out.indexOf(mark(i + 1)) : out.length;
    const ea = err.indexOf(mark(i)) + mark(i).length, eb = err.indexOf(`${mark(i)}status `, ea);
    const status = Number(/^status (\d+)/.exec(err.slice(eb + mark(i).length))?.[1] ?? -1);
    return { status, stdout: out.subarray(a, b), stderr: err.slice(ea, eb) };
  });
}

export const trapOf = (stderr: string): string | null => /^kwasm-jit: wasm trap: (.*)$/m.exec(stderr)?.[1] ?? null;
/** The wasm backtrace lines of a trap (names from the name section, offsets in the functions). */
export const backtraceOf = (stderr: string): string | null => /^wasm backtrace:\n(?: +.*\n?)*/m.exec(stderr)?.[0].trimEnd() ?? null;
/** What a run must reproduce in kernel mode (the reference file's entry). */
export const expectedOf = (status: number, stdout: Buffer, stderr: string): Expected =>
  ({ status, stdout: stdout.toString('base64'), trap: trapOf(stderr), backtrace: backtraceOf(stderr), message: /^kwasm-jit: .*$/m.exec(stderr)?.[0] ?? null });

/*
 * `--invoke` runs of one small module (bytes below, from wat2wasm --debug-names on the host, so
 * the names are the function names of this source):
 *   (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 *   (func (export "mix") (param i64 f32 f64) (result i64 f32 f64)
 *     (i64.mul (local.get 0) (i64.const -3)) (f32.div (local.get 1) (f32.const 3)) (f64.sqrt (local.get 2)))
 *   (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func $leaf (param i32) (result i32) (i32.load (local.get 0)))
 *   (func $deep (export "deep") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0)) (then (call $leaf (i32.const 0x7ffffff0)))
 *       (else (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
 *   (func (export "spin_user") (loop $l (drop (call $prestat (i32.const 99) (i32.const 0))) (br $l)))
 *   (func (export "spin_kernel") (loop $l (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 8))) (br $l)))
 * spin_user makes a host call user space answers (fd_prestat_get) forever, spin_kernel one the
 * kernel serves (clock_time_get): --timeout must stop both as a whole-run wall clock.
 */
const INVOKE_WASM = '0061736d01000000011f0560027f7f017f60037f7e7f017f60037e7d7c037e7d7c60017f017f60000002510216776173695f736e617073686f745f70726576696577310e66645f707265737461745f676574000016776173695f736e617073686f745f70726576696577310e636c6f636b5f74696d655f6765740001030807000200030304040503010001073d07066d656d6f72790200036164640002036d6978000303646976000404646565700006097370696e5f7573657200070b7370696e5f6b65726e656c00080a69070700200020016a0b12002000427d7e200143000040409520029f0b0700200020016d0b070020002802000b1b00200045047f41f0ffffff07100505200041016b100641016a0b0b0f00034041e300410010001a0c000b0b1000034041014200410810011a0c000b0b0039046e616d65011d040007707265737461740105636c6f636b05046c656166060464656570021309000001000200030004000500060007000800';
export const INVOKE_MODULE = (): string => join(repoRoot(), 'build', 'kernel', 'kcli-invoke.wasm');
/** Host side, before boot (the guest's root is read-only). */
export function writeInvokeModule(): void {
  mkdirSync(dirname(INVOKE_MODULE()), { recursive: true });
  writeFileSync(INVOKE_MODULE(), Buffer.from(INVOKE_WASM, 'hex'));
}
/** name -> command line (without 'run' and '--kernel'); `timeout`: the stop's place varies, its backtrace is not compared. */
export const KERNEL_CLI_INVOKES = (): Array<{ name: string; args: string[]; timeout?: boolean }> => {
  const inv = (name: string, ...args: string[]): string[] => ['--invoke', name, INVOKE_MODULE(), ...args];
  return [
    { name: 'invoke add', args: inv('add', '40', '2') },
    { name: 'invoke mix', args: inv('mix', '-0x7fffffffffffffff', 'inf', '2') },
    { name: 'invoke div trap', args: inv('div', '7', '0') },
    { name: 'invoke deep trap', args: inv('deep', '5') },
    { name: 'invoke bad arity', args: inv('add', '1') },
    { name: 'timeout host calls to user space', args: ['--timeout', '300', ...inv('spin_user')], timeout: true },
    { name: 'timeout host calls in the kernel', args: ['--timeout', '300', ...inv('spin_kernel')], timeout: true },
  ];
};
/** The invoke runs through the CLI in one process, user mode or --kernel. */
export async function runInvokes(kernel: boolean): Promise<Array<{ name: string; timeout: boolean } & BatchOutput>> {
  const runs = KERNEL_CLI_INVOKES();
  const outs = await spawnBatch(runs.map((r) => (kernel ? ['--kernel', ...r.args] : r.args)), Buffer.alloc(0));
  return runs.map((r, i) => ({ name: r.name, timeout: r.timeout === true, ...(outs[i] as BatchOutput) }));
}

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
      assert.is(backtraceOf(stderr), want.backtrace, `${p.name}: wasm backtrace as in user mode`);
      p.check?.(result);
      p.checkOurs?.(result); // errnos our WASI answers (kernel mode must answer the same)
      console.log(`  ${p.name}: exit ${status}, ${stdout.length} bytes out${want.trap ? `, trap ${want.trap}` : ''}`);
    } finally {
      result.cleanup();
    }
  }
});

test('--invoke, its traps\' backtraces and --timeout with --kernel match user mode', async () => {
  const expected = JSON.parse(readFileSync(EXPECTED_FILE(), 'utf8')) as Record<string, Expected>;
  const t0 = Date.now();
  const results = await runInvokes(true);
  console.log(`  ${results.length} --invoke runs with --kernel in one process: ${Date.now() - t0} ms`);
  for (const { name, timeout, status, stdout, stderr } of results) {
    const want = expected[name];
    assert.ok(want, `user-mode reference for ${name}`);
    const got = expectedOf(status, stdout, stderr);
    const ctx = `${name}: ${JSON.stringify(stderr.slice(0, 600))}`;
    assert.is(got.stdout, want.stdout, `${ctx}: stdout`);
    assert.is(got.status, want.status, `${ctx}: status`);
    assert.is(got.trap, want.trap, `${ctx}: trap`);
    assert.is(got.message, want.message, `${ctx}: message`);
    if (timeout) {
      // where a run is stopped varies (user mode: at a loop header; kernel: there or at the host
      // call's return), so only the stopped function is compared
      assert.is(want.trap, 'interrupted (--timeout 300 ms)');
      const fn = / {5}0: (\S+) \(func \d+\)/;
      assert.is(fn.exec(got.backtrace ?? '')?.[1], fn.exec(want.backtrace ?? '')?.[1], `${ctx}: stopped in the same function`);
    } else {
      assert.is(got.backtrace, want.backtrace, `${ctx}: backtrace`);
    }
    console.log(`  ${name}: exit ${status}${got.trap ? `, trap ${got.trap}` : ''}${got.backtrace ? `, ${got.backtrace.split('\n').length - 1} frames` : ''}`);
  }
});

test('run --kernel FILE.kwasm (compile -o\'s format) runs the compiled module; a corrupt one is refused by name', async () => {
  const { compileModule } = await import('../../../jit/compiler/module-compiler.js');
  const { serializeCompiled } = await import('../../../jit/cache/serialize.js');
  const dir = mkdtempSync(join(tmpdir(), 'kcli-kwasm-'));
  try {
    const good = serializeCompiled(compileModule(readFileSync(INVOKE_MODULE())));
    const bad = good.slice();
    bad[bad.length - 20] ^= 1;
    writeFileSync(join(dir, 'm.kwasm'), good);
    writeFileSync(join(dir, 'bad.kwasm'), bad);
    const [ok, refused] = await spawnBatch([
      ['--kernel', '--invoke', 'add', join(dir, 'm.kwasm'), '40', '2'],
      ['--kernel', '--invoke', 'add', join(dir, 'bad.kwasm'), '40', '2'],
    ], Buffer.alloc(0));
    assert.is(ok.stdout.toString(), '42\n', ok.stderr);
    assert.is(ok.status, 0);
    assert.is(refused.status, 1);
    assert.match(refused.stderr, 'cannot load compiled module: checksum mismatch');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

export default test;
