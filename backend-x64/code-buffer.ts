// A growable byte buffer. Instructions reserve their worst case (16 bytes)
// once with `ensure` and then write bytes with plain indexed stores: one
// bounds check per instruction instead of one per byte.

export class CodeBuffer {
  buf: Uint8Array;
  pos = 0;

  /** `initial`: a capacity, or the (writable, not necessarily zeroed) memory to start in. */
  constructor(initial: number | Uint8Array = 4096) {
    this.buf = typeof initial === 'number' ? new Uint8Array(Math.max(64, initial)) : initial;
  }

  /** Current write offset (the address of the next instruction, relative to the code start). */
  get offset(): number {
    return this.pos;
  }

  /** Make room for `n` more bytes, doubling the buffer when needed. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  private grow(min: number): void {
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < min) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  emit8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  emit16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v; b[p++] = v >> 8;
    this.pos = p;
  }

  emit32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v; b[p++] = v >> 8; b[p++] = v >> 16; b[p++] = v >> 24;
    this.pos = p;
  }

  /** 64-bit little-endian value; numbers must be safe integers. */
  emit64(v: number | bigint): void {
    this.ensure(8);
    let lo: number, hi: number;
    if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      lo = Number(u & 0xffffffffn);
      hi = Number(u >> 32n);
    } else {
      if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
      lo = v >>> 0; // two's complement low half, also for negative v
      hi = Math.floor(v / 0x100000000) >>> 0;
    }
    this.emit32(lo);
    this.emit32(hi);
  }

  emitBytes(bytes: ArrayLike<number>): void {
    this.ensure(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.buf[this.pos++] = bytes[i];
  }

  read32(at: number): number {
    const b = this.buf;
    return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
  }

  patch32(at: number, v: number): void {
    const b = this.buf;
    b[at] = v; b[at + 1] = v >> 8; b[at + 2] = v >> 16; b[at + 3] = v >> 24;
  }

  patch8(at: number, v: number): void {
    this.buf[at] = v;
  }

  /** A copy of the bytes written so far. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * The bytes written so far without a copy (a view of the buffer), for a buffer that is done:
   * this one starts over empty. A module's code is ~27 MB (ruby); copying it into fresh memory
   * cost more than any single emitter.
   */
  takeBytes(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(64);
    this.pos = 0;
    return out;
  }
}
