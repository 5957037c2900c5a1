// Compiles tests/programs/c/*.c to wasm32-wasi once (through wasi-clang.ts, hermetic), cached
// under build/programs/ by a hash of the source and the commands, so repeated test runs do not
// invoke clang at all.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWasi, wasiClangKey } from './wasi-clang.js';

/** The repository root (this file runs from dist/tests/programs/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SOURCE_DIR = join(REPO_ROOT, 'tests', 'programs', 'c');
export const CACHE_DIR = join(REPO_ROOT, 'build', 'programs');
export const CFLAGS = ['--target=wasm32-wasi', '-O2', '-fuse-ld=lld', '-Wall', '-Werror'];
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** An example server of examples/ (built from its current source, as the tests must test that). */
export function buildExample(source: 'echo.c' | 'httpd.c'): Promise<string> {
  return buildProgram(source, EXAMPLES_DIR, ['net.h'], [...CFLAGS, ...EXAMPLE_LDFLAGS]);
}
/**
 * wasi-libc's poll() keeps 2 subscriptions (96 bytes) per pollfd on the stack: thousands of
 * connections need more than the default 64 KiB wasm stack.
 */
export const EXAMPLE_LDFLAGS = ['-Wl,-z,stack-size=1048576'];

/**
 * Extra flags a source asks for on its first line, `// kwasm-cflags: -msimd128`: the program
 * table and its users pass file names only, and the flags belong to the program.
 */
export function sourceFlags(text: string): string[] {
  const m = /^\/\/ kwasm-cflags:(.*)$/m.exec(text.slice(0, text.indexOf('\n') + 1));
  return m ? m[1].trim().split(/\s+/) : [];
}

/**
 * Path of the compiled module for `source` (a file name in `dir`, default tests/programs/c/),
 * compiling if needed, with `flags` plus the source's own (sourceFlags). `deps`: headers in
 * `dir` it includes (part of the cache key).
 */
export async function buildProgram(source: string, dir = SOURCE_DIR, deps: readonly string[] = [], baseFlags: readonly string[] = CFLAGS): Promise<string> {
  const src = join(dir, source);
  const text = readFileSync(src);
  const flags = [...baseFlags, ...sourceFlags(text.toString('utf8'))];
  const h = createHash('sha256').update(text);
  for (const d of deps) h.update(readFileSync(join(dir, d)));
  const hash = h.update(wasiClangKey(flags)).digest('hex').slice(0, 16);
  const out = join(CACHE_DIR, `${source.replace(/\.c$/, '')}-${hash}.wasm`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await compileWasi(src, tmp, flags);
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
