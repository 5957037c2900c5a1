// The embedding API's side of the serialized-module format, like wasmtime's Module::serialize /
// Module::deserialize, and compilation through the persistent cache:
//   const bytes = serialize(compile(wasm));   // a Uint8Array to store anywhere
//   const module = deserialize(bytes);         // ModuleFileError unless this build made it here
//   const m2 = compileCached(wasm);            // the cache `kwasm-jit run` uses
//   const m3 = compileFile('app.wasm');        // the same, from a file: an unchanged file the
//                                              // cache knows is neither read whole nor hashed
// A serialized module is machine code: deserialize only bytes you produced (as with wasmtime).
import { compileModule } from '../compiler/module-compiler.js';
import { Module } from '../instance/module.js';
import { loadCompiled, loadCompiledFile } from './load.js';
import { deserializeCompiled, serializeCompiled } from './serialize.js';

export { ModuleFileError } from './serialize.js';

export function serialize(module: Module): Uint8Array {
  return serializeCompiled(module.compiled);
}

export function deserialize(bytes: Uint8Array): Module {
  return new Module(deserializeCompiled(bytes));
}

/** compile() through the compiled-code cache ($XDG_CACHE_HOME/kwasm-jit; off with KWASM_CACHE=0). */
export function compileCached(bytes: Uint8Array): Module {
  return new Module(loadCompiled(bytes, { cache: true }, compileModule).compiled);
}

/**
 * compileCached for the module in the file at `path`: a start from a large file the cache has
 * seen is cheaper (jit/cache/wasm-file.ts). Throws CompileError, ModuleFileError (a .kwasm this
 * build cannot load: a serialized module is accepted too, as by `kwasm-jit run`) and fs errors.
 */
export function compileFile(path: string): Module {
  return new Module(loadCompiledFile(path, { cache: true }, compileModule).compiled);
}
