// The runtime's native object (a tiny .so: trampolines + signal handler), assembled with
// backend-x64 here. The CLI bundle replaces this module by the bytes assembled at build time
// (jit/cli/bundle.ts PREBUILT), so a start of the CLI neither assembles them nor loads the
// assembler; the tsc output (tests, the embedding API) assembles them once per process.
import { buildTrampolines } from './trampolines.js';
import { writeSharedObject } from './elf-so.js';
import { SO_DATA, SONAME } from './so-layout.js';

/** The .so bytes (also read by the readelf test). */
export function buildRuntimeObject(): Uint8Array {
  const t = buildTrampolines();
  return writeSharedObject({ soname: SONAME, text: t.text, data: new Uint8Array(SO_DATA.size), symbols: t.symbols, dataRefs: t.dataRefs }).bytes;
}

/** What native.ts dlopens (the bundle's replacement of this module has the same export). */
export function runtimeObject(): Uint8Array {
  return buildRuntimeObject();
}
