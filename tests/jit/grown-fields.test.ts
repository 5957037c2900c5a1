// The arrays the compiler replaces by larger ones when a larger function comes (locals, control
// and operand stacks, call arguments, br_table targets) are mutable fields from construction
// (GROWN_FIELDS in jit/frontend/reader.ts): their first growth must not turn a V8 constant field
// into a mutable one mid-compile, which deoptimizes every function optimized with it. Checked
// with --trace-generalization in a child node: a small module compiled first builds every
// object, then a module exceeding each initial size is compiled, and no field of the
// front end's or compiler's classes may change from const to mutable during that second compile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wat } from './wat.js';

const compiler = new URL('../../jit/compiler/module-compiler.js', import.meta.url).href;

/** A module whose $big function exceeds every initial size when `n` is large (`n` 2: small). */
function moduleText(n: number): string {
  const params = Array.from({ length: n }, () => 'i64').join(' ');
  const args = Array.from({ length: n }, (_, i) => `(local.get ${i})`).join(' ');
  const locals = Array.from({ length: 4 * n }, () => 'i32').join(' ');
  const loopBody = Array.from({ length: 3 * n }, (_, i) => `(local.set ${n + i} (i32.add (local.get ${n + i}) (i32.const 1)))`).join(' ');
  const open = Array.from({ length: 2 * n }, () => '(block').join(' ');
  const close = ')'.repeat(2 * n);
  const targets = Array.from({ length: 2 * n }, (_, i) => String(i % (2 * n))).join(' ');
  const pushes = '(i32.const 1) '.repeat(20 * n);
  const drops = '(drop) '.repeat(20 * n);
  return `(module
    (func $callee (param ${params}))
    (func $big (param ${params}) (local ${locals})
      (call $callee ${args})
      (loop $l ${loopBody} (br_if $l (i32.eqz (local.get ${n}))))
      ${open} (br_table ${targets} (local.get ${n})) ${close}
      ${pushes} ${drops}))`;
}

test('growing the compiler\'s arrays for a larger function changes no field from const to mutable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-grown-'));
  try {
    writeFileSync(join(dir, 'small.wasm'), wat(moduleText(2)));
    writeFileSync(join(dir, 'big.wasm'), wat(moduleText(40)));
    const script = `
      const { compileModule } = await import(process.argv[1]);
      const { readFileSync } = await import('node:fs');
      compileModule(new Uint8Array(readFileSync(process.argv[2] + '/small.wasm')), { threads: 1 });
      console.log('SECOND-COMPILE');
      compileModule(new Uint8Array(readFileSync(process.argv[2] + '/big.wasm')), { threads: 1 });
      console.log('DONE');`;
    const out = execFileSync(process.execPath, ['--trace-generalization', '--input-type=module', '-e', script, compiler, dir],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    const second = out.slice(out.indexOf('SECOND-COMPILE'), out.indexOf('DONE'));
    assert.ok(second.length > 0, 'both compiles ran');
    // "[generalizing]reg:h{...;const}->h{...;mutable} (...) [~reset+41 at file:///.../local-cache.js:66]"
    const ours = /\/(jit\/(frontend|compiler)|backend-x64)\//;
    // (V8 may print one trace line into another: split at every record too)
    const records = second.split(/\n|(?=\[generalizing\])/);
    const bad = records.filter((l) => l.startsWith('[generalizing]') && /;const\}->\S*;mutable\}/.test(l) && ours.test(l));
    assert.equal(bad, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
