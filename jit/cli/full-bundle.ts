// The start bundle's way to the code it leaves out (jit/cli/bundle.ts: a warm `run` needs no
// compiler, validator, `compile` command or kernel path, and half of the CLI's source is those:
// each start would read, checksum and hold that source and deserialize their top-level functions
// for nothing). In the start bundle (dist/bundle/cli-main.cjs) the modules of those entries are
// replaced by ones that call here; the first call loads the full bundle (cli-full.cjs, entry
// jit/cli/full.ts) beside it, with its own V8 code cache, made by the build on a cache miss.
// Not used by the tsc output (dist/jit/ imports the real modules).
//
// The full bundle has its own copy of every module it holds, so an object crossing from it is
// not an instance of the start bundle's classes: the one the callers test with `instanceof`
// (CompileError: an invalid module on a miss, `validate`) is made again here. CompiledModule and
// ModuleInfo are plain data to their users (no `instanceof`), and the runtime's native state
// (the ffi-rs binding, the .so, the signal handlers) is the process's: loading it twice maps the
// same objects and installs the handler once (jit/runtime/native.ts).
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CompileError } from '../errors.js';
import { loadWithCodeCache, type CliModule } from './code-cache.js';
import type * as Full from './full.js';

/** The full bundle's file name, beside the start bundle. */
export const FULL_BUNDLE = 'cli-full.cjs';

type FullBundle = CliModule & Pick<typeof Full, 'compileModule' | 'validateModule' | 'compileCmd' | 'runKernel'>;

let full: FullBundle | undefined;

/** The full bundle's exports, loaded on first use from the start bundle's directory. */
export function fullBundle(): FullBundle {
  if (full !== undefined) return full;
  const file = join(import.meta.dirname, FULL_BUNDLE);
  // as code-cache.ts runBundle: under `node --enable-source-maps`, Node's loader (mapped stack traces)
  return (full = (process.sourceMapsEnabled ? createRequire(file)(file) : loadWithCodeCache(file).exports) as FullBundle);
}

/** `e` as this bundle's CompileError if it is the full bundle's one, else `e` itself. */
export function ownCompileError(e: unknown): unknown {
  if (e instanceof CompileError || !(e instanceof Error) || e.name !== 'CompileError') return e;
  const c = e as CompileError;
  const own = new CompileError(c.kind, c.reason, c.offset, c.funcIndex);
  own.stack = c.stack;
  return own;
}

/** fullBundle().compileModule, its CompileError this bundle's. */
export function fullCompileModule(...args: Parameters<FullBundle['compileModule']>): ReturnType<FullBundle['compileModule']> {
  try {
    return fullBundle().compileModule(...args);
  } catch (e) {
    throw ownCompileError(e);
  }
}

/** fullBundle().validateModule, its CompileError this bundle's. */
export function fullValidateModule(...args: Parameters<FullBundle['validateModule']>): ReturnType<FullBundle['validateModule']> {
  try {
    return fullBundle().validateModule(...args);
  } catch (e) {
    throw ownCompileError(e);
  }
}
