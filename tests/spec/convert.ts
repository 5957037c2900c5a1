// Converts the spec's .wast scripts to JSON + .wasm with wast2json (Debian
// package wabt) into a cache under build/spec/, once: a file is converted
// again only when its .wast is newer than the cached JSON.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/tests/spec -> repo root (the same relative path holds for tests/spec). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared spec checkout sits beside the repo (../shared); KWASM_SPEC_DIR overrides. */
export function specDir(): string {
  return process.env.KWASM_SPEC_DIR ?? join(repoRoot, '..', 'shared', 'spec-tests', 'core-2.0');
}

export function cacheDir(): string {
  return process.env.KWASM_SPEC_CACHE ?? join(repoRoot, 'build', 'spec');
}

export interface Converted { name: string; json: string; error?: string; }

function convertOne(wast: string, outDir: string): Promise<Converted> {
  const name = basename(wast, '.wast');
  const dir = join(outDir, name);
  const json = join(dir, `${name}.json`);
  if (existsSync(json) && statSync(json).mtimeMs >= statSync(wast).mtimeMs) {
    return Promise.resolve({ name, json });
  }
  mkdirSync(dir, { recursive: true });
  return new Promise((done) => {
    execFile('wast2json', [wast, '-o', json], (err, _stdout, stderr) => {
      done(err ? { name, json, error: `wast2json failed: ${stderr || err.message}` } : { name, json });
    });
  });
}

/** Convert every .wast of `dir` (two at a time: two cores, shared). */
export async function convertAll(dir = specDir(), outDir = cacheDir(), parallel = 2): Promise<Converted[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.wast')).sort().map((f) => join(dir, f));
  const results: Converted[] = new Array<Converted>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) results[i] = await convertOne(files[i], outDir);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}
