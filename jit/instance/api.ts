// The embedding API, close to the WebAssembly JS API:
//   const module = compile(bytes);                 // validate + compile (CompileError)
//   const instance = instantiate(module, imports); // link (LinkError), init, start (RuntimeError)
//   instance.exports.add(1, 2);                    // i32/f32/f64 numbers, i64 BigInt, refs
//   instance.exports.memory.buffer                 // ArrayBuffer, refreshed after growth
// A Store groups instances that may call each other (one wasm stack, shared type ids);
// `store.dispose()` frees their native memory and code.
import { compileModule, type CompiledModule } from '../compiler/module-compiler.js';
import { Instance, type ImportObject } from './loader.js';
import { Store } from './store.js';
import { bindNativeWasi } from './native-wasi.js';

export { Store } from './store.js';
export { Instance, callRaw, type ImportObject } from './loader.js';
export { Global } from './globals.js';
export { Table } from './tables.js';
export { Memory } from './memory.js';
export { Linker } from './linker.js';
export { spectestImports } from './spectest.js';
export { funcInfoOf } from './store.js';
export { nativeWasiOf, type NativeWasi } from './native-wasi.js';

export class Module {
  private placed = new WeakMap<Store, bigint>();
  constructor(readonly compiled: CompiledModule) {}

  /** Address of the machine code in the store's code arena: loaded once, shared by instances. */
  code(store: Store): bigint {
    let base = this.placed.get(store);
    if (base === undefined) {
      base = store.codeArena.load(this.compiled.image).base;
      this.placed.set(store, base);
    }
    return base;
  }
}

export function compile(bytes: Uint8Array): Module {
  return new Module(compileModule(bytes));
}

let defaultStore: Store | null = null;

export function instantiate(module: Module, imports: ImportObject = {}, store?: Store): Instance {
  const s = store ?? (defaultStore ??= new Store());
  const instance = new Instance(s, module.compiled, module.code(s), imports);
  // WASI's fd_write/fd_read in machine code once the WASI starts this instance (native-wasi.ts)
  bindNativeWasi(instance, imports);
  return instance;
}
