// runProgram(engine, program): one WASI program in a child node process with
// stdin piped and stdout/stderr captured, in a fresh temporary directory tree
// (`sandbox/` preopened as /sandbox, `outside/` next to it, never granted).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from './build.js';
import type { EngineRunConfig } from './engines.js';
import type { Program, ProgramContext } from './programs.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.js');
const TIMEOUT_MS = 30_000;

export interface RunResult {
  engine: string;
  /** Exit status of the child (the program's exit code & 255, or 134 on a trap). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  ctx: ProgramContext;
  ms: number;
  /** Removes the temporary directory tree (after the checks looked at it). */
  cleanup(): void;
}

/**
 * Builds the program and makes its fresh directory tree (`sandbox/`, `outside/`, the program's
 * own setup): the run configuration every engine gets, and where it lives.
 */
export async function prepareProgram(program: Program, tag: string): Promise<{ ctx: ProgramContext; cfg: EngineRunConfig }> {
  const wasmPath = await buildProgram(program.source);
  const root = mkdtempSync(join(tmpdir(), `kwasm-${tag}-${program.name}-`));
  const ctx: ProgramContext = { root, sandbox: join(root, 'sandbox'), outside: join(root, 'outside') };
  mkdirSync(ctx.sandbox);
  mkdirSync(ctx.outside);
  program.setup?.(ctx);
  const extra = typeof program.args === 'function' ? program.args(ctx) : program.args ?? [];
  const cfg: EngineRunConfig = {
    wasmPath,
    args: [program.name, ...extra],
    env: program.env ?? {},
    preopens: program.sandbox === true ? { '/sandbox': ctx.sandbox } : {},
    nonBlockingStdio: program.nonBlockingStdio === true,
  };
  return { ctx, cfg };
}

export async function runProgram(engine: string, program: Program): Promise<RunResult> {
  const { ctx, cfg } = await prepareProgram(program, 'wasi');
  const root = ctx.root;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', CHILD, engine, JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => { /* the program may exit without reading all of stdin */ });
    child.stdin.end(program.stdin ?? Buffer.alloc(0));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        engine, status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(),
        ctx, ms: Date.now() - started,
        cleanup: () => rmSync(root, { recursive: true, force: true }),
      });
    });
  });
}
