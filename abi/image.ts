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
  const codePadded = Math.ceil(img.code.length / 8) * 8;
  const out = new Uint8Array(HEADER + codePadded + img.relocs.length * RELOC + img.functions.length * FUNC);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, IMAGE_MAGIC, true);
  dv.setUint32(4, IMAGE_VERSION, true);
  dv.setUint32(8, img.code.length, true);
  dv.setUint32(12, img.relocs.length, true);
  dv.setUint32(16, img.functions.length, true);
  out.set(img.code, HEADER);
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
  return out;
}

export function decodeImage(bytes: Uint8Array): CodeImage {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER || dv.getUint32(0, true) !== IMAGE_MAGIC) throw new Error('image: bad magic');
  if (dv.getUint32(4, true) !== IMAGE_VERSION) throw new Error('image: unsupported version');
  const codeSize = dv.getUint32(8, true), nr = dv.getUint32(12, true), nf = dv.getUint32(16, true);
  const codePadded = Math.ceil(codeSize / 8) * 8;
  if (bytes.length !== HEADER + codePadded + nr * RELOC + nf * FUNC) throw new Error('image: truncated');
  const code = bytes.slice(HEADER, HEADER + codeSize);
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
