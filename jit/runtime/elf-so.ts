// A minimal ELF64 x86-64 shared object writer, so the runtime's native routines (entry/resume
// trampolines, runtime stubs, signal handler) can be opened by ffi-rs, which only calls named
// symbols of libraries it dlopen()s. No C compiler or linker at run time.
//
// Layout (file offset == virtual address, base 0):
//   ELF header, program headers, .hash, .dynsym, .dynstr, .text         -> PT_LOAD R+X
//   (page aligned) .dynamic, .data                                       -> PT_LOAD R+W
//   .shstrtab, section headers                                           (not loaded)
// plus PT_DYNAMIC and PT_GNU_STACK (RW: without it glibc would make the process stack executable).
// There are no relocations: text reaches data only RIP-relatively, patched here at link time
// (`dataRefs`), so the object needs no DT_RELA and works at any load address.

export interface SoSymbol {
  name: string;
  section: 'text' | 'data';
  offset: number;
  size?: number;
}

/** A RIP-relative disp32 in text pointing into data: the field is the 4 bytes before `end`. */
export interface DataRef {
  /** offset in text of the end of the instruction (disp32 occupies [end-4, end)) */
  end: number;
  /** target offset in data */
  dataOffset: number;
}

export interface SoInput {
  soname: string;
  text: Uint8Array;
  /** initial data contents */
  data: Uint8Array;
  symbols: SoSymbol[];
  dataRefs: DataRef[];
}

export interface SoLayout { textVaddr: number; dataVaddr: number; }

const PAGE = 0x1000;
const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** The System V ABI ELF hash used by DT_HASH. */
function elfHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    h = ((h << 4) + name.charCodeAt(i)) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h &= ~g >>> 0;
    h >>>= 0;
  }
  return h;
}

const DT = { NULL: 0, HASH: 4, STRTAB: 5, SYMTAB: 6, STRSZ: 10, SYMENT: 11, SONAME: 14 } as const;
const SHT = { NULL: 0, PROGBITS: 1, STRTAB: 3, HASH: 5, DYNAMIC: 6, DYNSYM: 11 } as const;
const SHF = { WRITE: 1, ALLOC: 2, EXEC: 4 } as const;
const PT = { LOAD: 1, DYNAMIC: 2, GNU_STACK: 0x6474e551 } as const;
const PF = { X: 1, W: 2, R: 4 } as const;

class StrTab {
  bytes: number[] = [0];
  add(s: string): number {
    const at = this.bytes.length;
    for (const c of Buffer.from(s, 'utf8')) this.bytes.push(c);
    this.bytes.push(0);
    return at;
  }
}

export function writeSharedObject(input: SoInput): { bytes: Uint8Array; layout: SoLayout } {
  const dynstr = new StrTab();
  const sonameOff = dynstr.add(input.soname);
  const syms = input.symbols.map((s) => ({ ...s, nameOff: dynstr.add(s.name) }));
  const nsyms = syms.length + 1;

  // Sections in order; every offset computed before any byte is written.
  const PHNUM = 4;
  const hashOff = align(64 + 56 * PHNUM, 8);
  const nbucket = Math.max(1, syms.length);
  const hashSize = 4 * (2 + nbucket + nsyms);
  const dynsymOff = align(hashOff + hashSize, 8);
  const dynstrOff = dynsymOff + 24 * nsyms;
  const textOff = align(dynstrOff + dynstr.bytes.length, 16);
  const textEnd = textOff + input.text.length;
  const dynamicOff = align(textEnd, PAGE);
  const dynEntries: [number, number][] = [
    [DT.HASH, hashOff], [DT.STRTAB, dynstrOff], [DT.SYMTAB, dynsymOff],
    [DT.STRSZ, dynstr.bytes.length], [DT.SYMENT, 24], [DT.SONAME, sonameOff], [DT.NULL, 0],
  ];
  const dynamicSize = 16 * dynEntries.length;
  const dataOff = align(dynamicOff + dynamicSize, 64);
  const dataEnd = dataOff + input.data.length;
  const shstr = new StrTab();
  const names = ['.hash', '.dynsym', '.dynstr', '.text', '.dynamic', '.data', '.shstrtab'].map((n) => shstr.add(n));
  const shstrOff = dataEnd;
  const shOff = align(shstrOff + shstr.bytes.length, 8);
  const SHNUM = 8;
  const total = shOff + 64 * SHNUM;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const u8 = (o: number, v: number): void => dv.setUint8(o, v);
  const u16 = (o: number, v: number): void => dv.setUint16(o, v, true);
  const u32 = (o: number, v: number): void => dv.setUint32(o, v, true);
  const u64 = (o: number, v: number): void => dv.setBigUint64(o, BigInt(v), true);

  // ELF header
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, ELFCLASS64, little endian, version, SYSV ABI
  u16(16, 3); u16(18, 62); u32(20, 1);              // ET_DYN, EM_X86_64, EV_CURRENT
  u64(24, 0); u64(32, 64); u64(40, shOff);          // entry, phoff, shoff
  u32(48, 0); u16(52, 64); u16(54, 56); u16(56, PHNUM); u16(58, 64); u16(60, SHNUM); u16(62, SHNUM - 1);

  // Program headers
  const ph = (i: number, type: number, flags: number, off: number, size: number, al: number): void => {
    const p = 64 + 56 * i;
    u32(p, type); u32(p + 4, flags); u64(p + 8, off); u64(p + 16, off); u64(p + 24, off);
    u64(p + 32, size); u64(p + 40, size); u64(p + 48, al);
  };
  ph(0, PT.LOAD, PF.R | PF.X, 0, textEnd, PAGE);
  ph(1, PT.LOAD, PF.R | PF.W, dynamicOff, dataEnd - dynamicOff, PAGE);
  ph(2, PT.DYNAMIC, PF.R | PF.W, dynamicOff, dynamicSize, 8);
  ph(3, PT.GNU_STACK, PF.R | PF.W, 0, 0, 16);

  // .hash: nbucket, nchain, buckets, chains (symbol 0 is the null symbol)
  u32(hashOff, nbucket); u32(hashOff + 4, nsyms);
  const bucketAt = hashOff + 8, chainAt = bucketAt + 4 * nbucket;
  syms.forEach((s, i) => {
    const idx = i + 1;
    const b = elfHash(s.name) % nbucket;
    // prepend idx to bucket b's chain
    u32(chainAt + 4 * idx, dv.getUint32(bucketAt + 4 * b, true));
    u32(bucketAt + 4 * b, idx);
  });

  // .dynsym
  const TEXT_SHNDX = 4, DATA_SHNDX = 6;
  syms.forEach((s, i) => {
    const p = dynsymOff + 24 * (i + 1);
    u32(p, s.nameOff);
    u8(p + 4, (1 << 4) | (s.section === 'text' ? 2 : 1)); // STB_GLOBAL, STT_FUNC / STT_OBJECT
    u8(p + 5, 0);
    u16(p + 6, s.section === 'text' ? TEXT_SHNDX : DATA_SHNDX);
    u64(p + 8, (s.section === 'text' ? textOff : dataOff) + s.offset);
    u64(p + 16, s.size ?? 0);
  });
  out.set(dynstr.bytes, dynstrOff);

  // .text with data references linked
  out.set(input.text, textOff);
  for (const r of input.dataRefs) {
    if (r.end < 4 || r.end > input.text.length) throw new RangeError(`elf-so: data ref end ${r.end} outside text`);
    u32(textOff + r.end - 4, (dataOff + r.dataOffset - (textOff + r.end)) | 0);
  }
  dynEntries.forEach(([tag, val], i) => { u64(dynamicOff + 16 * i, tag); u64(dynamicOff + 16 * i + 8, val); });
  out.set(input.data, dataOff);
  out.set(shstr.bytes, shstrOff);

  // Section headers: null, .hash, .dynsym, .dynstr, .text, .dynamic, .data, .shstrtab
  const sh = (i: number, name: number, type: number, flags: number, off: number, size: number,
    link: number, info: number, al: number, entsize: number): void => {
    const p = shOff + 64 * i;
    u32(p, name); u32(p + 4, type); u64(p + 8, flags); u64(p + 16, flags & SHF.ALLOC ? off : 0); u64(p + 24, off);
    u64(p + 32, size); u32(p + 40, link); u32(p + 44, info); u64(p + 48, al); u64(p + 56, entsize);
  };
  sh(1, names[0]!, SHT.HASH, SHF.ALLOC, hashOff, hashSize, 2, 0, 8, 4);
  sh(2, names[1]!, SHT.DYNSYM, SHF.ALLOC, dynsymOff, 24 * nsyms, 3, 1, 8, 24);
  sh(3, names[2]!, SHT.STRTAB, SHF.ALLOC, dynstrOff, dynstr.bytes.length, 0, 0, 1, 0);
  sh(4, names[3]!, SHT.PROGBITS, SHF.ALLOC | SHF.EXEC, textOff, input.text.length, 0, 0, 16, 0);
  sh(5, names[4]!, SHT.DYNAMIC, SHF.ALLOC | SHF.WRITE, dynamicOff, dynamicSize, 3, 0, 8, 16);
  sh(6, names[5]!, SHT.PROGBITS, SHF.ALLOC | SHF.WRITE, dataOff, input.data.length, 0, 0, 64, 0);
  sh(7, names[6]!, SHT.STRTAB, 0, shstrOff, shstr.bytes.length, 0, 0, 1, 0);

  return { bytes: out, layout: { textVaddr: textOff, dataVaddr: dataOff } };
}
