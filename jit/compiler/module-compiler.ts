// Compiles every body of a module into one code image (abi/image.ts): the functions back to back,
// then one small thunk per imported function (host-call entry for JS imports), then the constant
// pool. Direct calls are rel32 to labels inside the image, everything else goes through r15, so
// the image needs no relocations and can be mapped anywhere, in user space or in ring 0 (kernel-loader).
import { Assembler, mem, type Label } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { slotCount } from '../../abi/calling-convention.js';
import type { CodeImage, ImageFunction } from '../../abi/image.js';
import { decodeModule } from '../frontend/decoder.js';
import { InstrReader } from '../frontend/instr-reader.js';
import { Reader } from '../frontend/reader.js';
import { FunctionValidator, validateModuleInfo } from '../frontend/validator.js';
import type { ModuleInfo } from '../frontend/types.js';
import { globalLayout } from '../../abi/globals.js';
import { checkCpuFeatures } from './cpu-features.js';
import { FunctionCompiler } from './function-compiler.js';
import { G, R15, RSP, storeRegParams, type ModuleEnv } from './masm.js';

export interface CompiledModule {
  info: ModuleInfo;
  image: CodeImage;
  /** Code offset of every function index: defined functions, and host-call thunks for imports. */
  funcOffsets: Uint32Array;
  /** Bytes of machine code before the constant pool. */
  codeSize: number;
  /** Offset -> label name, for the disassembler. */
  labelNames: Map<number, string>;
  compileMs: number;
}

export function compileModule(bytes: Uint8Array): CompiledModule {
  const t0 = performance.now();
  const info = decodeModule(bytes);
  validateModuleInfo(info);
  return compileInfo(info, t0);
}

export function compileInfo(info: ModuleInfo, t0 = performance.now()): CompiledModule {
  checkCpuFeatures();
  const nFuncs = info.funcTypeIndices.length;
  // Machine code is about 2-3x the code section; the module's own size (data segments and all)
  // would over-allocate by megabytes, and a fresh buffer is zeroed page by page.
  let codeBytes = 0;
  for (const b of info.codes) codeBytes += b.end - b.start;
  const asm = new Assembler(Math.max(4096, codeBytes * 3));
  const funcLabels: Label[] = [];
  for (let f = 0; f < nFuncs; f++) funcLabels.push(asm.newLabel(functionName(info, f)));
  const globalTypes = Uint8Array.from(info.globals, (g) => g.type);
  const env: ModuleEnv = {
    types: info.types,
    funcTypeIndices: info.funcTypeIndices,
    numImportedFuncs: info.numImportedFuncs,
    numImportedGlobals: info.numImportedGlobals,
    globalTypes,
    globalOffsets: globalLayout(globalTypes, info.numImportedGlobals).offsets,
    tableTypes: Uint8Array.from(info.tables, (t) => t.elemType),
    funcLabels,
  };
  const ir = new InstrReader(new Reader(info.bytes));
  const v = new FunctionValidator(info);
  const fc = new FunctionCompiler(info, asm, env, ir, v);
  const functions: ImageFunction[] = [];
  for (let f = info.numImportedFuncs; f < nFuncs; f++) {
    asm.align(16);
    const start = asm.offset;
    fc.compile(f);
    functions.push({ offset: start, size: asm.offset - start, typeIndex: info.funcTypeIndices[f] });
  }
  // Host-call thunks: a JS import's funcref record points here. The register parameters go to
  // their home slots (abi argRegister), so every argument is at [rsp + 8 + 8*i] where the host
  // reads it in place; eax = import index, ecx = slots, then the runtime's host-call stub takes over.
  for (let f = 0; f < info.numImportedFuncs; f++) {
    asm.align(16);
    asm.bind(funcLabels[f]);
    const ft = info.types[info.funcTypeIndices[f]];
    storeRegParams(asm, ft.params, (s) => mem(RSP, 8 + 8 * s));
    // Slots past the parameters hold whatever the frame's argument area held before (older
    // outgoing arguments, funcref record addresses, return addresses): zero them, so the host
    // (user space, or the kernel's copy-out to user space) only ever sees this call's values.
    const ps = slotCount(ft.params), rs = slotCount(ft.results);
    for (let i = ps; i < rs; i++) asm.movMI(64, mem(RSP, 8 + 8 * i), 0);
    asm.movRI(32, G(0), f);
    asm.movRI(32, G(1), Math.max(ps, rs));
    asm.jmpM(mem(R15, VMCTX.hostCallStub));
  }
  const out = asm.finish();
  // The image is position-independent (everything through r15): a relocation here would be
  // dropped below and the code would jump to garbage, so an emitter that adds one fails loudly.
  if (out.relocs.length !== 0) throw new Error(`module compiler: ${out.relocs.length} relocation(s) emitted; compiled images carry none`);
  const funcOffsets = new Uint32Array(nFuncs);
  for (let f = 0; f < nFuncs; f++) funcOffsets[f] = out.labelOffsets[funcLabels[f]];
  return {
    info,
    image: { code: out.code, relocs: [], functions },
    funcOffsets,
    codeSize: out.codeSize,
    labelNames: out.labelNames,
    compileMs: performance.now() - t0,
  };
}

/** Export name, name-section name, or `func[N]`. */
export function functionName(info: ModuleInfo, f: number): string {
  const n = info.names?.functionNames.get(f);
  if (n !== undefined) return n;
  const e = info.exports.find((x) => x.kind === 'func' && x.index === f);
  return e ? e.name : `func[${f}]`;
}

/** Function index whose code contains `offset` (binary search over the image), or -1. */
export function functionAt(m: CompiledModule, offset: number): number {
  const fs = m.image.functions;
  let lo = 0, hi = fs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = fs[mid];
    if (offset < f.offset) hi = mid - 1;
    else if (offset >= f.offset + f.size) lo = mid + 1;
    else return m.info.numImportedFuncs + mid;
  }
  return -1;
}
