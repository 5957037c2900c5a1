// Compiling a range of function bodies into an Assembler: the loop the single-threaded compile
// (all bodies into the image's Assembler) and both sides of a parallel compile (the compiling
// thread's share into the image's Assembler, a worker's chunks each into a part appended to the
// image later) run, so they place and encode every function the same way.
import { Assembler, type AssembledPart, type Label } from '../../backend-x64/index.js';
import type { ImageFunction } from '../../abi/image.js';
import { globalLayout } from '../../abi/globals.js';
import { InstrReader } from '../frontend/instr-reader.js';
import { Reader } from '../frontend/reader.js';
import { FunctionValidator } from '../frontend/validator.js';
import type { FuncType, ModuleInfo } from '../frontend/types.js';
import { checkCpuFeatures } from './cpu-features.js';
import { FunctionCompiler } from './function-compiler.js';
import type { ModuleEnv } from './masm.js';

/** Functions start 16-byte aligned; a part placed at a 16-aligned offset encodes as in place. */
export const FUNCTION_ALIGN = 16;

/**
 * A class, not an object literal, for the reason DecodedModule in decoder.ts gives: the second
 * literal of a process gets a map with generalised field types, which deoptimised the
 * emitters optimised against the first (call, CodeGen.begin) in every second compile.
 */
class ModuleEnvOf implements ModuleEnv {
  readonly types: FuncType[];
  readonly funcTypeIndices: Uint32Array;
  readonly numImportedFuncs: number;
  readonly numImportedGlobals: number;
  readonly globalTypes: Uint8Array;
  readonly globalOffsets: Uint32Array;
  readonly tableTypes: Uint8Array;

  constructor(info: ModuleInfo, readonly funcLabels: Label[]) {
    this.types = info.types;
    this.funcTypeIndices = info.funcTypeIndices;
    this.numImportedFuncs = info.numImportedFuncs;
    this.numImportedGlobals = info.numImportedGlobals;
    this.globalTypes = Uint8Array.from(info.globals, (g) => g.type);
    this.globalOffsets = globalLayout(this.globalTypes, info.numImportedGlobals).offsets;
    this.tableTypes = Uint8Array.from(info.tables, (t) => t.elemType);
  }
}

export function moduleEnv(info: ModuleInfo, funcLabels: Label[]): ModuleEnv {
  return new ModuleEnvOf(info, funcLabels);
}

/** Bytes of function bodies in the module's code section, for [from, to) or all of them. */
export function bodyBytes(info: ModuleInfo, from = info.numImportedFuncs, to = info.funcTypeIndices.length): number {
  return info.codes.bytes(from - info.numImportedFuncs, to - info.numImportedFuncs);
}

/** Machine code is about 2-3x the bodies; a fresh buffer is zeroed page by page, so no more. */
export const codeCapacity = (bodies: number): number => Math.max(4096, bodies * 3);

/**
 * Compiles ranges of functions into one Assembler at its position, each function 16-byte
 * aligned and bound to its label, with one FunctionCompiler for all of them. The single-threaded
 * compile and the compiling thread of a parallel one (its share goes straight into the image)
 * use it on the image's Assembler; a PartCompiler on an Assembler of its own.
 */
export class RangeCompiler {
  private readonly fc: FunctionCompiler;

  constructor(private readonly info: ModuleInfo, private readonly asm: Assembler, env: ModuleEnv) {
    checkCpuFeatures();
    this.fc = new FunctionCompiler(info, asm, env, new InstrReader(new Reader(info.bytes)), new FunctionValidator(info));
  }

  /**
   * Compiles functions [from, to), appending their offsets and sizes to `out`; false if `stop`
   * (asked before each function) said to give up.
   */
  compile(from: number, to: number, out: ImageFunction[], stop?: () => boolean): boolean {
    const { asm, fc, info } = this;
    for (let f = from; f < to; f++) {
      if (stop !== undefined && stop()) return false;
      asm.align(FUNCTION_ALIGN);
      const start = asm.offset;
      const mark = asm.labelMark();
      fc.compile(f);
      asm.releaseLabels(mark);
      out.push({ offset: start, size: asm.offset - start, typeIndex: info.funcTypeIndices[f] });
    }
    return true;
  }
}

/** One range compiled apart: its code as a part, and each function's offset and size in it. */
export interface CompiledRange {
  from: number;
  to: number;
  part: AssembledPart;
  functions: ImageFunction[];
}

/** Initial buffer of a PartCompiler: about the largest part parallel-compile.ts hands out (it grows past that if needed). */
const MAX_PART_BODY_BYTES = 1 << 20;

/**
 * Compiles ranges apart, each into a part that `appendPart` places in the image. Every function
 * index has a label with the same id as in the image's Assembler (created first, in index order);
 * calls to functions outside the range stay as fixups on those ids. One Assembler serves every
 * range (reset between them, keeping its buffer and those labels): a part costs a copy of its
 * code (the buffer posted to the compiling thread), not a new Assembler and the module's
 * function count in new labels.
 */
export class PartCompiler {
  private readonly asm: Assembler;
  private readonly ranges: RangeCompiler;
  private readonly nFuncs: number;

  constructor(info: ModuleInfo) {
    this.nFuncs = info.funcTypeIndices.length;
    this.asm = new Assembler(codeCapacity(MAX_PART_BODY_BYTES));
    const funcLabels: Label[] = [];
    for (let f = 0; f < this.nFuncs; f++) funcLabels.push(this.asm.newLabel());
    this.ranges = new RangeCompiler(info, this.asm, moduleEnv(info, funcLabels));
  }

  /** The range as a part, or null if `stop` said to give up (see RangeCompiler.compile). */
  compile(from: number, to: number, stop?: () => boolean): CompiledRange | null {
    this.asm.reset(this.nFuncs);
    const functions: ImageFunction[] = [];
    if (!this.ranges.compile(from, to, functions, stop)) return null;
    return { from, to, part: this.asm.finishPart(), functions };
  }
}

/** Functions [from, to) compiled apart (a PartCompiler for one range). */
export function compileRange(info: ModuleInfo, from: number, to: number): CompiledRange {
  const r = new PartCompiler(info).compile(from, to);
  if (r === null) throw new Error('unreachable: nothing asked to stop');
  return r;
}
