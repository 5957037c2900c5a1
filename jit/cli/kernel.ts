// `kwasm-jit run --kernel`: the same compiled code, run in ring 0 by kwasm.ko (/dev/kwasm).
//
// The WASI imports the kernel serves itself (fd_read/fd_write/fd_seek/fd_tell/fd_fdstat_get/
// fd_fdstat_set_flags/fd_close on every fd of its mirror of jit/wasi's fd table, the sock_* calls
// on the --tcplisten listeners and what they accept, poll_oneoff over clocks, files and sockets,
// args/environ, proc_exit, clock_time_get, random_get, sched_yield) never leave ring 0; every other
// WASI call stops the wasm stack and comes back here as a host call, served by jit/wasi/ exactly
// as in user mode (kernel-loader/kernel-wasi.ts keeps the two fd tables in step). jit/wasi/ reads
// guest memory through `exports.memory.buffer`, which in kernel mode is an mmap of the kernel
// instance's own linear memory pages (kernel-loader/loader.ts KernelMemory), so there is no copying
// around calls.
// Loaded only for --kernel: user-mode runs never load ffi-rs or open the device.
import type { RunOptions } from './args.js';
import { EXIT, invokeExport, loadOrReport } from './run.js';
import { ValueError } from './values.js';
import { backtraceFromOffsets, formatBacktrace } from './backtrace.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import type { Loaded } from '../cache/load.js';
import type { KernelInstance } from '../../kernel-loader/loader.js';
import { CompileError, LinkError } from '../errors.js';
import type { Trap } from '../runtime/index.js';
import { say, wasiFor, addTrappingImports, UnknownImportCalled, type Imports } from './host.js';
import { nowMs } from '../now.js';


export async function runKernel(o: RunOptions, bytes: Uint8Array): Promise<number> {
  const t0 = nowMs();
  let t1 = t0, t2 = t0;
  const { KernelInstance, KERNEL_HOST, KernelUnsupportedError } = await import('../../kernel-loader/loader.js');
  const { KwasmError } = await import('../../kernel-loader/ioctl.js');
  let instance: import('../../kernel-loader/loader.js').KernelInstance | undefined;
  let kwasi: import('../../kernel-loader/kernel-wasi.js').KernelWasi | undefined;
  let compiled: CompiledModule | undefined;
  let source: Loaded['source'] | undefined;
  try {
    const loaded = await loadOrReport(o, bytes);
    if (loaded === undefined) return EXIT.error;
    compiled = loaded.compiled;
    source = loaded.source;
    t1 = nowMs();
    const wasi = await wasiFor(o, compiled.info);
    if (wasi instanceof Error) { say(wasi.message); return EXIT.error; }
    if (wasi) kwasi = new (await import('../../kernel-loader/kernel-wasi.js')).KernelWasi(wasi);
    const imports: Imports = { ...(kwasi?.importObject() ?? {}) };
    if (o.trapUnknownImports) addTrappingImports(imports, compiled.info.imports);
    instance = new KernelInstance(compiled, imports, {
      kernelImports: new Set(Object.keys(KERNEL_HOST)),
      onLoad: kwasi?.attach,
      timeoutNs: o.timeoutMs !== undefined ? BigInt(o.timeoutMs) * 1_000_000n : 0n,
    });
    // --timeout is a wall clock for the whole run from here, as user mode arms its watchdog
    // (the start function above had it per call): every RESUME gets the time left
    if (o.timeoutMs !== undefined) instance.setDeadline(o.timeoutMs);
    // and for the calls served here in user space (jit/wasi/wait.ts)
    if (o.timeoutMs !== undefined) wasi?.setDeadline(o.timeoutMs);
    t2 = nowMs();
    const ex = instance.exports;
    if (o.invoke !== undefined) return invokeExport(o, compiled.info, ex, wasi) & 255;
    if (wasi) return wasi.start({ exports: ex }) & 255;
    if (typeof ex._start === 'function') {
      (ex._start as () => unknown)();
      return 0;
    }
    say(`${o.file}: not a WASI command and no _start export; use --invoke NAME`);
    return EXIT.error;
  } catch (e) {
    if (e instanceof ValueError) {
      say(`${o.file}: ${e.message}`);
      return EXIT.error;
    }
    if (e instanceof KwasmError) {
      say(`--kernel: ${e.message} (is kwasm.ko loaded and /dev/kwasm accessible?)`);
      return EXIT.error;
    }
    if (e instanceof KernelUnsupportedError) {
      say(`${o.file}: --kernel: ${e.message}`);
      return EXIT.error;
    }
    if (e instanceof LinkError) {
      say(`${o.file}: link error: ${e.message}${/unknown import/.test(e.message) ? ' (--trap-unknown-imports to run anyway)' : ''}`);
      return EXIT.error;
    }
    const trap = e instanceof Error ? (e as Error & { trap?: Trap }).trap : undefined;
    if (trap !== undefined) {
      const why = trap.kind === 'interrupted' && o.timeoutMs !== undefined ? ` (--timeout ${o.timeoutMs} ms)` : '';
      say(`wasm trap: ${trap.message}${why}`);
      if (instance && compiled) printBacktrace(instance, compiled, trap.signal === 0);
      return EXIT.trap;
    }
    if (e instanceof Error && e.name === 'Interrupted') {
      say(`wasm trap: interrupted${o.timeoutMs !== undefined ? ` (--timeout ${o.timeoutMs} ms)` : ''}`);
      return EXIT.trap;
    }
    if (e instanceof UnknownImportCalled || e instanceof RangeError || (e instanceof Error && e.name === 'RuntimeError')) {
      say(`wasm trap: ${(e as Error).message}`);
      // a host function threw: the wasm stack is still stopped at its call
      if (e instanceof UnknownImportCalled && instance && compiled) printBacktrace(instance, compiled, true);
      return EXIT.trap;
    }
    say(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return EXIT.internal;
  } finally {
    const t3 = nowMs();
    instance?.close(); // its device's close hook does kernel WASI's final pull (KernelWasi.attach)
    if (process.env.KWASM_BENCH_TIMING === '1') {
      const r = (x: number): number => Math.round(x * 1000) / 1000;
      process.stderr.write(`@bench-timing ${JSON.stringify({ compileMs: r(t1 - t0), runMs: r(t3 - t2), cache: source })}\n`);
    }
  }
}

/**
 * The wasm backtrace user mode prints: the kernel walks the stopped wasm stack's frame chain
 * (KWASM_IOC_TRACE, offsets only) and the names come from the module here. `pcIsReturn`: the
 * stop's pc is a return address (trap stub, host call), not a faulting instruction.
 */
function printBacktrace(instance: KernelInstance, compiled: CompiledModule, pcIsReturn: boolean): void {
  let t: ReturnType<KernelInstance['trapTrace']>;
  try {
    t = instance.trapTrace();
  } catch {
    return; // no stopped stack to walk (a trap during instantiation, a closed device)
  }
  // pc 0: the kernel stopped the run between two stretches of wasm (a deadline or a fatal
  // signal seen outside the code): there is no wasm pc to start from
  if (t.trapPc === 0n) return;
  const lines = formatBacktrace(backtraceFromOffsets(compiled, t.trapPc, pcIsReturn, t.frames));
  if (lines.length > 1) process.stderr.write(`${lines.join('\n')}\n`);
}
