// Test helpers: build a module from text with wat2wasm and instantiate it in a fresh store.
import { compile, instantiate, Store, type Instance, type ImportObject } from '../../jit/instance/api.js';
import { wat } from '../jit/wat.js';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';

export function inst(text: string, imports: ImportObject = {}, store = new Store()): Instance {
  return instantiate(compile(wat(text)), imports, store);
}

/** Call an export; returns the result or `trap: <message>`. */
export function call(i: Instance, name: string, ...args: unknown[]): unknown {
  try {
    return (i.exports[name] as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    if (e instanceof Error && (e.name === 'RuntimeError' || e instanceof RangeError)) return `trap: ${e.message}`;
    throw e;
  }
}

/** The disassembly (`mnemonic operands` per instruction) of the i-th defined function of `text`. */
export async function disasmText(text: string, i: number): Promise<string[]> {
  await initDisasm();
  const m = compileModule(wat(text));
  const f = m.image.functions[i];
  return decode(m.image.code.subarray(f.offset, f.offset + f.size)).map((x) => `${x.mnemonic} ${x.operands}`);
}

/** The loop of a disassembly: from the instruction after the first loop header's stack check
 *  (`cmp rsp, [r15 + ...]; jb`) through the first jump matching `back`. */
export function loopBody(text: string[], back: RegExp): string[] {
  const header = text.findIndex((t) => /^cmp rsp, qword ptr \[r15/.test(t));
  const end = text.findIndex((t, k) => k > header + 1 && back.test(t));
  return text.slice(header + 2, end + 1);
}
