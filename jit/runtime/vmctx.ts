// Allocating and viewing a vmctx (layout: abi/vmctx.ts). It lives in its own mmap'd pages so its
// address is known and stable, and JS reads/writes it through one zero-copy Buffer: passing
// arguments or reading results costs no ffi crossing.
import { mmapAnon, munmap, view, PROT, PAGE_SIZE } from './libc.js';
import { VMCTX, VMCTX_SIZE, VMCTX_LAYOUT, type VmctxFieldName } from '../../abi/vmctx.js';
import { native } from './native.js';
import { wordsOf } from '../bytes.js';

const registry = new FinalizationRegistry<[bigint, bigint]>(([a, n]) => { try { munmap(a, n); } catch { /* teardown */ } });
const SIZES = Object.fromEntries(VMCTX_LAYOUT.map((f) => [f.name, f.size])) as Record<VmctxFieldName, number>;

export class Vmctx {
  readonly addr: bigint;
  /** the whole vmctx plus `extraBytes` of trailing storage (globals etc.) */
  readonly buf: Buffer;
  /** `buf`'s little-endian words (jit/bytes.ts wordsOf) */
  readonly words: DataView;
  readonly extraOffset = VMCTX_SIZE;
  private readonly mapSize: bigint;
  private disposed = false;

  constructor(extraBytes = 0) {
    const bytes = Math.ceil((VMCTX_SIZE + extraBytes) / PAGE_SIZE) * PAGE_SIZE;
    this.mapSize = BigInt(bytes);
    this.addr = mmapAnon(this.mapSize, PROT.READ | PROT.WRITE);
    this.buf = view(this.addr, bytes);
    this.words = wordsOf(this.buf);
    registry.register(this, [this.addr, this.mapSize], this);
    const n = native();
    n.trapStubs.forEach((s, k) => this.words.setBigUint64(VMCTX.trapStubs + 8 * k, s, true));
    this.set('hostCallStub', n.addr.hostCallStub);
  }

  get(field: VmctxFieldName): bigint {
    return SIZES[field] === 8 ? this.words.getBigUint64(VMCTX[field], true) : BigInt(this.words.getUint32(VMCTX[field], true));
  }
  get32(field: VmctxFieldName): number {
    return this.words.getUint32(VMCTX[field], true);
  }
  set(field: VmctxFieldName, v: bigint | number): void {
    if (SIZES[field] === 8) this.words.setBigUint64(VMCTX[field], BigInt.asUintN(64, BigInt(v)), true);
    else this.words.setUint32(VMCTX[field], Number(v) >>> 0, true);
  }

  /** Address of the trailing storage at byte `off`. */
  extraAddress(off: number): bigint {
    return this.addr + BigInt(VMCTX_SIZE + off);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    registry.unregister(this);
    munmap(this.addr, this.mapSize);
  }
}
