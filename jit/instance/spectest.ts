// The `spectest` module the official test suite imports from: print functions (no-ops here),
// globals of each type with the value 666, a 10..20 funcref table and a 1..2 page memory.
import { F32, F64, FUNCREF, I32, I64 } from '../frontend/types.js';
import { Global } from './globals.js';
import { Memory } from './memory.js';
import { Table } from './tables.js';
import { numToBits } from './values.js';
import type { Store } from './store.js';

export function spectestImports(store: Store): Record<string, unknown> {
  const memory = new Memory(1, 2);
  store.onDispose(() => memory.dispose());
  const noop = (): void => {};
  return {
    print: noop, print_i32: noop, print_i64: noop, print_f32: noop, print_f64: noop,
    print_i32_f32: noop, print_f64_f64: noop,
    global_i32: Global.create(store, I32, false, numToBits(I32, 666)),
    global_i64: Global.create(store, I64, false, numToBits(I64, 666n)),
    global_f32: Global.create(store, F32, false, numToBits(F32, 666.6)),
    global_f64: Global.create(store, F64, false, numToBits(F64, 666.6)),
    table: new Table(store, FUNCREF, 10, 20, 0n),
    memory,
  };
}
