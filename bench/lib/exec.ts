// Runs one benchmark child process and measures it: wall time from spawn to exit (the "total"),
// plus the in-process times a runner reports on stderr as `@bench-timing {json}`.
import { spawn } from 'node:child_process';

export interface Command {
  file: string;
  args: string[];
}

export interface InProcessTiming {
  compileMs?: number;
  instantiateMs?: number;
  runMs?: number;
}

export interface RunResult {
  ok: boolean;
  /** Why the run failed (exit status, signal, timeout, spawn error, no checksum). */
  error?: string;
  wallMs: number;
  timing: InProcessTiming;
  checksum?: string;
  stdoutBytes: number;
  /** The last few KiB of standard output and all of standard error (truncated), for reports. */
  stdoutTail: string;
  stderr: string;
}

const TAIL = 4096;
const CHECKSUM_RE = /^checksum: (.+?)\s*$/gm;
const TIMING_RE = /^@bench-timing (\{.*\})\s*$/m;

function lastChecksum(text: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(CHECKSUM_RE)) found = m[1];
  return found;
}

function parseTiming(stderr: string): InProcessTiming {
  const m = TIMING_RE.exec(stderr);
  if (!m) return {};
  try {
    const v: unknown = JSON.parse(m[1]!);
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    const num = (k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
    return { compileMs: num('compileMs'), instantiateMs: num('instantiateMs'), runMs: num('runMs') };
  } catch {
    return {};
  }
}

export function runCommand(cmd: Command, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdoutTail = '';
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let spawnError: string | undefined;
    const started = process.hrtime.bigint();
    let ended = started;
    const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      stdoutTail = (stdoutTail + d.toString('latin1')).slice(-TAIL);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString('utf8');
    });
    child.on('error', (e) => { spawnError = e.message; });
    child.on('exit', () => { ended = process.hrtime.bigint(); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (ended === started) ended = process.hrtime.bigint();
      const wallMs = Number(ended - started) / 1e6;
      const checksum = lastChecksum(stderr) ?? lastChecksum(stdoutTail);
      let error: string | undefined;
      if (spawnError) error = `could not start: ${spawnError}`;
      else if (timedOut) error = `timed out after ${(timeoutMs / 1000).toFixed(0)} s`;
      else if (signal) error = `killed by ${signal}`;
      else if (code !== 0) error = `exit status ${code}`;
      else if (checksum === undefined) error = 'no checksum line in the output';
      if (error) {
        const detail = firstMeaningfulLine(stderr) ?? firstMeaningfulLine(stdoutTail);
        if (detail) error += `: ${detail}`;
      }
      resolve({ ok: !error, error, wallMs, timing: parseTiming(stderr), checksum, stdoutBytes, stdoutTail, stderr });
    });
  });
}

/** The line most likely to say what went wrong: the first one mentioning an error, else the first. */
function firstMeaningfulLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('@bench-timing') && !l.startsWith('checksum:'));
  const line = lines.find((l) => /error|trap|unreachable|unknown|unsupported|not |fail/i.test(l)) ?? lines[0];
  return line === undefined ? undefined : line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
