// The user-space native WASI server of an instance (docs/runtime.md "Native WASI fast path"): the
// imports bound to a WASI object's functions that have a native server in the call table
// (jit/wasi/imports.ts `native`: fd_write, fd_read, sock_recv, sock_send, poll_oneoff) are answered by the fast
// host-call stub (jit/runtime/fast-fd-write.ts, trampolines.ts serveFast) on mirrored stream and
// socket fds, without an
// ffi crossing into JavaScript. `instantiate` binds it for every instance, so the embedding API
// and the CLI get the same path; KWASM_FAST_WASI=0 turns it off.
//
// The WASI is recognized by its functions themselves (wasiCallOf): a wrapper around one is an
// ordinary host function and is always called. Serving starts when that WASI's start() or
// initialize() binds this very instance and its exported "memory" is memory 0 (the memory the
// stub addresses through r15's vmctx, and the one WASI reads); until then every call goes to JS,
// which answers as before (a call before start() is an error there).
import { I32, I64, type FuncType } from '../frontend/types.js';
import { errnoFromNodeCode, NATIVE_SERVERS, wasiCallOf, type FdMirror, type InstanceLike, type NativeServer, type WASI, type WasiFunction } from '../wasi/index.js';
import { FastFdWrite, FAST_FD, FDSTAT_DIR, type MirroredFd } from '../runtime/fast-fd-write.js';
import { FAST_TABLE } from '../runtime/so-layout.js';
import { openedFileEntry, socketEntry, type FdEntry } from '../wasi/fd-table.js';
import { Fdflags, Filetype, Rights } from '../wasi/layout.js';
import type { Instance, ImportObject } from './loader.js';

const bound = new WeakMap<Instance, NativeWasi>();

/** The native server bound to `instance`, if its imports have one (tests, statistics). */
export function nativeWasiOf(instance: Instance): NativeWasi | undefined {
  return bound.get(instance);
}

/** Called by `instantiate` once `instance` is built: binds its native WASI server, if any. */
export function bindNativeWasi(instance: Instance, imports: ImportObject): void {
  if (process.env['KWASM_FAST_WASI'] === '0') return;
  const info = instance.module.info;
  // the stub's ops are the call table's native servers, name for name
  const served = Object.fromEntries(NATIVE_SERVERS.map((n) => [n, -1])) as Record<NativeServer, number>;
  let wasi: WASI | undefined;
  let f = 0;
  for (const imp of info.imports) {
    if (imp.desc.kind !== 'func') continue;
    const index = f++;
    const tag = wasiCallOf(imports[imp.module]?.[imp.name]);
    const server = tag?.call.native;
    if (tag === undefined || server === undefined || served[server] >= 0) continue;
    // one WASI per instance (its fd table is the mirror); the stub serves the exact wasm type only
    if ((wasi !== undefined && tag.wasi !== wasi) || !sameType(info.types[imp.desc.typeIndex], tag.call)) continue;
    wasi = tag.wasi;
    served[server] = index;
  }
  if (wasi !== undefined) bound.set(instance, new NativeWasi(instance, wasi, served));
}

function sameType(t: FuncType | undefined, call: WasiFunction): boolean {
  const vt = (w: string): number => (w === 'i64' ? I64 : I32);
  return t !== undefined && t.params.length === call.params.length && t.results.length === call.results.length &&
    t.params.every((p, i) => p === vt(call.params[i]!)) && t.results.every((r, i) => r === vt(call.results[i]!));
}

export class NativeWasi implements FdMirror {
  /** fd_read on a file moves its position natively: positions are mirrored both ways */
  readonly positions = true;
  private table: FastFdWrite | null = null;
  private readonly detach: () => void;
  /** host fd per guest fd as last pushed or pulled (-1: none), to see what the stub closed */
  private readonly known = new Int32Array(FAST_TABLE.MAX_FDS).fill(-1);
  private seenChanges = 0n;
  /** the last push gave read-ahead bytes back to the table: the next pull takes them whatever `changes` says */
  private aheadInTable = false;

  constructor(private readonly instance: Instance, private readonly wasi: WASI, private readonly imports: Record<NativeServer, number>) {
    this.detach = wasi.addMirror(this);
    instance.store.onDispose(() => this.dispose());
  }

  attached(target: InstanceLike): void {
    const inst = this.instance;
    if (target !== inst || this.table !== null || inst.memory === null || inst.exports['memory'] !== inst.memory) return;
    this.table = new FastFdWrite(inst.vmctx, this.imports, errnoFromNodeCode);
    this.push();
  }

  /** Whether calls are served natively now (false before start(), or when the stub's pair table was full). */
  get active(): boolean { return this.table?.active ?? false; }

  /** Calls answered natively so far. */
  get hits(): bigint { return this.table?.hits ?? 0n; }

  /** poll_oneoff events whose nbytes came from a read-ahead instead of a FIONREAD. */
  get aheadTaken(): bigint { return this.table?.aheadTaken ?? 0n; }

  /** fd_filestat_get calls answered from the stat of the native path_open just before (no fstat). */
  get statReused(): bigint { return this.table?.statReused ?? 0n; }

  /**
   * What the stub changed since the last push or pull, into jit/wasi's table: an fd it closed
   * leaves (its host fd is already closed, and its number may be in use again), an fd it made
   * (sock_accept, path_open) joins with the entry jit/wasi would have made, bytes it read ahead on
   * a socket move to the entry (FdEntry.readAhead), for JS's reads to take first. Returns true when
   * it moved some: WASI pushes after the call, which gives back what JS left of them.
   */
  pull(): boolean {
    const t = this.table;
    if (t === null || (t.changes === this.seenChanges && !this.aheadInTable)) return false;
    this.seenChanges = t.changes;
    const fds = this.wasi.wasiState.fds;
    for (let fd = 0; fd < FAST_TABLE.MAX_FDS; fd++) {
      const now = t.entry(fd), was = this.known[fd]!;
      if (!now.created && now.hostFd === was) continue;
      if (was >= 0 && fds.has(fd)) {
        fds.get(fd).ownsHostFd = false; // the stub closed it
        fds.close(fd);
      }
      if (now.created && now.hostFd >= 0) fds.set(fd, adopted(now));
      this.known[fd] = now.hostFd;
    }
    // positions the stub's fd_read moved
    for (const [fd, e] of fds.list()) {
      if (fd >= FAST_TABLE.MAX_FDS) break;
      if (e.kind === 'file' && this.known[fd] === e.hostFd && e.hostFd >= 0) e.position = t.entry(fd).position;
    }
    t.clearCreated();
    let lent = false;
    for (const [fd, e] of fds.list()) {
      if (fd >= FAST_TABLE.MAX_FDS) break;
      const ra = t.takeAhead(fd);
      if (ra !== undefined) {
        e.readAhead = ra;
        lent = true;
      }
    }
    this.aheadInTable = false;
    return lent;
  }

  /** Rebuilds the stub's table from jit/wasi's (after a pull: nothing the stub did is lost). */
  push(): void {
    const t = this.table;
    if (t === null) return;
    this.pull();
    const { fds, deadline } = this.wasi.wasiState;
    this.known.fill(-1);
    // Under a deadline (--timeout, WASI.setDeadline) every call goes to JS, which waits in ppoll
    // bounded by it (jit/wasi/wait.ts): the stub's syscalls and its poll(2) have no deadline.
    // (read-ahead bytes then stay with jit/wasi, which serves every call)
    if (deadline.armed) { t.setFds([], false); return; }
    const served: [number, MirroredFd][] = [];
    for (const [fd, e] of fds.list()) {
      if (fd >= FAST_TABLE.MAX_FDS) break;
      const m = mirrored(e);
      if (e.readAhead !== undefined && m.hostFd >= 0) {
        m.readAhead = e.readAhead; // back to the stub, whose next read of this fd takes them first
        e.readAhead = undefined;
        this.aheadInTable = true;
      }
      served.push([fd, m]);
      this.known[fd] = m.hostFd;
    }
    t.setFds(served);
  }

  deadlineChanged(): void {
    this.push();
  }

  dispose(): void {
    // the stub's closes and new fds reach jit/wasi's table before anyone closes it (WASI.close())
    this.pull();
    this.detach();
    this.table?.dispose();
    this.table = null;
  }
}

/**
 * The stub's view of a jit/wasi entry: every open fd is OPEN (so native accept/open number new
 * fds as FdTable.add); streams and sockets with their read/write/poll rights, the socket
 * filetype and the guest's NONBLOCK (what sock.ts accepts as a socket: a socket handed in as
 * stdio is a stream of that filetype); regular files (FILE: pread, fstat) and directories
 * (FDSTAT_DIR: path_open); each with what fd_fdstat_get reports (filetype, flags, rights).
 */
function mirrored(e: FdEntry): MirroredFd {
  const open: MirroredFd = { hostFd: -1, bits: FAST_FD.OPEN, rights: 0n, inheriting: 0n, fdstat: 0, position: 0n };
  if (e.hostFd < 0 || e.hostFd > 0x7fffffff) return open;
  const owns = e.ownsHostFd ? FAST_FD.OWNS : 0;
  const fdstat = e.filetype | (e.kind === 'dir' ? FDSTAT_DIR : 0) | (e.flags << 16);
  const base = { hostFd: e.hostFd, rights: e.rightsBase, inheriting: e.rightsInheriting, fdstat, position: 0n };
  // a position beyond u64 cannot be (fd_seek keeps it there); JS's own checks answer past 2^52
  if (e.kind === 'file') return { ...base, bits: FAST_FD.OPEN | owns | FAST_FD.FILE, position: BigInt.asUintN(64, e.position) };
  if (e.kind === 'dir') return { ...base, bits: FAST_FD.OPEN | owns };
  const bits = FAST_FD.OPEN | owns |
    ((e.rightsBase & Rights.FD_READ) !== 0n ? FAST_FD.READ : 0) |
    ((e.rightsBase & Rights.FD_WRITE) !== 0n ? FAST_FD.WRITE : 0) |
    (e.filetype === Filetype.SOCKET_STREAM || e.filetype === Filetype.SOCKET_DGRAM ? FAST_FD.SOCKET : 0) |
    ((e.flags & Fdflags.NONBLOCK) !== 0 ? FAST_FD.NONBLOCK : 0) |
    ((e.rightsBase & Rights.POLL_FD_READWRITE) !== 0n ? FAST_FD.POLL : 0);
  return { ...base, bits };
}

/** jit/wasi's entry for an fd the stub made: an accepted socket (sock.ts socketEntry) or a file path_open opened. */
function adopted(m: MirroredFd): FdEntry {
  if ((m.bits & FAST_FD.SOCKET) !== 0) return socketEntry(m.hostFd, (m.bits & FAST_FD.NONBLOCK) !== 0);
  return openedFileEntry(m.hostFd, m.rights, m.inheriting);
}
