// The x86-64 extensions compiled code uses beyond the x86-64 baseline (SSE2), checked once before
// the first module is compiled, so a machine without them gets a clear error instead of SIGILL
// in the middle of a run: SSE4.1 (roundss/roundsd, pextr/pinsr, pmovsx/zx, pmulld ...), SSSE3
// (pshufb, pabs, pmulhrsw), SSE3 (movddup), SSE4.2 (pcmpgtq) and POPCNT. Linux only, like the
// runtime: the flags come from /proc/cpuinfo (names as the kernel spells them).
import { readFileSync } from 'node:fs';

const REQUIRED_CPU_FEATURES: readonly { flag: string; name: string }[] = [
  { flag: 'pni', name: 'SSE3' },
  { flag: 'ssse3', name: 'SSSE3' },
  { flag: 'sse4_1', name: 'SSE4.1' },
  { flag: 'sse4_2', name: 'SSE4.2' },
  { flag: 'popcnt', name: 'POPCNT' },
];

/** The required features missing from a /proc/cpuinfo text (its first `flags` line). */
export function missingCpuFeatures(cpuinfo: string): string[] {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  const have = new Set((line?.[1] ?? '').trim().split(/\s+/));
  return REQUIRED_CPU_FEATURES.filter((f) => !have.has(f.flag)).map((f) => f.name);
}

let checked = false;

/** Throws once per process if this CPU lacks a feature the code generator relies on. */
export function checkCpuFeatures(read: () => string = () => readFileSync('/proc/cpuinfo', 'utf8')): void {
  if (checked) return;
  const missing = missingCpuFeatures(read());
  if (missing.length > 0) {
    throw new Error(`kwasm-jit needs the x86-64 extensions ${REQUIRED_CPU_FEATURES.map((f) => f.name).join(', ')}; this CPU lacks ${missing.join(', ')}`);
  }
  checked = true;
}
