// Code memory under W^X: a blob is mapped RW, written and relocated, then flipped to RX with
// mprotect and only then registered as compiled code for the signal handler. It is never
// writable and executable at once (tests/runtime/wx.test.ts checks /proc/self/maps).
import { mmapAnon, munmap, mprotect, view, PROT, PAGE_SIZE } from './libc.js';
import { native, registerCodeRange, unregisterCodeRange } from './native.js';
import { RuntimeSymbol, RUNTIME_SYMBOL_COUNT, trapStubSymbol, type CodeImage, type ImageFunction, type ImageReloc } from '../../abi/image.js';
import { TrapCode, type TrapKind } from '../../abi/traps.js';
import type { AssembledCode } from '../../backend-x64/index.js';

const VENEER = 16; // jmp [rip+0] (6 bytes) + .quad target (8) + 2 bytes padding

/** Address of a runtime symbol (abi/image.ts RuntimeSymbol numbering). */
function runtimeSymbolAddress(sym: number): bigint {
  const n = native();
  if (sym === RuntimeSymbol.hostCall) return n.addr.hostCallStub;
  const stub = n.trapStubs[sym - RuntimeSymbol.trapStub0];
  if (stub === undefined || sym >= RUNTIME_SYMBOL_COUNT) throw new RangeError(`unknown runtime symbol ${sym}`);
  return stub;
}

/** Runtime symbol by the name an Assembler relocation uses: 'hostCall' or 'trap:<kind>'. */
export function runtimeSymbolByName(name: string): number {
  if (name === 'hostCall') return RuntimeSymbol.hostCall;
  const m = /^trap:(\w+)$/.exec(name);
  const code = m ? (TrapCode as Record<string, number | undefined>)[m[1] as TrapKind] : undefined;
  if (code === undefined) throw new Error(`unknown runtime symbol name ${name}`);
  return trapStubSymbol(code);
}

/** Turns Assembler output into an image: string targets are runtime symbols, numbers are functions. */
export function imageFromAssembled(out: AssembledCode, functions: ImageFunction[]): CodeImage {
  const relocs: ImageReloc[] = out.relocs.map((r) => ({
    offset: r.offset, kind: r.kind, addend: r.addend,
    targetKind: typeof r.target === 'number' ? 'function' : 'runtime',
    target: typeof r.target === 'number' ? r.target : runtimeSymbolByName(r.target),
  }));
  return { code: out.code, relocs, functions };
}

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

/** Maps, relocates, seals (RX) and registers a code image. */
export function loadCode(img: CodeImage): LoadedCode {
  const used = [...new Set(img.relocs.filter((r) => r.kind === 'rel32' && r.targetKind === 'runtime').map((r) => r.target))];
  const islandAt = Math.ceil(img.code.length / 16) * 16;
  const total = islandAt + used.length * VENEER;
  const mapSize = BigInt(Math.max(PAGE_SIZE, Math.ceil(total / PAGE_SIZE) * PAGE_SIZE));
  const base = mmapAnon(mapSize, PROT.READ | PROT.WRITE);
  try {
    const buf = view(base, Number(mapSize));
    buf.set(img.code, 0);
    buf.fill(0xcc, img.code.length, Number(mapSize)); // int3 everywhere else
    const veneer = new Map<number, number>();
    used.forEach((sym, i) => {
      const at = islandAt + i * VENEER;
      buf.set([0xff, 0x25, 0, 0, 0, 0], at); // jmp [rip+0]
      buf.writeBigUInt64LE(runtimeSymbolAddress(sym), at + 6);
      veneer.set(sym, at);
    });
    for (const r of img.relocs) {
      const p = base + BigInt(r.offset);
      let s: bigint;
      if (r.targetKind === 'function') {
        const f = img.functions[r.target];
        if (!f) throw new RangeError(`relocation to missing function ${r.target}`);
        s = base + BigInt(f.offset);
      } else if (r.kind === 'rel32') s = base + BigInt(veneer.get(r.target)!);
      else s = runtimeSymbolAddress(r.target);
      if (r.kind === 'abs64') buf.writeBigUInt64LE(BigInt.asUintN(64, s + BigInt(r.addend)), r.offset);
      else {
        const v = s + BigInt(r.addend) - p;
        if (v < -0x80000000n || v > 0x7fffffffn) throw new RangeError(`rel32 relocation at ${r.offset} out of range`);
        buf.writeInt32LE(Number(v), r.offset);
      }
    }
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
