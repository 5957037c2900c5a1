// Compiling a range of function bodies into an Assembler: the loop both the single-threaded
// compile (all bodies into the image's Assembler) and a parallel compile (each range into its own
// Assembler, on some thread, appended to the image later) run, so the two place and encode every
// function the same way.
import { Assembler, type AssembledPart, type Label } from '../../backend-x64/index.js';
import type { ImageFunction } from '../../abi/image.js';
import { globalLayout } from '../../abi/globals.js';
import { InstrReader } from '../frontend/instr-reader.js';
import { Reader } from '../frontend/reader.js';
import { FunctionValidator } from '../frontend/validator.js';
import type { ModuleInfo } from '../frontend/types.js';
import { checkCpuFeatures } from './cpu-features.js';
import { FunctionCompiler } from './function-compiler.js';
import type { ModuleEnv } from './masm.js';

/** Functions start 16-byte aligned; a part placed at a 16-aligned offset encodes as in place. */
export const FUNCTION_ALIGN = 16;

export function moduleEnv(info: ModuleInfo, funcLabels: Label[]): ModuleEnv {
  const globalTypes = Uint8Array.from(info.globals, (g) => g.type);
  return {
    types: info.types,
    funcTypeIndices: info.funcTypeIndices,
    numImportedFuncs: info.numImportedFuncs,
    numImportedGlobals: info.numImportedGlobals,
    globalTypes,
    globalOffsets: globalLayout(globalTypes, info.numImportedGlobals).offsets,
    tableTypes: Uint8Array.from(info.tables, (t) => t.elemType),
    funcLabels,
  };
}

/** Bytes of function bodies in the module's code section, for [from, to) or all of them. */
export function bodyBytes(info: ModuleInfo, from = info.numImportedFuncs, to = info.funcTypeIndices.length): number {
  let n = 0;
  for (let f = from; f < to; f++) { const b = info.codes[f - info.numImportedFuncs]; n += b.end - b.start; }
  return n;
}

/** Machine code is about 2-3x the bodies; a fresh buffer is zeroed page by page, so no more. */
export const codeCapacity = (bodies: number): number => Math.max(4096, bodies * 3);

/** Compiles functions [from, to) at the Assembler's position, each 16-byte aligned and bound to its label. */
export function compileFunctions(info: ModuleInfo, asm: Assembler, env: ModuleEnv, from: number, to: number): ImageFunction[] {
  checkCpuFeatures();
  const fc = new FunctionCompiler(info, asm, env, new InstrReader(new Reader(info.bytes)), new FunctionValidator(info));
  const functions: ImageFunction[] = [];
  for (let f = from; f < to; f++) {
    asm.align(FUNCTION_ALIGN);
    const start = asm.offset;
    fc.compile(f);
    functions.push({ offset: start, size: asm.offset - start, typeIndex: info.funcTypeIndices[f] });
  }
  return functions;
}

/** One range compiled apart: its code as a part, and each function's offset and size in it. */
export interface CompiledRange {
  from: number;
  to: number;
  part: AssembledPart;
  functions: ImageFunction[];
}

/**
 * Compiles functions [from, to) into a fresh Assembler. Every function index gets a label, with
 * the same id as in the image's Assembler (created first, in index order); calls to functions
 * outside the range stay as fixups on those ids, and `appendPart` resolves them.
 */
export function compileRange(info: ModuleInfo, from: number, to: number): CompiledRange {
  const asm = new Assembler(codeCapacity(bodyBytes(info, from, to)));
  const funcLabels: Label[] = [];
  for (let f = 0; f < info.funcTypeIndices.length; f++) funcLabels.push(asm.newLabel());
  const functions = compileFunctions(info, asm, moduleEnv(info, funcLabels), from, to);
  return { from, to, part: asm.finishPart(), functions };
}
