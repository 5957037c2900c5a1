// Bytes to text without Node's Buffer methods. A warm `run` calls each of Buffer's JS methods
// (toString with its encoding table, subarray, ...) only a few times, and a process compiles each
// on its first call (Node's builtin code cache holds its modules' top levels only): toString
// alone costs ~0.65M instructions there (bench/results/startup.md). These loops use typed-array
// builtins and String.fromCharCode, which need no compiling.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `bytes` in lowercase hex (Buffer's toString('hex')). */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** The UTF-8 bytes of `text` in hex (Buffer.from(text).toString('hex')). */
export function utf8Hex(text: string): string {
  let s = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return hex(new TextEncoder().encode(text)); // not ASCII: the encoder's bytes
    s += HEX[c];
  }
  return s;
}

/** A view of `bytes[start, end)` as a plain Uint8Array (no species lookup: Buffer's subarray is JS). */
export function bytesOf(bytes: Uint8Array, start: number, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start));
}

/** bytes[start, end) as latin1 text, one character per byte (Buffer's toString('latin1', start, end)). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  // in pieces: fromCharCode.apply takes its arguments on the stack
  for (let at = start; at < end; at += 8192) {
    s += String.fromCharCode.apply(null, bytesOf(bytes, at, Math.min(end, at + 8192)) as unknown as number[]);
  }
  return s;
}

type Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Buffer's own UTF-8 decoder, the C++ function its toString('utf8') calls after its JS (which a
 * process compiles on first use); toString where a Buffer lacks it.
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: Slice }).utf8Slice;

/** `b[start, end)` decoded as UTF-8 (Buffer's toString('utf8', start, end)). */
export function utf8(b: Buffer, start: number, end: number): string {
  return typeof utf8Slice === 'function' ? utf8Slice.call(b, start, end) : b.toString('utf8', start, end);
}
