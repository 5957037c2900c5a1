// The WASI preview 1 embedding API, shaped like Node's `node:wasi`:
//
//   const wasi = new WASI({ args, env, preopens: { '/data': hostDir } });
//   const instance = await instantiate(module, wasi.getImportObject());
//   const code = wasi.start(instance);   // runs _start, returns the exit code
//
// The same object serves V8's WebAssembly.instantiate and kwasm-jit's own
// instantiate: both pass i32 as number and i64 as BigInt, and both expose
// memory as an object whose `.buffer` is replaced by memory.grow, which is why
// memory is looked up through that object on every call.

import { fstatSync, openSync, realpathSync, constants as C } from 'node:fs';
import type { CallContext, WasiState } from './context.js';
import { errnoOf } from './errno.js';
import { FdTable, preopenEntry, socketEntry, stdioEntry } from './fd-table.js';
import { openListener, type ListenerSpec } from './listeners.js';
import { WASI_FUNCTIONS, type WasiFunction } from './imports.js';
import { GuestMemory, type MemoryLike } from './memory.js';
import { WASIExit } from './proc.js';
import { Deadline, Interrupted } from './wait.js';
import { utf8Bytes } from '../bytes.js';

export { Errno, errnoName, errnoFromNodeCode, WasiError } from './errno.js';
export { WASI_FUNCTIONS, NATIVE_SERVERS, wasiFunction, type WasiFunction, type WasmType, type FdEffect, type NativeServer } from './imports.js';
export { WASIExit } from './proc.js';
export type { ListenerSpec } from './listeners.js';
export { Interrupted } from './wait.js';
export type { MemoryLike } from './memory.js';

export interface WASIOptions {
  /** argv, program name first (like node:wasi, nothing is added). */
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /**
   * Listening TCP sockets, preopened as guest fds 3, 4, ... before the directories (CLI
   * `--tcplisten HOST:PORT`): a port to bind (`{ port, host? }`, port 0 = any free one; see
   * `listeners` for the one bound) or an existing listening socket `{ fd }` (made non-blocking,
   * not closed by us).
   */
  listeners?: readonly ListenerSpec[];
  /** Guest directory name -> host directory, e.g. `{ '/data': './data' }` (CLI `--dir HOST::GUEST`). */
  preopens?: Readonly<Record<string, string>>;
  /** Host fds for the guest's 0, 1 and 2 (default: this process's own). */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** true (default): start() returns the proc_exit code; false: proc_exit ends this process. */
  returnOnExit?: boolean;
  /** Accepted for node:wasi compatibility; only 'preview1' exists. */
  version?: 'preview1';
}

/** What start()/initialize() need of an instance (V8's and kwasm-jit's both fit). */
export interface InstanceLike { readonly exports: Readonly<Record<string, unknown>>; }

export type WasiImport = Record<string, (...args: unknown[]) => number>;

/**
 * A copy of the fd table kept by a native server of some calls (the user-space fast stub's,
 * kwasm.ko's). WASI calls it around every call it serves in TypeScript, by the call's FdEffect
 * (imports.ts), so the copy is never stale when the wasm continues: `pull` before a call that
 * looks at the table (the native side may have moved positions or closed fds), `push` after
 * one that may have changed it. This is the one mirroring protocol; each server decides only
 * what it copies.
 */
export interface FdMirror {
  /** true: the copy holds file positions, so a call that moves one pushes too */
  readonly positions: boolean;
  /**
   * `call`: the call about to be served in TypeScript; none when the table is about to be closed.
   * true: it lent the table's entries state of its own (a socket's read-ahead bytes,
   * FdEntry.readAhead), which the push after the call takes back whatever the call's effect.
   */
  pull?(call?: WasiFunction): boolean | void;
  push(call: WasiFunction): void;
  /** start()/initialize() bound this WASI to `instance` (memory and exports are final) */
  attached?(instance: InstanceLike): void;
  /** setDeadline() changed whether blocking calls have a deadline (a native server must stand aside) */
  deadlineChanged?(): void;
}

/** The WASI object and table row behind each function of a `wasiImport` (see wasiCallOf). */
const CALLS = new WeakMap<object, { readonly wasi: WASI; readonly call: WasiFunction }>();

/**
 * For a function of some WASI's `wasiImport`: that WASI and the call's table row (how a runtime
 * recognizes an import it may serve natively); undefined for any other value, a wrapper included.
 */
export function wasiCallOf(fn: unknown): { readonly wasi: WASI; readonly call: WasiFunction } | undefined {
  return typeof fn === 'function' ? CALLS.get(fn) : undefined;
}

function encodeAll(list: readonly string[]): Uint8Array[] {
  return list.map((s) => utf8Bytes(`${s}\0`));
}

function isMemory(m: unknown): m is MemoryLike {
  if (typeof m !== 'object' || m === null || !('buffer' in m)) return false;
  const b = (m as { buffer: unknown }).buffer;
  return b instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer);
}

export class WASI {
  readonly wasiImport: WasiImport;
  /** The preopened listeners: guest fd and the local port bound (useful with port 0). */
  readonly listeners: readonly { fd: number; port: number }[];
  private readonly state: WasiState;
  private readonly returnOnExit: boolean;
  private memory: MemoryLike | undefined;
  private started = false;
  private readonly mirrors = new Set<FdMirror>();

  constructor(options: WASIOptions = {}) {
    if (options.version !== undefined && options.version !== 'preview1') {
      throw new TypeError(`unsupported WASI version ${String(options.version)}`);
    }
    const fds = new FdTable();
    fds.set(0, stdioEntry(options.stdin ?? 0));
    fds.set(1, stdioEntry(options.stdout ?? 1));
    fds.set(2, stdioEntry(options.stderr ?? 2));
    const listening: { fd: number; port: number }[] = [];
    try {
      for (const spec of options.listeners ?? []) {
        const l = openListener(spec);
        // FDFLAGS_NONBLOCK, as wasmtime's preopened listeners: sock_accept is EAGAIN when nobody
        // waits (a program wanting a blocking accept clears it with fd_fdstat_set_flags)
        listening.push({ fd: fds.add(socketEntry(l.hostFd, true, l.owned)), port: l.port });
      }
      for (const [guest, host] of Object.entries(options.preopens ?? {})) {
        // Resolved once: the sandbox root must be a symlink-free host path.
        const real = realpathSync(host);
        const hostFd = openSync(real, C.O_RDONLY | C.O_DIRECTORY);
        if (!fstatSync(hostFd).isDirectory()) throw new Error(`preopen ${host} is not a directory`);
        fds.add(preopenEntry(hostFd, real, guest));
      }
    } catch (e) {
      fds.closeAll(); // the sockets and directories opened so far
      throw e;
    }
    this.listeners = listening;
    this.state = {
      args: encodeAll(options.args ?? []),
      env: encodeAll(Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)),
      fds,
      deadline: new Deadline(),
    };
    this.returnOnExit = options.returnOnExit ?? true;
    const imports: WasiImport = {};
    for (const f of WASI_FUNCTIONS) {
      const fn = (...raw: unknown[]): number => this.call(f, raw);
      CALLS.set(fn, { wasi: this, call: f });
      imports[f.name] = fn;
    }
    this.wasiImport = imports;
  }

  /** `{ wasi_snapshot_preview1: wasiImport }`, as node:wasi's getImportObject(). */
  getImportObject(): { wasi_snapshot_preview1: WasiImport } {
    return { wasi_snapshot_preview1: this.wasiImport };
  }

  /** Runs a command's `_start`; returns its exit code (0 when _start returns). */
  start(instance: InstanceLike): number {
    const start = this.attach(instance);
    if (typeof start._start !== 'function') throw new TypeError('instance.exports._start is not a function');
    if (start._initialize !== undefined) throw new TypeError('instance.exports._initialize must not be exported by a command');
    try {
      (start._start as () => unknown)();
      return 0;
    } catch (e) {
      if (!(e instanceof WASIExit)) throw e;
      if (!this.returnOnExit) process.exit(e.code);
      return e.code;
    }
  }

  /** Prepares a reactor: runs `_initialize` if exported; `_start` must not be. */
  initialize(instance: InstanceLike): void {
    const ex = this.attach(instance);
    if (ex._start !== undefined) throw new TypeError('instance.exports._start must not be exported by a reactor');
    if (ex._initialize !== undefined) {
      if (typeof ex._initialize !== 'function') throw new TypeError('instance.exports._initialize is not a function');
      (ex._initialize as () => unknown)();
    }
  }

  /**
   * The live state (fd table, encoded argv and environ), for an embedder that serves some calls
   * elsewhere and must mirror it there (kernel mode: kernel-loader/kernel-wasi.ts).
   */
  get wasiState(): WasiState { return this.state; }

  /** Keeps `m` in step with the fd table from now on (FdMirror); returns the detach function. */
  addMirror(m: FdMirror): () => void {
    this.mirrors.add(m);
    return () => { this.mirrors.delete(m); };
  }

  /**
   * Ends blocking host calls `ms` from now (null: never): a call waiting then (stdin, sockets,
   * poll_oneoff, a sleep) throws `Interrupted` instead of returning; the embedder reports it as
   * the trap "interrupted". Pair it with an interrupt of the running code (the CLI's --timeout).
   */
  setDeadline(ms: number | null): void {
    this.state.deadline.set(ms);
    for (const m of this.mirrors) m.deadlineChanged?.();
  }

  /** Closes the host fds this instance opened (preopens, files). */
  close(): void {
    for (const m of this.mirrors) m.pull?.(); // fds a native server closed are not ours to close again
    this.state.fds.closeAll();
  }

  private attach(instance: InstanceLike): Readonly<Record<string, unknown>> {
    if (this.started) throw new Error('WASI instance has already started');
    const ex = instance.exports;
    if (!isMemory(ex.memory)) throw new TypeError('instance.exports.memory is not a memory');
    this.started = true;
    this.memory = ex.memory;
    for (const m of [...this.mirrors]) m.attached?.(instance);
    return ex;
  }

  private call(f: WasiFunction, raw: readonly unknown[]): number {
    if (this.memory === undefined) throw new Error('WASI: start() or initialize() was not called');
    const ctx: CallContext = { mem: new GuestMemory(this.memory), state: this.state };
    const fx = f.fds;
    let lent: FdMirror[] | undefined;
    if (fx !== 'none') for (const m of this.mirrors) if (m.pull?.(f) === true) (lent ??= []).push(m);
    try {
      return f.invoke(ctx, raw);
    } catch (e) {
      if (e instanceof WASIExit || e instanceof Interrupted) throw e;
      return errnoOf(e);
    } finally {
      for (const m of this.mirrors) if (fx === 'table' || (fx === 'position' && m.positions) || lent?.includes(m) === true) m.push(f);
    }
  }
}
