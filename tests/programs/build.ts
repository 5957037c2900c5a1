// Compiles tests/programs/c/*.c to wasm32-wasi once, cached under
// build/programs/ by a hash of the source and the command line, so repeated
// test runs do not invoke clang at all.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (this file runs from dist/tests/programs/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SOURCE_DIR = join(REPO_ROOT, 'tests', 'programs', 'c');
export const CACHE_DIR = join(REPO_ROOT, 'build', 'programs');
export const CLANG = 'clang-14';
export const CFLAGS = ['--target=wasm32-wasi', '-O2', '-fuse-ld=lld', '-Wall', '-Werror'];

/**
 * Extra flags a source asks for on its first line, `// kwasm-cflags: -msimd128`: the program
 * table and its users pass file names only, and the flags belong to the program.
 */
export function sourceFlags(text: string): string[] {
  const m = /^\/\/ kwasm-cflags:(.*)$/m.exec(text.slice(0, text.indexOf('\n') + 1));
  return m ? m[1].trim().split(/\s+/) : [];
}

/** Path of the compiled module for `source` (a file name in tests/programs/c/), compiling if needed. */
export async function buildProgram(source: string): Promise<string> {
  const src = join(SOURCE_DIR, source);
  const text = readFileSync(src);
  const flags = [...CFLAGS, ...sourceFlags(text.toString('utf8'))];
  const hash = createHash('sha256').update(text).update(CLANG).update(flags.join(' '))
    .digest('hex').slice(0, 16);
  const out = join(CACHE_DIR, `${source.replace(/\.c$/, '')}-${hash}.wasm`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await run(CLANG, [...flags, '-o', tmp, src]);
  renameSync(tmp, out); // atomic: a concurrent run never sees half a file
  return out;
}

/** Builds all sources, two at a time (the machine has two cores). */
export async function buildAll(sources: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(sources)];
  const result = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const s = unique[next++];
      result.set(s, await buildProgram(s));
    }
  };
  await Promise.all([worker(), worker()]);
  return result;
}
