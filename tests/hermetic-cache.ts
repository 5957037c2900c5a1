// Imported for its effect by every test module that runs the CLI (and by tests/run.ts): the
// compiled-code cache the CLI uses by default (jit/cache/module-cache.ts) goes to a fresh temp
// directory for this process and its children, so tests never write into the user's ~/.cache and
// never run code a stale cache left there. tests/run.ts sets it once for a whole `npm test`; a
// test file run on its own gets its own. Removed at exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MARK = 'KWASM_TEST_CACHE_HOME';

if (process.env[MARK] === undefined || process.env[MARK] !== process.env.XDG_CACHE_HOME) {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-test-cache-'));
  process.env.XDG_CACHE_HOME = dir;
  process.env[MARK] = dir;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/** The cache home this test process (and the CLI it spawns) uses. */
export const TEST_CACHE_HOME = process.env.XDG_CACHE_HOME as string;
