// v128 values of the spec scripts: wast2json writes them as lanes (decimal bit patterns) with a
// lane shape; engines pass them as one 128-bit bigint, lane 0 in the low bits.
import type { SpecValue } from './engine.js';

/** Bits per lane of each wast2json lane shape. */
export const LANE_BITS: Readonly<Record<string, number>> = { i8: 8, i16: 16, i32: 32, i64: 64, f32: 32, f64: 64 };

export function v128ToBits(v: SpecValue): bigint {
  const w = LANE_BITS[v.lane_type as string], lanes = v.value as string[];
  if (w === undefined || !Array.isArray(lanes)) throw new Error(`malformed v128 value ${JSON.stringify(v)}`);
  let b = 0n;
  for (let i = lanes.length - 1; i >= 0; i--) b = (b << BigInt(w)) | BigInt.asUintN(w, BigInt(lanes[i]));
  return b;
}

/** A result: the whole 128 bits as one decimal string (assert_return splits it by the expected shape). */
export function v128FromBits(b: bigint): SpecValue {
  return { type: 'v128', value: BigInt.asUintN(128, b).toString() };
}
