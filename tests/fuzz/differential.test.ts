// The differential fuzzer as a standing test: its parts (instrumentation, logger, NaN-aware and
// trap-class comparison) on hand-written modules, a simulated miscompilation on each channel it
// compares, and a seeded batch of binaryen -ttf modules under V8 and kwasm-jit that must agree.
// Long runs: `npm run fuzz -- --count N --seed S` (tests/fuzz/fuzz.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { wat } from '../jit/wat.js';
import { REPO } from '../cli/helpers.js';
import { compareModule, moduleDifference, showValue, type Side } from './differential.js';
import { GLOBAL_PREFIX, MEMORY_HASH, instrument } from './instrument.js';
import { loggerModule } from './logger.js';
import { report, runBatch, saveFinding, summary } from './batch.js';
import { generateModule, ttfInput } from './generate.js';
import { kwasmTrapKind, trapClass, v8TrapKind } from './trap-kinds.js';
import { V8Engine } from './v8-engine.js';
import { KwasmEngine } from '../spec/kwasm-engine.js';
import type { Engine, EngineInstance, SpecValue } from '../spec/engine.js';

/** The in-`npm test` batch: a fixed seed, so a failure is reproducible with --show SEED:INDEX. */
const SEED = 1;
const COUNT = 200;

const SAMPLE = `(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "log-f32" (func $logf (param f32)))
  (memory 1)
  (global $g (mut i64) (i64.const 7))
  (global $h f64 (f64.const 2.5))
  (func (export "f") (result i32)
    (call $log (i32.const 11))
    (call $logf (f32.const nan:0x200000))
    (global.set $g (i64.const 42))
    (i32.store (i32.const 100) (i32.const 0x01020304))
    (i32.const 1))
  (func (export "trap") (i32.div_s (i32.const 1) (i32.const 0)) (drop))
  (func (export "nan") (result f32) (f32.const nan:0x1234)))`;

const v8Side = (): Side => ({ engine: new V8Engine(), trapKind: v8TrapKind });

/** kwasm-jit, except that the module it is given is swapped for `variant` (a "miscompilation"). */
class SwappingEngine implements Engine {
  readonly name = 'swapped';
  private readonly inner = new KwasmEngine();
  constructor(private readonly variant: Uint8Array) {}
  instantiate(bytes: Uint8Array): EngineInstance {
    const logger = loggerModule();
    const isLogger = bytes.length === logger.length && bytes.every((b, i) => b === logger[i]);
    return this.inner.instantiate(isLogger ? bytes : instrument(this.variant));
  }
  register(as: string, i: EngineInstance): void { this.inner.register(as, i); }
  invoke(i: EngineInstance, f: string, a: SpecValue[]): SpecValue[] { return this.inner.invoke(i, f, a); }
  get(i: EngineInstance, f: string): SpecValue { return this.inner.get(i, f); }
  dispose(): void { this.inner.dispose(); }
}

test('instrument: every global and the memory hash become exported getters, other indices unchanged', () => {
  const bytes = instrument(wat(SAMPLE));
  const e = new V8Engine();
  e.register('fuzzing-support', e.instantiate(loggerModule()));
  const i = e.instantiate(bytes);
  assert.equal(e.invoke(i, `${GLOBAL_PREFIX}0`, []), [{ type: 'i64', value: '7' }]);
  assert.equal(e.invoke(i, `${GLOBAL_PREFIX}1`, []).map(showValue), ['f64:4612811918334230528']);
  const before = e.invoke(i, MEMORY_HASH, [])[0].value;
  assert.equal(e.invoke(i, 'f', []), [{ type: 'i32', value: '1' }]);
  assert.equal(e.invoke(i, `${GLOBAL_PREFIX}0`, []), [{ type: 'i64', value: '42' }]);
  assert.is.not(e.invoke(i, MEMORY_HASH, [])[0].value, before, 'a store changes the memory hash');
});

test('NaN-aware: results and logs compare any NaN equal; trap kinds compare by class', () => {
  assert.is(showValue({ type: 'f32', value: String(0x7fc00000) }), showValue({ type: 'f32', value: String(0xffc01234) }));
  assert.is.not(showValue({ type: 'f32', value: String(0x7f800000) }), 'f32:nan', 'infinity is not a NaN');
  assert.is(trapClass('invalid conversion to integer'), trapClass('integer overflow'));
  assert.is.not(trapClass('integer divide by zero'), trapClass('integer overflow'));
  // kwasm-jit and V8 on the same module: the NaN payload differs (a constant here), nothing else
  const kwasm = new KwasmEngine();
  try {
    const r = compareModule(wat(SAMPLE), v8Side(), { engine: kwasm, trapKind: kwasmTrapKind });
    assert.is(moduleDifference(r), undefined, JSON.stringify(r));
    assert.equal(r.exports.map((x) => x.ref.outcome), ['ok i32:1', 'trap: integer divide by zero', 'ok f32:nan']);
    assert.match(r.exports[0].ref.log, /^2 calls/);
  } finally {
    kwasm.dispose();
  }
});

test('a miscompilation on any channel is reported: result, trap, log, global, memory', () => {
  const variants: [string, RegExp][] = [
    [SAMPLE.replace('(i32.const 1))', '(i32.const 2))'), /export "f": result: ok i32:1 vs ok i32:2/],
    [SAMPLE.replace('(i32.const 0)) (drop)', '(i32.const 1)) (drop)'), /export "trap": result: trap: integer divide by zero vs ok/],
    [SAMPLE.replace('(call $log (i32.const 11))', '(call $log (i32.const 12))'), /export "f": log: /],
    [SAMPLE.replace('(i64.const 42)', '(i64.const 43)'), /export "f": state: fuzz:global:0=ok i64:42 vs fuzz:global:0=ok i64:43/],
    [SAMPLE.replace('0x01020304', '0x01020305'), /export "f": state: fuzz:memory-hash/],
  ];
  for (const [variant, expected] of variants) {
    const swapped = new SwappingEngine(wat(variant));
    try {
      const r = compareModule(wat(SAMPLE), v8Side(), { engine: swapped, trapKind: kwasmTrapKind });
      assert.match(moduleDifference(r) ?? 'no difference', expected);
    } finally {
      swapped.dispose();
    }
  }
});

test('generation is seeded: the same seed and index give the same module, others differ', () => {
  assert.equal(ttfInput(7, 3), ttfInput(7, 3));
  assert.not.equal(ttfInput(7, 3), ttfInput(7, 4));
  assert.not.equal(ttfInput(7, 3), ttfInput(8, 3));
  assert.equal(generateModule(7, 3), generateModule(7, 3));
});

test(`seed ${SEED}: ${COUNT} binaryen -ttf modules agree under V8 and kwasm-jit`, async () => {
  // findings are also kept for a look (module.wasm, report.txt), as `npm run fuzz` keeps them
  const out = join(REPO, 'build', 'fuzz', 'findings');
  const stats = await runBatch({ seed: SEED, count: COUNT, jobs: 1, onFinding: (f) => saveFinding(out, f) });
  console.log(`  ${summary(stats)}`);
  assert.equal(stats.harnessErrors, []);
  assert.is(stats.findings.length, 0, stats.findings.map(report).join('\n'));
  assert.is(stats.modules, COUNT);
  // the batch really compares something: -ttf modules export several functions each
  assert.ok(stats.exportsCompared > COUNT * 3, summary(stats));
  assert.ok(stats.referenceTimeouts <= COUNT / 20, summary(stats));
});

test.run();
