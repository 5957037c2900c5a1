// Disassembly for `kwasm-jit compile --disasm` and for test diagnostics.
// capstone-wasm must be initialised asynchronously once; `initDisasm()` hides
// that behind a memoised promise, after which `disassembleSync` can be used.
import { Capstone, Const, loadCapstone } from 'capstone-wasm';

let ready: Promise<Capstone> | undefined;
let cs: Capstone | undefined;

/** Loads capstone once (idempotent). */
export function initDisasm(): Promise<Capstone> {
  ready ??= loadCapstone().then(() => {
    cs = new Capstone(Const.CS_ARCH_X86, Const.CS_MODE_64);
    return cs;
  });
  return ready;
}

export interface DisasmOptions {
  /** Address of code[0] (default 0). */
  address?: number;
  /** Offset (relative to code[0]) -> label name, printed as `name:` lines and next to branch targets. */
  labels?: Map<number, string>;
  /** Bytes from this offset on are data (the constant pool) and are dumped, not decoded. */
  dataFrom?: number;
}

export interface DecodedInsn { offset: number; size: number; bytes: Uint8Array; mnemonic: string; operands: string; }

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

// capstone-wasm copies the input onto the emscripten stack (and overflowing it corrupts the
// module for good), so large code is decoded in windows of this many bytes.
const WINDOW = 8 * 1024;

/**
 * Decodes instructions (capstone must be initialised). Stops at the first
 * undecodable byte, like capstone itself; offsets are relative to code[0].
 */
export function decode(code: Uint8Array, address = 0): DecodedInsn[] {
  if (cs === undefined) throw new Error('call `await initDisasm()` first');
  const out: DecodedInsn[] = [];
  let off = 0;
  while (off < code.length) {
    const end = Math.min(code.length, off + WINDOW);
    let insns;
    try {
      insns = cs.disasm(code.subarray(off, end), { address: address + off });
    } catch {
      break; // capstone throws when not even the first instruction decodes
    }
    // Unless this window reaches the end, its last instruction may be cut off: decode it again next time.
    const keep = end === code.length ? insns.length : Math.max(1, insns.length - 1);
    let next = off;
    for (let k = 0; k < keep && k < insns.length; k++) {
      const i = insns[k];
      const o = Number(i.address) - address;
      out.push({ offset: o, size: i.size, bytes: i.bytes.slice(), mnemonic: i.mnemonic, operands: i.opStr });
      next = o + i.size;
    }
    if (next === off) break;
    // capstone stops early at a bad byte: stop there too.
    if (next < end && keep === insns.length) break;
    off = next;
  }
  return out;
}

/** `addr: bytes  mnemonic operands` lines, with label lines and branch-target names. */
export function disassembleSync(code: Uint8Array, opts: DisasmOptions = {}): string[] {
  const address = opts.address ?? 0;
  const labels = opts.labels ?? new Map<number, string>();
  const dataFrom = opts.dataFrom ?? code.length;
  const out: string[] = [];
  const addr = (off: number): string => (address + off).toString(16).padStart(8, '0');
  let off = 0;
  while (off < dataFrom) {
    const insns = decode(code.subarray(off, dataFrom), address + off);
    const base = off; // decode() offsets are relative to the subarray
    for (const i of insns) {
      const at = base + i.offset;
      const name = labels.get(at);
      if (name !== undefined) out.push(`${name}:`);
      let text = `${i.mnemonic} ${i.operands}`.trimEnd();
      // Branch/call targets print as absolute hex addresses: add the label name when one is bound there.
      const m = /^(?:j\w+|call|loop\w*) (0x[0-9a-f]+|\d+)$/.exec(text);
      if (m) {
        const target = labels.get(Number(m[1]) - address);
        if (target !== undefined) text += ` <${target}>`;
      }
      out.push(`${addr(at)}: ${hex(i.bytes).padEnd(30)} ${text}`);
    }
    const last = insns[insns.length - 1];
    if (last !== undefined) off = base + last.offset + last.size;
    if (off < dataFrom) {
      // capstone stopped at an undecodable byte: show it and continue after it.
      out.push(`${addr(off)}: ${hex(code.subarray(off, off + 1)).padEnd(30)} (bad)`);
      off++;
    }
  }
  for (let p = dataFrom; p < code.length; p += 16) {
    const name = labels.get(p);
    if (name !== undefined) out.push(`${name}:`);
    // Pool entries are at least 4-byte aligned; print rows of up to 16 bytes, split at labels.
    let end = Math.min(code.length, p + 16);
    for (let q = p + 1; q < end; q++) if (labels.has(q)) { end = q; break; }
    out.push(`${addr(p)}: ${hex(code.subarray(p, end)).padEnd(30)} .byte`);
    p = end - 16;
  }
  return out;
}

/** Disassembles `code` (loading capstone on first use) and returns printable lines. */
export async function disassemble(code: Uint8Array, opts: DisasmOptions = {}): Promise<string[]> {
  await initDisasm();
  return disassembleSync(code, opts);
}
