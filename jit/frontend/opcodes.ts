// The opcode table shared by the body reader, the validator and the compiler.
//
// Every opcode gets a dense index (`code`): single-byte opcodes are their
// byte, 0xFC-prefixed ones are 256 + sub-opcode, 0xFD (SIMD) ones 512 + sub.
// For each code the table holds the name, how its immediates are encoded,
// and how it is validated: most instructions have a fixed stack signature
// ("ii:i" pops two i32 and pushes one), the rest are named special cases the
// validator handles one by one.
import { F32, F64, I32, I64, V128 } from './types.js';

/**
 * How an instruction's immediates are encoded. Const enums (numbers in the emitted JS), not
 * `as const` objects: every use of an imported object's member costs V8 a module-cell load, a
 * hole check and a property load, even in optimized code, and the per-instruction paths compare
 * against these several times per instruction.
 */
export const enum Imm {
  None = 0,
  BlockType = 1,
  Label = 2,
  BrTable = 3,
  Func = 4,
  CallIndirect = 5, // type index, table index
  Local = 6,
  Global = 7,
  Table = 8,
  MemArg = 9, // align, offset
  ZeroByte = 10, // memory.size / memory.grow / memory.fill: reserved memory index 0x00
  I32 = 11,
  I64 = 12,
  F32 = 13,
  F64 = 14,
  RefType = 15,
  SelectT = 16,
  MemoryInit = 17, // data index, 0x00
  Data = 18,
  MemoryCopy = 19, // 0x00 0x00
  TableInit = 20, // elem index, table index
  Elem = 21,
  TableCopy = 22, // dst table, src table
  V128 = 23, // 16 bytes, little-endian
  Shuffle = 24, // 16 lane-index bytes
  Lane = 25, // one lane-index byte
  MemArgLane = 26, // align, offset, lane-index byte
  Prefix = 27, // 0xFC / 0xFD: a sub-opcode follows (never a dense code's own kind)
  Illegal = 28, // no instruction has this code
}

/** How an instruction is validated. `Sig` and `Mem` use the table's signature. A const enum, as Imm. */
export const enum Check {
  Sig = 0, Mem = 1, Unreachable = 2, Nop = 3, Block = 4, Loop = 5, If = 6, Else = 7, End = 8,
  Br = 9, BrIf = 10, BrTable = 11, Return = 12, Call = 13, CallIndirect = 14, Drop = 15,
  Select = 16, SelectT = 17, LocalGet = 18, LocalSet = 19, LocalTee = 20, GlobalGet = 21,
  GlobalSet = 22, TableGet = 23, TableSet = 24, MemorySize = 25, MemoryGrow = 26, RefNull = 27,
  RefIsNull = 28, RefFunc = 29, MemoryInit = 30, DataDrop = 31, MemoryCopy = 32, MemoryFill = 33,
  TableInit = 34, ElemDrop = 35, TableCopy = 36, TableGrow = 37, TableSize = 38, TableFill = 39,
  Lane = 40, MemLane = 41, Shuffle = 42,
}

export const NUM_CODES = 768;

export const opName: string[] = new Array<string>(NUM_CODES).fill('');
/** Immediate encoding by dense code; Imm.Illegal for codes no instruction has, so the reader's
 *  one table load also tells it whether the opcode exists. */
export const opImm = new Uint8Array(NUM_CODES).fill(Imm.Illegal);
export const opCheck = new Uint8Array(NUM_CODES);
/** log2 of the natural alignment of memory accesses, -1 for others. */
export const opNaturalAlign = new Int8Array(NUM_CODES).fill(-1);
/** SIMD lane instructions: the number of lanes the lane immediate indexes (0 for others). */
export const opLanes = new Uint8Array(NUM_CODES);
export const opParams: (Uint8Array | null)[] = new Array<Uint8Array | null>(NUM_CODES).fill(null);
export const opResults: (Uint8Array | null)[] = new Array<Uint8Array | null>(NUM_CODES).fill(null);
/**
 * The signature of opcodes that have one, as the validator's fast path reads it: the number of
 * params (at most 3), the params packed one byte each, the deepest in the highest byte (`ii`
 * = I32 << 8 | I32, as they lie on the stack from bottom to top), and the result type (at most
 * one; 0 for none). Every signature in the table fits (def checks).
 */
export const opSigArity = new Uint8Array(NUM_CODES);
export const opSigParams = new Uint32Array(NUM_CODES);
export const opSigResult = new Uint8Array(NUM_CODES);

/**
 * Dense codes by instruction name ('i32.add' -> [0x6a]); 'select' has two encodings (plain and
 * typed), so a name maps to every code that carries it. Filled as the table below is defined
 * (buildOpcodeTables).
 */
const CODES_BY_NAME = new Map<string, number[]>();

/** The dense codes of the instruction named `name`; throws for a name the table lacks. */
export function codesNamed(name: string): readonly number[] {
  buildOpcodeTables();
  const cs = CODES_BY_NAME.get(name);
  if (cs === undefined) throw new Error(`opcode table: no instruction named '${name}'`);
  return cs;
}

/** Full opcode (0x6a, 0xFC0A ...) to dense code. */
export function codeOf(op: number): number {
  return op < 0x100 ? op : op < 0xfd00 ? 256 + (op & 0xff) : 512 + (op & 0xff);
}

const LETTER: Record<string, number> = { i: I32, l: I64, f: F32, d: F64, v: V128 };
/**
 * One shared array per distinct type string (a few dozen for ~500 instructions): building the
 * table runs at every start that decodes a module (the CLI's too), so it allocates little.
 * Shared, so never written to.
 */
const TYPES = new Map<string, Uint8Array>();
function types(s: string): Uint8Array {
  let t = TYPES.get(s);
  if (t === undefined) {
    t = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) t[i] = LETTER[s[i]];
    TYPES.set(s, t);
  }
  return t;
}

function def(op: number, name: string, imm: number, check: number, sig?: string, align = -1): void {
  const c = codeOf(op);
  opName[c] = name;
  const same = CODES_BY_NAME.get(name);
  if (same === undefined) CODES_BY_NAME.set(name, [c]); else same.push(c);
  opImm[c] = imm;
  opCheck[c] = check;
  opNaturalAlign[c] = align;
  if (sig !== undefined) {
    const colon = sig.indexOf(':');
    const ps = types(sig.slice(0, colon)), rs = types(sig.slice(colon + 1));
    opParams[c] = ps;
    opResults[c] = rs;
    if (ps.length > 3 || rs.length > 1) throw new Error(`opcode table: signature of ${name} too long for opSigParams`);
    opSigArity[c] = ps.length;
    opSigParams[c] = ps.reduce((packed, t) => (packed << 8) | t, 0);
    opSigResult[c] = rs.length === 1 ? rs[0] : 0;
  }
}
/** An instruction validated purely by its signature. */
function sig(op: number, name: string, s: string, imm: number = Imm.None): void { def(op, name, imm, Check.Sig, s); }
/** A run of consecutive opcodes sharing one signature. */
function run(first: number, s: string, names: string): void {
  names.split(' ').forEach((n, i) => sig(first + i, n, s));
}

let built = false;

/**
 * Fills the tables above, once. Not at module load: a warm `run` (a cache hit) decodes its module
 * without the bodies and reads an `i32.const` constant expression without InstrReader, so it
 * usually needs no table at all, and defining ~500 instructions costs a start ~1-2 ms of CPU
 * (interpreted code). Not at the validator's or the compiler's load either: the CLI bundle
 * evaluates every module's top level at start, a hit's too. The tables are read only for a code
 * an InstrReader has decoded, and its constructor calls this; so does codesNamed.
 */
export function buildOpcodeTables(): void {
  if (built) return;
  built = true;
  defineAll();
}

function defineAll(): void {
  opImm[0xfc] = Imm.Prefix;
  opImm[0xfd] = Imm.Prefix;
  // Control.
  def(0x00, 'unreachable', Imm.None, Check.Unreachable);
  def(0x01, 'nop', Imm.None, Check.Nop);
  def(0x02, 'block', Imm.BlockType, Check.Block);
  def(0x03, 'loop', Imm.BlockType, Check.Loop);
  def(0x04, 'if', Imm.BlockType, Check.If);
  def(0x05, 'else', Imm.None, Check.Else);
  def(0x0b, 'end', Imm.None, Check.End);
  def(0x0c, 'br', Imm.Label, Check.Br);
  def(0x0d, 'br_if', Imm.Label, Check.BrIf);
  def(0x0e, 'br_table', Imm.BrTable, Check.BrTable);
  def(0x0f, 'return', Imm.None, Check.Return);
  def(0x10, 'call', Imm.Func, Check.Call);
  def(0x11, 'call_indirect', Imm.CallIndirect, Check.CallIndirect);
  // Parametric.
  def(0x1a, 'drop', Imm.None, Check.Drop);
  def(0x1b, 'select', Imm.None, Check.Select);
  def(0x1c, 'select', Imm.SelectT, Check.SelectT);
  // Variables and tables.
  def(0x20, 'local.get', Imm.Local, Check.LocalGet);
  def(0x21, 'local.set', Imm.Local, Check.LocalSet);
  def(0x22, 'local.tee', Imm.Local, Check.LocalTee);
  def(0x23, 'global.get', Imm.Global, Check.GlobalGet);
  def(0x24, 'global.set', Imm.Global, Check.GlobalSet);
  def(0x25, 'table.get', Imm.Table, Check.TableGet);
  def(0x26, 'table.set', Imm.Table, Check.TableSet);
  // Memory: signature plus a memory-exists and alignment check.
  const mem = (op: number, name: string, s: string, align: number): void => def(op, name, Imm.MemArg, Check.Mem, s, align);
  mem(0x28, 'i32.load', 'i:i', 2);
  mem(0x29, 'i64.load', 'i:l', 3);
  mem(0x2a, 'f32.load', 'i:f', 2);
  mem(0x2b, 'f64.load', 'i:d', 3);
  mem(0x2c, 'i32.load8_s', 'i:i', 0);
  mem(0x2d, 'i32.load8_u', 'i:i', 0);
  mem(0x2e, 'i32.load16_s', 'i:i', 1);
  mem(0x2f, 'i32.load16_u', 'i:i', 1);
  mem(0x30, 'i64.load8_s', 'i:l', 0);
  mem(0x31, 'i64.load8_u', 'i:l', 0);
  mem(0x32, 'i64.load16_s', 'i:l', 1);
  mem(0x33, 'i64.load16_u', 'i:l', 1);
  mem(0x34, 'i64.load32_s', 'i:l', 2);
  mem(0x35, 'i64.load32_u', 'i:l', 2);
  mem(0x36, 'i32.store', 'ii:', 2);
  mem(0x37, 'i64.store', 'il:', 3);
  mem(0x38, 'f32.store', 'if:', 2);
  mem(0x39, 'f64.store', 'id:', 3);
  mem(0x3a, 'i32.store8', 'ii:', 0);
  mem(0x3b, 'i32.store16', 'ii:', 1);
  mem(0x3c, 'i64.store8', 'il:', 0);
  mem(0x3d, 'i64.store16', 'il:', 1);
  mem(0x3e, 'i64.store32', 'il:', 2);
  def(0x3f, 'memory.size', Imm.ZeroByte, Check.MemorySize, ':i');
  def(0x40, 'memory.grow', Imm.ZeroByte, Check.MemoryGrow, 'i:i');
  // Constants.
  sig(0x41, 'i32.const', ':i', Imm.I32);
  sig(0x42, 'i64.const', ':l', Imm.I64);
  sig(0x43, 'f32.const', ':f', Imm.F32);
  sig(0x44, 'f64.const', ':d', Imm.F64);
  // Numeric.
  sig(0x45, 'i32.eqz', 'i:i');
  run(0x46, 'ii:i', 'i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u');
  sig(0x50, 'i64.eqz', 'l:i');
  run(0x51, 'll:i', 'i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u');
  run(0x5b, 'ff:i', 'f32.eq f32.ne f32.lt f32.gt f32.le f32.ge');
  run(0x61, 'dd:i', 'f64.eq f64.ne f64.lt f64.gt f64.le f64.ge');
  run(0x67, 'i:i', 'i32.clz i32.ctz i32.popcnt');
  run(0x6a, 'ii:i', 'i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr');
  run(0x79, 'l:l', 'i64.clz i64.ctz i64.popcnt');
  run(0x7c, 'll:l', 'i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr');
  run(0x8b, 'f:f', 'f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt');
  run(0x92, 'ff:f', 'f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign');
  run(0x99, 'd:d', 'f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt');
  run(0xa0, 'dd:d', 'f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign');
  sig(0xa7, 'i32.wrap_i64', 'l:i');
  run(0xa8, 'f:i', 'i32.trunc_f32_s i32.trunc_f32_u');
  run(0xaa, 'd:i', 'i32.trunc_f64_s i32.trunc_f64_u');
  run(0xac, 'i:l', 'i64.extend_i32_s i64.extend_i32_u');
  run(0xae, 'f:l', 'i64.trunc_f32_s i64.trunc_f32_u');
  run(0xb0, 'd:l', 'i64.trunc_f64_s i64.trunc_f64_u');
  run(0xb2, 'i:f', 'f32.convert_i32_s f32.convert_i32_u');
  run(0xb4, 'l:f', 'f32.convert_i64_s f32.convert_i64_u');
  sig(0xb6, 'f32.demote_f64', 'd:f');
  run(0xb7, 'i:d', 'f64.convert_i32_s f64.convert_i32_u');
  run(0xb9, 'l:d', 'f64.convert_i64_s f64.convert_i64_u');
  sig(0xbb, 'f64.promote_f32', 'f:d');
  sig(0xbc, 'i32.reinterpret_f32', 'f:i');
  sig(0xbd, 'i64.reinterpret_f64', 'd:l');
  sig(0xbe, 'f32.reinterpret_i32', 'i:f');
  sig(0xbf, 'f64.reinterpret_i64', 'l:d');
  run(0xc0, 'i:i', 'i32.extend8_s i32.extend16_s');
  run(0xc2, 'l:l', 'i64.extend8_s i64.extend16_s i64.extend32_s');
  // Reference types.
  def(0xd0, 'ref.null', Imm.RefType, Check.RefNull);
  def(0xd1, 'ref.is_null', Imm.None, Check.RefIsNull);
  def(0xd2, 'ref.func', Imm.Func, Check.RefFunc);
  // 0xFC prefix: saturating truncation, bulk memory, table instructions.
  run(0xfc00, 'f:i', 'i32.trunc_sat_f32_s i32.trunc_sat_f32_u');
  run(0xfc02, 'd:i', 'i32.trunc_sat_f64_s i32.trunc_sat_f64_u');
  run(0xfc04, 'f:l', 'i64.trunc_sat_f32_s i64.trunc_sat_f32_u');
  run(0xfc06, 'd:l', 'i64.trunc_sat_f64_s i64.trunc_sat_f64_u');
  def(0xfc08, 'memory.init', Imm.MemoryInit, Check.MemoryInit, 'iii:');
  def(0xfc09, 'data.drop', Imm.Data, Check.DataDrop);
  def(0xfc0a, 'memory.copy', Imm.MemoryCopy, Check.MemoryCopy, 'iii:');
  def(0xfc0b, 'memory.fill', Imm.ZeroByte, Check.MemoryFill, 'iii:');
  def(0xfc0c, 'table.init', Imm.TableInit, Check.TableInit, 'iii:');
  def(0xfc0d, 'elem.drop', Imm.Elem, Check.ElemDrop);
  def(0xfc0e, 'table.copy', Imm.TableCopy, Check.TableCopy, 'iii:');
  def(0xfc0f, 'table.grow', Imm.Table, Check.TableGrow);
  def(0xfc10, 'table.size', Imm.Table, Check.TableSize);
  def(0xfc11, 'table.fill', Imm.Table, Check.TableFill);
  // 0xFD prefix: 128-bit SIMD (Wasm 2.0). Lane and memarg-lane instructions carry the lane count
  // their immediate is checked against (opLanes); gaps in the numbering are undefined opcodes.
  const simdMem = (sub: number, name: string, s: string, align: number): void => def(0xfd00 + sub, name, Imm.MemArg, Check.Mem, s, align);
  const simdRun = (first: number, s: string, names: string): void => {
    names.split(' ').forEach((n, i) => { if (n !== '-') sig(0xfd00 + first + i, n, s); });
  };
  function lane(sub: number, name: string, s: string, lanes: number): void {
    def(0xfd00 + sub, name, Imm.Lane, Check.Lane, s);
    opLanes[codeOf(0xfd00 + sub)] = lanes;
  }
  function memLane(sub: number, name: string, s: string, align: number): void {
    def(0xfd00 + sub, name, Imm.MemArgLane, Check.MemLane, s, align);
    opLanes[codeOf(0xfd00 + sub)] = 16 >> align;
  }
  simdMem(0x00, 'v128.load', 'i:v', 4);
  simdMem(0x01, 'v128.load8x8_s', 'i:v', 3);
  simdMem(0x02, 'v128.load8x8_u', 'i:v', 3);
  simdMem(0x03, 'v128.load16x4_s', 'i:v', 3);
  simdMem(0x04, 'v128.load16x4_u', 'i:v', 3);
  simdMem(0x05, 'v128.load32x2_s', 'i:v', 3);
  simdMem(0x06, 'v128.load32x2_u', 'i:v', 3);
  simdMem(0x07, 'v128.load8_splat', 'i:v', 0);
  simdMem(0x08, 'v128.load16_splat', 'i:v', 1);
  simdMem(0x09, 'v128.load32_splat', 'i:v', 2);
  simdMem(0x0a, 'v128.load64_splat', 'i:v', 3);
  simdMem(0x0b, 'v128.store', 'iv:', 4);
  sig(0xfd0c, 'v128.const', ':v', Imm.V128);
  def(0xfd0d, 'i8x16.shuffle', Imm.Shuffle, Check.Shuffle, 'vv:v');
  sig(0xfd0e, 'i8x16.swizzle', 'vv:v');
  simdRun(0x0f, 'i:v', 'i8x16.splat i16x8.splat i32x4.splat');
  sig(0xfd12, 'i64x2.splat', 'l:v');
  sig(0xfd13, 'f32x4.splat', 'f:v');
  sig(0xfd14, 'f64x2.splat', 'd:v');
  lane(0x15, 'i8x16.extract_lane_s', 'v:i', 16);
  lane(0x16, 'i8x16.extract_lane_u', 'v:i', 16);
  lane(0x17, 'i8x16.replace_lane', 'vi:v', 16);
  lane(0x18, 'i16x8.extract_lane_s', 'v:i', 8);
  lane(0x19, 'i16x8.extract_lane_u', 'v:i', 8);
  lane(0x1a, 'i16x8.replace_lane', 'vi:v', 8);
  lane(0x1b, 'i32x4.extract_lane', 'v:i', 4);
  lane(0x1c, 'i32x4.replace_lane', 'vi:v', 4);
  lane(0x1d, 'i64x2.extract_lane', 'v:l', 2);
  lane(0x1e, 'i64x2.replace_lane', 'vl:v', 2);
  lane(0x1f, 'f32x4.extract_lane', 'v:f', 4);
  lane(0x20, 'f32x4.replace_lane', 'vf:v', 4);
  lane(0x21, 'f64x2.extract_lane', 'v:d', 2);
  lane(0x22, 'f64x2.replace_lane', 'vd:v', 2);
  for (const [first, sh] of [[0x23, 'i8x16'], [0x2d, 'i16x8'], [0x37, 'i32x4']] as const) {
    simdRun(first, 'vv:v', ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u'].map((n) => `${sh}.${n}`).join(' '));
  }
  simdRun(0x41, 'vv:v', 'f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge');
  simdRun(0x47, 'vv:v', 'f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge');
  sig(0xfd4d, 'v128.not', 'v:v');
  simdRun(0x4e, 'vv:v', 'v128.and v128.andnot v128.or v128.xor');
  sig(0xfd52, 'v128.bitselect', 'vvv:v');
  sig(0xfd53, 'v128.any_true', 'v:i');
  memLane(0x54, 'v128.load8_lane', 'iv:v', 0);
  memLane(0x55, 'v128.load16_lane', 'iv:v', 1);
  memLane(0x56, 'v128.load32_lane', 'iv:v', 2);
  memLane(0x57, 'v128.load64_lane', 'iv:v', 3);
  memLane(0x58, 'v128.store8_lane', 'iv:', 0);
  memLane(0x59, 'v128.store16_lane', 'iv:', 1);
  memLane(0x5a, 'v128.store32_lane', 'iv:', 2);
  memLane(0x5b, 'v128.store64_lane', 'iv:', 3);
  simdMem(0x5c, 'v128.load32_zero', 'i:v', 2);
  simdMem(0x5d, 'v128.load64_zero', 'i:v', 3);
  simdRun(0x5e, 'v:v', 'f32x4.demote_f64x2_zero f64x2.promote_low_f32x4 i8x16.abs i8x16.neg i8x16.popcnt');
  simdRun(0x63, 'v:i', 'i8x16.all_true i8x16.bitmask');
  simdRun(0x65, 'vv:v', 'i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u');
  simdRun(0x67, 'v:v', 'f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest');
  simdRun(0x6b, 'vi:v', 'i8x16.shl i8x16.shr_s i8x16.shr_u');
  simdRun(0x6e, 'vv:v', 'i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u');
  simdRun(0x74, 'v:v', 'f64x2.ceil f64x2.floor');
  simdRun(0x76, 'vv:v', 'i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u');
  sig(0xfd7a, 'f64x2.trunc', 'v:v');
  sig(0xfd7b, 'i8x16.avgr_u', 'vv:v');
  simdRun(0x7c, 'v:v', 'i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u i16x8.abs i16x8.neg');
  sig(0xfd82, 'i16x8.q15mulr_sat_s', 'vv:v');
  simdRun(0x83, 'v:i', 'i16x8.all_true i16x8.bitmask');
  simdRun(0x85, 'vv:v', 'i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u');
  simdRun(0x87, 'v:v', 'i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u');
  simdRun(0x8b, 'vi:v', 'i16x8.shl i16x8.shr_s i16x8.shr_u');
  simdRun(0x8e, 'vv:v', 'i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u');
  sig(0xfd94, 'f64x2.nearest', 'v:v');
  simdRun(0x95, 'vv:v', 'i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u - i16x8.avgr_u');
  simdRun(0x9c, 'vv:v', 'i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u');
  simdRun(0xa0, 'v:v', 'i32x4.abs i32x4.neg');
  simdRun(0xa3, 'v:i', 'i32x4.all_true i32x4.bitmask');
  simdRun(0xa7, 'v:v', 'i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u');
  simdRun(0xab, 'vi:v', 'i32x4.shl i32x4.shr_s i32x4.shr_u');
  simdRun(0xae, 'vv:v', 'i32x4.add - - i32x4.sub - - - i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s');
  simdRun(0xbc, 'vv:v', 'i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u');
  simdRun(0xc0, 'v:v', 'i64x2.abs i64x2.neg');
  simdRun(0xc3, 'v:i', 'i64x2.all_true i64x2.bitmask');
  simdRun(0xc7, 'v:v', 'i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u');
  simdRun(0xcb, 'vi:v', 'i64x2.shl i64x2.shr_s i64x2.shr_u');
  simdRun(0xce, 'vv:v', 'i64x2.add - - i64x2.sub - - - i64x2.mul i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s');
  simdRun(0xdc, 'vv:v', 'i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u');
  simdRun(0xe0, 'v:v', 'f32x4.abs f32x4.neg - f32x4.sqrt');
  simdRun(0xe4, 'vv:v', 'f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax');
  simdRun(0xec, 'v:v', 'f64x2.abs f64x2.neg - f64x2.sqrt');
  simdRun(0xf0, 'vv:v', 'f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax');
  simdRun(0xf8, 'v:v', 'i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u');
}
