// `run` in user mode: wasi fd_write on stream fds served by machine code (jit/runtime/fast-fd-write.ts,
// the fast host-call stub in trampolines.ts) instead of a JS round trip through ffi-rs (~10 us).
//
// The decision is made at instantiation: the one function import bound to
// wasi_snapshot_preview1.fd_write with its WASI type gets the fast path. The native mirror of the
// fd table is pushed after every WASI call served in JS (they are the only ones that change fds,
// rights or kinds), so the wasm never continues with a stale mirror. KWASM_FAST_WASI=0 turns it off.
import type { WASI } from '../wasi/index.js';
import type { Instance, ImportObject } from '../instance/api.js';
import type { ModuleInfo } from '../types.js';
import { I32 } from '../types.js';
import { Rights } from '../wasi/layout.js';
import { errnoFromNodeCode } from '../wasi/errno.js';
import { FastFdWrite } from '../runtime/fast-fd-write.js';

const WASI_MODULE = 'wasi_snapshot_preview1';

export class FastWasi {
  private table: FastFdWrite | null = null;

  private constructor(private readonly wasi: WASI, private readonly importIndex: number) {}

  /** A FastWasi for a module importing fd_write with its WASI type, else undefined. */
  static for(wasi: WASI, info: ModuleInfo): FastWasi | undefined {
    if (process.env['KWASM_FAST_WASI'] === '0') return undefined;
    let f = 0;
    for (const imp of info.imports) {
      if (imp.desc.kind !== 'func') continue;
      if (imp.module === WASI_MODULE && imp.name === 'fd_write') {
        const t = info.types[imp.desc.typeIndex];
        const ok = t !== undefined && t.params.length === 4 && t.params.every((p) => p === I32) && t.results.length === 1 && t.results[0] === I32;
        return ok ? new FastWasi(wasi, f) : undefined;
      }
      f++;
    }
    return undefined;
  }

  /** Wraps the WASI functions so every call served in JS pushes the fd mirror before returning. */
  wrapImports(imports: ImportObject): void {
    const ns = imports[WASI_MODULE] as Record<string, unknown> | undefined;
    if (!ns) return;
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn !== 'function') continue;
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
    this.table = new FastFdWrite(instance.vmctx, this.importIndex, errnoFromNodeCode);
    instance.store.onDispose(() => this.dispose());
    this.sync();
  }

  /** fd_write calls answered natively (0 when not attached). */
  get hits(): bigint { return this.table?.hits ?? 0n; }

  /** Pushes the fd table: stream fds with FD_WRITE and a host fd are written natively. */
  sync(): void {
    const t = this.table;
    if (t === null) return;
    const fds = this.wasi.wasiState.fds;
    t.setFds((fd) => {
      if (!fds.has(fd)) return -1;
      const e = fds.get(fd);
      return e.kind === 'stream' && e.hostFd >= 0 && (e.rightsBase & Rights.FD_WRITE) !== 0n ? e.hostFd : -1;
    });
  }

  dispose(): void {
    this.table?.dispose();
    this.table = null;
  }
}
