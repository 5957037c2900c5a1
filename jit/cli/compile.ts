// `kwasm-jit compile FILE.wasm [--disasm] [--func N|NAME]`: compile every function and print its
// size, the totals and the compile time; --disasm adds the capstone disassembly of each (or of the
// selected) function. The disassembler is imported only when --disasm asks for it.
// `kwasm-jit compile FILE.wasm -o OUT.kwasm`: write the compiled module (abi/image.ts's serialized
// form, wasm embedded) for `kwasm-jit run OUT.kwasm`, as `wasmtime compile` writes a .cwasm.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { CompileError } from '../errors.js';
import { compileModule, type CompiledModule } from '../compiler/module-compiler.js';
import { functionName } from '../compiler/function-names.js';
import { formatFuncType } from '../frontend/types.js';

import { isHelpFlag } from './args.js';

const COMPILE_USAGE = 'compile FILE.wasm [-o OUT.kwasm] [--disasm] [--func N|NAME]';

const COMPILE_HELP = `usage: kwasm-jit ${COMPILE_USAGE}

Compile every function of FILE.wasm to x86-64 without running anything, and print each
function's index, name, type and machine-code size, then the totals and the compile time.
With -o, write the compiled module instead (run it with \`kwasm-jit run OUT.kwasm\`).

options (anywhere on the line):
  -o, --output OUT.kwasm     write the compiled module (the wasm embedded) to OUT.kwasm
  --disasm                   add the disassembly of each function (capstone), with labels
  --func N|NAME              show only function N (index in the function space) or NAME
                             (as listed: its name-section name, else its export name)
  -h, --help                 this text

exit status:
  0      compiled
  1      invalid module (the validation or compile error is printed)
  2      command-line usage error, unreadable FILE or no such --func`;

function fail(msg: string, code = 1): number { console.error(`kwasm-jit: ${msg}`); return code; }

export async function compileCmd(args: string[]): Promise<number> {
  let disasm = false, sel: string | undefined, file: string | undefined, out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (isHelpFlag(a)) { console.log(COMPILE_HELP); return 0; }
    if (a === '--disasm') disasm = true;
    else if (a === '--func') {
      if (i + 1 >= args.length) return usage('option --func needs a value');
      sel = args[++i];
    } else if (a === '-o' || a === '--output') {
      if (i + 1 >= args.length || args[i + 1] === '') return usage(`option ${a} needs a value`);
      out = args[++i];
    } else if (a.startsWith('-') && a !== '-') return usage(`unknown option ${JSON.stringify(a)}`);
    else if (file !== undefined) return usage(`one FILE.wasm only (got ${JSON.stringify(file)} and ${JSON.stringify(a)})`);
    else file = a;
  }
  if (!file) return usage('missing FILE.wasm');
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (e) { return fail(`${file}: ${(e as Error).message}`, 2); }
  let m;
  try { m = compileModule(bytes); } catch (e) {
    if (e instanceof CompileError) return fail(`${file}: ${e.kind}: ${e.message}`);
    throw e;
  }
  if (out !== undefined) return writeModuleFile(m, out);
  const info = m.info;
  const dis = disasm ? await import('../../backend-x64/disasm.js') : undefined;
  if (dis) await dis.initDisasm();
  let shown = 0;
  m.image.functions.forEach((f, k) => {
    const idx = info.numImportedFuncs + k;
    const name = functionName(info, idx);
    if (sel !== undefined && sel !== String(idx) && sel !== name) return;
    shown++;
    console.log(`func ${idx} ${name} ${formatFuncType(info.types[f.typeIndex])}: ${f.size} bytes at 0x${f.offset.toString(16)}`);
    if (dis) {
      const lines = dis.disassembleSync(m.image.code.subarray(f.offset, f.offset + f.size), { address: f.offset, labels: shiftLabels(m.labelNames, f.offset, f.size) });
      for (const l of lines) console.log(`  ${l}`);
    }
  });
  if (sel !== undefined && shown === 0) return fail(`no function ${sel}`, 2);
  const codeSection = info.codes.bytes();
  console.log(`${m.image.functions.length} functions, ${m.codeSize} bytes of machine code (+${m.image.code.length - m.codeSize} constant pool) ` +
    `from ${codeSection} bytes of code section, compiled in ${m.compileMs.toFixed(1)} ms`);
  return 0;
}

function usage(msg: string): number {
  return fail(`compile: ${msg}\nusage: kwasm-jit ${COMPILE_USAGE} (see kwasm-jit compile --help)`, 2);
}

function shiftLabels(all: Map<number, string>, off: number, size: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const [o, n] of all) if (o >= off && o < off + size) out.set(o - off, n);
  return out;
}

/** Temp file + rename: a reader of OUT never sees half a module, a failed write leaves no OUT. */
async function writeModuleFile(m: CompiledModule, out: string): Promise<number> {
  const { serializeCompiled } = await import('../cache/serialize.js');
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, serializeCompiled(m));
    renameSync(tmp, out);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    return fail(`${out}: ${(e as Error).message}`);
  }
  return 0;
}
