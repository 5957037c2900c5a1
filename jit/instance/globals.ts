// Global variables. Every global lives in an 8-byte native cell: a module's own globals in its
// instance's vmctx area, host-created ones in the cell arena. An importer stores a pointer to
// the exporter's cell, so a mutable global is shared, as the spec requires.
import { I32, I64, F32, F64, V128, type ValType } from '../frontend/types.js';
import { cells } from './native-heap.js';
import { bitsToNum, numToBits } from './values.js';
import type { Store } from './store.js';

export class Global {
  constructor(
    readonly type: ValType,
    readonly mutable: boolean,
    /** address of the cell */
    readonly addr: bigint,
    private readonly words: DataView,
    private readonly off: number,
    readonly store: Store,
  ) {}

  static create(store: Store, type: ValType, mutable: boolean, bits: bigint): Global {
    // Host cells are 8 bytes; a v128 has no JS value to create one from anyway (as in V8).
    if (type === V128) throw new TypeError('v128 globals cannot be created by the host');
    const c = cells.alloc();
    const g = new Global(type, mutable, c.addr, c.words, c.off, store);
    g.bits = bits;
    return g;
  }

  /** The raw value: 64 bits, or 128 for a v128 (whose cell is 16 bytes, see abi/globals.ts). */
  get bits(): bigint {
    const lo = this.words.getBigUint64(this.off, true);
    return this.type === V128 ? lo | (this.words.getBigUint64(this.off + 8, true) << 64n) : lo;
  }
  set bits(b: bigint) {
    this.words.setBigUint64(this.off, BigInt.asUintN(64, b), true);
    if (this.type === V128) this.words.setBigUint64(this.off + 8, BigInt.asUintN(64, b >> 64n), true);
  }

  /** JS-API value (numbers, BigInt for i64, refs as the store maps them). */
  get value(): unknown {
    const t = this.type;
    if (t === I32 || t === I64 || t === F32 || t === F64) return bitsToNum(t, this.bits);
    return this.store.refFromBits(t, this.bits);
  }
  set value(v: unknown) {
    if (!this.mutable) throw new TypeError('global is immutable');
    const t = this.type;
    this.bits = t === I32 || t === I64 || t === F32 || t === F64 ? numToBits(t, v) : this.store.refToBits(t, v);
  }
}
