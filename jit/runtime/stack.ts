// A wasm stack: its own mapping with a PROT_NONE guard at the low end. Compiled code runs here
// (entered through kwasm_enter), so a runaway recursion faults on the guard (or fails the
// prologue's stack-limit check first) instead of overrunning Node's stack.
import { wordsOf } from '../bytes.js';
import { mmapAnon, munmap, mprotect, view, PROT, MAP, PAGE_SIZE } from './libc.js';
import { STACK_MARGIN } from '../../abi/calling-convention.js';

export const DEFAULT_STACK_SIZE = 1 << 20;
const STACK_GUARD = 64 * 1024;

const registry = new FinalizationRegistry<[bigint, bigint]>(([a, n]) => { try { munmap(a, n); } catch { /* teardown */ } });

export class WasmStack {
  /** lowest mapped address (start of the guard) */
  readonly base: bigint;
  readonly mapSize: bigint;
  /** initial rsp (16-aligned, top of the usable area) */
  readonly top: bigint;
  /** [guardLo, guardHi) is PROT_NONE */
  readonly guardLo: bigint;
  readonly guardHi: bigint;
  /** lowest rsp the prologue check allows: guard end + STACK_MARGIN for stubs */
  readonly limit: bigint;
  /** bytes between `limit` and `top`: what entry slots may take (jit/runtime/slots.ts) */
  readonly entryRoom: number;
  private disposed = false;
  private usableView: Buffer | null = null;
  private usableDv: DataView | null = null;

  constructor(size = DEFAULT_STACK_SIZE) {
    const usable = BigInt(Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    this.mapSize = usable + BigInt(STACK_GUARD);
    this.base = mmapAnon(this.mapSize, PROT.READ | PROT.WRITE, MAP.NORESERVE | MAP.STACK);
    mprotect(this.base, BigInt(STACK_GUARD), PROT.NONE);
    this.guardLo = this.base;
    this.guardHi = this.base + BigInt(STACK_GUARD);
    this.top = this.base + this.mapSize;
    this.limit = this.guardHi + BigInt(STACK_MARGIN);
    this.entryRoom = Number(this.top - this.limit);
    registry.register(this, [this.base, this.mapSize], this);
  }

  /**
   * The usable part [guardHi, top) as a zero-copy Buffer: where the host reads and writes call
   * slots in place (jit/runtime/slots.ts). Offset = address - guardHi.
   */
  get usable(): Buffer {
    if (this.disposed) throw new Error('wasm stack is disposed');
    if (this.usableView === null) this.usableView = view(this.guardHi, Number(this.top - this.guardHi));
    return this.usableView;
  }

  /** `usable`'s little-endian words (jit/bytes.ts wordsOf). */
  get usableWords(): DataView {
    return (this.usableDv ??= wordsOf(this.usable));
  }

  dispose(): void {
    if (this.disposed) return;
    this.usableView = null;
    this.usableDv = null;
    this.disposed = true;
    registry.unregister(this);
    munmap(this.base, this.mapSize);
  }
}
