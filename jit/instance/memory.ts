// A linear memory (the runtime's 8 GiB guard-page reservation) plus the instances whose vmctx
// mirrors its size: memory.grow from any of them, or from JS, updates all.
import { VMCTX } from '../../abi/vmctx.js';
import { LinearMemory, WASM_PAGE, type Vmctx } from '../runtime/index.js';

export class Memory {
  readonly lm: LinearMemory;
  private users: Vmctx[] = [];
  private ab: ArrayBuffer | null = null;

  constructor(initial: number, readonly max: number | null) {
    this.lm = new LinearMemory(initial, max ?? 65536);
  }

  attach(v: Vmctx): void {
    this.users.push(v);
    v.set('memoryBase', this.lm.base);
    v.set('memoryMaxPages', this.max ?? 65536);
    this.sync(v);
  }

  private sync(v: Vmctx): void {
    v.words.setBigUint64(VMCTX.memorySize, BigInt(this.lm.pages) * BigInt(WASM_PAGE), true);
    v.words.setUint32(VMCTX.memoryPages, this.lm.pages, true);
  }

  get pages(): number { return this.lm.pages; }

  grow(delta: number): number {
    const r = this.lm.grow(delta);
    if (r >= 0 && delta > 0) {
      this.ab = null;
      for (const v of this.users) this.sync(v);
    }
    return r;
  }

  /** Zero-copy bytes of the accessible prefix (re-read after growth). */
  get bytes(): Buffer { return this.lm.buffer; }

  /** JS-API shape: an ArrayBuffer over the accessible prefix, refreshed after growth. */
  get buffer(): ArrayBuffer {
    if (this.ab === null || this.ab.byteLength !== this.lm.byteLength) {
      const b = this.lm.buffer;
      this.ab = b.byteOffset === 0 && b.buffer.byteLength === b.byteLength ? (b.buffer as ArrayBuffer) : new Uint8Array(b).buffer;
    }
    return this.ab;
  }

  dispose(): void { this.lm.dispose(); }
}
