// The core of the encoder: prefixes, REX, opcode, ModRM/SIB/displacement,
// plus the label bookkeeping that RIP-relative operands and branches need.
// Every instruction of the Assembler is one call into `rr` or `rm` (or a few
// direct byte stores), so these two functions are the hot path.
//
// Packed arguments keep the call signatures short and allocation-free:
// - `pfx`: 0, one legacy/mandatory prefix byte (0x66, 0xF2, 0xF3), or two
//   packed as 0x66F3 (emitted high byte first: 66 before the mandatory F3).
// - `opc`: the opcode bytes packed big-endian: 0x8B, 0x0FAF, 0x0F3A0B.
//   One-byte opcodes are < 0x100 and every longer one starts with 0F, so the
//   packed value alone tells the length.
// - `flags`: REX.W and "this operand is a byte register" (registers 4..7 then
//   need a REX prefix to mean spl/bpl/sil/dil instead of ah/ch/dh/bh).
import { CodeBuffer } from './code-buffer.js';
import { grow32, objectArray } from './arrays.js';
import { Mem, NO_BASE, NO_INDEX, NO_LABEL, RIP } from './operands.js';
import type { Label } from './labels.js';

export const W = 1;       // REX.W
export const BYTE_REG = 2; // the ModRM.reg operand is an 8-bit register
export const BYTE_RM = 4;  // the ModRM.rm operand is an 8-bit register

/** Fixup kinds: how many bytes the patched field has. */
const FIX_REL8 = 1;
const FIX_REL32 = 4;

/**
 * The error for a label id this Encoder never made. Its message is built here, not in a template
 * literal at each check: TurboFan computed `${label}` (Builtins_NumberToString) on the taken
 * path of branchField's check, inlined into every branch emitter (~0.2% of a ruby compile).
 */
function unknownLabel(label: number): Error {
  return new Error('unknown label ' + String(label));
}

export class Encoder extends CodeBuffer {
  // Labels and pending fixups live in typed arrays with explicit counts (grown by doubling, never
  // shrunk): a function makes ~30 labels and gives them back (releaseLabels), and plain arrays
  // cut back with `length = n` and pushed again had V8 trim and regrow their backing stores.
  /** number of labels; ids [0, labelCount) are valid */
  protected labelCount = 0;
  // label id -> bound offset, or -1
  protected labelPos = new Int32Array(256);
  // label id -> head of its pending fixup list (index into fix* arrays), or -1
  protected labelHead = new Int32Array(256);
  // label id -> name; entries from labelCount up are stale (newLabel overwrites them)
  protected labelName = objectArray<string | undefined>();
  // pending fixups as a struct of arrays (no per-fixup objects); slots [0, fixCount) are in use
  // or on the free list
  private fixAt = new Int32Array(64);   // offset of the field to patch
  private fixEnd = new Int32Array(64);  // offset the displacement is relative to (end of instruction)
  private fixSize = new Int32Array(64); // FIX_REL8 or FIX_REL32
  // the addend the rel32 field holds (RIP-relative `[label + addend]`, jump tables; 0 for jumps),
  // kept here too so that bind() only writes the field: a read of code written long before
  // missed the cache (~1/3 of bind's time), a store does not wait
  private fixAdd = new Int32Array(64);
  private fixNext = new Int32Array(64);
  private fixCount = 0;
  private fixFree = -1;           // free list of recycled fixup slots
  private pendingFixups = 0;
  // Named labels given up by releaseLabels, in label order, for the disassembler: their offsets
  // and names, a name as its index in relNames (ruby releases ~90k, all with one of a few names:
  // stack_check, trapN). Typed arrays grown by doubling: two plain arrays pushed to grew in
  // large-object space, reallocated and hole-filled ~25 times each per compile (~2.5% of it).
  private relOffsets = new Int32Array(256);
  private relNameIds = new Int32Array(256);
  private relCount = 0;
  private relNames = objectArray<string>();
  private relNameId = new Map<string, number>();

  constructor(initial?: number | Uint8Array) {
    super(initial);
    // grown later: stored twice so V8 never takes them for constants (jit/frontend/reader.ts, GROWN_FIELDS)
    this.labelPos = new Int32Array(256); this.labelHead = new Int32Array(256);
    this.fixAt = new Int32Array(64); this.fixEnd = new Int32Array(64);
    this.fixSize = new Int32Array(64); this.fixNext = new Int32Array(64); this.fixAdd = new Int32Array(64);
    this.relOffsets = new Int32Array(256); this.relNameIds = new Int32Array(256);
  }

  /**
   * Resets code and labels so that one Assembler (and its buffer) can be reused. Labels
   * [0, keepLabels) stay (unbound, no name): ids the caller reserved, such as every function's
   * label for a part (compile-range.ts), without pushing tens of thousands of them again.
   */
  protected resetEncoder(keepLabels = 0): void {
    this.pos = 0;
    const keep = Math.min(keepLabels, this.labelCount);
    this.labelCount = keep;
    this.labelPos.fill(-1, 0, keep);
    this.labelHead.fill(-1, 0, keep);
    this.labelName.length = keep;
    this.labelName.fill(undefined);
    this.relCount = 0;
    this.fixCount = 0;
    this.fixFree = -1;
    this.pendingFixups = 0;
  }

  /** Label `label` exists (was made by newLabel and not given up). */
  protected isLabel(label: number): boolean {
    return label >= 0 && label < this.labelCount;
  }

  /** A fresh, unbound label. The optional name is shown by the disassembler. */
  newLabel(name?: string): Label {
    const id = this.labelCount;
    if (id === this.labelPos.length) {
      this.labelPos = grow32(this.labelPos, id);
      this.labelHead = grow32(this.labelHead, id);
    }
    this.labelPos[id] = -1;
    this.labelHead[id] = -1;
    if (id < this.labelName.length) this.labelName[id] = name;
    else this.labelName.push(name);
    this.labelCount = id + 1;
    return id as Label;
  }

  /** The id of the next new label: give it to releaseLabels once the labels made after it are done with. */
  labelMark(): number {
    return this.labelCount;
  }

  /**
   * Gives up the labels made since `mark` that are bound (nothing refers to them any more: a
   * reference to a bound label is patched at once), from the newest down to the first one still
   * unbound (a constant pool entry made meanwhile), so new labels reuse their ids. One function's
   * block and trap labels, once it is compiled: the label arrays stay the size of one function
   * instead of growing by ~30 entries per function (583k labels for ruby, arrays of megabytes,
   * reallocated as they grow). Their names stay for the disassembler (finish, finishPart).
   */
  releaseLabels(mark: number): void {
    const pos = this.labelPos, names = this.labelName, n = this.labelCount;
    let cut = n;
    while (cut > mark && pos[cut - 1] >= 0) cut--;
    for (let l = cut; l < n; l++) {
      const name = names[l];
      if (name !== undefined) { this.releaseName(pos[l], name); names[l] = undefined; }
    }
    this.labelCount = cut;
  }

  /** Records a released label's name at its offset (releaseLabels). */
  private releaseName(offset: number, name: string): void {
    let id = this.relNameId.get(name);
    if (id === undefined) {
      id = this.relNames.length;
      this.relNames.push(name);
      this.relNameId.set(name, id);
    }
    const n = this.relCount;
    if (n === this.relOffsets.length) { this.relOffsets = grow32(this.relOffsets, n); this.relNameIds = grow32(this.relNameIds, n); }
    this.relOffsets[n] = offset;
    this.relNameIds[n] = id;
    this.relCount = n + 1;
  }

  isBound(label: Label): boolean {
    return this.isLabel(label) && this.labelPos[label] >= 0;
  }

  /** The bound offset of a label (throws when unbound). */
  labelOffset(label: Label): number {
    if (!this.isLabel(label) || this.labelPos[label] < 0) throw new Error(`label ${label} is not bound`);
    return this.labelPos[label];
  }

  /** Binds `label` to the current offset and patches every pending reference to it. */
  bind(label: Label): void {
    this.bindAt(label, this.pos);
  }

  protected bindAt(label: Label, target: number): void {
    if (!this.isLabel(label)) throw unknownLabel(label);
    if (this.labelPos[label] >= 0) throw new Error(`label ${this.labelName[label] ?? label} bound twice`);
    this.labelPos[label] = target;
    const fixAt = this.fixAt, fixEnd = this.fixEnd, fixSize = this.fixSize, fixNext = this.fixNext, fixAdd = this.fixAdd;
    for (let f = this.labelHead[label]; f >= 0;) {
      const at = fixAt[f];
      const rel = target - fixEnd[f];
      if (fixSize[f] === FIX_REL8) {
        if (rel < -128 || rel > 127) {
          throw new RangeError(`short jump to label ${this.labelName[label] ?? label} out of range (${rel}); use the rel32 form`);
        }
        this.patch8(at, rel);
      } else {
        // The field holds the addend (RIP-relative `[label + addend]`); jumps store 0.
        this.patch32(at, (fixAdd[f] + rel) | 0);
      }
      const next = fixNext[f];
      fixNext[f] = this.fixFree;
      this.fixFree = f;
      this.pendingFixups--;
      f = next;
    }
    this.labelHead[label] = -1;
  }

  /** Records that the `size`-byte field at `at`, which holds `addend` (0 for rel8), must become
   *  `label - end + addend` once bound. */
  protected addFixup(label: number, at: number, end: number, size: number, addend: number): void {
    if (!this.isLabel(label)) throw unknownLabel(label);
    let f = this.fixFree;
    if (f >= 0) {
      this.fixFree = this.fixNext[f];
    } else {
      f = this.fixCount++;
      if (f === this.fixAt.length) {
        this.fixAt = grow32(this.fixAt, f); this.fixEnd = grow32(this.fixEnd, f);
        this.fixSize = grow32(this.fixSize, f); this.fixNext = grow32(this.fixNext, f); this.fixAdd = grow32(this.fixAdd, f);
      }
    }
    this.fixAt[f] = at; this.fixEnd[f] = end; this.fixSize[f] = size; this.fixAdd[f] = addend; this.fixNext[f] = this.labelHead[label];
    this.labelHead[label] = f;
    this.pendingFixups++;
  }

  /** Binds `label` to an offset already written (code appended from a part, see Assembler.appendPart). */
  bindOffset(label: Label, offset: number): void {
    this.bindAt(label, offset);
  }

  /**
   * A reference to `label` from a field already written (code appended from a part): patched
   * now when the label is bound, else when it is. Same arithmetic as a reference emitted here.
   */
  protected linkField(label: Label, at: number, end: number, size: number): void {
    if (!this.isLabel(label)) throw unknownLabel(label);
    const target = this.labelPos[label];
    if (target < 0) { this.addFixup(label, at, end, size, size === FIX_REL8 ? 0 : this.read32(at)); return; }
    const rel = target - end;
    if (size === FIX_REL8) {
      if (rel < -128 || rel > 127) throw new RangeError(`short jump to label ${this.labelName[label] ?? label} out of range (${rel})`);
      this.patch8(at, rel);
    } else {
      this.patch32(at, (this.read32(at) + rel) | 0);
    }
  }

  /** Every pending reference, flattened as (label, field offset, end offset, field size) quadruples. */
  protected pendingFixupList(): Int32Array {
    const out = new Int32Array(4 * this.pendingFixups);
    let k = 0;
    for (let l = 0; l < this.labelCount; l++) {
      for (let f = this.labelHead[l]; f >= 0; f = this.fixNext[f]) {
        out[k++] = l; out[k++] = this.fixAt[f]; out[k++] = this.fixEnd[f]; out[k++] = this.fixSize[f];
      }
    }
    return out;
  }

  /** Offset of every label, -1 for those never bound (a copy). */
  protected labelOffsets(): Int32Array {
    return this.labelPos.slice(0, this.labelCount);
  }

  /**
   * Offset and name of every named label bound so far: the labels still held, in label order,
   * then the released ones (releaseLabels). No two of them share an offset in compiled code (a
   * named label has code or data after it; a function's label starts its prologue).
   */
  protected boundNames(): { offsets: Int32Array; names: string[] } {
    const offsets: number[] = [], names: string[] = [];
    for (let l = 0; l < this.labelCount; l++) {
      const n = this.labelName[l];
      if (n !== undefined && this.labelPos[l] >= 0) { offsets.push(this.labelPos[l]); names.push(n); }
    }
    for (let i = 0; i < this.relCount; i++) { offsets.push(this.relOffsets[i]); names.push(this.relNames[this.relNameIds[i]]); }
    return { offsets: Int32Array.from(offsets), names };
  }

  /**
   * What boundNames lists, as a function that builds the offset -> name map (the first name of
   * an offset wins) when first called. Only a disassembler reads it, and a large module has a
   * name for every function and for its trap and stack-check labels (ruby: ~90k entries, ~3% of
   * its compile when built eagerly). The released names are handed over (this Encoder is done:
   * finish); the held ones are copied with the offsets the caller took.
   */
  protected nameMapBuilder(labelOffsets: Int32Array): () => Map<number, string> {
    const held = this.labelName.slice(0, this.labelCount);
    const relOffsets = this.relOffsets, relIds = this.relNameIds, relNames = this.relNames, relCount = this.relCount;
    this.relOffsets = new Int32Array(256);
    this.relNameIds = new Int32Array(256);
    this.relCount = 0;
    this.relNames = objectArray<string>();
    this.relNameId = new Map();
    let map: Map<number, string> | undefined;
    return () => {
      if (map !== undefined) return map;
      map = new Map();
      const add = (offset: number, name: string): void => { if (!map!.has(offset)) map!.set(offset, name); };
      for (let l = 0; l < held.length; l++) {
        const n = held[l];
        if (n !== undefined && labelOffsets[l] >= 0) add(labelOffsets[l], n);
      }
      for (let i = 0; i < relCount; i++) add(relOffsets[i], relNames[relIds[i]]);
      return map;
    };
  }

  /** Throws if some referenced label was never bound. */
  protected checkAllBound(): void {
    if (this.pendingFixups === 0) return;
    const names: string[] = [];
    for (let l = 0; l < this.labelCount; l++) if (this.labelHead[l] >= 0) names.push(this.labelName[l] ?? String(l));
    throw new Error(`labels referenced but never bound: ${names.join(', ')}`);
  }

  /** Writes a branch displacement field (rel8 or rel32) ending at `end` towards `label`. */
  protected branchField(label: Label, size: number): void {
    const at = this.pos;
    const end = at + size;
    if (!this.isLabel(label)) throw unknownLabel(label);
    const target = this.labelPos[label];
    if (target >= 0) {
      const rel = target - end;
      if (size === FIX_REL8) {
        if (rel < -128 || rel > 127) throw new RangeError(`short jump out of range (${rel})`);
        this.buf[at] = rel;
      } else {
        this.patch32(at, rel);
      }
    } else {
      if (size === FIX_REL8) this.buf[at] = 0;
      else this.patch32(at, 0);
      this.addFixup(label, at, end, size, 0);
    }
    this.pos = end;
  }

  // ---- instruction skeletons -------------------------------------------------

  /** Writes prefixes, REX (if needed) and opcode; returns the new write position. */
  private head(p: number, pfx: number, opc: number, rex: number, forceRex: boolean): number {
    const b = this.buf;
    if (pfx !== 0) {
      if (pfx > 0xff) b[p++] = pfx >>> 8;
      b[p++] = pfx & 0xff;
    }
    if (rex !== 0 || forceRex) b[p++] = 0x40 | rex;
    if (opc > 0xffff) { b[p++] = opc >>> 16; b[p++] = (opc >>> 8) & 0xff; }
    else if (opc > 0xff) b[p++] = opc >>> 8;
    b[p++] = opc & 0xff;
    return p;
  }

  /** `opc /r` with a register in ModRM.rm (mod = 11). `reg` may be an opcode extension. */
  rr(pfx: number, opc: number, flags: number, reg: number, rm: number): void {
    this.ensure(16);
    const rex = ((flags & W) << 3) | ((reg & 8) >> 1) | ((rm & 8) >> 3);
    // spl/bpl/sil/dil exist only with a REX prefix (without one, 4..7 are ah/ch/dh/bh).
    const force = ((flags & BYTE_REG) !== 0 && reg >= 4 && reg < 8) || ((flags & BYTE_RM) !== 0 && rm >= 4 && rm < 8);
    let p = this.head(this.pos, pfx, opc, rex, force);
    this.buf[p++] = 0xc0 | ((reg & 7) << 3) | (rm & 7);
    this.pos = p;
  }

  /**
   * `opc /r` with a memory operand. `trailing` is the number of immediate bytes
   * the caller writes after this call: a RIP-relative displacement is relative
   * to the end of the whole instruction, immediate included.
   */
  rm(pfx: number, opc: number, flags: number, reg: number, m: Mem, trailing: number): void {
    const base = m.base, index = m.index;
    // The dominant shape (frame slots [rbp + disp], vmctx fields [r15 + disp], globals): no
    // prefix, a one-byte opcode, a base register and no index or SIB byte. Same bytes as below.
    if (pfx === 0 && opc < 0x100 && index === NO_INDEX && base >= 0 && base < 16 && (base & 7) !== 4) {
      this.rmBaseDisp(opc, flags, reg, base, m.disp);
      return;
    }
    this.rmAny(pfx, opc, flags, reg, m, trailing);
  }

  /** rm for every operand shape (kept apart so that rm is small enough to inline at its callers). */
  private rmAny(pfx: number, opc: number, flags: number, reg: number, m: Mem, trailing: number): void {
    const base = m.base, index = m.index;
    // Wasm memory accesses, `[r14 + index + offset]`, are ~80% of what comes here (ruby: 500k
    // of 615k): the SIB form without prefix or a long opcode, written without head().
    if (pfx === 0 && opc < 0x100 && index !== NO_INDEX && base >= 0 && base < 16) {
      this.rmBaseIndex(opc, flags, reg, base, index, m.shift, m.disp);
      return;
    }
    this.ensure(16);
    let rex = ((flags & W) << 3) | ((reg & 8) >> 1);
    if (index !== NO_INDEX) rex |= (index & 8) >> 2;
    if (base >= 0 && base < 16) rex |= (base & 8) >> 3;
    const force = (flags & BYTE_REG) !== 0 && reg >= 4 && reg < 8;
    let p = this.head(this.pos, pfx, opc, rex, force);
    const b = this.buf;
    const r = (reg & 7) << 3;
    const disp = m.disp;
    if (base === RIP) {
      // mod=00 rm=101 is RIP-relative in 64-bit mode.
      b[p++] = r | 5;
      const end = p + 4 + trailing;
      if (m.label === NO_LABEL) {
        this.pos = p;
        this.patch32(p, disp);
      } else {
        if (!this.isLabel(m.label)) throw unknownLabel(m.label);
        const target = this.labelPos[m.label];
        if (target >= 0) {
          this.patch32(p, target + disp - end);
        } else {
          this.patch32(p, disp); // the addend waits in the field until bind()
          this.addFixup(m.label, p, end, FIX_REL32, disp);
        }
      }
      this.pos = p + 4;
      return;
    }
    if (base === NO_BASE) {
      // mod=00 rm=100 SIB base=101: no base, disp32 (plain [disp32] needs the SIB form
      // because rm=101 alone means RIP-relative).
      b[p++] = r | 4;
      b[p++] = (m.shift << 6) | ((index === NO_INDEX ? 4 : index & 7) << 3) | 5;
      b[p++] = disp; b[p++] = disp >> 8; b[p++] = disp >> 16; b[p++] = disp >> 24;
      this.pos = p;
      return;
    }
    const lo = base & 7;
    // rbp/r13 (lo = 5) cannot use mod=00 (that slot means disp32/RIP), so they take a disp8 of 0.
    const mod = disp === 0 && lo !== 5 ? 0x00 : disp >= -128 && disp <= 127 ? 0x40 : 0x80;
    if (index === NO_INDEX && lo !== 4) {
      b[p++] = mod | r | lo;
    } else {
      // rsp/r12 (lo = 4) as base need a SIB byte: rm=100 means "SIB follows".
      b[p++] = mod | r | 4;
      b[p++] = (m.shift << 6) | ((index === NO_INDEX ? 4 : index & 7) << 3) | lo;
    }
    if (mod === 0x40) b[p++] = disp;
    else if (mod === 0x80) { b[p++] = disp; b[p++] = disp >> 8; b[p++] = disp >> 16; b[p++] = disp >> 24; }
    this.pos = p;
  }

  /** rm's common case: `opc /r` with `[base + disp]`, base not rsp/r12 (no SIB), no prefix, one-byte opc. */
  private rmBaseDisp(opc: number, flags: number, reg: number, base: number, disp: number): void {
    this.ensure(16);
    const b = this.buf;
    let p = this.pos;
    const rex = ((flags & W) << 3) | ((reg & 8) >> 1) | ((base & 8) >> 3);
    if (rex !== 0 || ((flags & BYTE_REG) !== 0 && reg >= 4 && reg < 8)) b[p++] = 0x40 | rex;
    b[p++] = opc;
    const modrm = ((reg & 7) << 3) | (base & 7);
    if (disp === 0 && (base & 7) !== 5) { b[p++] = modrm; }
    else if (disp >= -128 && disp <= 127) { b[p++] = 0x40 | modrm; b[p++] = disp; }
    else { b[p++] = 0x80 | modrm; b[p++] = disp; b[p++] = disp >> 8; b[p++] = disp >> 16; b[p++] = disp >> 24; }
    this.pos = p;
  }

  /** rmAny's common case: `opc /r` with `[base + index*scale + disp]` (a SIB byte), no prefix, one-byte opc. */
  private rmBaseIndex(opc: number, flags: number, reg: number, base: number, index: number, shift: number, disp: number): void {
    this.ensure(16);
    const b = this.buf;
    let p = this.pos;
    const rex = ((flags & W) << 3) | ((reg & 8) >> 1) | ((index & 8) >> 2) | ((base & 8) >> 3);
    if (rex !== 0 || ((flags & BYTE_REG) !== 0 && reg >= 4 && reg < 8)) b[p++] = 0x40 | rex;
    b[p++] = opc;
    const modrm = ((reg & 7) << 3) | 4, sib = (shift << 6) | ((index & 7) << 3) | (base & 7);
    // rbp/r13 (base & 7 = 5) as SIB base cannot use mod=00 (that means no base): a disp8 of 0.
    if (disp === 0 && (base & 7) !== 5) { b[p++] = modrm; b[p++] = sib; }
    else if (disp >= -128 && disp <= 127) { b[p++] = 0x40 | modrm; b[p++] = sib; b[p++] = disp; }
    else { b[p++] = 0x80 | modrm; b[p++] = sib; b[p++] = disp; b[p++] = disp >> 8; b[p++] = disp >> 16; b[p++] = disp >> 24; }
    this.pos = p;
  }

  /** `opc+reg` short forms (push/pop/bswap/mov-imm/xchg-accumulator). */
  ro(pfx: number, opc: number, flags: number, reg: number): void {
    this.ensure(16);
    const rex = ((flags & W) << 3) | ((reg & 8) >> 3);
    const force = (flags & BYTE_RM) !== 0 && reg >= 4 && reg < 8;
    this.pos = this.head(this.pos, pfx, opc + (reg & 7), rex, force);
  }

  /** Opcode bytes only (no ModRM). */
  op(pfx: number, opc: number, flags: number): void {
    this.ensure(16);
    this.pos = this.head(this.pos, pfx, opc, (flags & W) << 3, false);
  }

  /** Immediate of 1, 2 or 4 bytes (truncating two's complement). */
  imm(v: number, bytes: number): void {
    const b = this.buf;
    let p = this.pos;
    b[p++] = v;
    if (bytes > 1) { b[p++] = v >> 8; if (bytes > 2) { b[p++] = v >> 16; b[p++] = v >> 24; } }
    this.pos = p;
  }
}
