// The runtime's native object (a tiny .so: trampolines + signal handler), assembled with
// backend-x64 here. The bundles replace this module by one that names the .so the build wrote
// beside them (jit/cli/bundle.ts PREBUILT), so a start of the CLI neither assembles it nor loads
// the assembler nor writes a temp copy; the tsc output (tests) assembles it once per process.
import { buildTrampolines } from './trampolines.js';
import { writeSharedObject } from './elf-so.js';
import { SO_DATA, SONAME } from './so-layout.js';

/** The .so bytes (also read by the readelf test). */
export function buildRuntimeObject(): Uint8Array {
  const t = buildTrampolines();
  return writeSharedObject({ soname: SONAME, text: t.text, data: new Uint8Array(SO_DATA.size), symbols: t.symbols, dataRefs: t.dataRefs }).bytes;
}

/** What native.ts dlopens (the bundle's replacement of this module has the same exports). */
export function runtimeObject(): Uint8Array {
  return buildRuntimeObject();
}

/** A file holding runtimeObject()'s bytes that native.ts may dlopen as it is: the bundle's; none here. */
export function runtimeObjectFile(): string | undefined {
  return undefined;
}
