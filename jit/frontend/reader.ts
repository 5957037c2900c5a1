// Byte reader for the wasm binary format: LEB128 with the spec's exact
// length and range rules, fixed-width floats (kept as raw bits, the compiler
// wants bits, not JS numbers that would canonicalise NaNs), and UTF-8 names.
//
// One Reader is a cursor (`pos`) bounded by `end`; the decoder narrows `end`
// to the current section or function body so a lying size can never make it
// read another section's bytes. Nothing here allocates except names.
import { malformed } from '../errors.js';

// made on the first non-ASCII name: constructing one costs a start ~0.5M instructions (Node's JS)
let utf8: TextDecoder | undefined;

/**
 * Zero as a double (-0 is no small integer), the first value of fields that take u32 values.
 * V8 picks a field's representation from its first value: from 0 it is a small integer, and the
 * first value >= 2^31 (an f32's bits, a u32 immediate) changes the object's map, which
 * deoptimizes every function optimized for the old one (the validator, the compiler's main loop
 * and emitters; ruby+stdlib: ~20 such deopts and re-optimizations in a cold compile).
 */
export const U32_FIELD = -0;

/**
 * GROWN_FIELDS: an array field that is replaced by a larger one when a larger function comes
 * (locals, control stack, ...) is stored a second time in its class's constructor. V8 takes a
 * field stored only once as a constant, and optimized code may rely on that; the first
 * replacement then deoptimizes every function that did, in the middle of a compile (ruby+stdlib,
 * cold: LocalCache.reg alone took 32 optimized functions with it). A second store at
 * construction makes the field mutable before any code is optimized.
 */

export class Reader {
  buf: Uint8Array;
  // Initialised here, not only in the constructor: an ES2022 class field without an initialiser
  // starts as undefined, so V8 gave pos and end a tagged representation (any value) instead of
  // small integers, and every read in the per-instruction loops checked for a Smi first.
  pos = 0;
  end = 0;
  /** Function index put into errors while reading a body, else -1. */
  funcIndex = -1;
  /** What running out of bytes is called: the spec interpreter says
   *  "unexpected end" between sections and this inside one. */
  eofReason = 'unexpected end of section or function';
  /** High 32 bits of the last readI64/readF64 (the low half is returned). */
  hi = U32_FIELD;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number { return this.end - this.pos; }
  atEnd(): boolean { return this.pos >= this.end; }

  fail(reason: string, at = this.pos): never {
    throw malformed(reason, at, this.funcIndex);
  }

  eof(): never {
    this.fail(this.eofReason);
  }

  u8(): number {
    if (this.pos >= this.end) this.eof();
    return this.buf[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) this.eof();
    return this.buf[this.pos];
  }

  bytes(n: number): Uint8Array {
    const at = this.pos;
    this.skip(n);
    return this.buf.subarray(at, at + n);
  }

  /** Past n bytes (bytes() without the view). */
  skip(n: number): void {
    if (n > this.end - this.pos) this.fail('length out of bounds');
    this.pos += n;
  }

  /**
   * Unsigned LEB128, at most 5 bytes, value < 2^32. Only the one-byte form is here, so that V8
   * inlines it at each of its many call sites (the instruction reader's immediates are mostly
   * one byte); longer ones go through u32Long.
   */
  u32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) { this.pos = pos + 1; return b; }
    }
    return this.u32Long();
  }

  /** u32 past its one-byte form (or at the end of the bytes: the error). */
  private u32Long(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) { this.pos = pos; this.eof(); }
      const b = buf[pos++];
      if (shift === 28) {
        if (b & 0x80) this.fail('integer representation too long', pos - 1);
        if (b & 0x70) this.fail('integer too large', pos - 1);
        this.pos = pos;
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) { this.pos = pos; return result >>> 0; }
    }
    return this.fail('integer representation too long');
  }

  /** Signed LEB128 of 32 bits; the one-byte form inline (see u32), the rest in s32Long. */
  s32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) { this.pos = pos + 1; return (b << 25) >> 25; } // bit 6 is the sign
    }
    return this.s32Long();
  }

  private s32Long(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) { this.pos = pos; this.eof(); }
      const b = buf[pos++];
      if (shift === 28) {
        if (b & 0x80) this.fail('integer representation too long', pos - 1);
        // Bits 4..6 are beyond 32 bits and must repeat the sign bit (bit 3).
        const extra = b & 0x70;
        if (extra !== ((b & 0x08) ? 0x70 : 0)) this.fail('integer too large', pos - 1);
        this.pos = pos;
        return result | (b << 28);
      }
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) {
        this.pos = pos;
        const used = shift + 7;
        return (b & 0x40) ? result | (~0 << used) : result;
      }
    }
    return this.fail('integer representation too long');
  }

  /**
   * Signed 33-bit LEB128 (block types). Returns a JS number in
   * [-2^32, 2^32); a single byte 0x40..0x7f gives the negative type codes.
   */
  s33(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= this.end) { this.pos = pos; this.eof(); }
      const b = buf[pos++];
      if (i === 4) {
        if (b & 0x80) this.fail('integer representation too long', pos - 1);
        // 5 bits used (bit 4 is the sign); bits 5..6 must repeat it.
        const extra = b & 0x60;
        if (extra !== ((b & 0x10) ? 0x60 : 0)) this.fail('integer too large', pos - 1);
        this.pos = pos;
        result += (b & 0x1f) * mul;
        return (b & 0x10) ? result - 2 ** 33 : result;
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) {
        this.pos = pos;
        return (b & 0x40) ? result - mul : result;
      }
    }
    return this.fail('integer representation too long');
  }

  /**
   * Signed LEB128 of 64 bits without BigInt: returns the low 32 bits (as a
   * signed int) and leaves the high 32 bits in `this.hi`.
   */
  s64(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0, hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= this.end) { this.pos = pos; this.eof(); }
      const b = buf[pos++];
      const v = b & 0x7f;
      if (shift === 63) {
        if (b & 0x80) this.fail('integer representation too long', pos - 1);
        // Only bit 0 is inside 64 bits; the rest must repeat it.
        if (b !== 0 && b !== 0x7f) this.fail('integer too large', pos - 1);
        hi |= v << 31;
        this.pos = pos;
        this.hi = hi;
        return lo;
      }
      if (shift < 28) lo |= v << shift;
      else if (shift === 28) { lo |= v << 28; hi |= v >>> 4; }
      else hi |= v << (shift - 32);
      if (!(b & 0x80)) {
        const used = shift + 7;
        if (b & 0x40) {
          if (used < 32) { lo |= ~0 << used; hi = -1; }
          else hi |= ~0 << (used - 32);
        }
        this.pos = pos;
        this.hi = hi;
        return lo;
      }
    }
    return this.fail('integer representation too long');
  }

  /** s64 as a BigInt, for module-level constants (not on the body hot path). */
  s64Big(): bigint {
    const lo = this.s64();
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(lo >>> 0));
  }

  /** Little-endian u32 (f32 bits). */
  fixed32(): number {
    const p = this.pos;
    if (this.end - p < 4) { this.pos = this.end; this.eof(); }
    this.pos = p + 4;
    const b = this.buf;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Little-endian 64-bit (f64 bits): returns the low half, high half in `hi`. */
  fixed64(): number {
    if (this.end - this.pos < 8) { this.pos = this.end; this.eof(); }
    const lo = this.fixed32();
    this.hi = this.fixed32();
    return lo;
  }

  /** A vector length; each element takes at least `minBytes`, so a count the
   *  remaining bytes cannot hold is rejected before anyone allocates for it. */
  count(minBytes = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minBytes > this.end - this.pos) {
      this.fail(this.eofReason, at);
    }
    return n;
  }

  /** A name: byte vector that must be valid UTF-8. */
  name(): string {
    const n = this.u32();
    const at = this.pos;
    const b = this.bytes(n);
    // Short ASCII names (nearly all of them) skip the decoder; apply() is
    // bounded because it spreads its argument onto the stack.
    let ascii = b.length <= 1024;
    if (ascii) for (let i = 0; i < b.length; i++) if (b[i] >= 0x80) { ascii = false; break; }
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
    try {
      return (utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })).decode(b);
    } catch {
      return this.fail('malformed UTF-8 encoding', at);
    }
  }
}
