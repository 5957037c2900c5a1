// A look ahead over a small loop body, before its header is emitted: which locals it reads or
// writes (first use first). A single-pass compiler fixes a loop's entry state at the header
// (every back edge conforms to it), so all it can do is choose that state well: the header then
// caches the locals the body uses (CodeGen.cacheForLoop), and the body neither reloads a local on
// every iteration nor stores one it sets on every back edge. Only bodies up to MAX_SCAN_BYTES
// without calls are scanned (a call clears the cache anyway), so the extra decoding stays a
// small, bounded part of compile time; anything else (a longer body, bytes that do not decode)
// answers "unknown" and the header keeps the cache it has.
import { InstrReader } from '../frontend/instr-reader.js';
import { Reader } from '../frontend/reader.js';
import { CompileError } from '../errors.js';

/** Loop bodies longer than this are not scanned (hot inner loops are short). */
const MAX_SCAN_BYTES = 512;
/** At most this many locals are reported (more than the registers they could get). */
const MAX_LOCALS = 24;
const OP_BLOCK = 0x02, OP_LOOP = 0x03, OP_IF = 0x04, OP_END = 0x0b, OP_CALL = 0x10, OP_CALL_INDIRECT = 0x11;
const OP_LOCAL_GET = 0x20, OP_LOCAL_TEE = 0x22, OP_NOP = 0x01;
/** unreachable (0x00) .. return_call_indirect (0x13): control instructions and calls */
const OP_LAST_CONTROL = 0x13;

export class LoopScan {
  private reader: InstrReader | null = null;
  /** The locals the body uses, in first-use order, valid up to `n`. */
  readonly locals = new Int32Array(MAX_LOCALS);
  n = 0;
  private seen = new Uint8Array(64);

  constructor() {
    this.seen = new Uint8Array(64); // grown later: stored twice so V8 never takes it for a constant (reader.ts, GROWN_FIELDS)
  }

  /**
   * Scan the loop body starting at `ir`'s position (right after the `loop` instruction) up to
   * its `end`. False when the body is too long, makes a call or does not decode (the compiler
   * reports malformed bytes when it gets there).
   */
  scan(ir: InstrReader, numLocals: number): boolean {
    const r = ir.r, s = this.readerFor(ir);
    // The reader gets the whole rest of the body and the loop stops at the byte limit: a window
    // cut at the limit made an instruction across it throw (a CompileError, stack trace and
    // all, caught below) in every long body. The answers are the same.
    s.reset(r.pos, r.end, r.funcIndex);
    const limit = Math.min(r.end, r.pos + MAX_SCAN_BYTES);
    if (this.seen.length < numLocals) this.seen = new Uint8Array(numLocals);
    else this.seen.fill(0, 0, numLocals);
    this.n = 0;
    let depth = 0;
    try {
      while (s.pos < limit) {
        const op = s.next();
        if (s.pos > limit) return false; // an instruction across the limit: the body is too long
        if (op === OP_BLOCK || op === OP_LOOP || op === OP_IF) depth++;
        else if (op === OP_END) { if (depth-- === 0) return true; }
        else if (op === OP_CALL || op === OP_CALL_INDIRECT) return false;
        else if (op >= OP_LOCAL_GET && op <= OP_LOCAL_TEE) {
          const l = s.index >>> 0; // not validated yet: a u32 as int32 (InstrReader)
          if (l < numLocals && this.seen[l] === 0) {
            this.seen[l] = 1;
            if (this.n < MAX_LOCALS) this.locals[this.n++] = l;
          }
        }
      }
    } catch (e) {
      if (e instanceof CompileError) return false;
      throw e;
    }
    return false;
  }

  /**
   * Whether every iteration of the loop starting at `ir`'s position calls a function defined in
   * this module before it can branch anywhere: the straight-line code up to that call holds no
   * block, branch, return or indirect/imported call. Such a callee's prologue compares rsp with
   * stackLimit, the check the runtime's interrupt relies on, so the loop header needs none of
   * its own (fib's `loop { fib(n - 1); ... br_if }`). False when unsure.
   */
  callsFirst(ir: InstrReader, numImportedFuncs: number): boolean {
    const s = this.readerFor(ir);
    s.reset(ir.r.pos, ir.r.end, ir.r.funcIndex); // (as in scan)
    const limit = Math.min(ir.r.end, ir.r.pos + MAX_SCAN_BYTES);
    try {
      while (s.pos < limit) {
        const op = s.next();
        if (s.pos > limit) return false; // (as in scan)
        if (op === OP_CALL) return s.index >= numImportedFuncs;
        if (op <= OP_LAST_CONTROL && op !== OP_NOP) return false; // unreachable, blocks, branches, return, call_indirect
      }
    } catch (e) {
      if (e instanceof CompileError) return false;
      throw e;
    }
    return false;
  }

  private readerFor(ir: InstrReader): InstrReader {
    const b = ir.r.buf;
    if (this.reader === null || this.reader.r.buf !== b) this.reader = new InstrReader(new Reader(b));
    return this.reader;
  }
}
