// `--invoke` values: command-line text -> JS-API values, and results -> text the way wasmtime
// prints them (Rust's `Display`): integers signed decimal, floats as the shortest decimal that
// reads back to the same value, never in exponent notation (1e21 prints all 22 digits), `inf`,
// `-inf`, `NaN`, and `-0` for negative zero.
import { EXTERNREF, F32, F64, FUNCREF, I32, I64, type ValType } from '../frontend/types.js';

/** A bad --invoke argument: the CLI reports it and exits 1 (the command line parsed fine). */
export class ValueError extends Error {}

const INT_RE = /^[+-]?(\d+|0[xX][0-9a-fA-F]+)$/;
// Rust's f32/f64 FromStr grammar (what wasmtime accepts), including inf/infinity/nan.
const FLOAT_RE = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;

export function typeName(t: ValType): string {
  return t === I32 ? 'i32' : t === I64 ? 'i64' : t === F32 ? 'f32' : t === F64 ? 'f64' : t === FUNCREF ? 'funcref' : t === EXTERNREF ? 'externref' : `type 0x${t.toString(16)}`;
}

function parseInt(text: string, bits: 32 | 64): bigint {
  if (!INT_RE.test(text)) throw new ValueError(`${JSON.stringify(text)} is not an integer`);
  const neg = text.startsWith('-');
  const digits = text.replace(/^[+-]/, '');
  const v = neg ? -BigInt(digits) : BigInt(digits);
  // Signed or unsigned spelling of the same bits (0xffffffff and -1 are both i32 -1).
  const lo = -(1n << BigInt(bits - 1)), hi = (1n << BigInt(bits)) - 1n;
  if (v < lo || v > hi) throw new ValueError(`${text} does not fit in i${bits}`);
  return BigInt.asIntN(bits, v);
}

function parseFloat(text: string): number {
  if (!FLOAT_RE.test(text)) throw new ValueError(`${JSON.stringify(text)} is not a number`);
  const body = text.replace(/^[+-]/, '').toLowerCase();
  const sign = text.startsWith('-') ? -1 : 1;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  return Number(text);
}

/** One command-line argument as the JS-API value for a parameter of type `t`. */
export function parseValue(t: ValType, text: string): number | bigint {
  switch (t) {
    case I32: return Number(parseInt(text, 32));
    case I64: return parseInt(text, 64);
    case F32: return Math.fround(parseFloat(text));
    case F64: return parseFloat(text);
    default: throw new ValueError(`cannot pass a ${typeName(t)} from the command line`);
  }
}

/** Digits and exponent of a JS number string ("1.5e-7" -> plain "0.00000015"). */
function plainDecimal(s: string): string {
  const neg = s.startsWith('-');
  const [mant, expText] = s.replace(/^-/, '').split(/e/i);
  const exp = expText === undefined ? 0 : Number(expText);
  const [intPart, fracPart = ''] = mant.split('.');
  let digits = intPart + fracPart;
  let point = intPart.length + exp; // position of the decimal point within `digits`
  if (point <= 0) { digits = '0'.repeat(1 - point) + digits; point = 1; }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(point).replace(/0+$/, '');
  return (neg ? '-' : '') + whole + (frac ? `.${frac}` : '');
}

function formatFloat(v: number, single: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (!single) return plainDecimal(String(v));
  // Shortest digits that read back as the same f32 (String() would give the f64's digits).
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return plainDecimal(s);
  }
  return plainDecimal(String(v));
}

/** A result as wasmtime's `--invoke` prints it. */
export function formatValue(t: ValType, v: unknown): string {
  switch (t) {
    case I32: return String(Number(v) | 0);
    case I64: return BigInt.asIntN(64, BigInt(v as bigint)).toString();
    case F32: return formatFloat(Number(v), true);
    case F64: return formatFloat(Number(v), false);
    case FUNCREF: return v === null ? '<null funcref>' : '<funcref>';
    case EXTERNREF: return v === null ? '<null externref>' : '<externref>';
    default: return String(v);
  }
}
