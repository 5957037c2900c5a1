// ffi-rs, loaded once for the whole process (every other module imports it from here).
//
// ffi-rs's index.js picks its glibc or musl binary with `process.report.getReport()`, a full
// diagnostic report (libuv handles, stacks, loaded objects) that cost ~7-9 ms of every start
// just to read `header.glibcVersionRuntime`. /proc/self/maps names the C library this process
// was linked against in a fraction of that, so while ffi-rs's index runs, getReport answers
// that one field from the maps; when the maps name neither glibc nor musl (a static node),
// ffi-rs asks Node itself as before. `require` rather than `import`: an ES import of a CommonJS
// package is evaluated before any code of the importing bundle can run (and pays the CJS export
// scan); require runs exactly here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type Ffi = typeof import('ffi-rs');
export type { JsExternal } from 'ffi-rs';

/** The C library named by a /proc/<pid>/maps text, or undefined if neither or both are. */
export function libcOfMaps(maps: string): 'glibc' | 'musl' | undefined {
  // glibc: libc.so.6 (or libc-2.NN.so before 2.34); musl: its loader is the library
  // (ld-musl-ARCH.so.1; Alpine also links libc.musl-ARCH.so.1 to it)
  const glibc = /\/libc(?:\.so\.6|-\d[\d.]*\.so)$/m.test(maps);
  const musl = /\/(?:ld-musl-[^/\s]+\.so\.1|libc\.musl-[^/\s]+)$/m.test(maps);
  return glibc === musl ? undefined : glibc ? 'glibc' : 'musl';
}

/** The part of ffi-rs's native binding (its .node addon) this runtime calls. */
interface Binding {
  open: Ffi['open'];
  load: Ffi['load'];
  DataType: Ffi['DataType'];
  createExternalBuffer: Ffi['createExternalBuffer'];
}

/**
 * The binding package ffi-rs's index.js would pick on this machine (`@yuuang/ffi-rs-linux-x64-gnu`
 * ...), or undefined where its name is not that simple pattern (32-bit arm's gnueabihf, other
 * systems): those go through ffi-rs's index.js.
 */
export function bindingPackage(platform: string, arch: string, libc: 'glibc' | 'musl'): string | undefined {
  if (platform !== 'linux' || !['x64', 'arm64', 'riscv64'].includes(arch)) return undefined;
  const abi = libc === 'glibc' ? 'gnu' : 'musl';
  return `@yuuang/ffi-rs-linux-${arch}-${abi}/ffi-rs.linux-${arch}-${abi}.node`;
}

/**
 * ffi-rs's binding, loaded straight from its platform package where npm put it next to ffi-rs
 * (the same name and version ffi-rs's index.js would require): that skips resolving ffi-rs and
 * running its index.js (a second resolution, existsSync probes; ~3 ms of CPU per start,
 * bench/results/startup.md). Anywhere else (another layout, another platform) ffi-rs's index
 * picks it as before.
 */
function loadBinding(): Binding {
  const require = createRequire(import.meta.url);
  let libc: 'glibc' | 'musl' | undefined;
  try { libc = libcOfMaps(readFileSync('/proc/self/maps', 'latin1')); } catch { libc = undefined; }
  const direct = libc === undefined ? undefined : bindingPackage(process.platform, process.arch, libc);
  if (direct !== undefined) {
    try {
      return require(direct) as Binding;
    } catch { /* not installed there: ffi-rs's own lookup below */ }
  }
  const report = process.report;
  if (libc === undefined || typeof report?.getReport !== 'function') return require('ffi-rs') as Ffi;
  const real = report.getReport;
  // the one field ffi-rs's isMusl() reads (glibc: the runtime version string, musl: absent)
  report.getReport = () => ({ header: libc === 'glibc' ? { glibcVersionRuntime: 'glibc' } : {} });
  try {
    return require('ffi-rs') as Ffi;
  } finally {
    report.getReport = real;
  }
}

const binding = loadBinding();

export const { open, DataType, createExternalBuffer } = binding;

/** ffi-rs's array parameter types: its index.js rewrites these per call; no caller here uses them. */
const ARRAY_TYPES: readonly unknown[] = [DataType.I16Array, DataType.I32Array, DataType.StringArray, DataType.DoubleArray, DataType.U8Array, DataType.FloatArray];

/**
 * ffi-rs's `define` (one function per C function, each call one `load` of the binding) without its
 * per-call rewrite of array parameter types (a `map` over the types and two object spreads per
 * crossing): the descriptions here use scalar types only, and an array type fails loudly here.
 */
export const define = ((funcs: Parameters<Ffi['define']>[0]) => {
  const out: Record<string, (paramsValue: unknown[]) => unknown> = {};
  for (const [funcName, desc] of Object.entries(funcs)) {
    if (desc.paramsType.some((t) => ARRAY_TYPES.includes(t))) throw new Error(`ffi: ${funcName}: array parameter types are not supported`);
    const base = { ...desc, funcName, freeResultMemory: desc.freeResultMemory ?? false };
    out[funcName] = (paramsValue) => binding.load({ ...base, paramsValue });
  }
  return out;
}) as Ffi['define'];
