// Reserved host-call indices for operations compiled code cannot do alone (allocation, mprotect,
// bookkeeping shared by instances). They travel through the same host-call protocol as imported
// functions (eax = index, args in stack slots), far above any real import index; the kernel
// module will serve the same numbers in ring 0. Status-returning calls answer 0 or a trap code.
export const RT_BASE = 0xffff0000;

export const RT = {
  /** (delta) -> old pages or -1 */
  memoryGrow: RT_BASE + 0,
  /** (dst, src, n, segment) -> status */
  memoryInit: RT_BASE + 1,
  /** (segment) -> nothing */
  dataDrop: RT_BASE + 2,
  /** (dst, src, n) -> status */
  memoryCopy: RT_BASE + 3,
  /** (dst, value, n) -> status */
  memoryFill: RT_BASE + 4,
  /** (dst, src, n, segment, table) -> status */
  tableInit: RT_BASE + 5,
  /** (segment) -> nothing */
  elemDrop: RT_BASE + 6,
  /** (dst, src, n, dstTable, srcTable) -> status */
  tableCopy: RT_BASE + 7,
  /** (init ref, delta, table) -> old size or -1 */
  tableGrow: RT_BASE + 8,
  /** (index, ref, n, table) -> status */
  tableFill: RT_BASE + 9,
} as const;

export const RT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RT).map(([k, v]) => [v, k]));
