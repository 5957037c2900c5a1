// Builds each benchmark program twice from the same C source: natively with gcc and to
// wasm32-wasi with clang-14 (through tests/programs/wasi-clang.ts, so an installed wasm-opt does
// not rewrite it). Outputs go to build/bench/, named by a hash of the source, the flags
// and the compiler version, so an unchanged program is never rebuilt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Program } from './programs.js';
import { CLANG, compileWasiSync, wasiClangKey } from '../../tests/programs/wasi-clang.js';

export interface Toolchain {
  gcc: string;
  gccVersion: string;
  clangVersion: string;
}

export const NATIVE_FLAGS = ['-O2'];
export const WASM_FLAGS = ['-O2', '--target=wasm32-wasi', '-fuse-ld=lld'];

function firstLine(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

/** Finds gcc and clang-14; throws an error naming the missing Debian packages. */
export function detectToolchain(): Toolchain {
  const gccVersion = firstLine('gcc', ['--version']);
  const clangVersion = firstLine(CLANG, ['--version']);
  const missing: string[] = [];
  if (!gccVersion) missing.push('gcc');
  if (!clangVersion) missing.push('clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32');
  if (missing.length) {
    throw new Error(`missing compilers: install the Debian packages ${missing.join(' ')} (npm run setup does)`);
  }
  return { gcc: 'gcc', gccVersion: gccVersion!, clangVersion: clangVersion! };
}

export interface Built {
  native: string;
  wasm: string;
  /** True when either output had to be compiled in this run. */
  compiled: boolean;
}

/** Runs `build` into a temporary file, then renames it: a half-written binary is never cached. */
function atomically(out: string, build: (tmp: string) => void): void {
  const tmp = `${out}.tmp`;
  build(tmp);
  renameSync(tmp, out);
}

function gccTo(out: string, cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, [...args, '-o', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stderr ?? err.message}`);
  }
}

export function buildProgram(p: Program, tc: Toolchain, programsDir: string, outDir: string): Built {
  mkdirSync(outDir, { recursive: true });
  const src = join(programsDir, p.source);
  const text = readFileSync(src);
  const key = (parts: string[]): string => {
    const h = createHash('sha256');
    h.update(text);
    for (const s of parts) h.update(`\0${s}`);
    return h.digest('hex').slice(0, 12);
  };
  const nativeFlags = [...NATIVE_FLAGS, ...(p.nativeFlags ?? [])], wasmFlags = [...WASM_FLAGS, ...(p.wasmFlags ?? [])];
  const native = join(outDir, `${p.name}.${key([tc.gccVersion, ...nativeFlags])}.native`);
  const wasm = join(outDir, `${p.name}.${key([tc.clangVersion, wasiClangKey(wasmFlags)])}.wasm`);
  let compiled = false;
  if (!existsSync(native)) {
    atomically(native, (tmp) => gccTo(tmp, tc.gcc, [...nativeFlags, src, '-lm']));
    compiled = true;
  }
  if (!existsSync(wasm)) {
    atomically(wasm, (tmp) => compileWasiSync(src, tmp, wasmFlags));
    compiled = true;
  }
  return { native, wasm, compiled };
}
