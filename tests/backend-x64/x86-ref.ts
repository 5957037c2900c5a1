// Shared helpers for the backend-x64 tests: keystone/capstone handles and the
// capstone-text comparison that decides whether two encodings are the same
// instruction. (Not a test file itself: the runner only picks *.test.ts.)
import { Keystone, Const as KsConst, loadKeystone } from 'keystone-wasm';
import { Capstone, Const as CsConst, loadCapstone } from 'capstone-wasm';

export interface RefTools { ks: Keystone; cs: Capstone; }

export async function loadRefTools(): Promise<RefTools> {
  await Promise.all([loadKeystone(), loadCapstone()]);
  return { ks: new Keystone(KsConst.KS_ARCH_X86, KsConst.KS_MODE_64), cs: new Capstone(CsConst.CS_ARCH_X86, CsConst.CS_MODE_64) };
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Capstone text of `bytes` if they are exactly one instruction, else undefined. */
export function one(cs: Capstone, bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  const d = cs.disasm(bytes);
  if (d.length !== 1 || d[0].size !== bytes.length) return undefined;
  return `${d[0].mnemonic} ${d[0].opStr}`.trim();
}

type Tok = string | bigint;

function tokens(text: string): Tok[] {
  const s = text.toLowerCase()
    .replace(/\*1\b/g, '')             // capstone omits a scale of 1
    .replace(/\s+/g, ' ')
    .replace(/ - (0x[0-9a-f]+|\d+)/g, ' + -$1'); // "[rax - 4]" == "[rax + -4]"
  const out: Tok[] = [];
  for (const t of s.split(/[\s,[\]+]+/)) {
    if (t === '') continue;
    const m = /^(-?)(0x[0-9a-f]+|\d+)$/.exec(t);
    out.push(m ? (m[1] ? -BigInt(m[2]) : BigInt(m[2])) : t);
  }
  return out;
}

/** Numbers are equal when they are the same bit pattern at some operand width (capstone prints -1 as 0xff for bytes). */
function numEq(a: bigint, b: bigint): boolean {
  if (a === b) return true;
  for (const w of [8, 16, 32, 64]) {
    const lim = 1n << BigInt(w);
    const fits = (v: bigint): boolean => v >= -(lim >> 1n) && v < lim;
    if (fits(a) && fits(b) && BigInt.asUintN(w, a) === BigInt.asUintN(w, b)) return true;
  }
  return false;
}

/** Intel text equality up to capstone's number formatting. */
export function sameText(a: string, b: string): boolean {
  const x = tokens(a), y = tokens(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i], q = y[i];
    if (typeof p === 'bigint' && typeof q === 'bigint') { if (!numEq(p, q)) return false; }
    else if (p !== q) return false;
  }
  return true;
}
