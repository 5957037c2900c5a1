// The spec test suite: converts ../shared/spec-tests/core-2.0/*.wast (cached
// in build/spec/) and runs every command file by file. SIMD files are
// tallied on their own line and kept out of the totals until all of them
// pass; text-format assert_malformed is skipped (we have no text parser).
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
const simd = { passed: 0, failed: 0, skipped: 0, pending: 0, text: 0 };
const failures: string[] = [];
const verbose = process.argv.includes('-v');
/** --simd: list the SIMD scripts' failures too (they are tallied apart until every one passes). */
const simdVerbose = process.argv.includes('--simd');
/** --only PREFIX: run only the scripts whose name starts with PREFIX (quick iteration). */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] ?? '' : '';

for (const c of converted) {
  if (!c.name.startsWith(only)) continue;
  const sum = c.name.startsWith('simd') ? simd : main;
  if (c.error) {
    sum.failed++;
    failures.push(`${c.name}: ${c.error}`);
    console.log(`${c.name.padEnd(36)} conversion failed`);
    continue;
  }
  // One engine (store) per script.
  const engine = new KwasmEngine();
  const r: FileResult = runFile(c.name, c.json, engine);
  engine?.dispose();
  const k = r.counts;
  sum.passed += k.passed; sum.failed += k.failed; sum.skipped += k.skipped; sum.pending += k.pending;
  sum.text += r.textMismatches;
  if (sum === main || simdVerbose) failures.push(...r.failures);
  console.log(`${c.name.padEnd(36)} ${k.passed} ok, ${k.failed} bad, ${k.skipped} skipped, ${k.pending} pending` +
    (r.textMismatches ? `, ${r.textMismatches} message texts differ` : ''));
}

const shown = verbose ? failures : failures.slice(0, 40);
for (const f of shown) console.log(`FAIL ${f}`);
if (shown.length < failures.length) console.log(`... ${failures.length - shown.length} more failures (-v shows all)`);
console.log(`(${converted.length} files, conversion ${convertMs} ms, total ${Date.now() - started} ms)`);
console.log(`pending (execution not run yet): ${main.pending} commands; message texts that differ from the spec's: ${main.text}`);
console.log(`SIMD (partly supported, not in totals; --simd lists failures): ${simd.passed} ok, ${simd.failed} bad, ${simd.skipped} skipped, ${simd.pending} pending`);
console.log(`${main.passed} passed, ${main.failed} failed, ${main.skipped} skipped`);
process.exitCode = main.failed === 0 ? 0 : 1;
