// The embedding API, close to the WebAssembly JS API:
//   const module = compile(bytes);                 // validate + compile (CompileError)
//   const instance = instantiate(module, imports); // link (LinkError), init, start (RuntimeError)
//   instance.exports.add(1, 2);                    // i32/f32/f64 numbers, i64 BigInt, refs
//   instance.exports.memory.buffer                 // ArrayBuffer, refreshed after growth
// A Store groups instances that may call each other (one wasm stack, shared type ids);
// `store.dispose()` frees their native memory and code.
import { compileModule } from '../compiler/module-compiler.js';
import { Module } from './module.js';

export { Module, instantiate } from './module.js';
export { Store } from './store.js';
export { Instance, callRaw, type ImportObject } from './loader.js';
export { Global } from './globals.js';
export { Table } from './tables.js';
export { Memory } from './memory.js';
export { Linker } from './linker.js';
export { spectestImports } from './spectest.js';
export { funcInfoOf } from './store.js';
export { nativeWasiOf, type NativeWasi } from './native-wasi.js';

export function compile(bytes: Uint8Array): Module {
  return new Module(compileModule(bytes));
}
