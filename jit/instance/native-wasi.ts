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
import { errnoFromNodeCode, wasiCallOf, type FdMirror, type InstanceLike, type NativeServer, type WASI, type WasiFunction } from '../wasi/index.js';
import { FastFdWrite, FAST_FD } from '../runtime/fast-fd-write.js';
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
  const served: Record<NativeServer, number> = { write: -1, read: -1, recv: -1, send: -1, poll: -1 };
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
  /** only streams and sockets are served natively: they have no position to mirror */
  readonly positions = false;
  private table: FastFdWrite | null = null;
  private readonly detach: () => void;

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

  /** Rebuilds the mirror: per guest fd, the host fd of a stream or socket with its FAST_FD bits, or -1. */
  push(): void {
    const t = this.table;
    if (t === null) return;
    const { fds, deadline } = this.wasi.wasiState;
    // Under a deadline (--timeout, WASI.setDeadline) every call goes to JS, which waits in ppoll
    // bounded by it (jit/wasi/wait.ts): the stub's syscalls and its poll(2) have no deadline.
    if (deadline.armed) { t.setFds([]); return; }
    const served: [number, { hostFd: number; bits: number }][] = [];
    for (const [fd, e] of fds.list()) {
      if ((e.kind !== 'stream' && e.kind !== 'socket') || e.hostFd < 0) continue;
      const bits = ((e.rightsBase & Rights.FD_READ) !== 0n ? FAST_FD.READ : 0) |
        ((e.rightsBase & Rights.FD_WRITE) !== 0n ? FAST_FD.WRITE : 0) |
        // what sock.ts accepts as a socket: the filetype (a socket handed in as stdio is a stream)
        (e.filetype === Filetype.SOCKET_STREAM || e.filetype === Filetype.SOCKET_DGRAM ? FAST_FD.SOCKET : 0) |
        ((e.flags & Fdflags.NONBLOCK) !== 0 ? FAST_FD.NONBLOCK : 0) |
        ((e.rightsBase & Rights.POLL_FD_READWRITE) !== 0n ? FAST_FD.POLL : 0);
      served.push([fd, { hostFd: e.hostFd, bits }]);
    }
    t.setFds(served);
  }

  deadlineChanged(): void {
    this.push();
  }

  dispose(): void {
    this.detach();
    this.table?.dispose();
    this.table = null;
  }
}
