// Bytes -> compiled code, for `kwasm-jit run` (either mode) and the embedding API's
// compileCached: a serialized module (.kwasm, recognised by its magic) is validated and loaded; a
// wasm module comes from the cache or is compiled (and then cached). The compiler is a parameter:
// `run` imports it only after a miss, so a start from the cache never loads it.
import type { CompiledModule } from '../compiler/module-compiler.js';
import { cacheEnabled, ModuleCache, type CacheOutcome } from './module-cache.js';
import { deserializeCompiled, isModuleFile, sha256 } from './serialize.js';

export interface Loaded {
  compiled: CompiledModule;
  /** 'file' for a serialized module given directly */
  source: CacheOutcome | 'file';
}

/** The code without compiling (a .kwasm file, a cache hit), or how to finish once it is compiled. */
export type Lookup = { loaded: Loaded } | { loaded: null; compiled: (c: CompiledModule) => Loaded };

/**
 * `cache: false` (--no-cache) or KWASM_CACHE=0 bypass the cache. Throws ModuleFileError (a
 * serialized module this build cannot load).
 */
export function lookupCompiled(bytes: Uint8Array, opts: { cache: boolean }, cache = ModuleCache.fromEnv()): Lookup {
  if (isModuleFile(bytes)) return { loaded: { compiled: deserializeCompiled(bytes), source: 'file' } };
  if (!opts.cache || !cacheEnabled()) return { loaded: null, compiled: (compiled) => ({ compiled, source: 'off' }) };
  const hash = sha256([bytes]);
  const hit = cache.get(bytes, hash);
  if (hit) return { loaded: { compiled: hit, source: 'hit' } };
  return { loaded: null, compiled: (compiled) => { cache.put(compiled, hash); return { compiled, source: 'miss' }; } };
}

/** lookupCompiled, then `compile` on a miss. Also throws CompileError (invalid wasm). */
export function loadCompiled(bytes: Uint8Array, opts: { cache: boolean }, compile: (bytes: Uint8Array) => CompiledModule, cache = ModuleCache.fromEnv()): Loaded {
  const l = lookupCompiled(bytes, opts, cache);
  return l.loaded ?? l.compiled(compile(bytes));
}
