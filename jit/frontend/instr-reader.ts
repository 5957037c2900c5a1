// Reads a function body (or constant expression) one instruction at a time.
//
// `next()` decodes the opcode and its immediates into fields of this object
// and returns the opcode; nothing is allocated per instruction (br_table
// targets go into a reused buffer). The validator and, later, the compiler
// both read those fields, so one decode serves both: the compiler calls
// `next()`, then `validator.step(reader)`, then emits code.
import { malformed } from '../errors.js';
import { Imm, buildOpcodeTables, opImm } from './opcodes.js';
import { Reader, U32_FIELD } from './reader.js';
import { isRefType, isValType } from './types.js';

/**
 * next()'s two one-byte tables, made by the first InstrReader (as buildOpcodeTables), not when
 * the module loads: a cache hit often constructs none, and the loop over 128 bytes was hot enough
 * at load for V8 to compile this module's top level to baseline code at every start.
 * index: immediate kinds that are one u32 index (next() reads a one-byte one inline);
 * blockType: block type bytes of the one-byte forms (0x40 empty, a value type).
 */
let oneByte: { readonly index: Uint8Array; readonly blockType: Uint8Array } | undefined;
function oneByteTables(): { readonly index: Uint8Array; readonly blockType: Uint8Array } {
  if (oneByte !== undefined) return oneByte;
  const index = new Uint8Array(32);
  for (const k of [Imm.Local, Imm.Global, Imm.Label, Imm.Func, Imm.Table, Imm.Data, Imm.Elem]) index[k] = 1;
  const blockType = new Uint8Array(0x80);
  for (let b = 0; b < 0x80; b++) if (b === 0x40 || isValType(b)) blockType[b] = 1;
  return (oneByte = { index, blockType });
}

/** A memarg's alignment as InstrReader.align holds it: every value above 255 fails the same checks. */
const alignU32 = (a: number): number => (a > 0xff ? 0xff : a);

export class InstrReader {
  readonly r: Reader;
  /** Full opcode: one byte, or 0xFC00/0xFD00 | sub-opcode. */
  op = 0;
  /** Dense table index (see opcodes.ts). */
  code = 0;
  /** Byte offset of the current instruction. */
  start = 0;
  /** Block type as s33 (negative: one-byte forms, >= 0: type index). */
  blockType = 0;
  // index, index2, memOffset and i32 hold u32 immediates as int32 (`| 0`: one above 2^31 - 1 is
  // negative; `>>> 0` gives it back), so that V8 keeps them small integers. As doubles (from
  // U32_FIELD) every write boxed a heap number and every read unboxed one, and an index read
  // as an array index was converted back (cvttsd2si, cvtsi2sd, compare) in the validator and the
  // emitters, 5.95M instructions per ruby compile. Whoever reads one that is not validated yet
  // (the validator, const expressions) reads it `>>> 0`; after validation an index is in range.
  /** First index immediate: label, function, local, global, table, type, data, elem,
   *  br_table default label, call_indirect type, table.copy destination (int32, see above). */
  index = 0;
  /** Second index: call_indirect table, table.init table, table.copy source (int32). */
  index2 = 0;
  /** memarg alignment exponent, only ever compared with natural alignments (at most 4): a value
   *  above 255 is held as 255 (alignU32), so it stays a small integer as well. */
  align = 0;
  /** memarg offset (u32 as int32: read it `>>> 0`). */
  memOffset = 0;
  /** i32.const value; f32.const bits (as int32); ref.null / select type. */
  i32 = 0;
  /** i64.const and f64.const: low and high 32 bits (u32 ones start as doubles: see U32_FIELD). */
  lo = U32_FIELD;
  hi = U32_FIELD;
  /** br_table targets (without the default), valid up to numTargets. */
  targets = new Uint32Array(16);
  numTargets = 0;
  /** SIMD lane immediate (extract/replace_lane, load/store_lane). */
  lane = 0;
  /** v128.const bytes, or i8x16.shuffle lane indices (little-endian, reused). */
  readonly v128 = new Uint8Array(16);

  // The tables next() reads per instruction, as fields: an imported or module binding is a cell
  // load, a hole check, a Smi check and a map check per use in optimized code, a field holding
  // one typed array since construction one load (V8 knows its map from the field).
  private readonly imm = opImm;
  private readonly oneByteIndex = oneByteTables().index;
  private readonly oneByteBlockType = oneByteTables().blockType;

  constructor(r: Reader) {
    buildOpcodeTables(); // once per process; a cache hit often constructs no InstrReader at all
    this.r = r;
    this.targets = new Uint32Array(16); // grown later: stored twice so V8 never takes it for a constant (reader.ts, GROWN_FIELDS)
  }

  /** Point the reader at [start, end) of the module bytes. */
  reset(start: number, end: number, funcIndex: number): void {
    this.r.pos = start;
    this.r.end = end;
    this.r.funcIndex = funcIndex;
  }

  get pos(): number { return this.r.pos; }
  atEnd(): boolean { return this.r.pos >= this.r.end; }

  /**
   * Decodes the next instruction. The common forms (no immediate; a one-byte index; a one-byte
   * i32.const: ruby+stdlib, ~70% of its instructions) are read here, small enough that V8
   * inlines this into the loops that call it per instruction (a call costs about as much as
   * the decoding); the rest in nextFull.
   */
  next(): number {
    const r = this.r;
    const pos = r.pos;
    if (pos + 1 < r.end) {
      const buf = r.buf;
      const op = buf[pos];
      const imm = this.imm[op];
      const b = buf[pos + 1];
      // One exit for the forms read here: V8 counts every inlined copy of a helper against the
      // caller's inlining budget, which the validator's step and sig need too.
      let end = -1;
      if (imm === Imm.None) end = pos + 1;
      else if (b < 0x80) {
        if (this.oneByteIndex[imm] === 1) { this.index = b; end = pos + 2; }
        else if (imm === Imm.I32) { this.i32 = (b << 25) >> 25; end = pos + 2; } // bit 6 is the sign
        else if (imm === Imm.MemArg) {
          // the offset is often several bytes: Reader.u32 from after the align byte
          this.align = b;
          r.pos = pos + 2;
          this.memOffset = r.u32() | 0;
          end = r.pos;
        } else if (imm === Imm.BlockType && this.oneByteBlockType[b] === 1) { this.blockType = b - 0x80; end = pos + 2; }
      }
      if (end >= 0) {
        this.start = pos;
        this.op = op;
        this.code = op;
        r.pos = end;
        return op;
      }
    }
    return this.nextFull();
  }

  /** Any instruction, from its first byte (next() says why it is apart). */
  private nextFull(): number {
    const r = this.r;
    const start = r.pos;
    this.start = start;
    let op = r.u8();
    let code = op;
    // One table load says whether the byte is an instruction, a prefix or neither (Imm.Illegal).
    let imm = opImm[op];
    if (imm === Imm.Prefix) {
      const sub = r.u32();
      if (sub > 0xff) r.fail('illegal opcode', start);
      code = (op === 0xfc ? 256 : 512) + sub;
      op = (op << 8) | sub;
      imm = opImm[code];
    }
    this.op = op;
    this.code = code;
    // The immediates' LEBs are nearly all one byte, which Reader.u32/s32 read inline.
    switch (imm) {
      case Imm.None: break;
      case Imm.Local: case Imm.Global: case Imm.Label: case Imm.Func: case Imm.Table:
      case Imm.Data: case Imm.Elem:
        this.index = r.u32() | 0; break;
      case Imm.I32: this.i32 = r.s32(); break;
      case Imm.MemArg: this.align = alignU32(r.u32()); this.memOffset = r.u32() | 0; break;
      case Imm.BlockType: this.readBlockType(); break;
      case Imm.BrTable: this.readBrTable(); break;
      case Imm.CallIndirect: case Imm.TableInit: case Imm.TableCopy:
        this.index = r.u32() | 0; this.index2 = r.u32() | 0; break;
      case Imm.ZeroByte: this.zeroByte(); break;
      case Imm.I64: this.lo = r.s64(); this.hi = r.hi; break;
      case Imm.F32: this.i32 = r.fixed32() | 0; break;
      case Imm.F64: this.lo = r.fixed64(); this.hi = r.hi; break;
      case Imm.RefType: {
        const t = r.u8();
        if (!isRefType(t)) r.fail('malformed reference type', r.pos - 1);
        this.i32 = t;
        break;
      }
      case Imm.SelectT: this.readSelectTypes(); break;
      case Imm.MemoryInit: this.index = r.u32() | 0; this.zeroByte(); break;
      case Imm.MemoryCopy: this.zeroByte(); this.zeroByte(); break;
      case Imm.V128: case Imm.Shuffle: for (let i = 0; i < 16; i++) this.v128[i] = r.u8(); break;
      case Imm.Lane: this.lane = r.u8(); break;
      case Imm.MemArgLane: this.align = alignU32(r.u32()); this.memOffset = r.u32() | 0; this.lane = r.u8(); break;
      default: throw malformed('illegal opcode', start, r.funcIndex); // Imm.Illegal
    }
    return op;
  }

  private readSelectTypes(): void {
    // The vector length is checked by the validator (2.0 allows exactly
    // one type: "invalid result arity"), but every type must decode.
    const r = this.r;
    const n = r.count();
    this.numTargets = n;
    this.i32 = 0;
    for (let i = 0; i < n; i++) {
      const t = r.u8();
      if (!isValType(t)) r.fail('malformed value type', r.pos - 1);
      if (i === 0) this.i32 = t;
    }
  }

  private zeroByte(): void {
    const r = this.r;
    if (r.u8() !== 0) r.fail('zero byte expected', r.pos - 1);
  }

  private readBlockType(): void {
    const r = this.r;
    const b = r.peek();
    if (b === 0x40 || isValType(b)) { r.pos++; this.blockType = b - 0x80; return; }
    const at = r.pos;
    const bt = r.s33();
    if (bt < 0) r.fail('malformed value type', at);
    this.blockType = bt;
  }

  private readBrTable(): void {
    const r = this.r;
    const n = r.count();
    if (n > this.targets.length) {
      // Bounded by the body size, which count() has checked.
      this.targets = new Uint32Array(Math.max(n, this.targets.length * 2));
    }
    const t = this.targets;
    for (let i = 0; i < n; i++) t[i] = r.u32();
    this.numTargets = n;
    this.index = r.u32() | 0;
  }
}
