// Wasm values at the boundary: every value travels as its raw 64-bit slot pattern (bigint), so
// NaN payloads survive (a JS number would canonicalise them); the JS-API conversions (i32
// number, i64 BigInt, f32/f64 number, refs) are layered on top.
import { F32, F64, I32, I64, type ValType } from '../frontend/types.js';

const dv = new DataView(new ArrayBuffer(8));

/** JS number/bigint of a numeric type to slot bits. */
export function numToBits(t: ValType, v: unknown): bigint {
  switch (t) {
    case I32: return BigInt(Number(v) >>> 0);
    case I64: return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
    case F32: dv.setFloat32(0, Number(v), true); return BigInt(dv.getUint32(0, true));
    case F64: dv.setFloat64(0, Number(v), true); return dv.getBigUint64(0, true);
  }
  throw new TypeError(`not a numeric type 0x${t.toString(16)}`);
}

/** Slot bits of a numeric type to the JS-API value. */
export function bitsToNum(t: ValType, b: bigint): number | bigint {
  switch (t) {
    case I32: return Number(BigInt.asIntN(32, b));
    case I64: return BigInt.asIntN(64, b);
    case F32: dv.setUint32(0, Number(b & 0xffffffffn), true); return dv.getFloat32(0, true);
    case F64: dv.setBigUint64(0, BigInt.asUintN(64, b), true); return dv.getFloat64(0, true);
  }
  throw new TypeError(`not a numeric type 0x${t.toString(16)}`);
}
