// Damaged copies of a real module's function bodies, for tests of the validator's error paths:
// every truncation of a body (the code section re-encoded with the shorter body, so the decoder
// reaches the cut instruction) and seeded byte replacements (bytes that are LEB continuations,
// prefixes, `end`, block and index opcodes). The instruction reader's and validator's fast paths
// (one-byte immediates, packed signatures, local/global/drop/memory checks) must give every one
// of these the same outcome as the general path, and never a JS exception.

import { leb } from '../fuzz/instrument.js';

function readLeb(b: Uint8Array, p: number): [number, number] {
  let value = 0, shift = 0, byte: number;
  do { byte = b[p++]; value |= (byte & 0x7f) << shift; shift += 7; } while ((byte & 0x80) !== 0);
  return [value >>> 0, p];
}

/** The code section of `bytes` (a well-formed module): its extent and its bodies' bytes. */
function codeSection(bytes: Uint8Array): { start: number; end: number; bodies: Uint8Array[] } {
  for (let p = 8; p < bytes.length;) {
    const id = bytes[p];
    const [size, contents] = readLeb(bytes, p + 1);
    if (id === 10) {
      let [n, q] = readLeb(bytes, contents);
      const bodies: Uint8Array[] = [];
      for (; n > 0; n--) {
        const [sz, at] = readLeb(bytes, q);
        bodies.push(bytes.subarray(at, at + sz));
        q = at + sz;
      }
      return { start: p, end: contents + size, bodies };
    }
    p = contents + size;
  }
  throw new Error('no code section');
}

/** `bytes` with its code section holding `bodies` instead. */
function withBodies(bytes: Uint8Array, sec: { start: number; end: number }, bodies: Uint8Array[]): Uint8Array {
  const parts: (number[] | Uint8Array)[] = [leb(bodies.length)];
  for (const b of bodies) parts.push(leb(b.length), b);
  const size = parts.reduce((s, x) => s + x.length, 0);
  const head = [10, ...leb(size)];
  const out = new Uint8Array(sec.start + head.length + size + (bytes.length - sec.end));
  out.set(bytes.subarray(0, sec.start));
  let k = sec.start;
  out.set(head, k); k += head.length;
  for (const x of parts) { out.set(x, k); k += x.length; }
  out.set(bytes.subarray(sec.end), k);
  return out;
}

const INTERESTING = [0x80, 0xff, 0xfc, 0xfd, 0x0b, 0x05, 0x20, 0x21, 0x22, 0x23, 0x41, 0x28, 0x36, 0x1a, 0x02, 0x04, 0x40, 0x7f, 0x7b, 0x00, 0x8f, 0x10];

export interface Mutant { label: string; bytes: Uint8Array; truncated: boolean }

/**
 * Every truncation and `perBody` seeded mutations of each of the first `maxBodies` bodies of at
 * most `maxSize` bytes. Deterministic: the same module gives the same mutants in the same order.
 */
export function* bodyMutants(bytes: Uint8Array, maxBodies: number, maxSize: number, perBody: number): Generator<Mutant> {
  const sec = codeSection(bytes);
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  let done = 0;
  for (let f = 0; f < sec.bodies.length && done < maxBodies; f++) {
    const body = sec.bodies[f];
    if (body.length > maxSize) continue;
    done++;
    const bodies = sec.bodies.slice();
    for (let k = 0; k < body.length; k++) {
      bodies[f] = body.subarray(0, k);
      yield { label: `body ${f} cut at ${k}`, bytes: withBodies(bytes, sec, bodies), truncated: true };
    }
    for (let t = 0; t < perBody; t++) {
      const b = body.slice();
      for (let j = 1 + rnd(3); j > 0; j--) b[rnd(b.length)] = rnd(2) === 1 ? INTERESTING[rnd(INTERESTING.length)] : rnd(256);
      bodies[f] = b;
      yield { label: `body ${f} mutation ${t}`, bytes: withBodies(bytes, sec, bodies), truncated: false };
    }
  }
}
