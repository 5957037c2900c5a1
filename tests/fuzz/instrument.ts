// Makes a generated module's hidden state observable through exported functions alone, so every
// engine (V8, kwasm-jit in user space, kwasm-jit in ring 0, whose exported mutable globals and
// memory are not readable from JS) is compared the same way, by calling exports:
//   `fuzz:global:N` () -> T    the value of global N (every global, imported or not)
//   `fuzz:memory-hash` () -> i64   FNV-1a over memory 0 in 8-byte words, mixed with its size
// Appended at the end of the type, function, export and code index spaces, so no existing index
// moves. A binary edit on purpose: it must not depend on the engines under test.

const enum Section { Type = 1, Import = 2, Function = 3, Global = 6, Export = 7, Code = 10, Memory = 5 }
/** Where a section that is missing goes: the standard order of the known sections. */
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

export const GLOBAL_PREFIX = 'fuzz:global:';
export const MEMORY_HASH = 'fuzz:memory-hash';

interface Sec { id: number; body: Uint8Array }

/** Unsigned LEB128 of `n` (also tests/jit/body-mutations.ts). */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb64(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  u8(): number {
    if (this.pos >= this.b.length) throw new Error('instrument: unexpected end of module');
    return this.b[this.pos++];
  }
  u32(): number {
    let r = 0, shift = 0, byte: number;
    do { byte = this.u8(); r += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return r;
  }
  skip(n: number): void { this.pos += n; }
  limits(): void { const flags = this.u8(); this.u32(); if (flags & 1) this.u32(); }
}

function sections(bytes: Uint8Array): Sec[] {
  const r = new Reader(bytes);
  r.skip(8); // magic + version
  const out: Sec[] = [];
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.u32();
    out.push({ id, body: bytes.subarray(r.pos, r.pos + size) });
    r.skip(size);
  }
  return out;
}

/** A vector section's entry count and its entries' bytes. */
function vec(body: Uint8Array | undefined): { count: number; entries: Uint8Array } {
  if (!body) return { count: 0, entries: new Uint8Array() };
  const r = new Reader(body);
  const count = r.u32();
  return { count, entries: body.subarray(r.pos) };
}

interface Shape { importedFuncs: number; globalTypes: number[]; hasMemory: boolean }

function shape(secs: Sec[]): Shape {
  const s: Shape = { importedFuncs: 0, globalTypes: [], hasMemory: false };
  const imp = secs.find((x) => x.id === Section.Import);
  if (imp) {
    const r = new Reader(imp.body);
    for (let n = r.u32(); n > 0; n--) {
      r.skip(r.u32()); r.skip(r.u32()); // module, name
      const kind = r.u8();
      if (kind === 0) { r.u32(); s.importedFuncs++; }
      else if (kind === 1) { r.u8(); r.limits(); }
      else if (kind === 2) { r.limits(); s.hasMemory = true; }
      else if (kind === 3) { s.globalTypes.push(r.u8()); r.u8(); }
      else throw new Error(`instrument: import kind ${kind} not supported`);
    }
  }
  const glob = secs.find((x) => x.id === Section.Global);
  if (glob) {
    // only the types are needed, but an init expression must be walked to find the next entry
    const r = new Reader(glob.body);
    for (let n = r.u32(); n > 0; n--) {
      s.globalTypes.push(r.u8());
      r.u8();
      skipConstExpr(r);
    }
  }
  if (vec(secs.find((x) => x.id === Section.Memory)?.body).count > 0) s.hasMemory = true;
  return s;
}

/** Constant expressions as -ttf writes them (MVP + extended: any instruction until `end`). */
function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x0b: return;
      case 0x41: case 0x23: case 0xd2: r.u32(); break; // i32.const (sleb: same length rule), global.get, ref.func
      case 0x42: r.u32(); break; // i64.const: the LEB's length is what matters here
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.u8(); break; // ref.null t
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const arithmetic
      default: throw new Error(`instrument: opcode 0x${op.toString(16)} in a constant expression`);
    }
  }
}

function name(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...leb(b.length), ...b];
}

/** ((get) -> T) body: `global.get N`. */
function globalGetter(n: number): number[] {
  const body = [0x00, 0x23, ...leb(n), 0x0b];
  return [...leb(body.length), ...body];
}

/** The memory hash (locals: i, n: i32; h: i64). */
function memoryHasher(): number[] {
  const I = 0, N = 1, H = 2;
  const body = [
    0x02, 0x02, 0x7f, 0x01, 0x7e, // locals: 2 x i32, 1 x i64
    0x3f, 0x00, 0x41, 16, 0x74, 0x21, N, // n = memory.size << 16
    0x42, ...sleb64(-3750763034362895579n), 0x21, H, // h = FNV offset basis
    0x02, 0x40, 0x03, 0x40, // block loop
    0x20, I, 0x20, N, 0x4f, 0x0d, 0x01, // br_if 1 (i >= n)
    0x20, H, 0x20, I, 0x29, 0x03, 0x00, 0x85, 0x42, ...sleb64(0x100000001b3n), 0x7e, 0x21, H, // h = (h ^ load64(i)) * prime
    0x20, I, 0x41, 0x08, 0x6a, 0x21, I, // i += 8
    0x0c, 0x00, 0x0b, 0x0b, // br 0, end loop, end block
    0x20, H, 0x20, N, 0xad, 0x85, // h ^ u64(n)
    0x0b,
  ];
  return [...leb(body.length), ...body];
}

/** The module with the `fuzz:` exports added (see the file comment). */
export function instrument(bytes: Uint8Array): Uint8Array {
  const secs = sections(bytes);
  const s = shape(secs);
  const types = vec(secs.find((x) => x.id === Section.Type)?.body);
  const funcs = vec(secs.find((x) => x.id === Section.Function)?.body);
  const exports = vec(secs.find((x) => x.id === Section.Export)?.body);
  const code = vec(secs.find((x) => x.id === Section.Code)?.body);

  // one type () -> T per value type needed, in order of first use
  const resultTypes = [...new Set([...s.globalTypes, ...(s.hasMemory ? [0x7e] : [])])];
  const typeIndex = new Map(resultTypes.map((t, k) => [t, types.count + k]));
  const newTypes = resultTypes.flatMap((t) => [0x60, 0x00, 0x01, t]);
  const added: { type: number; body: number[]; name: string }[] = s.globalTypes.map((t, n) =>
    ({ type: typeIndex.get(t) as number, body: globalGetter(n), name: `${GLOBAL_PREFIX}${n}` }));
  if (s.hasMemory) added.push({ type: typeIndex.get(0x7e) as number, body: memoryHasher(), name: MEMORY_HASH });
  if (added.length === 0) return bytes;

  const firstNew = s.importedFuncs + funcs.count;
  const replace = new Map<number, number[]>([
    [Section.Type, [...leb(types.count + resultTypes.length), ...types.entries, ...newTypes]],
    [Section.Function, [...leb(funcs.count + added.length), ...funcs.entries, ...added.flatMap((a) => leb(a.type))]],
    [Section.Export, [...leb(exports.count + added.length), ...exports.entries,
      ...added.flatMap((a, k) => [...name(a.name), 0x00, ...leb(firstNew + k)])]],
    [Section.Code, [...leb(code.count + added.length), ...code.entries, ...added.flatMap((a) => a.body)]],
  ]);
  const out: number[] = [...bytes.subarray(0, 8)];
  const emit = (id: number, body: ArrayLike<number>): void => { out.push(id, ...leb(body.length)); for (let i = 0; i < body.length; i++) out.push(body[i]); };
  const pending = new Map(replace);
  for (const sec of secs) {
    // a missing section we add goes before the first present section that follows it in ORDER
    if (sec.id !== 0) {
      for (const [id, body] of pending) {
        if (!secs.some((x) => x.id === id) && ORDER.indexOf(id) < ORDER.indexOf(sec.id)) { emit(id, body); pending.delete(id); }
      }
    }
    const body = replace.get(sec.id);
    if (body) { emit(sec.id, body); pending.delete(sec.id); } else emit(sec.id, sec.body);
  }
  for (const [id, body] of pending) emit(id, body);
  return Uint8Array.from(out);
}
