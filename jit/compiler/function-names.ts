// Names and lookups over compiled code that backtraces and the disassembler need. Apart from
// module-compiler.ts so that `run` (backtraces) does not load the compiler on a cache hit.
import type { ModuleInfo } from '../frontend/types.js';
import type { CompiledModule } from './module-compiler.js';

/** Export name, name-section name, or `func[N]`. */
export function functionName(info: ModuleInfo, f: number): string {
  const n = info.names?.functionNames.get(f);
  if (n !== undefined) return n;
  const e = info.exports.find((x) => x.kind === 'func' && x.index === f);
  return e ? e.name : `func[${f}]`;
}

/** Function index whose code contains `offset` (binary search over the image), or -1. */
export function functionAt(m: CompiledModule, offset: number): number {
  const fs = m.image.functions;
  let lo = 0, hi = fs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = fs[mid];
    if (offset < f.offset) hi = mid - 1;
    else if (offset >= f.offset + f.size) lo = mid + 1;
    else return m.info.numImportedFuncs + mid;
  }
  return -1;
}
