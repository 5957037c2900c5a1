// The one way this project runs clang to build a wasm32-wasi module (test programs, the example,
// benchmarks), made hermetic: the output depends on the source and the flags, not on what else
// is installed.
//
// Why two steps: clang 14's WebAssembly driver runs binaryen's `wasm-opt` on the linked module
// whenever the link command carries an -O flag and a `wasm-opt` is found among its program paths.
// Those include the directory clang was invoked from (/usr/bin, where Debian's binaryen installs
// wasm-opt), so a PATH without wasm-opt does not stop it, and clang 14 has no --no-wasm-opt. The
// rewrite drops the name section (backtraces lose their names) and changes code the tests rely on.
// Calling wasm-ld ourselves would mean copying the driver's knowledge of crt1, libc and the
// builtins library. Instead: compile with every flag (-O included) to an object, then let the
// driver link that object with the same flags minus -O, which it links exactly as before but
// without the wasm-opt step.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';

export const CLANG = 'clang-14';

/** Flags only the link step understands (clang -c with -Werror rejects them as unused). */
const LINK_ONLY = /^(-Wl,|-fuse-ld=|-l|-L)/;
/** The optimisation level: the compile step's business; on the link step it triggers wasm-opt. */
const OPT_LEVEL = /^-O/;

export interface ClangStep { cmd: string; args: string[] }

/** The compile and link commands that build `src` into `out` (`obj` is the intermediate object). */
export function wasiClangSteps(src: string, obj: string, out: string, flags: readonly string[]): ClangStep[] {
  return [
    { cmd: CLANG, args: [...flags.filter((f) => !LINK_ONLY.test(f)), '-c', '-o', obj, src] },
    { cmd: CLANG, args: [...flags.filter((f) => !OPT_LEVEL.test(f)), '-o', out, obj] },
  ];
}

/** A text that changes whenever the commands would: part of every build cache key. */
export function wasiClangKey(flags: readonly string[]): string {
  return JSON.stringify(wasiClangSteps('SRC', 'OBJ', 'OUT', flags));
}

function failure(step: ClangStep, e: unknown): Error {
  const err = e as { stderr?: string | Buffer; message: string };
  return new Error(`${step.cmd} ${step.args.join(' ')} failed:\n${err.stderr?.toString() || err.message}`);
}

/** Builds `src` into `out` (blocking); the error names the command and carries clang's stderr. */
export function compileWasiSync(src: string, out: string, flags: readonly string[]): void {
  const obj = `${out}.o`;
  try {
    for (const step of wasiClangSteps(src, obj, out, flags)) {
      try {
        execFileSync(step.cmd, step.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        throw failure(step, e);
      }
    }
  } finally {
    rmSync(obj, { force: true });
  }
}

const run = promisify(execFile);

/** The same without blocking the event loop (test programs build two at a time). */
export async function compileWasi(src: string, out: string, flags: readonly string[]): Promise<void> {
  const obj = `${out}.o`;
  try {
    for (const step of wasiClangSteps(src, obj, out, flags)) {
      await run(step.cmd, step.args).catch((e: unknown) => { throw failure(step, e); });
    }
  } finally {
    rmSync(obj, { force: true });
  }
}
