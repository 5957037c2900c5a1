// `kwasm-jit run`: compile, link (WASI when the module imports it), run `_start` or `--invoke`,
// and turn the outcome into an exit status (EXIT below; `--help` prints the same policy).
//
// Start-up matters for a CLI: everything here is loaded on demand and nothing pulls in the
// disassembler or the reference assembler (capstone/keystone wasm modules), which only
// `kwasm-jit compile --disasm` needs.
import { readFileSync } from 'node:fs';
import { parseRunArgs, UsageError, type RunOptions } from './args.js';
import { formatValue, parseValue, typeName, ValueError } from './values.js';
import type { Frame } from './backtrace.js';
import { CompileError, LinkError } from '../errors.js';
import * as api from '../instance/module.js';
import type { Module } from '../instance/module.js';
import type { Instance, ImportObject } from '../instance/loader.js';
import type { Store } from '../instance/store.js';
import type { ModuleInfo } from '../frontend/types.js';
import type { Trap } from '../runtime/index.js';
import { lookupCompiled, lookupCompiledFile, type Loaded } from '../cache/load.js';
import { say, wasiFor, addTrappingImports, UnknownImportCalled } from './host.js';
import { nowMs } from '../now.js';

/** Exit statuses of `run` besides the program's own (proc_exit code & 255, or 0 when _start returns). */
export const EXIT = {
  /** something failed before or around the wasm code: unreadable file, invalid module, link error, bad --invoke */
  error: 1,
  /** the command line itself is wrong (unknown option, missing value, no FILE) */
  usage: 2,
  /** the wasm code trapped, was interrupted by --timeout, or called an unknown import; 128 + SIGABRT, as wasmtime */
  trap: 134,
  /** a bug of ours (an exception that is neither a trap nor a reported error) */
  internal: 70,
} as const;

const RUN_USAGE = 'run [OPTIONS] FILE.wasm [ARGS...]';

const RUN_HELP = `usage: kwasm-jit ${RUN_USAGE}

Compile FILE.wasm and run it (FILE may also be a module compiled by 'kwasm-jit compile -o'). A WASI command (imports wasi_snapshot_preview1) gets ARGS as
argv[1..], the process's own stdin/stdout/stderr, no environment variables and no file system
unless granted below. Without --invoke the module's _start runs.

options (given before FILE; everything after FILE goes to the program):
  --dir HOST[::GUEST]        grant the host directory HOST to the program as GUEST (default: HOST);
                             paths never resolve outside it (no '..', symlink or absolute escape)
  --env NAME=VALUE           set an environment variable for the program (NAME alone: the host's)
  --tcplisten HOST:PORT      listen on TCP HOST:PORT (IPv4 or localhost; repeatable) and give the
                             program the listening socket as fd 3, 4, ... (after stdio, before the
                             --dir preopens) and LISTEN_FDS=N; it accepts with sock_accept
  --invoke NAME              call the exported function NAME with ARGS instead of _start; ARGS are
                             parsed by its parameter types (i32/i64: decimal or 0x hex, f32/f64:
                             decimal, inf, nan) and the results printed one per line as wasmtime
                             does (f32/f64 shortest round-trip decimal, inf, NaN)
  --argv0 NAME               argv[0] for the program (default: FILE as given)
  --timeout MS               interrupt the program after MS milliseconds of wall time; reported as
                             the trap "interrupted" (checked at loop headers and calls, so also a
                             tight 'while(1){}', and in a host call waiting in the OS: reading
                             stdin or a socket, sleeping, poll_oneoff)
  --trap-unknown-imports     instantiate even if a function import is not provided; calling it traps
                             (without it an unknown import is a link error naming the import)
  --kernel                   run the compiled code in ring 0 through /dev/kwasm (kwasm.ko); stdio,
                             clocks and random are served in the kernel, other WASI calls here
  --no-cache                 compile FILE even if the compiled-code cache has it, and store nothing
                             (the cache: $XDG_CACHE_HOME/kwasm-jit, else ~/.cache/kwasm-jit)
  -h, --help                 this text

exit status:
  N      the program's exit code: proc_exit(N) or return from main, modulo 256 (0 when _start returns)
  ${EXIT.trap}    wasm trap (message 'wasm trap: KIND' and a wasm backtrace on stderr), --timeout
  ${EXIT.error}      unreadable file, invalid module, link error, bad --invoke name or arguments
  ${EXIT.usage}      command-line usage error
  ${EXIT.internal}     internal error in kwasm-jit

A backtrace frame 'NAME (func N) +0xOFF' is machine-code offset OFF in function N; see it with
'kwasm-jit compile FILE.wasm --disasm --func N'. Names come from the module's name section.

environment:
  KWASM_BENCH_TIMING=1       print '@bench-timing {"compileMs":N,"runMs":N,"cache":S}' on stderr after
                             the run (S: hit, miss, off, or file for a compiled module)
  KWASM_CACHE=0              do not use the compiled-code cache (as --no-cache)
  KWASM_CACHE_MAX_MB=N       bound the cache to N MiB (default 1024; least recently used go first)`;


interface Running {
  module: Module;
  store: Store;
  instance?: Instance;
}

/** `kwasm-jit run`; `exiting`: the process ends when this returns (jit/cli.ts main). */
export async function runCmd(argv: string[], exiting = false): Promise<number> {
  let o: RunOptions;
  try {
    o = parseRunArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`run: ${e.message}`);
    process.stderr.write(`usage: kwasm-jit ${RUN_USAGE} (see kwasm-jit run --help)\n`);
    return EXIT.usage;
  }
  if (o.help) {
    process.stdout.write(`${RUN_HELP}\n`);
    return 0;
  }
  if (o.kernel) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(o.file);
    } catch (e) {
      say(`${o.file}: ${(e as Error).message}`);
      return EXIT.error;
    }
    return (await import('./kernel.js')).runKernel(o, bytes);
  }

  const t0 = nowMs();
  const loaded = await loadOrReport(o, o.file);
  if (loaded === undefined) return EXIT.error;
  const module: Module = new api.Module(loaded.compiled);
  const t1 = nowMs();
  const info = module.compiled.info;
  const store = new api.Store();
  const running: Running = { module, store };
  let watchdog: import('./timeout.js').Watchdog | undefined;
  let t2 = t1;
  try {
    const wasi = await wasiFor(o, info);
    if (wasi instanceof Error) { say(wasi.message); return EXIT.error; }
    // a copy of WASI's namespace, which --trap-unknown-imports may extend; the functions stay
    // WASI's own, so instantiate serves fd_write/fd_read in machine code (instance/native-wasi.ts)
    const imports: ImportObject = wasi ? { wasi_snapshot_preview1: { ...wasi.wasiImport } } : {};
    if (o.trapUnknownImports) addTrappingImports(imports, info.imports);
    const instance = (running.instance = api.instantiate(module, imports, store));
    if (o.timeoutMs !== undefined) {
      const { Watchdog } = await import('./timeout.js');
      watchdog = await Watchdog.create([instance.vmctx.addr]);
    }
    t2 = nowMs();
    watchdog?.arm(o.timeoutMs as number);
    // the same deadline for a guest waiting in a host call (stdin, sockets, poll_oneoff)
    if (o.timeoutMs !== undefined) wasi?.setDeadline(o.timeoutMs);
    let status: number;
    if (o.invoke !== undefined) {
      status = invoke(o, module, instance, wasi);
    } else if (wasi) {
      status = wasi.start(instance);
    } else if (typeof instance.exports._start === 'function') {
      (instance.exports._start as () => unknown)();
      status = 0;
    } else {
      say(`${o.file}: not a WASI command and no _start export; use --invoke NAME`);
      return EXIT.error;
    }
    return status & 255;
  } catch (e) {
    // the backtrace printer (and the function-name lookup) only when something failed
    return reportFailure(e, o, running, await import('./backtrace.js'));
  } finally {
    const t3 = nowMs();
    await watchdog?.stop();
    if (process.env.KWASM_BENCH_TIMING === '1') {
      const r = (x: number): number => Math.round(x * 1000) / 1000;
      process.stderr.write(`@bench-timing ${JSON.stringify({ compileMs: r(t1 - t0), runMs: r(t3 - t2), cache: loaded.source })}\n`);
    }
    // Freed only now: the watchdog (stopped above) writes into the vmctx. Not at all when the
    // process ends next: the exit unmaps it all, and the 5 munmaps and the WASI mirror's last pull
    // cost a warm hello ~0.4M instructions (the program's output is written already: fd_write is
    // a write(2), nothing of it is buffered in the store).
    if (!exiting) store.dispose();
  }
}

/**
 * The module's code (cache, .kwasm file or compiler: jit/cache/load.ts), or undefined after
 * reporting why not (invalid wasm, a .kwasm this build cannot load).
 */
export async function loadOrReport(o: RunOptions, from: Uint8Array | string): Promise<Loaded | undefined> {
  try {
    // a path: an unchanged file the cache knows is not read whole (jit/cache/wasm-file.ts)
    const l = typeof from === 'string' ? lookupCompiledFile(from, { cache: o.cache }) : { ...lookupCompiled(from, { cache: o.cache }), bytes: from };
    // the compiler (its modules are a good part of a small program's start) only on a miss
    return l.loaded ?? l.compiled((await import('../compiler/module-compiler.js')).compileModule(l.bytes));
  } catch (e) {
    if (e instanceof CompileError) say(`${o.file}: ${e.kind}: ${e.message}`);
    else if (e instanceof Error && 'code' in e && 'syscall' in e) say(`${o.file}: ${e.message}`);
    else if (e instanceof Error && e.name === 'ModuleFileError') say(`${o.file}: cannot load compiled module: ${e.message}`);
    else throw e;
    return undefined;
  }
}

/** --invoke: returns 0 after printing the results, or throws (trap, proc_exit, ValueError). */
function invoke(o: RunOptions, module: Module, instance: Instance, wasi: import('../wasi/index.js').WASI | undefined): number {
  return invokeExport(o, module.compiled.info, instance.exports, wasi);
}

/**
 * --invoke on any instance's exports (user mode, or a kernel instance for --kernel): parse ARGS by
 * NAME's parameter types, call it, print the results one per line; 0, or proc_exit's code, or
 * throws (trap, ValueError).
 */
export function invokeExport(o: RunOptions, info: ModuleInfo, exports: Record<string, unknown>, wasi: import('../wasi/index.js').WASI | undefined): number {
  const name = o.invoke as string;
  const e = info.exports.find((x) => x.kind === 'func' && x.name === name);
  if (!e) throw new ValueError(`no exported function '${name}'`);
  const ft = info.types[info.funcTypeIndices[e.index]];
  if (o.args.length !== ft.params.length) {
    throw new ValueError(`'${name}' takes ${ft.params.length} argument(s) (${Array.from(ft.params, typeName).join(', ')}), ${o.args.length} given`);
  }
  const args = o.args.map((text, k) => {
    try {
      return parseValue(ft.params[k], text);
    } catch (err) {
      throw err instanceof ValueError ? new ValueError(`argument ${k + 1} of '${name}': ${err.message}`) : err;
    }
  });
  if (wasi) {
    // WASI host calls need the instance's memory attached; initialize() does that (and runs a
    // reactor's _initialize). A command's _start is hidden from it: we call NAME, not _start.
    wasi.initialize({ exports: { ...exports, _start: undefined } });
  }
  const fn = exports[name] as (...a: unknown[]) => unknown;
  try {
    const r = fn(...args);
    const results = ft.results.length === 1 ? [r] : ft.results.length === 0 ? [] : (r as unknown[]);
    process.stdout.write(results.map((v, k) => `${formatValue(ft.results[k], v)}\n`).join(''));
    return 0;
  } catch (err) {
    if (err instanceof Error && err.name === 'WASIExit') return (err as Error & { code: number }).code;
    throw err;
  }
}

function trapOf(e: unknown): Trap | undefined {
  return e instanceof Error ? (e as Error & { trap?: Trap }).trap : undefined;
}

type Backtraces = typeof import('./backtrace.js');

function reportFailure(e: unknown, o: RunOptions, r: Running, bt: Backtraces): number {
  if (e instanceof ValueError) {
    say(`${o.file}: ${e.message}`);
    return EXIT.error;
  }
  if (e instanceof LinkError) {
    say(`${o.file}: link error: ${e.message}${/unknown import/.test(e.message) ? ' (--trap-unknown-imports to run anyway)' : ''}`);
    return EXIT.error;
  }
  const trap = trapOf(e);
  if (trap !== undefined) {
    const why = trap.kind === 'interrupted' && o.timeoutMs !== undefined ? ` (--timeout ${o.timeoutMs} ms)` : '';
    say(`wasm trap: ${trap.message}${why}`);
    printBacktrace(r, bt, (v, base) => bt.trapBacktrace(r.module.compiled, base, v, trap));
    return EXIT.trap;
  }
  if (e instanceof Error && e.name === 'Interrupted') {
    // the deadline passed while the guest waited in a host call: the same trap as in code
    say(`wasm trap: interrupted${o.timeoutMs !== undefined ? ` (--timeout ${o.timeoutMs} ms)` : ''}`);
    printBacktrace(r, bt, (v, base) => bt.hostCallBacktrace(r.module.compiled, base, v));
    return EXIT.trap;
  }
  if (e instanceof UnknownImportCalled) {
    say(`wasm trap: ${e.message}`);
    printBacktrace(r, bt, (v, base) => bt.hostCallBacktrace(r.module.compiled, base, v));
    return EXIT.trap;
  }
  if (e instanceof Error && e.name === 'RuntimeError') {
    // A trap during instantiation that the instance layer reports without a Trap record
    // (an active segment out of bounds).
    say(`wasm trap: ${e.message}`);
    return EXIT.trap;
  }
  say(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return EXIT.internal;
}

type Vm = Instance['vmctx'];

function printBacktrace(r: Running, bt: Backtraces, frames: (v: Vm, codeBase: bigint) => Frame[]): void {
  if (r.instance === undefined) return;
  const lines = bt.formatBacktrace(frames(r.instance.vmctx, r.module.code(r.store)));
  if (lines.length > 1) process.stderr.write(`${lines.join('\n')}\n`);
}
