// Bytes to text without Node's Buffer JS methods. A warm `run` calls Buffer's toString and
// subarray only a few times, and a process compiles each of Node's JS functions on its first call
// (Node's builtin code cache holds its modules' top levels only): toString with its encoding table
// is ~2.4 KB of JS (bench/results/startup.md). Buffer.prototype's latin1Slice, hexSlice and
// utf8Slice are the C++ functions toString calls after that JS (Node's own code calls them
// directly; they are not documented, so toString stands in wherever one is missing).

type Slice = (this: Uint8Array, start: number, end: number) => string;
const slices = Buffer.prototype as unknown as Partial<Record<'latin1Slice' | 'hexSlice' | 'utf8Slice', Slice>>;
const latin1Slice = slices.latin1Slice, hexSlice = slices.hexSlice, utf8Slice = slices.utf8Slice;

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** bytes[start, end) as latin1 text, one character per byte (Buffer's toString('latin1', start, end)). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return typeof latin1Slice === 'function' ? latin1Slice.call(bytes, start, end) : asBuffer(bytes).toString('latin1', start, end);
}

/** `bytes` in lowercase hex (Buffer's toString('hex')). */
export function hex(bytes: Uint8Array): string {
  return typeof hexSlice === 'function' ? hexSlice.call(bytes, 0, bytes.length) : asBuffer(bytes).toString('hex');
}

/** `b[start, end)` decoded as UTF-8 (Buffer's toString('utf8', start, end)). */
export function utf8(b: Uint8Array, start: number, end: number): string {
  return typeof utf8Slice === 'function' ? utf8Slice.call(b, start, end) : asBuffer(b).toString('utf8', start, end);
}

/** The UTF-8 bytes of `text` in hex (Buffer.from(text).toString('hex')). */
export function utf8Hex(text: string): string {
  return hex(utf8Bytes(text));
}

/** A view of `bytes[start, end)` as a plain Uint8Array (no species lookup: Buffer's subarray is JS). */
export function bytesOf(bytes: Uint8Array, start: number, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start));
}

/** The UTF-8 bytes of `text` (Buffer.from(text)): ASCII by a loop, else TextEncoder's. */
export function utf8Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return new TextEncoder().encode(text);
    out[i] = c;
  }
  return out;
}

/**
 * Little-endian words of exactly `b`, through a DataView: V8 builtins, where Buffer's
 * read/write(Big)(U)Int*LE are Node's JS, compiled on their first call (the seven a warm `run`
 * used cost it ~1.1M instructions). Out-of-range offsets throw a RangeError as Buffer's do.
 */
export function wordsOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * `b.fill(value, start, end)` by the typed array's own fill (a V8 builtin). Buffer overrides
 * fill with Node's JS version (strings, encodings), whose functions a process compiles on their
 * first call: ~2 KB of source that a warm `run` would compile only to fill bytes.
 */
export function fillBytes(b: Uint8Array, value: number, start: number, end = b.length): void {
  Uint8Array.prototype.fill.call(b, value, start, end);
}
