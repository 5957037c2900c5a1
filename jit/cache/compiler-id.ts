// Which compiler produced a piece of machine code: a hash of the package version and of the
// built JavaScript of everything that decides the code (decoder, validator, compiler, backend,
// abi). Any rebuild that changes one of them changes the id, so a cache entry or .kwasm file from
// another build (a release, or yesterday's checkout) is recompiled, never run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // dist/jit/cache
/** Directories whose .js files (not subdirectories) make up the compiler. */
const SOURCES = [join(here, '..'), join(here, '..', 'compiler'), join(here, '..', '..', 'backend-x64'), join(here, '..', '..', 'abi')];

let id: Uint8Array | undefined;

export function compilerId(): Uint8Array {
  if (id !== undefined) return id;
  const h = createHash('sha256');
  const pkg = join(here, '..', '..', '..', 'package.json');
  try { h.update(readFileSync(pkg)); } catch { h.update('no package.json'); }
  for (const dir of SOURCES) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) {
      h.update(name);
      h.update(readFileSync(join(dir, name)));
    }
  }
  return (id = new Uint8Array(h.digest()));
}
