// Which compiler produced a piece of machine code: a hash of the package version and of the
// built JavaScript of everything that decides the code (decoder, validator, compiler, backend,
// abi). Any rebuild that changes one of them changes the id, so a cache entry or .kwasm file from
// another build (a release, or yesterday's checkout) is recompiled, never run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // dist/jit/cache
/** What makes up the compiler: jit/'s own .js files, the front end and the compiler, and
 *  everything under the others (a new subdirectory, say jit/compiler/simd/, is included without
 *  touching this list). */
const SOURCES: [string, boolean][] = [
  [join(here, '..'), false], [join(here, '..', 'frontend'), true], [join(here, '..', 'compiler'), true],
  [join(here, '..', '..', 'backend-x64'), true], [join(here, '..', '..', 'abi'), true],
];

function jsFiles(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory() && recursive) out.push(...jsFiles(join(dir, e.name), true));
    else if (e.isFile() && e.name.endsWith('.js')) out.push(join(dir, e.name));
  }
  return out;
}

let id: Uint8Array | undefined;

export function compilerId(): Uint8Array {
  if (id !== undefined) return id;
  const h = createHash('sha256');
  const pkg = join(here, '..', '..', '..', 'package.json');
  try { h.update(readFileSync(pkg)); } catch { h.update('no package.json'); }
  for (const [dir, recursive] of SOURCES) {
    for (const file of jsFiles(dir, recursive)) {
      h.update(file.slice(dir.length));
      h.update(readFileSync(file));
    }
  }
  return (id = new Uint8Array(h.digest()));
}
