// LinearMemory.prefault: the pages a large write is about to touch are faulted in by one madvise
// call (resident before any access from JS or wasm), clipped to the accessible prefix, and the
// memory reads and writes as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { LinearMemory, WASM_PAGE } from '../../jit/runtime/linear-memory.js';

/** This process's resident anonymous memory in KiB (/proc/self/status RssAnon). */
function rssAnonKiB(): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('no RssAnon in /proc/self/status');
  return Number(m[1]);
}

test('prefault makes the range resident without touching it; contents stay zero and writable', () => {
  const pages = 512; // 32 MiB
  const lm = new LinearMemory(pages, pages);
  const before = rssAnonKiB();
  const populated = lm.prefault(0, 24 << 20);
  const grown = rssAnonKiB() - before;
  if (populated) assert.ok(grown >= 20 << 10, `24 MiB populated, RssAnon grew by ${grown} KiB`);
  else assert.ok(grown < 4 << 10, 'nothing populated, nothing resident');
  const b = lm.buffer;
  assert.is(b[0] + b[(24 << 20) - 1] + b[(24 << 20) + 5], 0);
  b[123] = 7;
  assert.is(lm.buffer[123], 7);
  lm.dispose();
});

test('prefault is clipped to the accessible prefix and does nothing for an empty range', () => {
  const lm = new LinearMemory(1, 10);
  assert.not.ok(lm.prefault(WASM_PAGE, 5 * WASM_PAGE), 'beyond the accessible pages: nothing to do');
  assert.not.ok(lm.prefault(100, 100));
  lm.prefault(0, 10 * WASM_PAGE); // clipped to page 0: must not make the reserved pages accessible
  assert.is(lm.buffer.length, WASM_PAGE);
  lm.dispose();
});

test.run();
