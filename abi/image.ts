// Code image: what the compiler produces and both loaders (user space jit/runtime, the kernel
// module) consume. Position-independent machine code plus a small relocation list; everything the
// code reaches at run time goes through r15 (vmctx) except the targets below.
//
// Binary form (little endian), so the kernel module can read it without JSON:
//   u32 magic 'KWIM', u32 version, u32 codeSize, u32 relocCount, u32 funcCount, u32 reserved
//   code bytes, padded to 8
//   relocCount x { u32 offset, u8 kind, u8 targetKind, u16 reserved, u32 target, i32 addend }
//   funcCount  x { u32 offset, u32 size, u32 typeIndex, u32 reserved }

export const IMAGE_MAGIC = 0x4d49574b; // 'KWIM'
export const IMAGE_VERSION = 1;

/** How the relocated field is written. */
export const RelocKind = {
  /** 32-bit pc-relative: value = S + A - P, where P is the address of the 4-byte field. */
  rel32: 1,
  /** 64-bit absolute: value = S + A. */
  abs64: 2,
} as const;
export type RelocKindName = keyof typeof RelocKind;

/** What S is. */
export const RelocTarget = {
  /** a runtime stub: target = RuntimeSymbol */
  runtime: 1,
  /** a function of this image: target = function index within `functions` */
  function: 2,
} as const;
export type RelocTargetName = keyof typeof RelocTarget;

/**
 * Runtime symbols a relocation can name. 0..15 are the trap stubs by trap code, then the host
 * call stub. rel32 references to runtime symbols go through a veneer island the loader appends to
 * the code (`jmp [rip+0]; .quad addr`), because the stubs may be further than 2 GiB away.
 */
export const RuntimeSymbol = { trapStub0: 0, hostCall: 16 } as const;
export function trapStubSymbol(code: number): number { return RuntimeSymbol.trapStub0 + code; }
export const RUNTIME_SYMBOL_COUNT = 17;

export interface ImageReloc {
  offset: number;
  kind: RelocKindName;
  targetKind: RelocTargetName;
  target: number;
  addend: number;
}

export interface ImageFunction {
  offset: number;
  size: number;
  typeIndex: number;
}

export interface CodeImage {
  code: Uint8Array;
  relocs: ImageReloc[];
  functions: ImageFunction[];
}

const HEADER = 24, RELOC = 16, FUNC = 16;
const kindName = (n: number): RelocKindName => {
  const e = Object.entries(RelocKind).find(([, v]) => v === n);
  if (!e) throw new Error(`image: bad reloc kind ${n}`);
  return e[0] as RelocKindName;
};
const targetName = (n: number): RelocTargetName => {
  const e = Object.entries(RelocTarget).find(([, v]) => v === n);
  if (!e) throw new Error(`image: bad reloc target kind ${n}`);
  return e[0] as RelocTargetName;
};

export function encodeImage(img: CodeImage): Uint8Array {
  const out = new Uint8Array(encodedImageSize(img));
  writeImage(img, out, 0);
  return out;
}

function encodedImageSize(img: CodeImage): number {
  return HEADER + Math.ceil(img.code.length / 8) * 8 + img.relocs.length * RELOC + img.functions.length * FUNC;
}

/** encodeImage's bytes written into `out` at `base` (a serialized module embeds them without a copy). */
function writeImage(img: CodeImage, out: Uint8Array, base: number): void {
  const codePadded = Math.ceil(img.code.length / 8) * 8;
  const dv = new DataView(out.buffer, out.byteOffset + base);
  dv.setUint32(0, IMAGE_MAGIC, true);
  dv.setUint32(4, IMAGE_VERSION, true);
  dv.setUint32(8, img.code.length, true);
  dv.setUint32(12, img.relocs.length, true);
  dv.setUint32(16, img.functions.length, true);
  out.set(img.code, base + HEADER);
  let at = HEADER + codePadded;
  for (const r of img.relocs) {
    dv.setUint32(at, r.offset, true);
    dv.setUint8(at + 4, RelocKind[r.kind]);
    dv.setUint8(at + 5, RelocTarget[r.targetKind]);
    dv.setUint32(at + 8, r.target, true);
    dv.setInt32(at + 12, r.addend, true);
    at += RELOC;
  }
  for (const f of img.functions) {
    dv.setUint32(at, f.offset, true);
    dv.setUint32(at + 4, f.size, true);
    dv.setUint32(at + 8, f.typeIndex, true);
    at += FUNC;
  }
}

export function decodeImage(bytes: Uint8Array): CodeImage {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || dv.getUint32(0, true) !== IMAGE_MAGIC) throw new Error('image: bad magic');
  if (dv.getUint32(4, true) !== IMAGE_VERSION) throw new Error('image: unsupported version');
  const codeSize = dv.getUint32(8, true), nr = dv.getUint32(12, true), nf = dv.getUint32(16, true);
  const codePadded = Math.ceil(codeSize / 8) * 8;
  if (bytes.length !== HEADER + codePadded + nr * RELOC + nf * FUNC) throw new Error('image: truncated');
  // a view, not a copy: the loaders copy the code into executable memory anyway, and a 27 MB
  // slice (ruby) cost a fresh allocation and its page faults on every cached start
  const code = bytes.subarray(HEADER, HEADER + codeSize);
  let at = HEADER + codePadded;
  const relocs: ImageReloc[] = [];
  for (let i = 0; i < nr; i++, at += RELOC) {
    relocs.push({
      offset: dv.getUint32(at, true), kind: kindName(dv.getUint8(at + 4)), targetKind: targetName(dv.getUint8(at + 5)),
      target: dv.getUint32(at + 8, true), addend: dv.getInt32(at + 12, true),
    });
  }
  const functions: ImageFunction[] = [];
  for (let i = 0; i < nf; i++, at += FUNC) {
    functions.push({ offset: dv.getUint32(at, true), size: dv.getUint32(at + 4, true), typeIndex: dv.getUint32(at + 8, true) });
  }
  for (const r of relocs) {
    const width = r.kind === 'rel32' ? 4 : 8;
    if (r.offset + width > codeSize) throw new Error(`image: relocation at ${r.offset} outside code`);
    if (r.targetKind === 'function' && r.target >= functions.length) throw new Error(`image: relocation to missing function ${r.target}`);
    if (r.targetKind === 'runtime' && r.target >= RUNTIME_SYMBOL_COUNT) throw new Error(`image: unknown runtime symbol ${r.target}`);
  }
  return { code, relocs, functions };
}

// ---------------------------------------------------------------------------------------------
// Serialized module ('KWSM'): one format for the compiled-code cache, `kwasm-jit compile -o
// FILE.kwasm` and the embedding API's serialize/deserialize. It holds everything instantiation
// needs: the code image above, the function offsets, and the module's own bytes (the ModuleInfo
// is decoded from them again on load: section decoding is cheap, body validation and compilation
// are what is saved). Cache entries leave the wasm out (flag bit 0 clear): the caller has the
// bytes in hand, and their hash must equal moduleHash.
//
//   0  u32 magic 'KWSM'      4 u32 version          8 u32 flags        12 u32 cpuFeatures
//  16  u32 wasmSize         20 u32 imageSize       24 u32 funcCount    28 u32 codeSize
//  32  u8[32] compilerId (hash of the compiler that produced the code)
//  64  u8[32] moduleHash (sha256 of the wasm bytes)
//  96  u8[32] checksum: sha256 of bytes [0, 96) and of everything after the header
// 128  wasm bytes when embedded, padded to 8; the encoded image (encodeImage), padded to 8;
//      funcCount x u32 code offset of each function index (imports' host-call thunks too)
//
// The checksum catches truncation and corruption; compilerId, cpuFeatures and the version catch
// an entry from another build or machine. None of this makes a hostile file safe: a .kwasm is
// machine code, trusted as wasmtime trusts a .cwasm it is asked to deserialize.

export const MODULE_FILE_MAGIC = 0x4d53574b; // 'KWSM'
export const MODULE_FILE_VERSION = 1;
export const MODULE_FILE_HEADER = 128;
export const MODULE_FILE_WASM_EMBEDDED = 1;
const HASH = 32;

/**
 * CPU features compiled code may assume, as bits of `cpuFeatures`. Code is keyed on (and only
 * loaded on) a machine whose mask includes the mask it was compiled with.
 */
export const CpuFeature = {
  ssse3: 1 << 0, sse4_1: 1 << 1, sse4_2: 1 << 2, popcnt: 1 << 3, lzcnt: 1 << 4, bmi1: 1 << 5,
  bmi2: 1 << 6, avx: 1 << 7, avx2: 1 << 8, fma: 1 << 9, avx512f: 1 << 10,
} as const;
export type CpuFeatureName = keyof typeof CpuFeature;

export interface ModuleFileParts {
  cpuFeatures: number;
  compilerId: Uint8Array;
  moduleHash: Uint8Array;
  /** present when the wasm is embedded */
  wasm: Uint8Array | null;
  image: CodeImage;
  funcOffsets: Uint32Array;
  codeSize: number;
}

/** Thrown for a file that is not a serialized module this build can load; the message says why. */
export class ModuleFileError extends Error {
  constructor(message: string) { super(message); this.name = 'ModuleFileError'; }
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

export function isModuleFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MODULE_FILE_MAGIC;
}

/** `sha256` is passed in so abi/ stays free of node:crypto for its other users. */
export function encodeModuleFile(p: ModuleFileParts, sha256: (parts: Uint8Array[]) => Uint8Array): Uint8Array {
  if (p.compilerId.length !== HASH || p.moduleHash.length !== HASH) throw new Error('module file: ids are 32 bytes');
  const imageSize = encodedImageSize(p.image);
  const wasmSize = p.wasm ? p.wasm.length : 0;
  const out = new Uint8Array(MODULE_FILE_HEADER + pad8(wasmSize) + pad8(imageSize) + 4 * p.funcOffsets.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MODULE_FILE_MAGIC, true);
  dv.setUint32(4, MODULE_FILE_VERSION, true);
  dv.setUint32(8, p.wasm ? MODULE_FILE_WASM_EMBEDDED : 0, true);
  dv.setUint32(12, p.cpuFeatures >>> 0, true);
  dv.setUint32(16, wasmSize, true);
  dv.setUint32(20, imageSize, true);
  dv.setUint32(24, p.funcOffsets.length, true);
  dv.setUint32(28, p.codeSize, true);
  out.set(p.compilerId, 32);
  out.set(p.moduleHash, 64);
  let at = MODULE_FILE_HEADER;
  if (p.wasm) out.set(p.wasm, at);
  at += pad8(wasmSize);
  writeImage(p.image, out, at);
  at += pad8(imageSize);
  for (let i = 0; i < p.funcOffsets.length; i++, at += 4) dv.setUint32(at, p.funcOffsets[i], true);
  out.set(sha256([out.subarray(0, 96), out.subarray(MODULE_FILE_HEADER)]), 96);
  return out;
}

export interface ModuleFileExpect {
  compilerId: Uint8Array;
  /** the loading machine's features: the file's must be a subset */
  cpuFeatures: number;
  /** when given (cache entries), the file must be for exactly this module */
  moduleHash?: Uint8Array;
}

/** Checks header, checksum, compiler, CPU features and layout; throws ModuleFileError naming the first mismatch. */
export function decodeModuleFile(file: Uint8Array, expect: ModuleFileExpect, sha256: (parts: Uint8Array[]) => Uint8Array): ModuleFileParts {
  // a plain view: node's Buffer (readFileSync) has a slice() that does not copy
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length < MODULE_FILE_HEADER) throw new ModuleFileError(`truncated (${bytes.length} bytes, header is ${MODULE_FILE_HEADER})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MODULE_FILE_MAGIC) throw new ModuleFileError('not a kwasm-jit compiled module (bad magic)');
  const version = dv.getUint32(4, true);
  if (version !== MODULE_FILE_VERSION) throw new ModuleFileError(`format version ${version}, this build reads ${MODULE_FILE_VERSION}`);
  const flags = dv.getUint32(8, true), cpuFeatures = dv.getUint32(12, true);
  const wasmSize = dv.getUint32(16, true), imageSize = dv.getUint32(20, true);
  const funcCount = dv.getUint32(24, true), codeSize = dv.getUint32(28, true);
  if ((flags & ~MODULE_FILE_WASM_EMBEDDED) !== 0) throw new ModuleFileError(`unknown flags 0x${flags.toString(16)}`);
  const embedded = (flags & MODULE_FILE_WASM_EMBEDDED) !== 0;
  if (!embedded && wasmSize !== 0) throw new ModuleFileError('wasm size without embedded wasm');
  const expected = MODULE_FILE_HEADER + pad8(wasmSize) + pad8(imageSize) + 4 * funcCount;
  if (bytes.length !== expected) throw new ModuleFileError(`truncated or padded (${bytes.length} bytes, header says ${expected})`);
  const sum = sha256([bytes.subarray(0, 96), bytes.subarray(MODULE_FILE_HEADER)]);
  if (!equalBytes(sum, bytes.subarray(96, 128))) throw new ModuleFileError('checksum mismatch (corrupt file)');
  const compilerId = bytes.slice(32, 64), moduleHash = bytes.slice(64, 96);
  if (!equalBytes(compilerId, expect.compilerId)) throw new ModuleFileError('compiled by a different kwasm-jit build (compiler id mismatch)');
  const missing = cpuFeatures & ~expect.cpuFeatures;
  if (missing !== 0) {
    const names = Object.entries(CpuFeature).filter(([, bit]) => (missing & bit) !== 0).map(([n]) => n);
    throw new ModuleFileError(`compiled for CPU features this machine lacks: ${names.join(', ') || `0x${missing.toString(16)}`}`);
  }
  if (expect.moduleHash && !equalBytes(moduleHash, expect.moduleHash)) throw new ModuleFileError('compiled from a different module (module hash mismatch)');
  let at = MODULE_FILE_HEADER;
  const wasm = embedded ? bytes.subarray(at, at + wasmSize) : null; // info.bytes: data segments are views of it
  at += pad8(wasmSize);
  let image: CodeImage;
  try { image = decodeImage(bytes.subarray(at, at + imageSize)); } catch (e) { throw new ModuleFileError((e as Error).message); }
  at += pad8(imageSize);
  if (codeSize > image.code.length) throw new ModuleFileError(`code size ${codeSize} past the image's ${image.code.length} bytes`);
  const funcOffsets = new Uint32Array(funcCount);
  for (let i = 0; i < funcCount; i++, at += 4) {
    funcOffsets[i] = dv.getUint32(at, true);
    if (funcOffsets[i] >= image.code.length) throw new ModuleFileError(`function ${i} at ${funcOffsets[i]} outside the code`);
  }
  return { cpuFeatures, compilerId, moduleHash, wasm, image, funcOffsets, codeSize };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
