// One way the fast-path tests build their instance: `bytes` instantiated with `wasi`'s imports and
// initialized, with the native WASI path on (`fast`) or off (KWASM_FAST_WASI=0, read at
// instantiation), so a scenario can run both ways and compare every answer.
import * as api from '../../jit/instance/api.js';
import type { WASI } from '../../jit/wasi/index.js';

export function instantiateWasi(bytes: Uint8Array, wasi: WASI, fast: boolean): { store: api.Store; inst: api.Instance } {
  if (!fast) process.env['KWASM_FAST_WASI'] = '0';
  const store = new api.Store();
  let inst: api.Instance;
  try {
    inst = api.instantiate(api.compile(bytes), wasi.getImportObject(), store);
  } finally { delete process.env['KWASM_FAST_WASI']; }
  wasi.initialize(inst);
  return { store, inst };
}
