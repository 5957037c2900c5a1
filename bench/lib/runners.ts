// The runners compared by the bench: native (gcc -O2), kwasm-jit through its CLI, and V8 through
// node:wasi with one tier forced. Each runner turns a built program plus its invocation into a
// command line; whether it works at all is decided at run time by a probe program.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Built } from './build.js';
import { runCommand, type Command } from './exec.js';
import type { Invocation } from './programs.js';
import { PROBE_EXPECTED } from './programs.js';

export interface Runner {
  id: string;
  /** Column header in the report. */
  label: string;
  /** One line for the report: how this runner is started. */
  description: string;
  command(built: Built, inv: Invocation): Command;
  env?: NodeJS.ProcessEnv;
}

export type Availability = { ok: true } | { ok: false; reason: string };

/** V8 flags per tier, checked on Node 20 (V8 11.3) with --trace-wasm-compilation-times:
 *  `--liftoff --no-wasm-tier-up` alone still lets dynamic tiering recompile hot functions with
 *  TurboFan, so the Liftoff row also needs --no-wasm-dynamic-tiering. Lazy compilation is off in
 *  both so that compile() compiles every function and the run time excludes compilation. */
export const LIFTOFF_FLAGS = ['--liftoff', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering', '--no-wasm-lazy-compilation'];
export const TURBOFAN_FLAGS = ['--no-liftoff', '--no-wasm-lazy-compilation'];

function dirFlags(inv: Invocation): string[] {
  return inv.dirs.flatMap((d) => ['--dir', d]);
}

export function nativeRunner(): Runner {
  return {
    id: 'native',
    label: 'native',
    description: 'gcc -O2 binary, run directly',
    command: (b, inv) => ({ file: b.native, args: inv.args }),
  };
}

export function v8Runner(tier: 'liftoff' | 'turbofan', runnerScript: string): Runner {
  const flags = tier === 'liftoff' ? LIFTOFF_FLAGS : TURBOFAN_FLAGS;
  return {
    id: `v8-${tier}`,
    label: tier === 'liftoff' ? 'V8 Liftoff' : 'V8 TurboFan',
    description: `node ${flags.join(' ')} bench/v8-wasi-runner (node:wasi preview1)`,
    command: (b, inv) => ({
      file: process.execPath,
      args: ['--no-warnings', ...flags, runnerScript, ...dirFlags(inv), '--timing', b.wasm, ...inv.args],
    }),
  };
}

/** kwasm-jit through its real CLI (`run`, preopens as `--dir HOST::GUEST` with guest = host).
 *  The CLI may report in-process times by printing `@bench-timing {"compileMs":..,"runMs":..}`
 *  on stderr when KWASM_BENCH_TIMING=1 is set. `--no-cache`: every run compiles, as V8's rows
 *  do (start-up from the compiled-code cache is bench/startup.bench.ts's subject). */
export function kwasmCliRunner(repoRoot: string): Runner {
  const cli = join(repoRoot, 'bin', 'kwasm-jit.js');
  return {
    id: 'kwasm-jit',
    label: 'kwasm-jit',
    description: 'node bin/kwasm-jit.js run --no-cache [--dir D::D]... FILE.wasm ARGS (the CLI)',
    command: (b, inv) => ({ file: process.execPath, args: [cli, 'run', '--no-cache', ...inv.dirs.flatMap((d) => ['--dir', `${d}::${d}`]), b.wasm, ...inv.args] }),
    env: { ...process.env, KWASM_BENCH_TIMING: '1' },
  };
}

/** Runs the probe program (two arguments) and expects its exact checksum. */
export async function probe(runner: Runner, probeBuilt: Built, repoRoot: string): Promise<Availability> {
  const script = runner.command(probeBuilt, { args: [], dirs: [] }).args.find((a) => a.endsWith('.js'));
  if (script !== undefined && !existsSync(script)) return { ok: false, reason: `${script.slice(repoRoot.length + 1)} missing` };
  if (runner.id === 'kwasm-jit' && script?.endsWith('kwasm-jit.js') && !existsSync(join(repoRoot, 'dist', 'jit', 'cli.js'))) {
    return { ok: false, reason: 'dist/jit/cli.js missing (CLI not built)' };
  }
  const r = await runCommand(runner.command(probeBuilt, { args: ['a', 'b'], dirs: [] }), 60_000, runner.env);
  if (!r.ok) return { ok: false, reason: `probe program failed: ${r.error ?? 'unknown'}` };
  if (r.checksum !== PROBE_EXPECTED) {
    return { ok: false, reason: `probe program printed checksum '${r.checksum}', expected '${PROBE_EXPECTED}'` };
  }
  return { ok: true };
}

export interface TierCheck {
  liftoffFunctions: number;
  turbofanFunctions: number;
  ok: boolean;
}

/** Runs fib (hot enough to trigger dynamic tier-up) with --trace-wasm-compilation-times and counts
 *  which compiler produced each function: the Liftoff runner must show no TurboFan function and
 *  the TurboFan runner no Liftoff function. */
export function checkTier(tier: 'liftoff' | 'turbofan', runnerScript: string, fibWasm: string): TierCheck {
  const flags = tier === 'liftoff' ? LIFTOFF_FLAGS : TURBOFAN_FLAGS;
  const r = spawnSync(process.execPath, ['--no-warnings', ...flags, '--trace-wasm-compilation-times', runnerScript, fibWasm, '32'],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const liftoffFunctions = (text.match(/using Liftoff/g) ?? []).length;
  const turbofanFunctions = (text.match(/using TurboFan/g) ?? []).length;
  const ok = r.status === 0 && (tier === 'liftoff'
    ? liftoffFunctions > 0 && turbofanFunctions === 0
    : turbofanFunctions > 0 && liftoffFunctions === 0);
  return { liftoffFunctions, turbofanFunctions, ok };
}
