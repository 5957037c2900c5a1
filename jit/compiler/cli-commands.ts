// `kwasm-jit run` and `kwasm-jit compile`, registered in jit/cli.ts's command table.
//   run [--invoke NAME] [--dir HOST::GUEST]... FILE.wasm [ARGS...]
//       instantiate (with WASI when the module imports it) and call NAME with ARGS, printing the
//       results one per line (wasmtime's convention); without --invoke run the WASI `_start`.
//   compile FILE.wasm [--disasm] [--func N|NAME]
//       compile every function and print its size, the totals and the compile time; --disasm
//       adds the capstone disassembly of each (or of the selected) function.
import { readFileSync } from 'node:fs';
import { CompileError, LinkError, RuntimeError } from '../errors.js';
import { initDisasm, disassembleSync } from '../../backend-x64/index.js';
import { compileModule, functionName } from './module-compiler.js';
import { F32, F64, I32, I64, formatFuncType } from '../types.js';

function fail(msg: string, code = 1): number { console.error(`kwasm-jit: ${msg}`); return code; }

function parseArg(t: number, s: string): unknown {
  if (t === I32) return Number(BigInt.asIntN(32, BigInt(s)));
  if (t === I64) return BigInt.asIntN(64, BigInt(s));
  if (t === F32 || t === F64) return Number(s);
  throw new Error(`cannot pass a ${t} argument from the command line`);
}

export async function runCmd(args: string[]): Promise<number> {
  let invoke: string | undefined;
  const dirs: Record<string, string> = {};
  let i = 0;
  for (; i < args.length; i++) {
    if (args[i] === '--invoke') invoke = args[++i];
    else if (args[i] === '--dir') { const [h, g] = (args[++i] ?? '').split('::'); dirs[g ?? h] = h; }
    else break;
  }
  const file = args[i];
  const rest = args.slice(i + 1);
  if (!file) return fail('usage: kwasm-jit run [--invoke NAME] [--dir HOST::GUEST] FILE.wasm [ARGS...]', 2);
  const { compile, instantiate } = await import('../instance/api.js');
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { return fail(`${file}: ${(e as Error).message}`, 2); }
  try {
    const module = compile(bytes);
    const info = module.compiled.info;
    const usesWasi = info.imports.some((x) => x.module === 'wasi_snapshot_preview1');
    let wasi: { getImportObject(): object; start(i: object): number; initialize?(i: object): void } | undefined;
    if (usesWasi) {
      const { WASI } = await import('../wasi/index.js');
      wasi = new WASI({ args: [file, ...rest], env: {}, preopens: dirs, returnOnExit: true }) as unknown as typeof wasi;
    }
    const instance = instantiate(module, (wasi?.getImportObject() ?? {}) as Record<string, Record<string, unknown>>);
    if (invoke === undefined) {
      if (!wasi) return fail('no --invoke given and the module is not a WASI command', 2);
      return wasi.start(instance);
    }
    if (wasi && typeof instance.exports._initialize === 'function') wasi.initialize?.(instance);
    const e = info.exports.find((x) => x.kind === 'func' && x.name === invoke);
    if (!e) return fail(`no exported function '${invoke}'`, 2);
    const ft = info.types[info.funcTypeIndices[e.index]];
    if (rest.length !== ft.params.length) return fail(`'${invoke}' expects ${ft.params.length} arguments ${formatFuncType(ft)}`, 2);
    const fn = instance.exports[invoke] as (...a: unknown[]) => unknown;
    const r = fn(...rest.map((s, k) => parseArg(ft.params[k], s)));
    const results = ft.results.length === 0 ? [] : ft.results.length === 1 ? [r] : (r as unknown[]);
    for (const v of results) console.log(String(v));
    return 0;
  } catch (e) {
    if (e instanceof CompileError || e instanceof LinkError) return fail(`${file}: ${e.name}: ${e.message}`);
    if (e instanceof RuntimeError || e instanceof RangeError) return fail(`${file}: wasm trap: ${e.message}`, 134);
    throw e;
  }
}

export async function compileCmd(args: string[]): Promise<number> {
  let disasm = false, sel: string | undefined, file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--disasm') disasm = true;
    else if (args[i] === '--func') sel = args[++i];
    else file = args[i];
  }
  if (!file) return fail('usage: kwasm-jit compile FILE.wasm [--disasm] [--func N|NAME]', 2);
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { return fail(`${file}: ${(e as Error).message}`, 2); }
  let m;
  try { m = compileModule(bytes); } catch (e) {
    if (e instanceof CompileError) return fail(`${file}: ${e.kind}: ${e.message}`);
    throw e;
  }
  const info = m.info;
  if (disasm) await initDisasm();
  let shown = 0;
  m.image.functions.forEach((f, k) => {
    const idx = info.numImportedFuncs + k;
    const name = functionName(info, idx);
    if (sel !== undefined && sel !== String(idx) && sel !== name) return;
    shown++;
    console.log(`func ${idx} ${name} ${formatFuncType(info.types[f.typeIndex])}: ${f.size} bytes at 0x${f.offset.toString(16)}`);
    if (disasm) {
      const lines = disassembleSync(m.image.code.subarray(f.offset, f.offset + f.size), { address: f.offset, labels: shiftLabels(m.labelNames, f.offset, f.size) });
      for (const l of lines) console.log(`  ${l}`);
    }
  });
  if (sel !== undefined && shown === 0) return fail(`no function ${sel}`, 2);
  const codeSection = codeSectionBytes(info.codes);
  console.log(`${m.image.functions.length} functions, ${m.codeSize} bytes of machine code (+${m.image.code.length - m.codeSize} constant pool) ` +
    `from ${codeSection} bytes of code section, compiled in ${m.compileMs.toFixed(1)} ms`);
  return 0;
}

function shiftLabels(all: Map<number, string>, off: number, size: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const [o, n] of all) if (o >= off && o < off + size) out.set(o - off, n);
  return out;
}

function codeSectionBytes(codes: { start: number; end: number }[]): number {
  let n = 0;
  for (const c of codes) n += c.end - c.start;
  return n;
}
