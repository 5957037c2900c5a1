// args, environ, random, proc_exit, proc_raise, sched_yield.

// node:crypto only when a program asks for random bytes (jit/digest.ts: loading it costs a start ~4 ms)
import { randomFill } from '../digest.js';
import type { CallContext } from './context.js';
import { Errno } from './errno.js';

/**
 * Thrown by proc_exit. It must unwind the guest: under V8 it propagates as a JS
 * exception through the wasm frames; under kwasm-jit the runtime abandons the
 * wasm stack when a host call throws. WASI.start() catches it.
 */
export class WASIExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`proc_exit(${code})`);
    this.name = 'WASIExit';
    this.code = code;
  }
}

function writeStrings(ctx: CallContext, list: readonly Uint8Array[], ptrsPtr: number, bufPtr: number): number {
  let at = bufPtr;
  list.forEach((s, i) => {
    ctx.mem.u32(ptrsPtr + 4 * i, at);
    ctx.mem.slice(at, s.length).set(s);
    at += s.length;
  });
  return Errno.SUCCESS;
}

function writeSizes(ctx: CallContext, list: readonly Uint8Array[], countPtr: number, sizePtr: number): number {
  ctx.mem.u32(countPtr, list.length);
  ctx.mem.u32(sizePtr, list.reduce((n, s) => n + s.length, 0));
  return Errno.SUCCESS;
}

export function args_get(ctx: CallContext, argv: number, buf: number): number {
  return writeStrings(ctx, ctx.state.args, argv, buf);
}
export function args_sizes_get(ctx: CallContext, countPtr: number, sizePtr: number): number {
  return writeSizes(ctx, ctx.state.args, countPtr, sizePtr);
}
export function environ_get(ctx: CallContext, environ: number, buf: number): number {
  return writeStrings(ctx, ctx.state.env, environ, buf);
}
export function environ_sizes_get(ctx: CallContext, countPtr: number, sizePtr: number): number {
  return writeSizes(ctx, ctx.state.env, countPtr, sizePtr);
}

export function random_get(ctx: CallContext, buf: number, len: number): number {
  randomFill(ctx.mem.slice(buf, len));
  return Errno.SUCCESS;
}

export function proc_exit(_ctx: CallContext, code: number): never {
  throw new WASIExit(code);
}

/** Signals were dropped from WASI; raising one is not supported. */
export function proc_raise(_ctx: CallContext, _sig: number): number {
  return Errno.NOSYS;
}

export function sched_yield(_ctx: CallContext): number {
  return Errno.SUCCESS;
}
