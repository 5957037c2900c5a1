// The local-register cache (Liftoff's cached locals, part of its CacheState): which locals
// currently have their value in a register, and which of those are *dirty*: set by local.set /
// local.tee and not yet written back to their frame slot (lazy write-back). Invariants:
//   I1  a dirty local is cached: its register is the only current copy. A local that is not
//       dirty has its current value in its frame slot (and maybe also in its cache register).
//   I2  no local is dirty on an edge into an if's join (its end, its else arm), at a call or
//       host call (the callee clobbers every register), or where a cache register is taken away
//       (eviction, fixed-register claims): CodeGen writes dirty locals back there first.
//   I3  at a loop header the header's cached locals may be dirty (their registers are
//       authoritative); every back edge moves them into their header registers and writes back
//       every other dirty local.
//   I4  at a block's join the join's pairs may be dirty: the first edge into the block's end
//       fixes the (local, register) pairs, dirty ones included; every later edge brings each
//       pair some edge carried dirty into its register and writes back every other dirty local
//       (CodeGen.blockEdge). Loop exits are edges into blocks.
// A register parameter starts dirty (its home slot is not written in the prologue), and a
// declared local not yet set before the first control instruction is the constant 0 with an
// unwritten slot (CodeGen.deferZeroing).
// Traps need no write-back: nothing reads a trapped frame's locals. This class does the
// bookkeeping only; CodeGen emits the stores.
//
// Control flow uses ONE mechanism for every construct: a `CacheSnapshot` (the cache as
// (local, register) pairs) taken with `snapshot`, narrowed edge by edge with `merge` (keep only
// the pairs every edge agrees on), and re-applied after a join with `restore`:
//   loop    snapshot at the header; each back edge moves/reloads the locals that moved
//   if      snapshot at the condition; the else arm (or the missing else edge) starts from it
//   end     every edge into an if's end merges into the frame's join snapshot (pairs every edge
//           agrees on); a block's end keeps the first edge's pairs that later edges conform to
//           (I4); after the label the pairs are restored, dirty where some edge carried them so
import { isXmmType, lowestBit, type RegAlloc } from './regalloc.js';

/** Registers are indexed 0..15 for GPRs and 16..31 for XMMs in the owner/use tables. */
const SLOTS = 32;
const NO_REG = -1;

/**
 * The cache as (local, register) pairs; `valid` is false until something was recorded.
 * `dirty[k]` (pair k, at pairs[2k]): at a block's join, some edge carried the local dirty in
 * that register (then every later edge must bring it there, and it is dirty after the join).
 */
export class CacheSnapshot {
  readonly pairs = new Int32Array(2 * SLOTS);
  readonly dirty = new Uint8Array(SLOTS);
  n = 0;
  valid = false;

  reset(): void { this.n = 0; this.valid = false; }
}

export class LocalCache {
  private types: Uint8Array = new Uint8Array(0);
  /** reg[i]: the register holding local i's current value, or -1 */
  private reg = new Int16Array(64);
  /** owner[r] (r + 16 for XMM): the local register r caches, or -1 */
  private readonly owner = new Int32Array(SLOTS).fill(-1);
  /** last use of each cache register, for LRU eviction */
  private readonly use = new Float64Array(SLOTS);
  private clock = 0;
  /**
   * The cache registers in use, one bit per register (same indexing as owner): clear, snapshot,
   * markAllDirty and victim visit only these instead of all 32 slots (a snapshot at every `if`,
   * a clear at every call and join).
   */
  cachedMask = 0;
  /** dirty cached locals, one bit per cache register (same indexing as owner) */
  dirtyMask = 0;

  constructor(private readonly ra: RegAlloc) {
    this.reg = new Int16Array(64); // grown later: stored twice so V8 never takes it for a constant (reader.ts, GROWN_FIELDS)
  }

  /** A new function: `localTypes[0, n)` are its locals' types (the buffer may be longer). */
  reset(localTypes: Uint8Array, n: number): void {
    this.types = localTypes;
    if (this.reg.length < n) this.reg = new Int16Array(n);
    this.reg.fill(NO_REG, 0, n);
    this.owner.fill(-1);
    this.cachedMask = 0;
    this.dirtyMask = 0;
  }

  private slot(i: number, r: number): number { return r + (isXmmType(this.types[i]) ? 16 : 0); }

  /** The register caching local i, or -1; marks it used (eviction takes the least recently used). */
  get(i: number): number {
    const r = this.reg[i];
    if (r >= 0) this.use[this.slot(i, r)] = ++this.clock;
    return r;
  }

  /** The register caching local i, or -1, without counting as a use. */
  peek(i: number): number { return this.reg[i]; }

  /** The local cached in register r of the class (r + 16 for XMM), or -1. */
  ownerOf(slot: number): number { return this.owner[slot]; }

  /** Make register r (already taken from the allocator) the cache of local i. */
  set(i: number, r: number): void {
    this.drop(i);
    const k = this.slot(i, r);
    this.reg[i] = r;
    this.owner[k] = i;
    this.use[k] = ++this.clock;
    this.cachedMask |= 1 << k;
  }

  /** Local i's value is now only in its cache register (local.set/tee). */
  markDirty(i: number): void { this.dirtyMask |= 1 << this.slot(i, this.reg[i]); }

  /** Local i has been written back (or its value is in memory anyway). */
  markClean(i: number): void { if (this.reg[i] >= 0) this.dirtyMask &= ~(1 << this.slot(i, this.reg[i])); }

  isDirty(i: number): boolean { return this.reg[i] >= 0 && (this.dirtyMask & (1 << this.slot(i, this.reg[i]))) !== 0; }

  /**
   * Forget local i's register and give it back to the allocator. No code: the caller has
   * written a dirty value back first, or the value is dead (local.set overwrites it, or the
   * position is a join/unreachable where I2 holds).
   */
  drop(i: number): void {
    const r = this.reg[i];
    if (r < 0) return;
    const xmm = isXmmType(this.types[i]), k = r + (xmm ? 16 : 0);
    this.reg[i] = NO_REG;
    this.dirtyMask &= ~(1 << k);
    this.cachedMask &= ~(1 << k);
    this.owner[k] = -1;
    this.ra.free(xmm, r);
  }

  /**
   * Forget local i's register without giving it back to the allocator: the caller hands it to
   * a value-stack entry (the local's old value, before a local.set). Returns it, or -1.
   */
  release(i: number): number {
    const r = this.reg[i];
    if (r < 0) return -1;
    const k = this.slot(i, r);
    this.reg[i] = NO_REG;
    this.dirtyMask &= ~(1 << k);
    this.owner[k] = -1;
    this.cachedMask &= ~(1 << k);
    return r;
  }

  /** Forget every cached local (after the caller wrote dirty ones back, or where I2 holds). */
  clear(): void {
    this.dirtyMask = 0;
    for (let m = this.cachedMask; m !== 0; m &= m - 1) this.drop(this.owner[lowestBit(m)]);
  }

  /**
   * The local to give up under pressure: the least recently used cache register of the class
   * whose bit (same indexing) is not in `pinned`; -1 if there is none. The caller writes it
   * back if dirty, then drops it.
   */
  victim(xmm: boolean, pinned: number): number {
    let best = -1, bestUse = 0;
    for (let m = this.cachedMask & ~pinned & (xmm ? 0xffff0000 : 0xffff); m !== 0; m &= m - 1) {
      const k = lowestBit(m);
      if (best < 0 || this.use[k] < bestUse) { best = k; bestUse = this.use[k]; }
    }
    return best < 0 ? -1 : this.owner[best];
  }

  /**
   * The current cache into `out` (in register order), leaving out cache register `skip` (slot
   * numbering, -1 none); each pair's dirty flag is the local's.
   */
  snapshot(out: CacheSnapshot, skip = -1): void {
    let n = 0;
    for (let m = skip < 0 ? this.cachedMask : this.cachedMask & ~(1 << skip); m !== 0; m &= m - 1) {
      const k = lowestBit(m), l = this.owner[k];
      out.dirty[n >> 1] = (this.dirtyMask >>> k) & 1;
      out.pairs[n++] = l; out.pairs[n++] = this.reg[l];
    }
    out.n = n;
    out.valid = true;
  }

  /**
   * An edge into a join leaves now: the first edge sets `join`, later ones keep only the pairs
   * they agree with. `from` (default: the current cache) is the state the edge carries.
   */
  merge(join: CacheSnapshot, from?: CacheSnapshot): void {
    if (!join.valid) {
      // Element loops, not set(subarray)/fill: a view object and two builtin calls per `if`'s end.
      if (from === undefined) this.snapshot(join);
      else { for (let k = 0; k < from.n; k++) join.pairs[k] = from.pairs[k]; join.n = from.n; join.valid = true; }
      for (let k = join.n >> 1; k-- > 0;) join.dirty[k] = 0; // these edges store their dirty locals (I2)
      return;
    }
    let n = 0;
    const p = join.pairs;
    for (let k = 0; k < join.n; k += 2) {
      const l = p[k], r = p[k + 1];
      if (from === undefined ? this.reg[l] === r : hasPair(from, l, r)) { p[n++] = l; p[n++] = r; }
    }
    join.n = n;
  }

  /**
   * After a join (the cache is empty and the registers free): cache the snapshot's pairs again.
   * `skipReg0Class` (0 GPR, 1 XMM, -1 none) leaves out register 0 of a class: a block value
   * arrived there on every edge.
   */
  restore(s: CacheSnapshot, skipReg0Class: number): void {
    for (let k = 0; k < s.n; k += 2) {
      const l = s.pairs[k], r = s.pairs[k + 1], xmm = isXmmType(this.types[l]);
      if (r === 0 && skipReg0Class === (xmm ? 1 : 0)) continue;
      if (this.reg[l] >= 0 || !this.ra.isFree(xmm, r)) {
        // A block join's dirty pair is the local's only current copy (every register is free
        // after a join: the values below the block's base are in their slots).
        if (s.dirty[k >> 1] !== 0) throw new Error(`local cache: join register ${r} of dirty local ${l} is taken`);
        continue;
      }
      this.ra.take(xmm, r);
      this.set(l, r);
      if (s.dirty[k >> 1] !== 0) this.markDirty(l);
    }
  }

  /**
   * An edge into a block's end leaves now (dirty locals may travel into a block's join in
   * registers, see CodeGen.blockEdge). The first edge fixes the join's pairs: the current cache
   * minus register `skip` (the block value's register), dirty flags included. A later edge keeps
   * the pairs it agrees with (marking them dirty if the local is dirty here), keeps the dirty ones
   * it disagrees with (it must bring the local into that register), and drops the other ones.
   */
  joinBlockEdge(join: CacheSnapshot, skip: number): void {
    if (!join.valid) { this.snapshot(join, skip); return; }
    let n = 0;
    const p = join.pairs, d = join.dirty;
    for (let k = 0; k < join.n; k += 2) {
      const l = p[k], r = p[k + 1];
      let dirty = d[k >> 1];
      if (this.reg[l] === r) { if (this.isDirty(l)) dirty = 1; }
      else if (dirty === 0) continue;
      d[n >> 1] = dirty; p[n++] = l; p[n++] = r;
    }
    join.n = n;
  }

  /**
   * The edge into a block's end from here needs no code: joinBlockEdge would leave every dirty
   * local in its current register and find every dirty pair in place.
   */
  blockEdgeFree(join: CacheSnapshot, skip: number): boolean {
    if (!join.valid) return skip < 0 || (this.dirtyMask & (1 << skip)) === 0;
    const p = join.pairs;
    let carried = 0; // the dirty locals' cache registers that stay where the join wants them
    for (let k = 0; k < join.n; k += 2) {
      const l = p[k], r = p[k + 1];
      if (this.reg[l] === r) carried |= 1 << this.slot(l, r);
      else if (join.dirty[k >> 1] !== 0) return false;
    }
    return (this.dirtyMask & ~carried) === 0;
  }

  /** The pair index (k/2) of local l in s, or -1. */
  pairOf(s: CacheSnapshot, l: number): number {
    for (let k = 0; k < s.n; k += 2) if (s.pairs[k] === l) return k >> 1;
    return -1;
  }

  /** Loop header: the header's cached locals may arrive dirty on back edges (I3). */
  markAllDirty(): void {
    this.dirtyMask |= this.cachedMask;
  }

  /** Some local of snapshot s is not in its snapshot register now. */
  differs(s: CacheSnapshot): boolean {
    for (let k = 0; k < s.n; k += 2) if (this.reg[s.pairs[k]] !== s.pairs[k + 1]) return true;
    return false;
  }
}

function hasPair(s: CacheSnapshot, l: number, r: number): boolean {
  for (let j = 0; j < s.n; j += 2) if (s.pairs[j] === l && s.pairs[j + 1] === r) return true;
  return false;
}
