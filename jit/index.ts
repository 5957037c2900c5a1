// kwasm-jit's public entry (package.json "main"/"exports" -> its bundle, dist/bundle/index.js, made
// by jit/cli/bundle.ts): the embedding API, shaped like the WebAssembly JS API, plus the
// node:wasi-shaped WASI class.
//
//   import { readFileSync } from 'node:fs';
//   import { compile, instantiate, WASI } from 'kwasm-jit';
//
//   const module = compile(readFileSync('hello.wasm'));     // CompileError if invalid
//   const wasi = new WASI({ args: ['hello'], env: {}, preopens: { '/': './examples' } });
//   const instance = instantiate(module, wasi.getImportObject()); // LinkError, RuntimeError
//   process.exitCode = wasi.start(instance);                 // runs _start, returns the exit code
//
//   // without WASI: exported functions take and return JS values
//   // (i32/f32/f64: number, i64: bigint, funcref/externref: function/any or null)
//   const { add, memory } = instantiate(compile(bytes)).exports as { add: (a: number, b: number) => number; memory: Memory };
//   add(1, 2);
//   new Uint8Array(memory.buffer);   // re-read .buffer after memory.grow, as with WebAssembly.Memory
//
// Traps throw RuntimeError (RangeError for call stack exhaustion, as V8 does); either carries the
// runtime's Trap as `.trap` (kind, pc). serialize(module) / deserialize(bytes) store and load
// compiled code (wasmtime's Module::serialize/deserialize); compileCached(bytes) goes through the
// persistent cache `kwasm-jit run` uses, compileFile(path) too (faster from a file it has seen).
// Compiled code and memories live in a Store (one default store unless one is passed to
// instantiate); `store.dispose()` frees their native memory.
export { compile, instantiate, Module, Store, Instance, Memory, Global, Table, type ImportObject } from './instance/api.js';
export { serialize, deserialize, compileCached, compileFile, ModuleFileError } from './cache/module-api.js';
export { CompileError, LinkError, RuntimeError } from './errors.js';
export { Trap } from './runtime/traps.js';
export { WASI, WASIExit, Interrupted, type WASIOptions } from './wasi/index.js';
