// Layout of an instance's globals area (inline after the vmctx header, at VMCTX_GLOBALS), shared by the compiler and the
// instances that lay it out: one 8-byte slot per global in index order (an own global's value;
// for an imported one, a pointer to the exporter's cell), except that an own v128 global's value
// takes 16 bytes. Without v128 globals, global g is at 8*g.
import { V128_CODE } from './calling-convention.js';

export interface GlobalLayout {
  /** byte offset of global g from the start of the area (vmctx + VMCTX_GLOBALS) */
  offsets: Uint32Array;
  /** bytes of the whole area (a multiple of 8) */
  bytes: number;
}

/** `types`: wasm type code of every global (imports first), `numImported` of them imported. */
export function globalLayout(types: ArrayLike<number>, numImported: number): GlobalLayout {
  const offsets = new Uint32Array(types.length);
  let off = 0;
  for (let g = 0; g < types.length; g++) {
    offsets[g] = off;
    off += g >= numImported && types[g] === V128_CODE ? 16 : 8;
  }
  return { offsets, bytes: off };
}
