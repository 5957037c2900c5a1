// The spec test suite: converts ../shared/spec-tests/core-2.0/*.wast (cached
// in build/spec/) and runs every command file by file, one engine (store) per
// script. The SIMD scripts count in the totals and get their own line as
// well; text-format assert_malformed is skipped (we have no text parser).
import { convertAll, specDir } from './convert.js';
import { FileResult, runFile } from './runner.js';
import { KwasmEngine } from './kwasm-engine.js';

const started = Date.now();
const converted = await convertAll();
const convertMs = Date.now() - started;
if (converted.length === 0) {
  console.error(`no .wast files found in ${specDir()} (set KWASM_SPEC_DIR)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const main = { passed: 0, failed: 0, skipped: 0, pending: 0, text: 0 };
/** The SIMD scripts' share of the totals. */
const simd = { files: 0, passed: 0, failed: 0, skipped: 0, pending: 0 };
const failures: string[] = [];
const verbose = process.argv.includes('-v');
/** --only PREFIX: run only the scripts whose name starts with PREFIX (quick iteration). */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] ?? '' : '';

for (const c of converted) {
  if (!c.name.startsWith(only)) continue;
  const isSimd = c.name.startsWith('simd');
  if (isSimd) simd.files++;
  if (c.error) {
    main.failed++;
    if (isSimd) simd.failed++;
    failures.push(`${c.name}: ${c.error}`);
    console.log(`${c.name.padEnd(36)} conversion failed`);
    continue;
  }
  // One engine (store) per script.
  const engine = new KwasmEngine();
  const r: FileResult = runFile(c.name, c.json, engine);
  engine?.dispose();
  const k = r.counts;
  main.passed += k.passed; main.failed += k.failed; main.skipped += k.skipped; main.pending += k.pending;
  main.text += r.textMismatches;
  if (isSimd) { simd.passed += k.passed; simd.failed += k.failed; simd.skipped += k.skipped; simd.pending += k.pending; }
  failures.push(...r.failures);
  console.log(`${c.name.padEnd(36)} ${k.passed} ok, ${k.failed} bad, ${k.skipped} skipped, ${k.pending} pending` +
    (r.textMismatches ? `, ${r.textMismatches} message texts differ` : ''));
}

const shown = verbose ? failures : failures.slice(0, 40);
for (const f of shown) console.log(`FAIL ${f}`);
if (shown.length < failures.length) console.log(`... ${failures.length - shown.length} more failures (-v shows all)`);
console.log(`(${converted.length} files, conversion ${convertMs} ms, total ${Date.now() - started} ms)`);
console.log(`pending (execution not run yet): ${main.pending} commands; message texts that differ from the spec's: ${main.text}`);
console.log(`of which SIMD (${simd.files} scripts): ${simd.passed} passed, ${simd.failed} failed, ${simd.skipped} skipped, ${simd.pending} pending`);
console.log(`${main.passed} passed, ${main.failed} failed, ${main.skipped} skipped`);
process.exitCode = main.failed === 0 ? 0 : 1;
