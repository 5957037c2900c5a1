// User-space fast path for wasi fd_write, fd_read, sock_recv and sock_send (docs/runtime.md
// "Native WASI fast path"): a per-instance table in native memory that the .so's fast host-call stub
// (trampolines.ts) reads. Installing it points the instance's vmctx.hostCallStub at the fast
// stub; compiled code is unchanged.
//
// The table mirrors the guest fds that may be served natively: streams and sockets (host offset,
// so no position to keep), each with its FAST_FD bits (rights, socket, the guest's
// FDFLAGS_NONBLOCK). The native side never changes it, so the mirror is
// push-only: jit/instance/native-wasi.ts calls `setFds` after every call served in JS that may
// change the fd table (fd_close, renumber, rights changes happen only there), before the wasm
// continues.
import { constants } from 'node:os';
import { native } from './native.js';
import { mmapAnon, munmap, view, PROT, PAGE_SIZE } from './libc.js';
import { FAST_TABLE, FAST_TABLE_SIZE, FAST_PAIRS, FAST_OP_NAMES, SO_DATA, type FastOp } from './trampolines.js';
export { FAST_FD, type FastOp } from './trampolines.js';
import type { Vmctx } from './vmctx.js';

const NO_IMPORT = 0xffffffff;

export class FastFdWrite {
  private readonly addr: bigint;
  private readonly buf: Buffer;
  private bytes: bigint;
  private readonly previousStub: bigint;
  private pairAt = -1;

  /**
   * @param imports the function import index bound to each op's wasi function (with its exact
   *   type), -1 for one not imported
   * @param errnoOf Linux errno name ("EPIPE") -> WASI errno, the mapping JS uses (a failed
   *   syscall is answered natively)
   */
  constructor(private readonly vmctx: Vmctx, imports: Record<FastOp, number>, errnoOf: (code: string) => number) {
    const size = Math.ceil(FAST_TABLE_SIZE / PAGE_SIZE) * PAGE_SIZE;
    this.bytes = BigInt(size);
    this.addr = mmapAnon(this.bytes, PROT.READ | PROT.WRITE);
    this.buf = view(this.addr, size);
    const b = this.buf;
    FAST_OP_NAMES.forEach((op, i) => b.writeUInt32LE(imports[op] < 0 ? NO_IMPORT : imports[op], FAST_TABLE.imports + 4 * i));
    this.setFds([]);
    b.fill(errnoOf('EIO'), FAST_TABLE.errnoMap, FAST_TABLE.errnoMap + 256);
    for (const [name, n] of Object.entries(constants.errno)) {
      if (n > 0 && n < 256) b.writeUInt8(errnoOf(name), FAST_TABLE.errnoMap + n);
    }
    const d = native().data;
    for (let i = 0; i < FAST_PAIRS; i++) {
      const at = SO_DATA.fastPairs + 16 * i;
      if (d.readBigUInt64LE(at) === 0n) {
        // table first: the stub matches on the vmctx word
        d.writeBigUInt64LE(this.addr, at + 8);
        d.writeBigUInt64LE(vmctx.addr, at);
        this.pairAt = at;
        break;
      }
    }
    this.previousStub = vmctx.get('hostCallStub');
    // No free pair (many fast instances at once): this one simply keeps the JS path.
    if (this.pairAt >= 0) vmctx.set('hostCallStub', native().addr.hostCallFast);
  }

  /** Whether calls can take the fast path at all (false when the pair table was full). */
  get active(): boolean { return this.pairAt >= 0; }

  /** Calls answered natively so far. */
  get hits(): bigint { return this.buf.readBigUInt64LE(FAST_TABLE.hits); }

  /**
   * Replaces the mirror: the host fd to serve natively and its FAST_FD bits for each guest fd
   * listed; every other guest fd is served in JS. Costs the open fds, not MAX_FDS.
   */
  setFds(entries: Iterable<readonly [number, { hostFd: number; bits: number }]>): void {
    const b = this.buf;
    b.fill(0xff, FAST_TABLE.fds, FAST_TABLE.fds + 4 * FAST_TABLE.MAX_FDS);
    b.fill(0, FAST_TABLE.fdBits, FAST_TABLE.fdBits + FAST_TABLE.MAX_FDS);
    for (const [fd, h] of entries) {
      if (fd < 0 || fd >= FAST_TABLE.MAX_FDS || h.hostFd < 0) continue;
      b.writeInt32LE(h.hostFd, FAST_TABLE.fds + 4 * fd);
      b.writeUInt8(h.bits, FAST_TABLE.fdBits + fd);
    }
  }

  /** Stops serving natively; the table stays mapped until here. */
  dispose(): void {
    if (this.pairAt >= 0) {
      this.vmctx.set('hostCallStub', this.previousStub);
      const d = native().data;
      d.writeBigUInt64LE(0n, this.pairAt);
      d.writeBigUInt64LE(0n, this.pairAt + 8);
      this.pairAt = -1;
    }
    if (this.bytes !== 0n) munmap(this.addr, this.bytes);
    this.bytes = 0n;
  }
}
