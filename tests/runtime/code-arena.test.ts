// CodeArena (jit/instance/code-arena.ts) copies a large image into pages advised for transparent
// huge pages: the copy faults a few hundred times instead of once per 4 KiB page, and the code
// lands intact, followed by int3 to the end of its page.
import { test } from 'uvu';
import { hugePagesOnAdvice } from '../thp.js';
import * as assert from 'uvu/assert';
import { CodeArena } from '../../jit/instance/code-arena.js';
import { view } from '../../jit/runtime/libc.js';


test('a 16 MiB image is copied into huge pages, intact', () => {
  const length = (16 << 20) - 100;
  const code = new Uint8Array(length);
  for (let i = 0; i < length; i += 997) code[i] = (i >> 3) & 0xff;
  const arena = new CodeArena();
  try {
    const f0 = process.resourceUsage().minorPageFault;
    const placed = arena.load({ code, functions: [] });
    const faults = process.resourceUsage().minorPageFault - f0;
    assert.is(placed.size, length);
    // 4,096 small pages; in huge pages only the unaligned ends fault page by page
    if (hugePagesOnAdvice()) assert.ok(faults < 1024, `${faults} faults`);
    const mapped = view(placed.base, 16 << 20);
    assert.ok(Buffer.compare(mapped.subarray(0, length), code) === 0, 'the code as given');
    assert.ok(mapped.subarray(length).every((b) => b === 0xcc), 'int3 after the code');
  } finally {
    arena.dispose();
  }
});

test.run();
