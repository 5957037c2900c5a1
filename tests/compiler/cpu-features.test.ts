import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCpuFeatures, missingCpuFeatures } from '../../jit/compiler/cpu-features.js';

test('the required x86 extensions are read from the cpuinfo flags line', () => {
  assert.equal(missingCpuFeatures('processor\t: 0\nflags\t\t: fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt avx\n'), []);
  assert.equal(missingCpuFeatures('flags\t\t: fpu sse sse2 pni popcnt\n'), ['SSSE3', 'SSE4.1', 'SSE4.2']);
  assert.equal(missingCpuFeatures('no flags here'), ['SSE3', 'SSSE3', 'SSE4.1', 'SSE4.2', 'POPCNT']);
});

test('a CPU without them gets an error naming what is missing', () => {
  assert.throws(() => checkCpuFeatures(() => 'flags : sse sse2 pni ssse3 popcnt\n'), /lacks SSE4\.1, SSE4\.2/);
  checkCpuFeatures(); // this machine runs the test suite, so it has them
});

test.run();
