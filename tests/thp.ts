// Whether this kernel gives transparent huge pages to a region advised for them (MADV_HUGEPAGE):
// the tests of huge-page buffers expect few faults only then.
import { readFileSync } from 'node:fs';

export function hugePagesOnAdvice(): boolean {
  let text: string;
  try {
    text = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'latin1');
  } catch {
    return false; // no THP in this kernel
  }
  const mode = /\[(\w+)\]/.exec(text)?.[1];
  return mode === 'always' || mode === 'madvise';
}
