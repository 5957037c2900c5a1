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

function loadFfi(): Ffi {
  const require = createRequire(import.meta.url);
  let libc: 'glibc' | 'musl' | undefined;
  try { libc = libcOfMaps(readFileSync('/proc/self/maps', 'latin1')); } catch { libc = undefined; }
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

export const { open, define, DataType, createExternalBuffer } = loadFfi();
