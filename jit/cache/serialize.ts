// CompiledModule <-> the serialized-module format of abi/image.ts ('KWSM'). The one place that
// turns compiled code into bytes and back: the cache (module-cache.ts), `kwasm-jit compile -o`,
// `kwasm-jit run FILE.kwasm` and the embedding API's serialize/deserialize all come through here.
import { createHash } from 'node:crypto';
import { decodeModuleFile, encodeModuleFile, ModuleFileError } from '../../abi/image.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { decodeModule } from '../frontend/decoder.js';
import { validateModuleInfo } from '../frontend/validator.js';
import { compilerId } from './compiler-id.js';
import { hostCpuFeatures } from './features.js';

export { ModuleFileError, isModuleFile } from '../../abi/image.js';

export function sha256(parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** `embedWasm: false` for cache entries, whose loader has the module bytes (and their hash). */
export function serializeCompiled(m: CompiledModule, embedWasm = true, moduleHash = sha256([m.info.bytes])): Uint8Array {
  return encodeModuleFile({
    cpuFeatures: hostCpuFeatures(), compilerId: compilerId(), moduleHash,
    wasm: embedWasm ? m.info.bytes : null, image: m.image, funcOffsets: m.funcOffsets, codeSize: m.codeSize,
  }, sha256);
}

/**
 * A serialized module back to a CompiledModule, or ModuleFileError. `wasm` is required for a file
 * without embedded wasm (a cache entry) and must then be the module it was compiled from.
 */
export function deserializeCompiled(file: Uint8Array, wasm?: Uint8Array, wasmHash?: Uint8Array): CompiledModule {
  const t0 = performance.now();
  const moduleHash = wasm === undefined ? undefined : wasmHash ?? sha256([wasm]);
  const p = decodeModuleFile(file, { compilerId: compilerId(), cpuFeatures: hostCpuFeatures(), moduleHash }, sha256);
  const bytes = p.wasm ?? wasm;
  if (bytes === undefined) throw new ModuleFileError('the file does not embed its wasm module and none was given');
  // Sections only: the bodies were validated when the code was compiled, and the checksum says
  // these are the bytes that was done for.
  const info = decodeModule(bytes);
  validateModuleInfo(info);
  const nFuncs = info.funcTypeIndices.length, nDefined = nFuncs - info.numImportedFuncs;
  if (p.funcOffsets.length !== nFuncs || p.image.functions.length !== nDefined) {
    throw new ModuleFileError(`code for ${p.image.functions.length} functions, the module defines ${nDefined}`);
  }
  p.image.functions.forEach((f, k) => {
    if (f.typeIndex !== info.funcTypeIndices[info.numImportedFuncs + k]) throw new ModuleFileError(`function ${info.numImportedFuncs + k}: type does not match the module`);
  });
  return { info, image: p.image, funcOffsets: p.funcOffsets, codeSize: p.codeSize, labelNames: new Map(), compileMs: performance.now() - t0 };
}
