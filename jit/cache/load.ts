// Bytes -> compiled code, for `kwasm-jit run` (either mode) and the embedding API's
// compileCached: a serialized module (.kwasm, recognised by its magic) is validated and loaded; a
// wasm module comes from the cache or is compiled (and then cached).
import { compileModule, type CompiledModule } from '../compiler/module-compiler.js';
import { cacheEnabled, ModuleCache, type CacheOutcome } from './module-cache.js';
import { deserializeCompiled, isModuleFile, sha256 } from './serialize.js';

export interface Loaded {
  compiled: CompiledModule;
  /** 'file' for a serialized module given directly */
  source: CacheOutcome | 'file';
}

/**
 * `cache: false` (--no-cache) or KWASM_CACHE=0 bypass the cache. Throws CompileError (invalid
 * wasm) or ModuleFileError (a serialized module this build cannot load).
 */
export function loadCompiled(bytes: Uint8Array, opts: { cache: boolean }, cache = ModuleCache.fromEnv()): Loaded {
  if (isModuleFile(bytes)) return { compiled: deserializeCompiled(bytes), source: 'file' };
  if (!opts.cache || !cacheEnabled()) return { compiled: compileModule(bytes), source: 'off' };
  const hash = sha256([bytes]);
  const hit = cache.get(bytes, hash);
  if (hit) return { compiled: hit, source: 'hit' };
  const compiled = compileModule(bytes);
  cache.put(compiled, hash);
  return { compiled, source: 'miss' };
}
