// Kernel mode's WASI: jit/wasi/ stays the owner of every host fd, and kwasm.ko serves the hot
// calls in ring 0 on a mirror of jit/wasi's fd table (kwasm_ioctl.h struct kwasm_fd_entry).
//
// The two tables are kept in step by jit/wasi's one mirroring protocol (FdMirror, driven by the
// call table's fd effects): before a call user space serves that looks at the fd table, a pull
// (GET_FDS) copies the kernel's file positions into jit/wasi's entries and closes what the kernel's
// fd_close removed (the host fd here, then the wasm fd is free for the next path_open, as in user
// mode); after one that may change it (positions included), a push (SET_FDS) if jit/wasi's table
// changed (path_open, fd_renumber, fd_fdstat_set_flags, a user-space close, a file read...). A
// wasm fd the kernel does not hold exits to user space, which answers it as in user mode. argv
// and environ are handed over once (SET_ARGS), and proc_exit in ring 0 comes back as jit/wasi's
// WASIExit (kernel-loader/loader.ts).
//
// Sockets (issue #15) are socket entries to the kernel, which serves sock_*, reads, writes and
// polls on them. A connection the kernel accepts, or a file its path_open opens (the read-only
// case jit/runtime's native serveOpen serves), is a new host fd of this process and a new entry
// of the kernel's table; the next pull adopts both. Socket entries we own, and files until a
// push of ours (which sends files as plain entries: user space closes those, reporting close(2)'s
// errors as user mode does), are CLOSE_HOST: the kernel's fd_close closes the host fd too (a
// server that never leaves ring 0 would otherwise pile up closed connections and files until the
// end of the run), so a pull forgets such an entry without closing its host fd, whose number may
// already be in use again.
// An entry is the same one across a pull while its host fd, kind and rights are: ring 0 may
// close a file and open another at the same wasm fd on the same host fd number.
import type { WASI, FdMirror } from '../jit/wasi/index.js';
import { openedFileEntry, socketEntry, type FdEntry } from '../jit/wasi/fd-table.js';
import { WASI_MODULE } from '../jit/wasi/imports.js';
import { Fdflags, Filetype } from '../jit/wasi/layout.js';
import { FdEntryFlag, FdKindCode, MAX_ARGS_BYTES, MAX_KERNEL_FDS, type KernelFdEntry, type KwasmDevice } from './ioctl.js';

const S64_MAX = (1n << 63n) - 1n;
const INT_MAX = 0x7fffffff;

/** The kernel's view of one jit/wasi entry, or undefined when it must stay in user space only. */
function kernelEntry(fd: number, e: FdEntry): KernelFdEntry | undefined {
  if (fd >= MAX_KERNEL_FDS || e.hostFd < 0 || e.hostFd > INT_MAX) return undefined;
  if (e.kind === 'file' && (e.position < 0n || e.position > S64_MAX)) return undefined;
  // any stream that is a socket (ours, or one the embedder handed in as stdio) is served as one
  const kind = e.filetype === Filetype.SOCKET_STREAM && e.kind !== 'file' && e.kind !== 'dir' ? FdKindCode.socket : FdKindCode[e.kind];
  return {
    fd, hostFd: e.hostFd, kind, filetype: e.filetype, fdflags: e.flags,
    eflags: kind === FdKindCode.socket && e.ownsHostFd ? FdEntryFlag.CLOSE_HOST : 0,
    rightsBase: e.rightsBase, rightsInheriting: e.rightsInheriting, position: e.kind === 'file' ? e.position : 0n,
  };
}

const key = (l: readonly KernelFdEntry[]): string =>
  l.map((e) => `${e.fd}:${e.hostFd}:${e.kind}:${e.eflags}:${e.filetype}:${e.fdflags}:${e.rightsBase}:${e.rightsInheriting}:${e.position}`).join(',');

/**
 * jit/wasi's entry for one the kernel made: a socket it accepted (non-blocking on the host, as
 * sock.ts accepts) or a file its path_open opened; ours to close. Undefined for anything else.
 */
function adopted(k: KernelFdEntry): FdEntry | undefined {
  if (k.kind === FdKindCode.socket) return socketEntry(k.hostFd, (k.fdflags & Fdflags.NONBLOCK) !== 0);
  if (k.kind === FdKindCode.file) return openedFileEntry(k.hostFd, k.rightsBase, k.rightsInheriting);
  return undefined;
}

/** The same entry on both sides of a pull (see the top comment). */
const same = (a: KernelFdEntry | undefined, b: KernelFdEntry): boolean =>
  a !== undefined && a.hostFd === b.hostFd && a.kind === b.kind && a.rightsBase === b.rightsBase && a.rightsInheriting === b.rightsInheriting;

export class KernelWasi implements FdMirror {
  private device: KwasmDevice | undefined;
  /** what the kernel's table holds, as of the last pull or push */
  private kernelFds = new Map<number, KernelFdEntry>();
  private kernelKey = '';
  /** the kernel serves fd_read/fd_write/fd_seek on files: their positions are mirrored */
  readonly positions = true;

  constructor(readonly wasi: WASI) {
    wasi.addMirror(this);
  }

  /** jit/wasi's import object: pull and push happen inside jit/wasi (FdMirror). */
  importObject(): Record<string, Record<string, unknown>> {
    return { [WASI_MODULE]: { ...this.wasi.wasiImport } };
  }

  /** KernelInstance's onLoad: argv, environ and the fd table, before any wasm runs. */
  readonly attach = (device: KwasmDevice): void => {
    this.device = device;
    const { args, env } = this.wasi.wasiState;
    const bytes = (l: readonly Uint8Array[]): number => l.reduce((n, b) => n + b.length, 0);
    // beyond the kernel's cap the args_*/environ_* calls stay in user space (they always work there)
    if (bytes(args) <= MAX_ARGS_BYTES && bytes(env) <= MAX_ARGS_BYTES) device.setArgs(args, env);
    this.kernelKey = '\0'; // never equal: the first push always happens
    this.push();
    // Whoever closes the instance first (the CLI, a test, an embedder), the final pull happens
    // while the device is open: jit/wasi then knows which host fds ring 0 closed (a later
    // WASI.close() must not close those numbers again) and pulls nothing after.
    device.beforeClose(() => this.finish());
  };

  /** The kernel's table into jit/wasi's: positions, and the host fds of entries the kernel closed. */
  pull(): void {
    if (this.device === undefined) return;
    const { entries } = this.device.getFds();
    const fds = this.wasi.wasiState.fds;
    const now = new Map(entries.map((e) => [e.fd, e]));
    // closed in ring 0 (and maybe the number reused by an accept there since)
    for (const [fd, was] of this.kernelFds) {
      if (same(now.get(fd), was) || !fds.has(fd)) continue;
      const e = fds.get(fd);
      if (was.eflags & FdEntryFlag.CLOSE_HOST) e.ownsHostFd = false; // the kernel closed it
      try { fds.close(fd); } catch { /* as user mode's fd_close would have failed: nothing to undo */ }
    }
    for (const k of entries) {
      if (!same(this.kernelFds.get(k.fd), k) || !fds.has(k.fd)) {
        const e = adopted(k); // accepted or opened in ring 0
        if (e !== undefined) fds.set(k.fd, e);
        continue;
      }
      const e = fds.get(k.fd);
      e.flags = k.fdflags; // fd_fdstat_set_flags in ring 0
      if (k.kind === FdKindCode.file && e.kind === 'file') e.position = k.position;
    }
    this.kernelFds = now;
    this.kernelKey = key(entries);
  }

  /** jit/wasi's table into the kernel's, if it differs from what the kernel holds. */
  push(): void {
    if (this.device === undefined) return;
    const list: KernelFdEntry[] = [];
    for (const [fd, e] of this.wasi.wasiState.fds.list()) {
      const k = kernelEntry(fd, e);
      if (k !== undefined) list.push(k);
    }
    const k = key(list);
    if (k === this.kernelKey) return;
    this.device.setFds(list);
    this.kernelFds = new Map(list.map((e) => [e.fd, e]));
    this.kernelKey = k;
  }

  /** The final pull (the instance's device runs it as it closes; tests call it directly): closes what the kernel closed. */
  finish(): void {
    try {
      this.pull();
    } finally {
      this.device = undefined;
    }
  }
}
