// Code image: what the compiler produces and both loaders (user space jit/runtime, the kernel
// module) consume. Position-independent machine code and its function table: direct calls are
// rel32 inside the image and everything else the code reaches at run time goes through r15
// (vmctx: memory, tables, globals, the trap and host-call stubs), so loading is a copy and the
// image carries no relocations.
//
// Binary form (little endian), so the kernel module can read it without JSON:
//   u32 magic 'KWIM', u32 version, u32 codeSize, u32 reserved, u32 funcCount, u32 reserved
//   code bytes, padded to 8
//   funcCount x { u32 offset, u32 size, u32 typeIndex, u32 reserved }
// Version 1 had a relocation count where the first reserved word is now, and the records after
// the code; version 2 dropped them (nothing emitted any). The header keeps its size so a version 1
// image is refused by its version, never misread, and the word stays zero. Version 3 code reads
// globals inline after the vmctx header (abi/vmctx.ts VMCTX_GLOBALS) where version 2 code loaded
// a pointer to them from a vmctx field that is gone: a kernel module or loader of the other
// version refuses the image by its version.

export const IMAGE_MAGIC = 0x4d49574b; // 'KWIM'
export const IMAGE_VERSION = 3;

export interface ImageFunction {
  offset: number;
  size: number;
  typeIndex: number;
}

export interface CodeImage {
  code: Uint8Array;
  functions: ImageFunction[];
  /**
   * Where the same code bytes lie in an open file (a compiled-code cache entry), page-aligned and
   * padded to whole pages with int3: the user-space loader maps them instead of copying `code`.
   */
  file?: CodeFile;
}

export interface CodeFile { fd: number; offset: number; length: number }

/**
 * Linear memory 0's bytes [start, start + file.length) at instantiation, after its active data
 * segments, as whole pages of an open file (a cache entry): mapped copy-on-write into each new
 * memory instead of copying the segments (jit/cache/memory-image.ts).
 */
export interface MemoryImage { start: number; file: CodeFile }

/** A memory image to write: `bytes` (whole pages) are memory 0 from `start` (page-aligned). */
export interface MemoryImagePages { start: number; bytes: Uint8Array }

/** Bytes of code (with the constant pool), without reading a file-backed image's code. */
export function imageCodeLength(img: CodeImage): number {
  return img.file?.length ?? img.code.length;
}

const HEADER = 24, FUNC = 16;

export function encodeImage(img: CodeImage): Uint8Array {
  const out = new Uint8Array(encodedImageSize(img));
  writeImage(img, out, 0);
  return out;
}

function encodedImageSize(img: CodeImage, codeLength = img.code.length): number {
  return HEADER + Math.ceil(codeLength / 8) * 8 + img.functions.length * FUNC;
}

/**
 * encodeImage's bytes written into `out` at `base` (a serialized module embeds them without a
 * copy); with a larger `codeLength`, the code is padded with int3 up to it.
 */
function writeImage(img: CodeImage, out: Uint8Array, base: number, codeLength = img.code.length): void {
  const codePadded = Math.ceil(codeLength / 8) * 8;
  const dv = new DataView(out.buffer, out.byteOffset + base);
  dv.setUint32(0, IMAGE_MAGIC, true);
  dv.setUint32(4, IMAGE_VERSION, true);
  dv.setUint32(8, codeLength, true);
  dv.setUint32(16, img.functions.length, true);
  out.set(img.code, base + HEADER);
  out.fill(0xcc, base + HEADER + img.code.length, base + HEADER + codeLength);
  let at = HEADER + codePadded;
  for (const f of img.functions) {
    dv.setUint32(at, f.offset, true);
    dv.setUint32(at + 4, f.size, true);
    dv.setUint32(at + 8, f.typeIndex, true);
    at += FUNC;
  }
}

/** An encoded image's header: code size, counts, and where code and tables lie in it. */
export interface ImageLayout { codeSize: number; funcCount: number; tablesAt: number; size: number }

/** The first IMAGE_HEADER_SIZE bytes of an encoded image; `size` is the encoded length, or it is refused. */
export function imageLayout(head: Uint8Array, size: number): ImageLayout {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < HEADER || dv.getUint32(0, true) !== IMAGE_MAGIC) throw new Error('image: bad magic');
  const version = dv.getUint32(4, true);
  if (version === 1) throw new Error('image: format version 1 (with relocation records) is no longer supported; recompile the module');
  if (version !== IMAGE_VERSION) throw new Error(`image: format version ${version}, this build reads ${IMAGE_VERSION}`);
  if (dv.getUint32(12, true) !== 0 || dv.getUint32(20, true) !== 0) throw new Error('image: reserved header field not zero');
  const codeSize = dv.getUint32(8, true), funcCount = dv.getUint32(16, true);
  const tablesAt = HEADER + Math.ceil(codeSize / 8) * 8;
  if (size !== tablesAt + funcCount * FUNC) throw new Error('image: truncated');
  return { codeSize, funcCount, tablesAt, size };
}
export const IMAGE_HEADER_SIZE = HEADER;

export function decodeImage(bytes: Uint8Array): CodeImage {
  const l = imageLayout(bytes, bytes.length);
  // a view, not a copy: the loaders copy the code into executable memory anyway, and a 27 MB
  // slice (ruby) cost a fresh allocation and its page faults on every cached start
  const code = bytes.subarray(HEADER, HEADER + l.codeSize);
  return { code, ...decodeImageTables(bytes.subarray(l.tablesAt), l) };
}

/** The function table (the bytes from `tablesAt` on). */
export function decodeImageTables(tables: Uint8Array, l: ImageLayout): Pick<CodeImage, 'functions'> {
  const dv = new DataView(tables.buffer, tables.byteOffset, tables.byteLength);
  const nf = l.funcCount;
  let at = 0;
  const functions: ImageFunction[] = [];
  for (let i = 0; i < nf; i++, at += FUNC) {
    functions.push({ offset: dv.getUint32(at, true), size: dv.getUint32(at + 4, true), typeIndex: dv.getUint32(at + 8, true) });
  }
  return { functions };
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
//  96  u32 checksum: CRC-32 (zlib's) of bytes [0, 96) and of everything after the header
// 100  u8[28] reserved, zero
// 128  wasm bytes when embedded, padded to 8; zeros up to the encoded image (encodeImage), placed
//      so that its code starts on a 4 KiB boundary, the code padded with int3 to whole pages (a
//      cache hit maps these pages instead of reading and copying them); the image padded to 8;
//      funcCount x u32 code offset of each function index (imports' host-call thunks too);
//      with flag bit 1 (a memory image, cache entries only): padded to 8, u32 start (memory
//      offset, page-aligned), u32 length, zeros up to a 4 KiB boundary, then `length` bytes (whole
//      pages) of linear memory from `start` as its active data segments leave it
//
// The checksum catches truncation and corruption; compilerId, cpuFeatures and the version catch
// an entry from another build or machine. None of this makes a hostile file safe: a .kwasm is
// machine code, trusted as wasmtime trusts a .cwasm it is asked to deserialize. So the checksum
// is a CRC-32, not a cryptographic hash (an early version 3 had sha256 there: ~10x slower over a
// 45 MB entry with a memory image, and node:crypto loaded on every warm start for it).

const MODULE_FILE_MAGIC = 0x4d53574b; // 'KWSM'
const MODULE_FILE_VERSION = 3;
export const MODULE_FILE_HEADER = 128;
const MODULE_FILE_WASM_EMBEDDED = 1;
const MODULE_FILE_MEMORY_IMAGE = 2;
export const MEMORY_TRAILER = 8;
/** The code starts at a multiple of this in the file and is padded to one with int3 (mappable). */
export const MODULE_FILE_CODE_ALIGN = 4096;
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
  /** written only (a loader maps it from the file: MemoryImage) */
  memoryImage?: MemoryImagePages | null;
}

/** Thrown for a file that is not a serialized module this build can load; the message says why. */
export class ModuleFileError extends Error {
  constructor(message: string) { super(message); this.name = 'ModuleFileError'; }
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
/** Where the encoded image starts: its code (after the image header) on a page boundary. */
const imageStart = (wasmSize: number): number => alignUp(MODULE_FILE_HEADER + pad8(wasmSize) + IMAGE_HEADER_SIZE, MODULE_FILE_CODE_ALIGN) - IMAGE_HEADER_SIZE;

export function isModuleFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MODULE_FILE_MAGIC;
}

/** The checksum function (CRC-32 of the concatenated parts), passed in so abi/ stays free of node:zlib. */
export type Checksum = (parts: Uint8Array[]) => number;
const CHECKSUM_AT = 96;

export function encodeModuleFile(p: ModuleFileParts, checksum: Checksum): Uint8Array {
  if (p.compilerId.length !== HASH || p.moduleHash.length !== HASH) throw new Error('module file: ids are 32 bytes');
  // whole pages of code, int3 after the last instruction (what a loader copying the code fills in)
  // (written padded straight into the file's bytes: no padded copy of a 27 MB code first)
  const paged = alignUp(p.image.code.length, MODULE_FILE_CODE_ALIGN);
  const image = p.image;
  const imageSize = encodedImageSize(image, paged);
  const wasmSize = p.wasm ? p.wasm.length : 0;
  const imageAt = imageStart(wasmSize);
  const offsetsEnd = imageAt + pad8(imageSize) + 4 * p.funcOffsets.length;
  const mem = p.memoryImage ?? null;
  if (mem && (mem.start % MODULE_FILE_CODE_ALIGN !== 0 || mem.bytes.length % MODULE_FILE_CODE_ALIGN !== 0 || mem.bytes.length === 0)) throw new Error('module file: a memory image is whole pages');
  const memAt = memoryImageAt(offsetsEnd);
  const out = new Uint8Array(mem ? memAt + mem.bytes.length : offsetsEnd);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MODULE_FILE_MAGIC, true);
  dv.setUint32(4, MODULE_FILE_VERSION, true);
  dv.setUint32(8, (p.wasm ? MODULE_FILE_WASM_EMBEDDED : 0) | (mem ? MODULE_FILE_MEMORY_IMAGE : 0), true);
  dv.setUint32(12, p.cpuFeatures >>> 0, true);
  dv.setUint32(16, wasmSize, true);
  dv.setUint32(20, imageSize, true);
  dv.setUint32(24, p.funcOffsets.length, true);
  dv.setUint32(28, p.codeSize, true);
  out.set(p.compilerId, 32);
  out.set(p.moduleHash, 64);
  if (p.wasm) out.set(p.wasm, MODULE_FILE_HEADER);
  writeImage(image, out, imageAt, paged);
  let at = imageAt + pad8(imageSize);
  for (let i = 0; i < p.funcOffsets.length; i++, at += 4) dv.setUint32(at, p.funcOffsets[i], true);
  if (mem) {
    dv.setUint32(pad8(offsetsEnd), mem.start, true);
    dv.setUint32(pad8(offsetsEnd) + 4, mem.bytes.length, true);
    out.set(mem.bytes, memAt);
  }
  dv.setUint32(CHECKSUM_AT, checksumOf(out, checksum), true);
  return out;
}

export interface ModuleFileExpect {
  compilerId: Uint8Array;
  /** the loading machine's features: the file's must be a subset */
  cpuFeatures: number;
  /** when given (cache entries), the file must be for exactly this module */
  moduleHash?: Uint8Array;
}

/** Where everything lies in a serialized module, from its header (checked against the file size). */
export interface ModuleFileLayout {
  cpuFeatures: number;
  embedded: boolean;
  wasmSize: number;
  imageAt: number;
  imageSize: number;
  funcCount: number;
  offsetsAt: number;
  codeSize: number;
  compilerId: Uint8Array;
  moduleHash: Uint8Array;
  /** u32 at 96: CRC-32 of bytes [0, 96) and of everything after the header */
  checksum: number;
  /** where the memory image's start and length are (MEMORY_TRAILER bytes), and its pages */
  memory: { trailerAt: number; at: number; length: number } | null;
}

/** The memory image's pages: after the trailer, on a page boundary. */
const memoryImageAt = (offsetsEnd: number): number => alignUp(pad8(offsetsEnd) + MEMORY_TRAILER, MODULE_FILE_CODE_ALIGN);

/** The header checks, in order: size, magic, version, flags, exact length. */
export function moduleFileLayout(head: Uint8Array, fileSize: number): ModuleFileLayout {
  if (fileSize < MODULE_FILE_HEADER || head.length < MODULE_FILE_HEADER) throw new ModuleFileError(`truncated (${fileSize} bytes, header is ${MODULE_FILE_HEADER})`);
  const dv = new DataView(head.buffer, head.byteOffset, MODULE_FILE_HEADER);
  if (dv.getUint32(0, true) !== MODULE_FILE_MAGIC) throw new ModuleFileError('not a kwasm-jit compiled module (bad magic)');
  const version = dv.getUint32(4, true);
  if (version !== MODULE_FILE_VERSION) throw new ModuleFileError(`format version ${version}, this build reads ${MODULE_FILE_VERSION}`);
  const flags = dv.getUint32(8, true), cpuFeatures = dv.getUint32(12, true);
  const wasmSize = dv.getUint32(16, true), imageSize = dv.getUint32(20, true);
  const funcCount = dv.getUint32(24, true), codeSize = dv.getUint32(28, true);
  if ((flags & ~(MODULE_FILE_WASM_EMBEDDED | MODULE_FILE_MEMORY_IMAGE)) !== 0) throw new ModuleFileError(`unknown flags 0x${flags.toString(16)}`);
  if (head.subarray(CHECKSUM_AT + 4, MODULE_FILE_HEADER).some((b) => b !== 0)) throw new ModuleFileError('reserved header bytes not zero');
  const embedded = (flags & MODULE_FILE_WASM_EMBEDDED) !== 0;
  if (!embedded && wasmSize !== 0) throw new ModuleFileError('wasm size without embedded wasm');
  const imageAt = imageStart(wasmSize);
  const offsetsAt = imageAt + pad8(imageSize);
  const offsetsEnd = offsetsAt + 4 * funcCount;
  let memory: ModuleFileLayout['memory'] = null;
  if ((flags & MODULE_FILE_MEMORY_IMAGE) !== 0) {
    // the image's length is in its trailer (checked against this by memoryImageOf)
    const at = memoryImageAt(offsetsEnd);
    if (fileSize <= at || (fileSize - at) % MODULE_FILE_CODE_ALIGN !== 0) throw new ModuleFileError(`truncated or padded (${fileSize} bytes: no whole memory image after ${at})`);
    memory = { trailerAt: pad8(offsetsEnd), at, length: fileSize - at };
  } else if (fileSize !== offsetsEnd) throw new ModuleFileError(`truncated or padded (${fileSize} bytes, header says ${offsetsEnd})`);
  return {
    memory, cpuFeatures, embedded, wasmSize, imageAt, imageSize, funcCount, offsetsAt, codeSize,
    compilerId: head.slice(32, 64), moduleHash: head.slice(64, 96), checksum: dv.getUint32(CHECKSUM_AT, true),
  };
}

/** After the checksum: compiler id, CPU features, module hash. */
export function checkModuleFileIdentity(l: ModuleFileLayout, expect: ModuleFileExpect): void {
  if (!equalBytes(l.compilerId, expect.compilerId)) throw new ModuleFileError('compiled by a different kwasm-jit build (compiler id mismatch)');
  const missing = l.cpuFeatures & ~expect.cpuFeatures;
  if (missing !== 0) {
    const names = Object.entries(CpuFeature).filter(([, bit]) => (missing & bit) !== 0).map(([n]) => n);
    throw new ModuleFileError(`compiled for CPU features this machine lacks: ${names.join(', ') || `0x${missing.toString(16)}`}`);
  }
  if (expect.moduleHash && !equalBytes(l.moduleHash, expect.moduleHash)) throw new ModuleFileError('compiled from a different module (module hash mismatch)');
}

export function checkModuleFileChecksum(l: ModuleFileLayout, sum: number): void {
  if (sum !== l.checksum) throw new ModuleFileError('checksum mismatch (corrupt file)');
}

/** What the checksum covers: bytes [0, 96) (the header before it) and everything after the header. */
export function checksumOf(file: Uint8Array, checksum: Checksum): number {
  return checksum([file.subarray(0, CHECKSUM_AT), file.subarray(MODULE_FILE_HEADER)]);
}
/** The header bytes the checksum covers: [0, MODULE_FILE_CHECKSUMMED_HEAD). */
export const MODULE_FILE_CHECKSUMMED_HEAD = CHECKSUM_AT;

/** The function offsets (the file's last 4 * funcCount bytes), each inside the code. */
export function decodeFuncOffsets(bytes: Uint8Array, l: ModuleFileLayout, codeLength: number): Uint32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (l.codeSize > codeLength) throw new ModuleFileError(`code size ${l.codeSize} past the image's ${codeLength} bytes`);
  const funcOffsets = new Uint32Array(l.funcCount);
  for (let i = 0; i < l.funcCount; i++) {
    funcOffsets[i] = dv.getUint32(4 * i, true);
    if (funcOffsets[i] >= codeLength) throw new ModuleFileError(`function ${i} at ${funcOffsets[i]} outside the code`);
  }
  return funcOffsets;
}

/** The memory image's start from its trailer, checked against the layout; `fd` holds the file. */
export function memoryImageOf(trailer: Uint8Array, l: ModuleFileLayout, fd: number): MemoryImage | null {
  if (l.memory === null) return null;
  const dv = new DataView(trailer.buffer, trailer.byteOffset, MEMORY_TRAILER);
  const start = dv.getUint32(0, true), length = dv.getUint32(4, true);
  if (length !== l.memory.length) throw new ModuleFileError(`memory image of ${length} bytes, the file has ${l.memory.length}`);
  if (start % MODULE_FILE_CODE_ALIGN !== 0 || start + length > 2 ** 32) throw new ModuleFileError(`memory image at ${start} (${length} bytes) is not whole pages of a 32-bit memory`);
  return { start, file: { fd, offset: l.memory.at, length } };
}

/** Checks header, checksum, compiler, CPU features and layout; throws ModuleFileError naming the first mismatch. */
export function decodeModuleFile(file: Uint8Array, expect: ModuleFileExpect, checksum: Checksum): ModuleFileParts {
  // a plain view: node's Buffer (readFileSync) has a slice() that does not copy
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const l = moduleFileLayout(bytes, bytes.length);
  checkModuleFileChecksum(l, checksumOf(bytes, checksum));
  checkModuleFileIdentity(l, expect);
  const wasm = l.embedded ? bytes.subarray(MODULE_FILE_HEADER, MODULE_FILE_HEADER + l.wasmSize) : null; // info.bytes: data segments are views of it
  let image: CodeImage;
  try { image = decodeImage(bytes.subarray(l.imageAt, l.imageAt + l.imageSize)); } catch (e) { throw new ModuleFileError((e as Error).message); }
  const funcOffsets = decodeFuncOffsets(bytes.subarray(l.offsetsAt), l, image.code.length);
  return { cpuFeatures: l.cpuFeatures, compilerId: l.compilerId, moduleHash: l.moduleHash, wasm, image, funcOffsets, codeSize: l.codeSize };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
