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

/**
 * The disassembler's offset -> label name map of a compiled module: every function's name at its
 * offset, then the Assembler's own named labels (`labels`) at offsets no function starts at. The
 * compile gives function labels no names (ruby+stdlib has no name section: 17.9k `func[N]` strings
 * and export searches per compile, which only a disassembly reads); this names them when asked.
 */
export function labelNameMap(info: ModuleInfo, funcOffsets: Uint32Array, labels: Map<number, string>): Map<number, string> {
  const map = new Map<number, string>();
  for (let f = 0; f < funcOffsets.length; f++) if (!map.has(funcOffsets[f])) map.set(funcOffsets[f], functionName(info, f));
  for (const [offset, name] of labels) if (!map.has(offset)) map.set(offset, name);
  return map;
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
