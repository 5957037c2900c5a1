// Code memory under W^X: a blob is mapped RW, written, then flipped to RX with
// mprotect and only then registered as compiled code for the signal handler. It is never
// writable and executable at once (tests/runtime/wx.test.ts checks /proc/self/maps).
import { mmapAnon, munmap, mprotect, view, PROT, PAGE_SIZE } from './libc.js';
import { registerCodeRange, unregisterCodeRange } from './native.js';
import type { CodeImage, ImageFunction } from '../../abi/image.js';

export class LoadedCode {
  private disposed = false;
  constructor(
    readonly base: bigint,
    readonly codeSize: number,
    private readonly mapSize: bigint,
    readonly functions: readonly ImageFunction[],
  ) {}

  /** Absolute address of function i of the image. */
  functionAddress(i: number): bigint {
    const f = this.functions[i];
    if (!f) throw new RangeError(`no function ${i} in this code`);
    return this.base + BigInt(f.offset);
  }

  contains(pc: bigint): boolean {
    return pc >= this.base && pc < this.base + BigInt(this.codeSize);
  }

  /** Offset of pc in the code and the index of the function containing it. */
  locate(pc: bigint): { codeOffset: number; functionIndex: number | undefined } {
    const off = Number(pc - this.base);
    const fi = this.functions.findIndex((f) => off >= f.offset && off < f.offset + f.size);
    return { codeOffset: off, functionIndex: fi < 0 ? undefined : fi };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    unregisterCodeRange(this.base);
    munmap(this.base, this.mapSize);
  }
}

const live = new Set<LoadedCode>();

/** The loaded code blob containing pc, if any. */
export function findCode(pc: bigint): LoadedCode | undefined {
  for (const c of live) if (c.contains(pc)) return c;
  return undefined;
}

/**
 * Maps, writes, seals (RX) and registers a code image. Images carry no relocations: code reaches
 * the runtime stubs through r15 (vmctx), so the bytes are copied as they are.
 */
export function loadCode(img: CodeImage): LoadedCode {
  const mapSize = BigInt(Math.max(PAGE_SIZE, Math.ceil(img.code.length / PAGE_SIZE) * PAGE_SIZE));
  const base = mmapAnon(mapSize, PROT.READ | PROT.WRITE);
  try {
    const buf = view(base, Number(mapSize));
    buf.set(img.code, 0);
    buf.fill(0xcc, img.code.length, Number(mapSize)); // int3 everywhere else
    mprotect(base, mapSize, PROT.READ | PROT.EXEC);
  } catch (e) {
    munmap(base, mapSize);
    throw e;
  }
  registerCodeRange(base, base + BigInt(img.code.length));
  const code = new LoadedCode(base, img.code.length, mapSize, img.functions);
  live.add(code);
  return code;
}
