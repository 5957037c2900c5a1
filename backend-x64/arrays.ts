// Arrays that outlive a function or a compile: plain ones whose elements kind must not change in
// a later compile (objectArray), typed ones grown by doubling and never cut back (grow32).

/**
 * An empty array already of the most general fast elements kind (HOLEY_ELEMENTS), for a field of
 * a compiler object that holds objects, strings or `undefined` (label names, the frame pool, Mem
 * caches, some written past their end). A `[]` starts as small integers; its first object, and
 * its first write past the end, change its map. A long-lived array changed it in a process's
 * first compile, once in old space where its literal's allocation site no longer learns, so the
 * next compile's `[]` started over and the code optimized in the first compile deoptimized on it
 * ("wrong map", "not a Smi": Encoder.newLabel, pushFrame, rbpMem through localMem and
 * flushZeros). HOLEY_ELEMENTS has no transition left, whatever the array meets later.
 */
export function objectArray<T>(): T[] {
  const a: (T | undefined)[] = [];
  a[1] = undefined;
  a.length = 0;
  return a as T[];
}

/** A copy of `a` with twice the room (at least 64 entries), its first `n` entries kept: how the
 *  compiler's typed arrays with counts grow (never shrunk: see Encoder). */
export function grow32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(64, 2 * a.length));
  b.set(a.subarray(0, n));
  return b;
}
