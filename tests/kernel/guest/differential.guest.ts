// Guest-side: a small batch of the differential fuzzer (tests/fuzz/) in ring 0. The same seeded
// binaryen -ttf modules as user space's batch, compared under V8 (in the guest) and kwasm-jit's
// kernel mode (tests/kernel/guest/kernel-engine.ts): results, trap classes, logs, globals and
// memory must agree. What kernel mode does not support yet is counted, not failed. The modules
// are generated on the host before boot (writeFuzzBundle): wasm-opt under TCG costs seconds each.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../../kernel-loader/vm/harness.js';
import { KernelUnsupportedError } from '../../../kernel-loader/loader.js';
import { compareModule, moduleDifference } from '../../fuzz/differential.js';
import { FEATURE_FLAGS, generateModule, generatorVersion } from '../../fuzz/generate.js';
import { kwasmTrapKind, v8TrapKind } from '../../fuzz/trap-kinds.js';
import { V8Engine } from '../../fuzz/v8-engine.js';
import { KernelEngine } from './kernel-engine.js';

const test = suite('differential fuzz in ring 0');

/** user space's in-test batch uses seed 1 from index 0; ring 0 repeats its first modules */
export const KERNEL_FUZZ_SEED = 1;
export const KERNEL_FUZZ_COUNT = 8;

/** Where the host leaves the modules for the guest (the guest's root is read-only). */
const BUNDLE = (): string => join(repoRoot(), 'build', 'fuzz', 'kernel-modules.json');

/** Host side, before boot (tests/kernel/kernel.suite.ts); kept while the generator's output would be the same. */
export function writeFuzzBundle(): void {
  const key = `${generatorVersion()} ${FEATURE_FLAGS.join(' ')} seed ${KERNEL_FUZZ_SEED} count ${KERNEL_FUZZ_COUNT}`;
  if (existsSync(BUNDLE()) && (JSON.parse(readFileSync(BUNDLE(), 'utf8')) as { key: string }).key === key) return;
  const modules = Array.from({ length: KERNEL_FUZZ_COUNT }, (_, i) => Buffer.from(generateModule(KERNEL_FUZZ_SEED, i)).toString('base64'));
  mkdirSync(dirname(BUNDLE()), { recursive: true });
  writeFileSync(`${BUNDLE()}.${process.pid}.tmp`, JSON.stringify({ key, modules }));
  renameSync(`${BUNDLE()}.${process.pid}.tmp`, BUNDLE());
}

test(`seed ${KERNEL_FUZZ_SEED}: ${KERNEL_FUZZ_COUNT} -ttf modules agree under V8 and kwasm-jit in ring 0`, () => {
  const modules = (JSON.parse(readFileSync(BUNDLE(), 'utf8')) as { modules: string[] }).modules.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
  const differences: string[] = [];
  let compared = 0, unsupported = 0;
  const t0 = performance.now();
  modules.forEach((bytes, index) => {
    const kernel = new KernelEngine();
    try {
      const r = compareModule(bytes, { engine: new V8Engine(), trapKind: v8TrapKind },
        { engine: kernel, trapKind: kwasmTrapKind, unsupported: (e) => e instanceof KernelUnsupportedError });
      compared += r.exports.length;
      if (r.unsupported) unsupported++;
      const d = moduleDifference(r);
      if (d) differences.push(`seed ${KERNEL_FUZZ_SEED} module ${index}: ${d} (regenerate: node dist/tests/fuzz/fuzz.js --show ${KERNEL_FUZZ_SEED}:${index})`);
    } finally {
      kernel.dispose();
    }
  });
  console.log(`@@FUZZ-KERNEL ${JSON.stringify({ modules: modules.length, compared, unsupported, differences: differences.length, ms: Math.round(performance.now() - t0) })}`);
  assert.equal(differences, []);
  assert.ok(compared >= modules.length, `only ${compared} exports compared (${unsupported} modules stopped at something unsupported)`);
});

export default test;
