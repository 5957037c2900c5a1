// Compiles every body of a module into one code image (abi/image.ts): the functions back to back,
// then one small thunk per imported function (host-call entry for JS imports), then the constant
// pool. Direct calls are rel32 to labels inside the image, everything else goes through r15, so
// the image needs no relocations and can be mapped anywhere, in user space or in ring 0 (kernel-loader).
import { Assembler, mem, type Label } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { slotCount } from '../../abi/calling-convention.js';
import type { CodeImage, MemoryImage, ImageFunction } from '../../abi/image.js';
import { decodeModule } from '../frontend/decoder.js';
import { codeSectionSize } from '../frontend/sections.js';
import { validateModuleInfo } from '../frontend/validator.js';
import type { ModuleInfo } from '../frontend/types.js';
import { bodyBytes, codeCapacity, FUNCTION_ALIGN, moduleEnv, RangeCompiler } from './compile-range.js';
import { compileParallel, compileThreads, startCompileWorkers, type ParallelInternals } from './parallel-compile.js';
import { checkCpuFeatures } from './cpu-features.js';
import { imageBuffer } from './image-buffer.js';
import { labelNameMap } from './function-names.js';
import { RAX, RCX, R15, RSP, storeRegParams } from './masm.js';

export interface CompiledModule {
  info: ModuleInfo;
  image: CodeImage;
  /** Code offset of every function index: defined functions, and host-call thunks for imports. */
  funcOffsets: Uint32Array;
  /** Bytes of machine code before the constant pool. */
  codeSize: number;
  /** Offset -> label name, for the disassembler (built when first read). */
  labelNames: Map<number, string>;
  compileMs: number;
  /** Memory 0 as its data segments leave it, in a file to map (a module from a cache entry). */
  memoryImage?: MemoryImage;
}

export interface CompileOptions {
  /**
   * Threads compiling function bodies (this one included; the others are pool workers, warm
   * from the previous parallel compile in this process if there was one). Default:
   * KWASM_COMPILE_THREADS, else 1 (parallel-compile.ts compileThreads says why). The image is
   * byte-for-byte the same whatever the count.
   */
  threads?: number;
  /** Bytes of bodies per unit of parallel work (default: parallel-compile.ts picks). */
  chunkBytes?: number;
  /** For tests of the parallel paths (parallel-compile.ts). */
  parallel?: ParallelInternals;
}

export function compileModule(bytes: Uint8Array, opts: CompileOptions = {}): CompiledModule {
  const t0 = performance.now();
  const threads = opts.threads ?? compileThreads();
  if (threads > 1) startCompileWorkers(threads);
  // The image buffer before the decode: a large one is external memory V8 accounts for, and
  // crossing its limit forces scavenges and a mark-compact right away. Made first, they find
  // only the module's bytes alive; made after the decode, they copied the whole decoded module
  // (ruby+stdlib: ~2 x 5-15 ms per compile). The code section's size bounds its bodies' bytes.
  const code = imageBuffer(codeCapacity(codeSectionSize(bytes)));
  const info = decodeModule(bytes);
  validateModuleInfo(info);
  return compileInfo(info, t0, { ...opts, threads }, code);
}

/** `code`: the image buffer if the caller made it already (at least codeCapacity(bodyBytes(info)) bytes). */
export function compileInfo(info: ModuleInfo, t0 = performance.now(), opts: CompileOptions = {},
  code = imageBuffer(codeCapacity(bodyBytes(info)))): CompiledModule {
  checkCpuFeatures();
  const nFuncs = info.funcTypeIndices.length;
  const asm = new Assembler(code);
  // Function labels first, in index order: a part compiled apart (compileRange) numbers them the
  // same. Unnamed: labelNameMap names them if a disassembly asks.
  const funcLabels: Label[] = [];
  for (let f = 0; f < nFuncs; f++) funcLabels.push(asm.newLabel());
  const threads = opts.threads ?? compileThreads();
  const env = moduleEnv(info, funcLabels);
  let functions: ImageFunction[] = [];
  if (threads <= 1) new RangeCompiler(info, asm, env).compile(info.numImportedFuncs, nFuncs, functions);
  else functions = compileParallel(info, asm, env, funcLabels, threads, opts.chunkBytes, opts.parallel);
  // Host-call thunks: a JS import's funcref record points here. The register parameters go to
  // their home slots (abi argRegister), so every argument is at [rsp + 8 + 8*i] where the host
  // reads it in place; eax = import index, ecx = slots, then the runtime's host-call stub takes over.
  for (let f = 0; f < info.numImportedFuncs; f++) {
    asm.align(FUNCTION_ALIGN);
    asm.bind(funcLabels[f]);
    const ft = info.types[info.funcTypeIndices[f]];
    storeRegParams(asm, ft.params, (s) => mem(RSP, 8 + 8 * s));
    // Slots past the parameters hold whatever the frame's argument area held before (older
    // outgoing arguments, funcref record addresses, return addresses): zero them, so the host
    // (user space, or the kernel's copy-out to user space) only ever sees this call's values.
    const ps = slotCount(ft.params), rs = slotCount(ft.results);
    for (let i = ps; i < rs; i++) asm.movMI(64, mem(RSP, 8 + 8 * i), 0);
    asm.movRI(32, RAX, f);
    asm.movRI(32, RCX, Math.max(ps, rs));
    asm.jmpM(mem(R15, VMCTX.hostCallStub));
  }
  const out = asm.finish({ take: true }); // the Assembler ends here: its buffer becomes the image's code
  const funcOffsets = new Uint32Array(nFuncs);
  for (let f = 0; f < nFuncs; f++) funcOffsets[f] = out.labelOffsets[funcLabels[f]];
  let labelNames: Map<number, string> | undefined;
  return {
    info,
    image: { code: out.code, functions },
    funcOffsets,
    codeSize: out.codeSize,
    // built on first use (Encoder.nameMapBuilder, labelNameMap)
    get labelNames() { return (labelNames ??= labelNameMap(info, funcOffsets, out.labelNames)); },
    compileMs: performance.now() - t0,
  };
}
