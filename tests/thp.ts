// Whether this kernel gives transparent huge pages to a region advised for them (MADV_HUGEPAGE):
// the tests of huge-page buffers expect few faults only then. THP must be on for advised regions
// ("always" or "madvise"), and a fault in such a region must be allowed to compact memory for a
// huge page ("defrag" always, madvise or defer+madvise): with "defer" or "never" a fragmented
// machine falls back to small pages, which is correct, only not fewer faults.
import { readFileSync } from 'node:fs';

function mode(file: string): string | undefined {
  try {
    return /\[([\w+]+)\]/.exec(readFileSync(`/sys/kernel/mm/transparent_hugepage/${file}`, 'latin1'))?.[1];
  } catch {
    return undefined; // no THP in this kernel
  }
}

export function hugePagesOnAdvice(): boolean {
  const enabled = mode('enabled'), defrag = mode('defrag');
  return (enabled === 'always' || enabled === 'madvise') && (defrag === 'always' || defrag === 'madvise' || defrag === 'defer+madvise');
}
