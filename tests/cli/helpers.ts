// Running the real CLI (bin/kwasm-jit.js) in a child process, as a user would.
import '../hermetic-cache.js'; // the CLI's compiled-code cache in a temp dir, not ~/.cache
import '../fresh-bundle.js'; // the CLI tested is the bundle a user runs
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(REPO, 'bin', 'kwasm-jit.js');

export interface CliResult { status: number | null; stdout: string; stderr: string; ms: number; }

export function cli(args: readonly string[], opts: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: 'pipe' });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.on('error', () => { /* the program may not read stdin */ });
    child.stdin.end(opts.stdin ?? '');
    // a hung CLI fails the test instead of hanging the suite
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, ms: Date.now() - t0 }); });
  });
}
