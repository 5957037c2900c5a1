// Data and element segments, and the bulk operations compiled code hands to the host (reserved
// runtime-call indices, jit/compiler/runtime-calls.ts). Every operation checks its bounds before
// writing anything, as the spec requires; a failed check answers the trap code to raise.
import { TrapCode } from '../../abi/traps.js';
import { RT } from '../compiler/runtime-calls.js';
import type { DataSegment } from '../frontend/types.js';
import type { Memory } from './memory.js';
import type { Table } from './tables.js';
import { fits } from './plan.js';

export interface SegmentState {
  memory: Memory | null;
  tables: Table[];
  /** the module's bytes, which hold the data segments' */
  module: Uint8Array;
  /** data segments; null once dropped */
  datas: (DataSegment | null)[];
  /** evaluated element segment items (raw ref bits); null once dropped */
  elems: (bigint[] | null)[];
}

const OK = 0n;
const MEM_OOB = BigInt(TrapCode.memoryOutOfBounds);
const TABLE_OOB = BigInt(TrapCode.tableOutOfBounds);
const u32 = (b: bigint): number => Number(b & 0xffffffffn);

/** memory.init semantics (also used for active data segments at instantiation). */
export function memoryInit(s: SegmentState, dst: number, src: number, n: number, seg: number): bigint {
  const data = s.datas[seg];
  const mem = s.memory;
  if (!mem) return MEM_OOB;
  const bytes = mem.bytes;
  if (!fits(src, n, data ? data.length : 0) || !fits(dst, n, bytes.length)) return MEM_OOB;
  if (n > 0 && data) bytes.set(s.module.subarray(data.bytesAt + src, data.bytesAt + src + n), dst);
  return OK;
}

/** table.init semantics (also used for active element segments). */
export function tableInit(s: SegmentState, dst: number, src: number, n: number, seg: number, t: number): bigint {
  const items = s.elems[seg] ?? [];
  const table = s.tables[t];
  if (!fits(src, n, items.length) || !fits(dst, n, table.length)) return TABLE_OOB;
  if (n > 0) table.setBitsFrom(dst, items, src, n);
  return OK;
}


/** Answer a reserved runtime call; returns the result slots. */
export function runtimeCall(s: SegmentState, index: number, a: bigint[]): bigint[] {
  switch (index) {
    case RT.memoryGrow: {
      const r = s.memory ? s.memory.grow(u32(a[0])) : -1;
      return [BigInt(r >>> 0)];
    }
    case RT.memoryInit: return [memoryInit(s, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))];
    case RT.dataDrop: s.datas[u32(a[0])] = null; return [];
    case RT.tableInit: return [tableInit(s, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))];
    case RT.elemDrop: s.elems[u32(a[0])] = null; return [];
    case RT.tableCopy: {
      const dst = u32(a[0]), src = u32(a[1]), n = u32(a[2]);
      const dt = s.tables[u32(a[3])], st = s.tables[u32(a[4])];
      if (!fits(src, n, st.length) || !fits(dst, n, dt.length)) return [TABLE_OOB];
      if (n > 0) st.elems.copy(dt.elems, dst * 8, src * 8, (src + n) * 8); // memmove semantics
      return [OK];
    }
    case RT.tableGrow: {
      const r = s.tables[u32(a[2])].grow(u32(a[1]), a[0]);
      return [BigInt(r >>> 0)];
    }
    case RT.tableFill: {
      const i = u32(a[0]), v = a[1], n = u32(a[2]);
      const t = s.tables[u32(a[3])];
      if (!fits(i, n, t.length)) return [TABLE_OOB];
      for (let k = 0; k < n; k++) t.setBits(i + k, v);
      return [OK];
    }
  }
  throw new Error(`unknown runtime call 0x${index.toString(16)}`);
}
