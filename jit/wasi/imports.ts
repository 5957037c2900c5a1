// The one WASI call table: for each wasi_snapshot_preview1 function, its wasm signature, its
// TypeScript implementation, its native user-space server if any, its ring-0 server id if any,
// and what it may do to the fd table. Everything else reads this table: the import object
// (index.ts), the fd-table mirrors of the native servers (index.ts FdMirror: the user-space fast
// stub's and kwasm.ko's), kernel mode's list of ring-0 imports (kernel-loader/loader.ts)
// and the C ids (`npm run gen:abi` writes KWASM_HOST_WASI_* into kmod/kwasm_abi.h). Adding a
// function is one `def` line; serving it in ring 0 is `ring0: <next id>` plus its C server in
// kmod/kwasm_wasi.c (tests/kernel/ioctl-header.test.ts checks the server exists).
//
// Arguments arrive in the JS-API convention (i32 as number, possibly negative;
// i64 as BigInt, possibly negative) and are normalized once here: every i32 in
// preview 1 is unsigned (fds, pointers, lengths, flags) and becomes a u32, every
// i64 a u64 BigInt (the one signed i64, fd_seek's delta, is reinterpreted there).

import * as clock from './clock.js';
import type { CallContext } from './context.js';
import * as fs from './fs.js';
import * as poll from './poll.js';
import * as proc from './proc.js';
import * as sock from './sock.js';

/** The import module every function below is looked up in. */
export const WASI_MODULE = 'wasi_snapshot_preview1';

export type WasmType = 'i32' | 'i64';
type JsOf<T extends WasmType> = T extends 'i64' ? bigint : number;
type ArgsOf<T extends readonly WasmType[]> = { -readonly [K in keyof T]: JsOf<T[K]> };

/**
 * What a call may do to the fd table, for the mirrors kept by native servers (index.ts FdMirror):
 * - `none`: never looks at it (args, clocks, random, process);
 * - `reads`: reads entries (a file position, a directory fd) and changes none;
 * - `position`: may move a file's position, nothing else;
 * - `table`: may add, remove or renumber an entry or change its kind, rights or flags.
 * A call defined without one is `table`, so a new call is mirrored safely by default.
 */
export type FdEffect = 'none' | 'reads' | 'position' | 'table';

/**
 * Native user-space servers: the fast host-call stub's operations (jit/runtime/trampolines.ts
 * FAST_OPS), each serving the call only in the cases it knows to answer exactly as the
 * TypeScript implementation (anything else goes to JS before a side effect): write/read/recv/send
 * on a mirrored stream or socket, pread/filestat on a regular file, fdstat on any mirrored fd, poll over mirrored fds and
 * REALTIME/MONOTONIC clocks, accept on a socket, close of an fd we own, open of an existing regular file read-only.
 * accept, close and open change the fd table natively: the mirror pulls them back (FdMirror).
 */
export const NATIVE_SERVERS = ['write', 'read', 'recv', 'send', 'pread', 'poll', 'filestat', 'fdstat', 'accept', 'close', 'open'] as const;
export type NativeServer = (typeof NATIVE_SERVERS)[number];

export interface WasiOptions {
  /** KWASM_HOST_WASI_<NAME> in kmod/kwasm_abi.h: kwasm.ko serves the call in ring 0 (a stable ABI number). */
  readonly ring0?: number;
  /** The fast stub serves the call natively in user space when the fd is mirrored. */
  readonly native?: NativeServer;
  readonly fds?: FdEffect;
}

export interface WasiFunction {
  readonly name: string;
  readonly params: readonly WasmType[];
  /** `['i32']` (an errno) for all but proc_exit, which does not return. */
  readonly results: readonly WasmType[];
  readonly ring0: number | undefined;
  readonly native: NativeServer | undefined;
  readonly fds: FdEffect;
  /** Normalizes raw JS-API arguments and runs the implementation. */
  readonly invoke: (ctx: CallContext, raw: readonly unknown[]) => number;
}

function normalize(type: WasmType, v: unknown): number | bigint {
  if (type === 'i64') return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
  return Number(v) >>> 0;
}

function def<const T extends readonly WasmType[]>(
  name: string, params: T, fn: (ctx: CallContext, ...args: ArgsOf<T>) => number,
  opts: WasiOptions = {}, results: readonly WasmType[] = ['i32'],
): WasiFunction {
  return {
    name, params, results, ring0: opts.ring0, native: opts.native, fds: opts.fds ?? 'table',
    invoke: (ctx, raw) => fn(ctx, ...(params.map((t, i) => normalize(t, raw[i])) as ArgsOf<T>)),
  };
}

const I = 'i32';
const L = 'i64';
const NONE = { fds: 'none' } as const;
const READS = { fds: 'reads' } as const;

export const WASI_FUNCTIONS: readonly WasiFunction[] = [
  def('args_get', [I, I], proc.args_get, { ring0: 11, fds: 'none' }),
  def('args_sizes_get', [I, I], proc.args_sizes_get, { ring0: 12, fds: 'none' }),
  def('environ_get', [I, I], proc.environ_get, { ring0: 13, fds: 'none' }),
  def('environ_sizes_get', [I, I], proc.environ_sizes_get, { ring0: 14, fds: 'none' }),
  def('clock_res_get', [I, I], clock.clock_res_get, NONE),
  def('clock_time_get', [I, L, I], clock.clock_time_get, { ring0: 3, fds: 'none' }),
  def('fd_advise', [I, L, L, I], fs.fd_advise, READS),
  def('fd_allocate', [I, L, L], fs.fd_allocate, READS),
  def('fd_close', [I], fs.fd_close, { ring0: 9, native: 'close', fds: 'table' }),
  def('fd_datasync', [I], fs.fd_datasync, READS),
  def('fd_fdstat_get', [I, I], fs.fd_fdstat_get, { ring0: 7, native: 'fdstat', fds: 'reads' }),
  def('fd_fdstat_set_flags', [I, I], fs.fd_fdstat_set_flags, { ring0: 16, fds: 'table' }),
  def('fd_fdstat_set_rights', [I, L, L], fs.fd_fdstat_set_rights, { fds: 'table' }),
  def('fd_filestat_get', [I, I], fs.fd_filestat_get, { ring0: 21, native: 'filestat', fds: 'reads' }),
  def('fd_filestat_set_size', [I, L], fs.fd_filestat_set_size, READS),
  def('fd_filestat_set_times', [I, L, L, I], fs.fd_filestat_set_times, READS),
  def('fd_pread', [I, I, I, L, I], fs.fd_pread, { ring0: 22, native: 'pread', fds: 'reads' }),
  def('fd_prestat_get', [I, I], fs.fd_prestat_get, READS),
  def('fd_prestat_dir_name', [I, I, I], fs.fd_prestat_dir_name, READS),
  def('fd_pwrite', [I, I, I, L, I], fs.fd_pwrite, READS),
  def('fd_read', [I, I, I, I], fs.fd_read, { ring0: 2, native: 'read', fds: 'position' }),
  def('fd_readdir', [I, I, I, L, I], fs.fd_readdir, READS),
  def('fd_renumber', [I, I], fs.fd_renumber, { fds: 'table' }),
  def('fd_seek', [I, L, I, I], fs.fd_seek, { ring0: 6, fds: 'position' }),
  def('fd_sync', [I], fs.fd_sync, READS),
  def('fd_tell', [I, I], fs.fd_tell, { ring0: 10, fds: 'reads' }),
  def('fd_write', [I, I, I, I], fs.fd_write, { ring0: 1, native: 'write', fds: 'position' }),
  def('path_create_directory', [I, I, I], fs.path_create_directory, READS),
  def('path_filestat_get', [I, I, I, I, I], fs.path_filestat_get, READS),
  def('path_filestat_set_times', [I, I, I, I, L, L, I], fs.path_filestat_set_times, READS),
  def('path_link', [I, I, I, I, I, I, I], fs.path_link, READS),
  // in ring 0 only serveOpen's case (a read-only open of an existing regular file, kmod/kwasm_path.c)
  def('path_open', [I, I, I, I, I, L, L, I, I], fs.path_open, { ring0: 23, native: 'open', fds: 'table' }),
  def('path_readlink', [I, I, I, I, I, I], fs.path_readlink, READS),
  def('path_remove_directory', [I, I, I], fs.path_remove_directory, READS),
  def('path_rename', [I, I, I, I, I, I], fs.path_rename, READS),
  def('path_symlink', [I, I, I, I, I], fs.path_symlink, READS),
  def('path_unlink_file', [I, I, I], fs.path_unlink_file, READS),
  // clocks, files and TCP sockets in ring 0 (kwasm_net.c); any other fd there exits to user space
  def('poll_oneoff', [I, I, I, I], poll.poll_oneoff, { ring0: 8, native: 'poll', fds: 'reads' }),
  // ends the call with status EXIT in ring 0, thrown as WASIExit by kernel-loader/loader.ts
  def('proc_exit', [I], proc.proc_exit, { ring0: 15, fds: 'none' }, []),
  def('proc_raise', [I], proc.proc_raise, NONE),
  def('sched_yield', [], proc.sched_yield, { ring0: 5, fds: 'none' }),
  def('random_get', [I, I], proc.random_get, { ring0: 4, fds: 'none' }),
  // in ring 0 on socket entries of the mirrored table (kwasm_net.c); an accepted socket joins both tables
  def('sock_accept', [I, I, I], sock.sock_accept, { ring0: 17, native: 'accept', fds: 'table' }),
  def('sock_recv', [I, I, I, I, I, I], sock.sock_recv, { ring0: 18, native: 'recv', fds: 'reads' }),
  def('sock_send', [I, I, I, I, I], sock.sock_send, { ring0: 19, native: 'send', fds: 'reads' }),
  def('sock_shutdown', [I, I], sock.sock_shutdown, { ring0: 20, fds: 'reads' }),
];

/** The row of `name`, or undefined for a name preview 1 does not have. */
export function wasiFunction(name: string): WasiFunction | undefined {
  return BY_NAME.get(name);
}
const BY_NAME = new Map(WASI_FUNCTIONS.map((f) => [f.name, f]));
