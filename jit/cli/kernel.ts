// `kwasm-jit run --kernel`: the same compiled code, run in ring 0 by kwasm.ko (/dev/kwasm).
//
// The WASI imports the kernel serves itself (stdio fd_write/fd_read, clock_time_get, random_get,
// sched_yield) never leave ring 0; every other WASI call stops the wasm stack and comes back
// here as a host call, served by jit/wasi/ exactly as in user mode. jit/wasi/ reads guest memory
// through `exports.memory.buffer`, which in kernel mode is an mmap of the kernel instance's own
// linear memory pages (kernel-instance.ts KernelMemory), so there is no copying around calls.
// Loaded only for --kernel: user-mode runs never load ffi-rs or open the device.
import type { RunOptions } from './args.js';
import { EXIT } from './run.js';
import { CompileError, LinkError } from '../errors.js';
import type { Trap } from '../runtime/index.js';
import { say, wasiFor, addTrappingImports, UnknownImportCalled, type Imports } from './host.js';


export async function runKernel(o: RunOptions, bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  let t1 = t0, t2 = t0;
  if (o.invoke !== undefined) {
    say('--invoke is not supported with --kernel yet');
    return EXIT.usage;
  }
  const { KernelInstance, KERNEL_HOST, KernelUnsupportedError } = await import('../../kernel-loader/kernel-instance.js');
  const { KwasmError } = await import('../../kernel-loader/ioctl.js');
  let instance: import('../../kernel-loader/kernel-instance.js').KernelInstance | undefined;
  try {
    const { compileModule } = await import('../compiler/module-compiler.js');
    let compiled: import('../compiler/module-compiler.js').CompiledModule;
    try {
      compiled = compileModule(bytes);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      say(`${o.file}: ${e.kind}: ${e.message}`);
      return EXIT.error;
    }
    t1 = performance.now();
    const wasi = await wasiFor(o, compiled.info.imports);
    if (wasi instanceof Error) { say(wasi.message); return EXIT.error; }
    const imports: Imports = { ...(wasi?.getImportObject() ?? {}) };
    if (o.trapUnknownImports) addTrappingImports(imports, compiled.info.imports);
    instance = new KernelInstance(compiled, imports, {
      kernelImports: new Set(Object.keys(KERNEL_HOST)),
      timeoutNs: o.timeoutMs !== undefined ? BigInt(o.timeoutMs) * 1_000_000n : 0n,
    });
    t2 = performance.now();
    const ex = instance.exports;
    if (wasi) return wasi.start({ exports: ex }) & 255;
    if (typeof ex._start === 'function') {
      (ex._start as () => unknown)();
      return 0;
    }
    say(`${o.file}: not a WASI command and no _start export (--invoke is not supported with --kernel yet)`);
    return EXIT.error;
  } catch (e) {
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
      return EXIT.trap;
    }
    if (e instanceof UnknownImportCalled || e instanceof RangeError || (e instanceof Error && e.name === 'RuntimeError')) {
      say(`wasm trap: ${(e as Error).message}`);
      return EXIT.trap;
    }
    say(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return EXIT.internal;
  } finally {
    const t3 = performance.now();
    instance?.close();
    if (process.env.KWASM_BENCH_TIMING === '1') {
      const r = (x: number): number => Math.round(x * 1000) / 1000;
      process.stderr.write(`@bench-timing ${JSON.stringify({ compileMs: r(t1 - t0), runMs: r(t3 - t2) })}\n`);
    }
  }
}

