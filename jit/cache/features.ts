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

/** The mask for a /proc/cpuinfo "flags" line (exported for tests). */
export function featuresFromFlags(flags: string): number {
  let mask = 0;
  for (const f of flags.split(/\s+/)) {
    const name = FLAG_NAMES[f];
    if (name !== undefined) mask |= CpuFeature[name];
  }
  return mask;
}

/** The first "flags" line's value in /proc/cpuinfo text, if `text` holds it whole (exported for tests). */
export function firstFlags(text: string, atEnd: boolean): string | undefined {
  return (atEnd ? /^flags\s*:(.*)$/m : /^flags\s*:(.*)\n/m).exec(text)?.[1];
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
      const buf = Buffer.allocUnsafe(CHUNK);
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
