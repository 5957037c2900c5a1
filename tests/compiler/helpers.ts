// Test helpers: build a module from text with wat2wasm and instantiate it in a fresh store.
import { compile, instantiate, Store, type Instance, type ImportObject } from '../../jit/instance/api.js';
import { wat } from '../jit/wat.js';

export function inst(text: string, imports: ImportObject = {}, store = new Store()): Instance {
  return instantiate(compile(wat(text)), imports, store);
}

/** Call an export; returns the result or `trap: <message>`. */
export function call(i: Instance, name: string, ...args: unknown[]): unknown {
  try {
    return (i.exports[name] as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    if (e instanceof Error && (e.name === 'RuntimeError' || e instanceof RangeError)) return `trap: ${e.message}`;
    throw e;
  }
}
