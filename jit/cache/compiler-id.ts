// Which compiler produced a piece of machine code: a hash of the package version and of the
// built JavaScript of everything that decides the code (decoder, validator, compiler, backend,
// abi). Any rebuild that changes one of them changes the id, so a cache entry or .kwasm file from
// another build (a release, or yesterday's checkout) is recompiled, never run. The CLI bundle
// replaces this module by the id of the files it was built from (jit/cli/bundle.ts PREBUILT), so
// its start reads and hashes no files for it; the tsc output hashes them on first use.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What makes up the compiler, relative to dist/: jit/'s own .js files, the front end and the
 *  compiler, and everything under the others (a new subdirectory, say jit/compiler/simd/, is
 *  included without touching this list). */
const SOURCES: [string, boolean][] = [
  ['jit', false], ['jit/frontend', true], ['jit/compiler', true], ['backend-x64', true], ['abi', true],
];

function jsFiles(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory() && recursive) out.push(...jsFiles(join(dir, e.name), true));
    else if (e.isFile() && e.name.endsWith('.js')) out.push(join(dir, e.name));
  }
  return out;
}

/** The id of the compiler built into `dist` (the tsc output directory; package.json one above). */
export function hashCompilerSources(dist: string): Uint8Array {
  const h = createHash('sha256');
  try { h.update(readFileSync(join(dist, '..', 'package.json'))); } catch { h.update('no package.json'); }
  for (const [sub, recursive] of SOURCES) {
    const dir = join(dist, sub);
    for (const file of jsFiles(dir, recursive)) {
      h.update(file.slice(dir.length));
      h.update(readFileSync(file));
    }
  }
  return new Uint8Array(h.digest());
}

let id: Uint8Array | undefined;

export function compilerId(): Uint8Array {
  return (id ??= hashCompilerSources(join(dirname(fileURLToPath(import.meta.url)), '..', '..'))); // dist/jit/cache -> dist
}
