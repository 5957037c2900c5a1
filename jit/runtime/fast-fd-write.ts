// User-space fast path for the WASI calls of trampolines.ts FAST_OPS (docs/runtime.md "Native
// WASI fast path"): a per-instance table in native memory that the .so's fast host-call stub
// reads and, for sock_accept, fd_close, path_open and fd_read on files, writes. Installing it
// points the instance's vmctx.hostCallStub at the fast stub; compiled code is unchanged.
//
// The table mirrors every guest fd below MAX_FDS: its host fd when the stub may serve it
// (streams and sockets at the host offset, regular files by pread and fstat, directories for
// path_open), its FAST_FD bits, rights and a file's position. jit/instance/native-wasi.ts keeps it
// in step with jit/wasi's table through FdMirror: `setFds` after a JS call that changed the table
// or a position, and before JS looks at the table, a pull of what the stub changed (`changes`,
// `entry`: fds it closed or made, positions it moved).
import { errnoConstants } from '../node-binding.js';
import { native } from './native.js';
import { mmapAnon, munmap, view, PROT, PAGE_SIZE } from './libc.js';
import { fillBytes, wordsOf } from '../bytes.js';
import { FAST_TABLE, FAST_TABLE_SIZE, FAST_PAIRS, FAST_OP_NAMES, SO_DATA, type FastOp } from './so-layout.js';
export { FAST_FD, FDSTAT_DIR, type FastOp } from './so-layout.js';
import type { Vmctx } from './vmctx.js';
import type { ReadAhead } from '../wasi/fd-table.js';

const NO_IMPORT = 0xffffffff;

/** One guest fd in the fast table. */
export interface MirroredFd {
  hostFd: number; bits: number; rights: bigint; inheriting: bigint;
  /** FAST_TABLE.fdstat's word */
  fdstat: number;
  /** a FILE's position */
  position: bigint;
  /** a socket's bytes read ahead (and the error after them), back from jit/wasi (FdEntry.readAhead) */
  readAhead?: ReadAhead;
}

export class FastFdWrite {
  private readonly addr: bigint;
  private readonly buf: Buffer;
  /** `buf`'s little-endian words (jit/bytes.ts wordsOf) */
  private readonly words: DataView;
  private bytes: bigint;
  private readonly previousStub: bigint;
  private pairAt = -1;
  /**
   * The per-fd words (bits, created marks, rights, positions, read-ahead) are still the fresh
   * mapping's zeros: true until a setFds mirrors an fd, and until then setFds need not write them
   * again (~10 pages, 40 KB, that a start with a few fds would otherwise fault in for nothing; a
   * fault costs ~12-25 us on the development VM). The stub writes those words only for mirrored
   * fds and the fds it makes from them.
   */
  private zeroed = true;

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
    this.words = wordsOf(this.buf);
    const b = this.buf, w = this.words;
    FAST_OP_NAMES.forEach((op, i) => w.setUint32(FAST_TABLE.imports + 4 * i, imports[op] < 0 ? NO_IMPORT : imports[op], true));
    this.setFds([]); // no fd mirrored: its zero fills are skipped (see `zeroed`)
    fillBytes(b, errnoOf('EIO'), FAST_TABLE.errnoMap, FAST_TABLE.errnoMap + 256);
    // ~130 entries: plain byte stores (a WASI errno is < 256), not ~130 calls of Buffer's writeUInt8
    for (const [name, n] of Object.entries(errnoConstants())) {
      if (n > 0 && n < 256) b[FAST_TABLE.errnoMap + n] = errnoOf(name);
    }
    const d = native().words;
    for (let i = 0; i < FAST_PAIRS; i++) {
      const at = SO_DATA.fastPairs + 16 * i;
      if (d.getBigUint64(at, true) === 0n) {
        // table first: the stub matches on the vmctx word
        d.setBigUint64(at + 8, this.addr, true);
        d.setBigUint64(at, vmctx.addr, true);
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
  get hits(): bigint { return this.words.getBigUint64(FAST_TABLE.hits, true); }

  /** fd_filestat_get calls answered with the stat of the path_open just before, without an fstat. */
  get statReused(): bigint { return this.words.getBigUint64(FAST_TABLE.statReused, true); }

  /**
   * Replaces the mirror: per guest fd listed, its host fd (-1: open but served in JS), FAST_FD
   * bits, rights and inheriting rights; every other guest fd is free. Clears the created marks
   * (the caller has pulled them). Costs the open fds, not MAX_FDS. `clocks`: poll_oneoff's clock
   * subscriptions may be waited for natively (not under a run deadline, which only JS's waits keep).
   */
  setFds(entries: Iterable<readonly [number, MirroredFd]>, clocks = true): void {
    const b = this.buf, w = this.words;
    w.setUint32(FAST_TABLE.noClocks, clocks ? 0 : 1, true);
    fillBytes(b, 0xff, FAST_TABLE.fds, FAST_TABLE.fds + 4 * FAST_TABLE.MAX_FDS);
    if (!this.zeroed) {
      fillBytes(b, 0, FAST_TABLE.fdBits, FAST_TABLE.fdBits + FAST_TABLE.MAX_FDS);
      fillBytes(b, 0, FAST_TABLE.created, FAST_TABLE.created + FAST_TABLE.MAX_FDS);
      fillBytes(b, 0, FAST_TABLE.rights, FAST_TABLE.positions + 8 * FAST_TABLE.MAX_FDS);
      fillBytes(b, 0, FAST_TABLE.aheadLen, FAST_TABLE.aheadData);
    }
    for (const [fd, h] of entries) {
      if (fd < 0 || fd >= FAST_TABLE.MAX_FDS) continue;
      this.zeroed = false;
      w.setInt32(FAST_TABLE.fds + 4 * fd, h.hostFd, true);
      b[FAST_TABLE.fdBits + fd] = h.bits; // the FAST_FD bits: one byte
      w.setBigUint64(FAST_TABLE.rights + 8 * fd, h.rights, true);
      w.setBigUint64(FAST_TABLE.inheriting + 8 * fd, h.inheriting, true);
      w.setUint32(FAST_TABLE.fdstat + 4 * fd, h.fdstat, true);
      w.setBigUint64(FAST_TABLE.positions + 8 * fd, h.position, true);
      if (h.readAhead !== undefined) this.putAhead(fd, h.readAhead);
    }
  }

  /** How many fd-table changes the stub made so far (accept, close, open): unchanged = nothing to pull. */
  get changes(): bigint { return this.words.getBigUint64(FAST_TABLE.changes, true); }

  /**
   * The entry of guest fd `fd` as the stub has it now, and whether the stub made it (since the
   * last setFds or clearCreated).
   */
  entry(fd: number): MirroredFd & { created: boolean } {
    const b = this.buf, w = this.words;
    return {
      hostFd: w.getInt32(FAST_TABLE.fds + 4 * fd, true), bits: b[FAST_TABLE.fdBits + fd]!,
      rights: w.getBigUint64(FAST_TABLE.rights + 8 * fd, true), inheriting: w.getBigUint64(FAST_TABLE.inheriting + 8 * fd, true),
      fdstat: w.getUint32(FAST_TABLE.fdstat + 4 * fd, true), position: w.getBigUint64(FAST_TABLE.positions + 8 * fd, true),
      created: b[FAST_TABLE.created + fd] !== 0,
    };
  }

  /** Read-aheads that took bytes so far (each one a FIONREAD the stub did not make). */
  get aheadTaken(): bigint { return this.words.getBigUint64(FAST_TABLE.aheadTaken, true); }

  /** Takes guest fd `fd`'s read-ahead out of the table (the stub then reads the socket itself), if it has one. */
  takeAhead(fd: number): ReadAhead | undefined {
    const b = this.buf, w = this.words, len = w.getUint32(FAST_TABLE.aheadLen + 4 * fd, true), errno = w.getUint32(FAST_TABLE.aheadErr + 4 * fd, true);
    if (len === 0 && errno === 0) return undefined;
    const at = FAST_TABLE.aheadData + FAST_TABLE.AHEAD_CAP * fd + w.getUint32(FAST_TABLE.aheadOff + 4 * fd, true);
    w.setUint32(FAST_TABLE.aheadLen + 4 * fd, 0, true);
    w.setUint32(FAST_TABLE.aheadErr + 4 * fd, 0, true);
    return { data: Buffer.from(b.subarray(at, at + len)), errno };
  }

  /** Gives a read-ahead back to the table (it came from there: it fits the fd's slot). */
  private putAhead(fd: number, r: ReadAhead): void {
    const b = this.buf, w = this.words;
    if (r.data.length > FAST_TABLE.AHEAD_CAP) throw new Error(`read-ahead of ${r.data.length} bytes does not fit its slot`);
    r.data.copy(b, FAST_TABLE.aheadData + FAST_TABLE.AHEAD_CAP * fd);
    w.setUint32(FAST_TABLE.aheadLen + 4 * fd, r.data.length, true);
    w.setUint32(FAST_TABLE.aheadOff + 4 * fd, 0, true);
    w.setUint32(FAST_TABLE.aheadErr + 4 * fd, r.errno, true);
  }

  clearCreated(): void { fillBytes(this.buf, 0, FAST_TABLE.created, FAST_TABLE.created + FAST_TABLE.MAX_FDS); }

  /** Stops serving natively; the table stays mapped until here. */
  dispose(): void {
    if (this.pairAt >= 0) {
      this.vmctx.set('hostCallStub', this.previousStub);
      const d = native().words;
      d.setBigUint64(this.pairAt, 0n, true);
      d.setBigUint64(this.pairAt + 8, 0n, true);
      this.pairAt = -1;
    }
    if (this.bytes !== 0n) munmap(this.addr, this.bytes);
    this.bytes = 0n;
  }
}
