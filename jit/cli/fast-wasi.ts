// `run` in user mode: wasi fd_write and fd_read on stream fds served by machine code (jit/runtime/fast-fd-write.ts,
// the fast host-call stub in trampolines.ts) instead of a JS round trip through ffi-rs (~10 us).
//
// The decision is made at instantiation: the function imports bound to
// wasi_snapshot_preview1.fd_write / fd_read with their WASI type get the fast path. The native mirror of the
// fd table is pushed after every WASI call served in JS that can change fds, rights or kinds
// (only JS changes them), so the wasm never continues with a stale mirror. KWASM_FAST_WASI=0 turns it off.
import type { WASI } from '../wasi/index.js';
import type { Instance, ImportObject } from '../instance/api.js';
import type { ModuleInfo } from '../types.js';
import { I32 } from '../types.js';
import { Rights } from '../wasi/layout.js';
import { errnoFromNodeCode } from '../wasi/errno.js';
import { FastFdWrite } from '../runtime/fast-fd-write.js';

const WASI_MODULE = 'wasi_snapshot_preview1';

/**
 * Calls that never add, remove, renumber or re-right an fd (they may move a *file's* position,
 * which is not mirrored): no push after them, so the calls that stay in JS (file reads) pay
 * nothing. Anything not listed pushes, so a call added later is safe by default.
 */
const KEEPS_FDS: ReadonlySet<string> = new Set([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'random_get', 'sched_yield', 'poll_oneoff', 'fd_read', 'fd_write', 'fd_pread', 'fd_pwrite', 'fd_seek',
  'fd_tell', 'fd_fdstat_get', 'fd_filestat_get', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_readdir',
  'fd_advise', 'fd_allocate', 'fd_datasync', 'fd_sync', 'fd_filestat_set_size', 'fd_filestat_set_times',
  'path_filestat_get', 'path_filestat_set_times', 'path_readlink', 'path_create_directory',
  'path_remove_directory', 'path_unlink_file', 'path_rename', 'path_link', 'path_symlink',
]);

export class FastWasi {
  private table: FastFdWrite | null = null;

  private constructor(private readonly wasi: WASI, private readonly imports: { write: number; read: number }) {}

  /** A FastWasi for a module importing fd_write or fd_read with its WASI type, else undefined. */
  static for(wasi: WASI, info: ModuleInfo): FastWasi | undefined {
    if (process.env['KWASM_FAST_WASI'] === '0') return undefined;
    const found = { write: -1, read: -1 };
    let f = 0;
    for (const imp of info.imports) {
      if (imp.desc.kind !== 'func') continue;
      const which = imp.name === 'fd_write' ? 'write' : imp.name === 'fd_read' ? 'read' : undefined;
      if (imp.module === WASI_MODULE && which !== undefined && found[which] < 0) {
        const t = info.types[imp.desc.typeIndex];
        const ok = t !== undefined && t.params.length === 4 && t.params.every((p) => p === I32) && t.results.length === 1 && t.results[0] === I32;
        if (ok) found[which] = f;
      }
      f++;
    }
    return found.write >= 0 || found.read >= 0 ? new FastWasi(wasi, found) : undefined;
  }

  /** Wraps the WASI functions that can change fds so such a call pushes the mirror before returning. */
  wrapImports(imports: ImportObject): void {
    const ns = imports[WASI_MODULE] as Record<string, unknown> | undefined;
    if (!ns) return;
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn !== 'function' || KEEPS_FDS.has(name)) continue;
      const orig = fn as (...a: unknown[]) => unknown;
      ns[name] = (...a: unknown[]): unknown => {
        try { return orig(...a); } finally { this.sync(); }
      };
    }
    imports[WASI_MODULE] = ns;
  }

  /**
   * After instantiation: install the table for the instance. Only when WASI's memory (the
   * exported "memory") is the instance's memory 0, the one the native side addresses through r15.
   */
  attach(instance: Instance): void {
    const mem = instance.memory;
    if (mem === null || instance.exports['memory'] !== mem) return;
    this.table = new FastFdWrite(instance.vmctx, this.imports, errnoFromNodeCode);
    instance.store.onDispose(() => this.dispose());
    this.sync();
  }

  /** fd_write and fd_read calls answered natively (0 when not attached). */
  get hits(): bigint { return this.table?.hits ?? 0n; }

  /** Pushes the fd table: stream fds with a host fd are written (FD_WRITE) / read (FD_READ) natively. */
  sync(): void {
    const t = this.table;
    if (t === null) return;
    const fds = this.wasi.wasiState.fds;
    const none = { write: -1, read: -1 };
    t.setFds((fd) => {
      if (!fds.has(fd)) return none;
      const e = fds.get(fd);
      if (e.kind !== 'stream' || e.hostFd < 0) return none;
      return {
        write: (e.rightsBase & Rights.FD_WRITE) !== 0n ? e.hostFd : -1,
        read: (e.rightsBase & Rights.FD_READ) !== 0n ? e.hostFd : -1,
      };
    });
  }

  dispose(): void {
    this.table?.dispose();
    this.table = null;
  }
}
