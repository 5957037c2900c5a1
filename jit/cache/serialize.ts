// CompiledModule <-> the serialized-module format of abi/image.ts ('KWSM'). The one place that
// turns compiled code into bytes and back: the cache (module-cache.ts), `kwasm-jit compile -o`,
// `kwasm-jit run FILE.kwasm` and the embedding API's serialize/deserialize all come through here.
import { closeSync, fstatSync, openSync, type BigIntStats } from 'node:fs';
import {
  checkModuleFileChecksum, checkModuleFileIdentity, decodeFuncOffsets, decodeImageTables, decodeModuleFile, encodeModuleFile,
  imageLayout, IMAGE_HEADER_SIZE, MEMORY_TRAILER, memoryImageOf, MODULE_FILE_CHECKSUMMED_HEAD, MODULE_FILE_HEADER, ModuleFileError, moduleFileLayout,
  type CodeImage, type ModuleFileParts,
} from '../../abi/image.js';
import type { CompiledModule } from '../compiler/module-compiler.js';
import { decodeModule, moduleBytes } from '../frontend/decoder.js';
import { buildMemoryImage } from '../compiler/memory-image.js';
import { readInto } from './wasm-file.js';
import { compilerId } from './compiler-id.js';
import { hostCpuFeatures } from './features.js';
import { nowMs } from '../now.js';
import { crc32, sha256 } from '../digest.js';

export { ModuleFileError, isModuleFile } from '../../abi/image.js';
export { sha256 } from '../digest.js';

/**
 * `embedWasm: false` for cache entries, whose loader has the module bytes (and their hash); they
 * carry the memory image instead (mapped at instantiation: jit/compiler/memory-image.ts).
 */
export function serializeCompiled(m: CompiledModule, embedWasm = true, moduleHash?: Uint8Array): Uint8Array {
  const wasm = embedWasm || moduleHash === undefined ? moduleBytes(m.info) : null;
  return encodeModuleFile({
    cpuFeatures: hostCpuFeatures(), compilerId: compilerId(), moduleHash: moduleHash ?? sha256([wasm as Uint8Array]),
    memoryImage: embedWasm ? null : buildMemoryImage(m.info),
    wasm: embedWasm ? wasm : null, image: m.image, funcOffsets: m.funcOffsets, codeSize: m.codeSize,
  }, crc32);
}

/**
 * A serialized module back to a CompiledModule, or ModuleFileError. `wasm` is required for a file
 * without embedded wasm (a cache entry) and must then be the module it was compiled from.
 */
export function deserializeCompiled(file: Uint8Array, wasm?: Uint8Array, wasmHash?: Uint8Array): CompiledModule {
  const t0 = nowMs();
  const moduleHash = wasm === undefined ? undefined : wasmHash ?? sha256([wasm]);
  return withModule(decodeModuleFile(file, { compilerId: compilerId(), cpuFeatures: hostCpuFeatures(), moduleHash }, crc32), wasm, t0);
}

/** Code up to this size is read from a cache entry rather than mapped from it. */
const MAPPED_CODE_MIN = 1 << 20;
/** Reads of the file go through one buffer of this size (no 27 MB allocation to fault in). */
const READ_CHUNK = 1 << 20;
/** Closes a file-backed image's descriptor once the image is garbage. */
const openCodeFiles = new FinalizationRegistry<number>((fd) => { try { closeSync(fd); } catch { /* closed */ } });

function readAt(fd: number, at: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  readInto(fd, out, 0, length, at);
  return out;
}

/**
 * A cache entry (no embedded wasm: `wasm` is its module, `wasmHash` that module's hash) loaded
 * from its file: the checksum (CRC-32) streams the file through one small buffer; large code
 * stays in the file (image.file), which instantiation maps (code-arena.ts), and `image.code`
 * reads it only if asked (`run --kernel`, serialize, --disasm). The descriptor then stays open
 * while the image lives: the mapping is made from the very file whose checksum was checked,
 * whatever is renamed over its name meanwhile. `opened` gets the file's status (fstat) once open.
 */
export function deserializeCompiledFile(path: string, wasm: Uint8Array, wasmHash: Uint8Array, fill?: () => void, opened?: (st: BigIntStats) => void): CompiledModule {
  const t0 = nowMs();
  const fd = openSync(path, 'r');
  let kept = false;
  try {
    // bigint: the one Stats class a warm start makes (wasm-file.ts statFd); `opened` sees it
    // (the cache's LRU time: module-cache.ts)
    const st = fstatSync(fd, { bigint: true });
    opened?.(st);
    const size = Number(st.size);
    const head = readAt(fd, 0, Math.min(size, MODULE_FILE_HEADER));
    const l = moduleFileLayout(head, size);
    let sum = crc32([head.subarray(0, MODULE_FILE_CHECKSUMMED_HEAD)]);
    const buf = new Uint8Array(Math.min(READ_CHUNK, Math.max(1, size - MODULE_FILE_HEADER)));
    for (let at = MODULE_FILE_HEADER; at < size; at += buf.length) {
      const n = Math.min(buf.length, size - at);
      readInto(fd, buf, 0, n, at);
      sum = crc32([buf.subarray(0, n)], sum);
    }
    checkModuleFileChecksum(l, sum);
    checkModuleFileIdentity(l, { compilerId: compilerId(), cpuFeatures: hostCpuFeatures(), moduleHash: wasmHash });
    if (l.embedded) throw new ModuleFileError('a cache entry embeds no wasm');
    let layout;
    try { layout = imageLayout(readAt(fd, l.imageAt, IMAGE_HEADER_SIZE), l.imageSize); } catch (e) { throw new ModuleFileError((e as Error).message); }
    const codeAt = l.imageAt + IMAGE_HEADER_SIZE, codeLength = layout.codeSize;
    let tables;
    try { tables = decodeImageTables(readAt(fd, l.imageAt + layout.tablesAt, l.imageSize - layout.tablesAt), layout); } catch (e) { throw new ModuleFileError((e as Error).message); }
    // Small code is read now and the file closed: a descriptor per loaded module until it is
    // garbage would let a loop over many modules run out of descriptors (1,024 here); only a
    // large image (or a memory image, mapped from this file) keeps it to be mapped.
    const keepFile = l.memory !== null || codeLength > MAPPED_CODE_MIN;
    let code: Uint8Array | undefined = keepFile ? undefined : readAt(fd, codeAt, codeLength);
    const image: CodeImage = keepFile ? {
      ...tables,
      file: { fd, offset: codeAt, length: codeLength },
      get code(): Uint8Array { return (code ??= readAt(fd, codeAt, codeLength)); },
    } : { ...tables, code: code as Uint8Array };
    const funcOffsets = decodeFuncOffsets(readAt(fd, l.offsetsAt, 4 * l.funcCount), l, codeLength);
    const parts: ModuleFileParts = { cpuFeatures: l.cpuFeatures, compilerId: l.compilerId, moduleHash: l.moduleHash, wasm: null, image, funcOffsets, codeSize: l.codeSize };
    const m = withModule(parts, wasm, t0, fill);
    if (l.memory) {
      const memoryImage = memoryImageOf(readAt(fd, l.memory.trailerAt, MEMORY_TRAILER), l, fd);
      if (memoryImage) m.memoryImage = memoryImage;
    }
    if (!keepFile) return m;
    openCodeFiles.register(image, fd);
    kept = true;
    return m;
  } finally {
    if (!kept) closeSync(fd);
  }
}

/** The decoded file and its wasm module: the ModuleInfo, checked against the code's functions. */
function withModule(p: ModuleFileParts, wasm: Uint8Array | undefined, t0: number, fill?: () => void): CompiledModule {
  const bytes = p.wasm ?? wasm;
  if (bytes === undefined) throw new ModuleFileError('the file does not embed its wasm module and none was given');
  // Sections only, not validated again: the whole module was validated when this code was
  // compiled from it, and the checks above say these are those bytes (the cache: the module hash;
  // a .kwasm: the checksum over its embedded wasm) and this compiler (its id). Bodies are
  // delimited only if someone asks. (A .kwasm forged to pass the checks is machine code anyway.)
  const info = decodeModule(bytes, { bodies: 'lazy', fill });
  const nFuncs = info.funcTypeIndices.length, nDefined = nFuncs - info.numImportedFuncs;
  if (p.funcOffsets.length !== nFuncs || p.image.functions.length !== nDefined) {
    throw new ModuleFileError(`code for ${p.image.functions.length} functions, the module defines ${nDefined}`);
  }
  p.image.functions.forEach((f, k) => {
    if (f.typeIndex !== info.funcTypeIndices[info.numImportedFuncs + k]) throw new ModuleFileError(`function ${info.numImportedFuncs + k}: type does not match the module`);
  });
  return { info, image: p.image, funcOffsets: p.funcOffsets, codeSize: p.codeSize, labelNames: new Map(), compileMs: nowMs() - t0 };
}
