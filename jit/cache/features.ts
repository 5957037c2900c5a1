// The CPU features of this machine, as abi/image.ts's CpuFeature mask. Compiled code is cached
// and loaded keyed on it: code from a machine with AVX2 must not run on one without.
// Read from /proc/cpuinfo (the runtime is Linux-only); the kernel's flag names, with lzcnt
// reported as "abm" on both vendors.
import { closeSync, openSync, readSync } from 'node:fs';
import { CpuFeature, type CpuFeatureName } from '../../abi/image.js';
import { latin1 } from '../bytes.js';

const FLAG_NAMES: Record<string, CpuFeatureName> = {
  ssse3: 'ssse3', sse4_1: 'sse4_1', sse4_2: 'sse4_2', popcnt: 'popcnt', abm: 'lzcnt', lzcnt: 'lzcnt',
  bmi1: 'bmi1', bmi2: 'bmi2', avx: 'avx', avx2: 'avx2', fma: 'fma', avx512f: 'avx512f',
};

// The parsing below is by indexOf and split on a string, not regular expressions: a start runs
// it once, and each regular expression a process first executes is parsed and compiled then
// (V8's code cache holds no regexp code): the three this took cost a warm start ~0.3M instructions.

/** The mask for a /proc/cpuinfo "flags" line: its space- or tab-separated words (exported for tests). */
export function featuresFromFlags(flags: string): number {
  let mask = 0;
  for (const f of flags.replaceAll('\t', ' ').split(' ')) {
    const name = Object.hasOwn(FLAG_NAMES, f) ? FLAG_NAMES[f] : undefined;
    if (name !== undefined) mask |= CpuFeature[name];
  }
  return mask;
}

/**
 * The value of the first line of /proc/cpuinfo text that is `field`, blanks (spaces, tabs), ':':
 * the rest of that line, if `text` holds it whole; the line ends at '\n', or at the end of `text`
 * when that is the file's end (`atEnd`). A longer name ("model name" for "model") is another field.
 */
export function cpuinfoField(text: string, field: string, atEnd: boolean): string | undefined {
  // the start of the next line that begins with the field's name after `from`, or -1
  const nl = '\n' + field;
  const next = (from: number): number => { const k = text.indexOf(nl, from); return k < 0 ? -1 : k + 1; };
  for (let at = text.startsWith(field) ? 0 : next(0); at >= 0; at = next(at)) {
    let i = at + field.length;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] !== ':') continue;
    const end = text.indexOf('\n', i);
    return end >= 0 ? text.slice(i + 1, end) : atEnd ? text.slice(i + 1) : undefined;
  }
  return undefined;
}

/** The first "flags" line's value (cpuinfoField; exported for tests). */
export function firstFlags(text: string, atEnd: boolean): string | undefined {
  return cpuinfoField(text, 'flags', atEnd);
}

/** /proc/cpuinfo is read this much at a time until its first "flags" line is whole (one page: the kernel formats as many CPU records as a read asks for). */
const CHUNK = 4096;

let host: number | undefined;

/**
 * This machine's mask (0 when /proc/cpuinfo cannot be read: then only mask-0 code loads), from
 * the first processor's flags, read up to that line only: the kernel formats a record per CPU
 * on read, and a whole file is one record per CPU (a start here ~0.9 -> ~0.6 ms; more where
 * there are hundreds of CPUs).
 */
export function hostCpuFeatures(): number {
  if (host !== undefined) return host;
  let text = '', atEnd = false;
  try {
    const fd = openSync('/proc/cpuinfo', 'r');
    try {
      const buf = new Uint8Array(CHUNK); // not Buffer.allocUnsafe: Node's JS, compiled on first call
      while (!atEnd && firstFlags(text, false) === undefined) {
        const n = readSync(fd, buf, 0, CHUNK, null);
        atEnd = n === 0;
        text += latin1(buf, 0, n);
      }
    } finally {
      closeSync(fd);
    }
  } catch { /* not Linux: nothing assumed */ }
  const flags = firstFlags(text, atEnd);
  return (host = flags !== undefined ? featuresFromFlags(flags) : 0);
}
