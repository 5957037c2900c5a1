// ffi-rs, loaded once for the whole process (every other module imports it from here).
//
// ffi-rs's index.js picks its glibc or musl binary with `process.report.getReport()`, a full
// diagnostic report (libuv handles, stacks, loaded objects) that cost ~7-9 ms of every start
// just to read `header.glibcVersionRuntime`. The program interpreter named in node's own ELF
// header (PT_INTERP: ld-linux-*.so.2 for glibc, ld-musl-*.so.1 for musl) answers the same
// question from one 4 KiB read (/proc/self/maps did it in ~1.3 ms: the kernel formats every
// mapping); a static node, or a loader named otherwise, is asked through process.report as before.
// `require` rather than `import`: an ES import of a CommonJS package is evaluated before any code
// of the importing bundle can run (and pays the CJS export scan); require runs exactly here.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { bytesOf, latin1, wordsOf } from '../bytes.js';

type Ffi = typeof import('ffi-rs');
export type { JsExternal } from 'ffi-rs';

/**
 * The C library whose dynamic loader is `path` (an ELF PT_INTERP), or undefined if neither:
 * `.../ld-musl-*.so.1` or `.../ld-linux*.so.N`. By string tests, not regular expressions: each
 * one a process first executes is compiled then (V8's code cache holds no regexp code).
 */
export function libcOfLoader(path: string): 'glibc' | 'musl' | undefined {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return undefined;
  const name = path.slice(slash + 1);
  if (name.startsWith('ld-musl-') && name.endsWith('.so.1') && name.length > 'ld-musl-.so.1'.length) return 'musl';
  const so = name.lastIndexOf('.so.');
  if (!name.startsWith('ld-linux') || so < 'ld-linux'.length) return undefined;
  const version = so + '.so.'.length;
  if (version === name.length) return undefined;
  for (let i = version; i < name.length; i++) if (name[i] < '0' || name[i] > '9') return undefined;
  return 'glibc';
}

/**
 * The program interpreter (PT_INTERP) of the little-endian ELF64 executable whose first bytes are
 * `head`, or undefined: not such an ELF, no interpreter (static), or not within `head`.
 */
export function elfInterpreter(head: Uint8Array): string | undefined {
  const b = head, w = wordsOf(head);
  if (b.length < 64 || w.getUint32(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) return undefined;
  const phoff = Number(w.getBigUint64(0x20, true)), phentsize = w.getUint16(0x36, true), phnum = w.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 0x28 > b.length) return undefined;
    if (w.getUint32(ph, true) !== 3) continue; // PT_INTERP
    const off = Number(w.getBigUint64(ph + 0x08, true)), size = Number(w.getBigUint64(ph + 0x20, true));
    if (size < 2 || off + size > b.length) return undefined;
    return latin1(b, off, off + size - 1); // without its NUL
  }
  return undefined;
}

/** glibc or musl, from node's own program interpreter; undefined when that does not tell. */
function hostLibc(): 'glibc' | 'musl' | undefined {
  // a plain typed array: Buffer.alloc is Node's JS, compiled on its first call
  const head = new Uint8Array(4096);
  let fd: number | undefined;
  try {
    fd = openSync(process.execPath, 'r');
    const interp = elfInterpreter(bytesOf(head, 0, readSync(fd, head, 0, head.length, 0)));
    return interp === undefined ? undefined : libcOfLoader(interp);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
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
 * The addon `rel` (a path inside a package) from the first node_modules holding it, looking up
 * from `dir` in the order Node's resolver would, opened with process.dlopen: what require does
 * for a .node file once it has found it, without the resolver's realpath, package.json reads
 * and module record (~1 ms of a start here). undefined if no such file (or it does not load).
 */
function dlopenFromNodeModules(dir: string, rel: string): Binding | undefined {
  for (let d = dir, up = dirname(d); ; d = up, up = dirname(d)) {
    const path = join(d, 'node_modules', rel);
    // as Node's resolver: no node_modules/node_modules
    if (basename(d) !== 'node_modules' && existsSync(path)) {
      const module = { exports: {} };
      try { process.dlopen(module, path); } catch { return undefined; }
      return module.exports as Binding;
    }
    if (up === d) return undefined;
  }
}

/**
 * ffi-rs's binding, loaded straight from its platform package where npm put it next to ffi-rs
 * (the same name and version ffi-rs's index.js would require): that skips resolving ffi-rs and
 * running its index.js (a second resolution, existsSync probes; ~3 ms of CPU per start,
 * bench/results/startup.md). Anywhere else (another layout, another platform) ffi-rs's index
 * picks it as before.
 */
function loadBinding(): Binding {
  const libc = hostLibc();
  const direct = libc === undefined ? undefined : bindingPackage(process.platform, process.arch, libc);
  const found = direct === undefined ? undefined : dlopenFromNodeModules(import.meta.dirname, direct);
  if (found !== undefined) return found;
  // not installed there: ffi-rs's own lookup
  const require = createRequire(import.meta.url);
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

/**
 * `define(make())`, made on the first call of `fns()`: a module's table of C functions (object
 * literals, and one closure per function) that a start calling none of them would build and
 * deserialize the code of for nothing (a hello makes no socket or *at call: jit/wasi/sys.ts, at.ts).
 */
export function defineLazily<T extends Parameters<Ffi['define']>[0]>(make: () => T): () => ReturnType<typeof define<T>> {
  let fns: ReturnType<typeof define<T>> | undefined;
  return () => (fns ??= define(make()));
}
