// Random valid modules from binaryen's translate-to-fuzz (`wasm-opt -ttf`), reproducible from a
// seed: the random input bytes come from a seeded PRNG, so (run seed, index) names a module.
//
// The binaryen is Debian's (package binaryen, version 108; scripts/setup.sh installs it). It
// honours the feature flags below exactly, which is all the fuzzer needs from it; npm's `binaryen`
// (a newer JS/wasm build) would also import `call-export`, `sleep`, `throw` and table helpers
// from `fuzzing-support`, which a ring-0 instance cannot provide, and costs a node start-up per
// module. `--denan` makes every float result that is a NaN a 0, so memory, globals and integer
// reinterpretations cannot differ by NaN payloads, which the spec leaves to the engine; results
// and logs are compared NaN-aware as well (differential.ts, logger.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What kwasm-jit supports: the MVP and Wasm 2.0 without SIMD. Turn SIMD on here (one switch) when
 * the compiler supports it; nothing else in the fuzzer depends on the feature set.
 */
export const SIMD = false;

/**
 * Wasm 2.0 minus SIMD, minus reference types: binaryen 108 predates the final reference-types
 * proposal and emits non-nullable `(ref func)` locals and funcref values where externref is
 * expected, which V8 and kwasm-jit both (rightly) reject as invalid.
 */
export const FEATURE_FLAGS: readonly string[] = [
  '--mvp-features', '--enable-sign-ext', '--enable-nontrapping-float-to-int', '--enable-mutable-globals',
  '--enable-bulk-memory', '--enable-multivalue',
  ...(SIMD ? ['--enable-simd'] : []),
];

export const WASM_OPT = 'wasm-opt';
export const WASM_REDUCE = 'wasm-reduce';

/** `wasm-opt --version`: part of any cache of generated modules. */
export function generatorVersion(): string {
  return execFileSync(WASM_OPT, ['--version'], { encoding: 'utf8' }).trim();
}

/** splitmix64: a well-mixed 64-bit stream from any seed. */
export function splitmix(seed: bigint): () => bigint {
  let s = BigInt.asUintN(64, seed);
  return () => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n);
    let z = s;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** The random input of module `index` of run `seed`: 1-8 KiB (the size of -ttf's module follows it). */
export function ttfInput(seed: number, index: number): Uint8Array {
  const next = splitmix((BigInt(seed) << 32n) ^ BigInt(index));
  const size = 1024 + Number(next() % 7168n);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 8) {
    const v = next();
    for (let k = 0; k < 8 && i + k < size; k++) out[i + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

/** Module `index` of run `seed`. Throws, naming the Debian package, when wasm-opt is missing. */
export function generateModule(seed: number, index: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-fuzz-'));
  try {
    writeFileSync(join(dir, 'in.bin'), ttfInput(seed, index));
    try {
      execFileSync(WASM_OPT, [join(dir, 'in.bin'), '-ttf', '--denan', ...FEATURE_FLAGS, '-o', join(dir, 'out.wasm')],
        { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer; message: string };
      if (err.code === 'ENOENT') throw new Error(`${WASM_OPT} not found: install the Debian package binaryen (npm run setup does)`);
      throw new Error(`${WASM_OPT} -ttf failed for seed ${seed} module ${index}: ${err.stderr?.toString() || err.message}`);
    }
    return new Uint8Array(readFileSync(join(dir, 'out.wasm')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
