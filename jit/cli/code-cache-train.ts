// The build's step that makes the CLI bundle's V8 code cache (code-cache.ts says what it is and
// how a start uses it). Apart from code-cache.ts so that a start does not load node:child_process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Script } from 'node:vm';
import { CODE_CACHE_SUFFIX, loadWithCodeCache, codeCacheHeader, type CliModule } from './code-cache.js';

/** Writes `file`'s code cache from `script` (this process's compiled functions), atomically. */
export function writeCodeCache(file: string, script: Script): void {
  const tmp = `${file}${CODE_CACHE_SUFFIX}.${process.pid}.tmp`;
  const data = script.createCachedData();
  writeFileSync(tmp, Buffer.concat([codeCacheHeader(readFileSync(file), data), data]));
  renameSync(tmp, file + CODE_CACHE_SUFFIX);
}

/**
 * The build's step (jit/cli/bundle.ts): runs the bundle `file` in child processes on `wasm` with a
 * fresh temp compiled-code cache, one per mode: `--run` only fills that cache, `--train` writes
 * the V8 code cache of what it ran: ['--run', '--train'] trains on a hit (what a warm `run`
 * executes), ['--train'] on a miss (the compiler). Returns an error text instead of throwing: the
 * CLI works without it.
 */
export function trainCodeCache(file: string, wasm: string, modes: readonly ('--run' | '--train')[] = ['--run', '--train']): string | undefined {
  const home = mkdtempSync(join(tmpdir(), 'kwasm-code-cache-'));
  try {
    const env = { ...process.env, XDG_CACHE_HOME: home, KWASM_CACHE: '1' };
    const self = fileURLToPath(import.meta.url);
    for (const mode of modes) {
      const r = spawnSync(process.execPath, [self, mode, file, 'run', wasm], { env, encoding: 'utf8', timeout: 120_000 });
      if (r.error !== undefined || r.signal !== null) return `${mode}: ${r.error?.message ?? r.signal}`;
      if (!/^ok\b/m.test(r.stderr)) return `${mode}: ${r.stderr.trim().slice(-500)}`;
    }
    return undefined;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// `node code-cache-train.js --run|--train BUNDLE ARGS...` (trainCodeCache's children): runs the CLI
// from BUNDLE without any code cache (a previous one is removed first), and for --train writes one
// when it returns. main(args, true) as bin/kwasm-jit.js calls it: a run's teardown is left to the
// exit, so the cache holds what a start runs (not store.dispose's unmapping, which a start never
// compiles)
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [mode, file, ...args] = process.argv.slice(2);
  if ((mode !== '--run' && mode !== '--train') || file === undefined) throw new Error('usage: code-cache-train.js --run|--train BUNDLE ARGS...');
  rmSync(file + CODE_CACHE_SUFFIX, { force: true });
  const { exports, script } = loadWithCodeCache(file);
  await (exports as CliModule).main(args, true);
  if (mode === '--train') writeCodeCache(file, script);
  process.stderr.write('ok\n');
}
