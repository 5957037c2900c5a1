// A compiled module and instantiation, without the compiler: `kwasm-jit run` with the code from
// the cache or a .kwasm file loads this, not api.ts (whose compile() loads the whole compiler).
import type { CompiledModule } from '../compiler/module-compiler.js';
import { Instance, type ImportObject } from './loader.js';
import { Store } from './store.js';
import { bindNativeWasi } from './native-wasi.js';

export { Store } from './store.js';

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

let defaultStore: Store | null = null;

export function instantiate(module: Module, imports: ImportObject = {}, store?: Store): Instance {
  const s = store ?? (defaultStore ??= new Store());
  const instance = new Instance(s, module.compiled, module.code(s), imports);
  // WASI's fd_write/fd_read in machine code once the WASI starts this instance (native-wasi.ts)
  bindNativeWasi(instance, imports);
  return instance;
}
