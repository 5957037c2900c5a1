// The one list of wasi_snapshot_preview1 functions: name, wasm signature and
// implementation. The import object, the signature check a linker may do
// (kwasm-jit's instantiate) and the tests all read this table.
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

export type WasmType = 'i32' | 'i64';
type JsOf<T extends WasmType> = T extends 'i64' ? bigint : number;
type ArgsOf<T extends readonly WasmType[]> = { -readonly [K in keyof T]: JsOf<T[K]> };

export interface WasiFunction {
  readonly name: string;
  readonly params: readonly WasmType[];
  /** `['i32']` (an errno) for all but proc_exit, which does not return. */
  readonly results: readonly WasmType[];
  /** Normalizes raw JS-API arguments and runs the implementation. */
  readonly invoke: (ctx: CallContext, raw: readonly unknown[]) => number;
}

function normalize(type: WasmType, v: unknown): number | bigint {
  if (type === 'i64') return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
  return Number(v) >>> 0;
}

function def<const T extends readonly WasmType[]>(
  name: string, params: T, fn: (ctx: CallContext, ...args: ArgsOf<T>) => number,
  results: readonly WasmType[] = ['i32'],
): WasiFunction {
  return {
    name, params, results,
    invoke: (ctx, raw) => fn(ctx, ...(params.map((t, i) => normalize(t, raw[i])) as ArgsOf<T>)),
  };
}

const I = 'i32';
const L = 'i64';

export const WASI_FUNCTIONS: readonly WasiFunction[] = [
  def('args_get', [I, I], proc.args_get),
  def('args_sizes_get', [I, I], proc.args_sizes_get),
  def('environ_get', [I, I], proc.environ_get),
  def('environ_sizes_get', [I, I], proc.environ_sizes_get),
  def('clock_res_get', [I, I], clock.clock_res_get),
  def('clock_time_get', [I, L, I], clock.clock_time_get),
  def('fd_advise', [I, L, L, I], fs.fd_advise),
  def('fd_allocate', [I, L, L], fs.fd_allocate),
  def('fd_close', [I], fs.fd_close),
  def('fd_datasync', [I], fs.fd_datasync),
  def('fd_fdstat_get', [I, I], fs.fd_fdstat_get),
  def('fd_fdstat_set_flags', [I, I], fs.fd_fdstat_set_flags),
  def('fd_fdstat_set_rights', [I, L, L], fs.fd_fdstat_set_rights),
  def('fd_filestat_get', [I, I], fs.fd_filestat_get),
  def('fd_filestat_set_size', [I, L], fs.fd_filestat_set_size),
  def('fd_filestat_set_times', [I, L, L, I], fs.fd_filestat_set_times),
  def('fd_pread', [I, I, I, L, I], fs.fd_pread),
  def('fd_prestat_get', [I, I], fs.fd_prestat_get),
  def('fd_prestat_dir_name', [I, I, I], fs.fd_prestat_dir_name),
  def('fd_pwrite', [I, I, I, L, I], fs.fd_pwrite),
  def('fd_read', [I, I, I, I], fs.fd_read),
  def('fd_readdir', [I, I, I, L, I], fs.fd_readdir),
  def('fd_renumber', [I, I], fs.fd_renumber),
  def('fd_seek', [I, L, I, I], fs.fd_seek),
  def('fd_sync', [I], fs.fd_sync),
  def('fd_tell', [I, I], fs.fd_tell),
  def('fd_write', [I, I, I, I], fs.fd_write),
  def('path_create_directory', [I, I, I], fs.path_create_directory),
  def('path_filestat_get', [I, I, I, I, I], fs.path_filestat_get),
  def('path_filestat_set_times', [I, I, I, I, L, L, I], fs.path_filestat_set_times),
  def('path_link', [I, I, I, I, I, I, I], fs.path_link),
  def('path_open', [I, I, I, I, I, L, L, I, I], fs.path_open),
  def('path_readlink', [I, I, I, I, I, I], fs.path_readlink),
  def('path_remove_directory', [I, I, I], fs.path_remove_directory),
  def('path_rename', [I, I, I, I, I, I], fs.path_rename),
  def('path_symlink', [I, I, I, I, I], fs.path_symlink),
  def('path_unlink_file', [I, I, I], fs.path_unlink_file),
  def('poll_oneoff', [I, I, I, I], poll.poll_oneoff),
  def('proc_exit', [I], proc.proc_exit, []),
  def('proc_raise', [I], proc.proc_raise),
  def('sched_yield', [], proc.sched_yield),
  def('random_get', [I, I], proc.random_get),
  def('sock_accept', [I, I, I], sock.sock_accept),
  def('sock_recv', [I, I, I, I, I, I], sock.sock_recv),
  def('sock_send', [I, I, I, I, I], sock.sock_send),
  def('sock_shutdown', [I, I], sock.sock_shutdown),
];
