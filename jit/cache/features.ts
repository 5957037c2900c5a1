// The CPU features of this machine, as abi/image.ts's CpuFeature mask. Compiled code is cached
// and loaded keyed on it: code from a machine with AVX2 must not run on one without.
// Read from /proc/cpuinfo (the runtime is Linux-only); the kernel's flag names, with lzcnt
// reported as "abm" on both vendors.
import { readFileSync } from 'node:fs';
import { CpuFeature, type CpuFeatureName } from '../../abi/image.js';

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

let host: number | undefined;

/** This machine's mask (0 when /proc/cpuinfo cannot be read: then only mask-0 code loads). */
export function hostCpuFeatures(): number {
  if (host !== undefined) return host;
  let text = '';
  try { text = readFileSync('/proc/cpuinfo', 'latin1'); } catch { /* not Linux: nothing assumed */ }
  const line = /^flags\s*:(.*)$/m.exec(text);
  return (host = line ? featuresFromFlags(line[1]) : 0);
}
