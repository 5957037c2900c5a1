// The serialized-module format (abi/image.ts 'KWSM') through jit/cache/serialize.ts and the
// embedding API: a round trip runs the same code; every kind of bad file is refused by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, instantiate, serialize, deserialize, ModuleFileError } from '../../jit/index.js';
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { deserializeCompiled, serializeCompiled } from '../../jit/cache/serialize.js';
import { featuresFromFlags, firstFlags, hostCpuFeatures } from '../../jit/cache/features.js';
import { CpuFeature, MODULE_FILE_HEADER } from '../../abi/image.js';
import { assertSameCode } from './helpers.js';
import { wat } from '../jit/wat.js';

const src = wat(`(module (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory (export "memory") 1) (data (i32.const 8) "hi")
  (func (export "f") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (i32.load8_u (i32.const 8)))))`);
const other = wat(`(module (func (export "f") (param i32) (result i32) (i32.const 7)))`);
const env = { env: { twice: (x: number) => 2 * x } };

/** The file with its checksum recomputed after an edit, so the check after it is what fails. */
function resum(file: Uint8Array): Uint8Array {
  const out = file.slice();
  // CRC-32 of bytes [0, 96) and of everything after the header (abi/image.ts), as a u32 at 96
  new DataView(out.buffer).setUint32(96, crc32(out.subarray(MODULE_FILE_HEADER), crc32(out.subarray(0, 96))), true);
  return out;
}
function refusal(file: Uint8Array, wasm?: Uint8Array): string {
  try { deserializeCompiled(file, wasm); } catch (e) { assert.instance(e, ModuleFileError); return (e as Error).message; }
  throw new assert.Assertion({ message: 'loaded a bad file', generated: true, operator: 'throws', expects: 'ModuleFileError', actual: 'loaded' });
}

test('API round trip: deserialize(serialize(m)) instantiates and runs the same code, data segments and imports included', () => {
  const m = compile(src);
  const bytes = serialize(m);
  const back = deserialize(bytes);
  assertSameCode(back.compiled.image.code, m.compiled.image.code);
  assert.equal(back.compiled.funcOffsets, m.compiled.funcOffsets);
  const f = instantiate(back, env).exports.f as (x: number) => number;
  assert.is(f(20), 40 + 'h'.charCodeAt(0));
});

test('a cache entry (no embedded wasm) loads only with the module it was compiled from', () => {
  const m = compile(src);
  const entry = serializeCompiled(m.compiled, false);
  assert.is(new DataView(entry.buffer, entry.byteOffset).getUint32(16, true), 0, 'no wasm in the entry');
  assert.ok(new DataView(serialize(m).buffer).getUint32(16, true) === src.length, 'the wasm in a .kwasm');
  assertSameCode(deserializeCompiled(entry, src).image.code, m.compiled.image.code);
  assert.match(refusal(entry, other), 'different module');
  assert.match(refusal(entry), 'does not embed');
});

test('corrupt, truncated and foreign files are refused with the reason', () => {
  const good = serialize(compile(src));
  const flipped = good.slice();
  flipped[good.length - 40] ^= 0x40; // in the code image
  assert.match(refusal(flipped), 'checksum mismatch');
  const header = good.slice();
  header[28] ^= 1; // codeSize, covered by the checksum too
  assert.match(refusal(header), 'checksum mismatch');
  assert.match(refusal(good.subarray(0, good.length - 8)), 'truncated');
  assert.match(refusal(good.subarray(0, 64)), 'truncated');
  assert.match(refusal(Uint8Array.from([...src, ...new Uint8Array(MODULE_FILE_HEADER)])), 'bad magic'); // a wasm module
  const v2 = good.slice();
  v2[4] = 2;
  assert.match(refusal(v2), 'format version 2, this build reads 3');
  const checksum = good.slice();
  checksum[96] ^= 1; // the CRC-32 itself
  assert.match(refusal(checksum), 'checksum mismatch');
  const reserved = good.slice();
  reserved[100] = 1; // after the u32 CRC-32: reserved, zero (not covered by the checksum)
  assert.match(refusal(resum(reserved)), 'reserved header bytes not zero');
  const foreign = good.slice();
  foreign[40] ^= 0xff; // compiler id
  assert.match(refusal(resum(foreign)), 'different kwasm-jit build');
  const missing = Object.values(CpuFeature).find((bit) => (hostCpuFeatures() & bit) === 0);
  if (missing !== undefined) {
    const cpu = good.slice();
    new DataView(cpu.buffer).setUint32(12, hostCpuFeatures() | missing, true);
    assert.match(refusal(resum(cpu)), 'CPU features this machine lacks');
  }
  // another module's code under this module's bytes: the embedded wasm and the code disagree
  const a = serializeCompiled(compile(other).compiled, false);
  assert.match(refusal(a, src), 'different module');
});

test('CPU features: /proc/cpuinfo flag names to the mask (lzcnt is "abm")', () => {
  assert.is(featuresFromFlags('fpu sse4_1 popcnt abm avx2'), CpuFeature.sse4_1 | CpuFeature.popcnt | CpuFeature.lzcnt | CpuFeature.avx2);
  assert.is(featuresFromFlags(''), 0);
  assert.is(featuresFromFlags(' fpu\tavx  bmi1 constructor __proto__ toString'), CpuFeature.avx | CpuFeature.bmi1, 'tabs, runs of blanks; only own names');
});

test('CPU features: the first processor\'s flags line, whole only (read in chunks), as the whole /proc/cpuinfo says', () => {
  const rec = 'processor\t: 0\nflags\t\t: fpu avx2 bmi2\nbugs\t\t: x\n\nprocessor\t: 1\nflags\t\t: fpu\n';
  assert.is(firstFlags(rec, false), ' fpu avx2 bmi2');
  assert.is(firstFlags(rec.slice(0, rec.indexOf('bmi2')), false), undefined, 'cut inside the line');
  assert.is(firstFlags('processor\t: 0\nflags\t\t: fpu sse4_2', true), ' fpu sse4_2', 'the last line at the end of the file');
  assert.is(firstFlags('processor\t: 0\n', true), undefined);
  assert.is(firstFlags('flags : a b\n', false), ' a b', 'on the first line');
  assert.is(firstFlags('flagsy\t: no\nflags: yes\n', false), ' yes', 'a longer name is not the line');
  assert.is(firstFlags('flagsy: no\n', true), undefined);
  assert.is(firstFlags('bogus\nflags\n', true), undefined, 'no colon');
  const whole = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'));
  assert.ok(whole !== null);
  assert.is(hostCpuFeatures(), featuresFromFlags(whole[1]));
});

test.run();
