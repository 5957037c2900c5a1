// A node child that compiles wasm modules with V8 on request, for the benches that measure
// kwasm-jit in their own process against V8 (compile.bench.ts, shapes.bench.ts): compiles of the
// two can then take turns, which this VM's drifting speed needs. `compile(i, n)` has it compile
// module i n times, each a distinct variant (a custom section appended: V8 caches native modules
// by their bytes within an isolate), and answers with each compile's wall and CPU ms (its
// process's user + system, all threads). Every module is compiled once before the first answer.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = `
const fs = require('fs');
const bases = JSON.parse(process.argv[1]).map((f) => fs.readFileSync(f));
let k = 0;
const variant = (b) => { const name = Buffer.from('v' + k++); return Buffer.concat([b, Buffer.from([0, name.length + 1, name.length]), name]); };
for (const b of bases) new WebAssembly.Module(variant(b));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
console.log('ready');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [i, n] = line.split(' ').map(Number);
  const out = [];
  for (let j = 0; j < n; j++) {
    const b = variant(bases[i]);
    const t0 = performance.now(), c0 = cpu();
    new WebAssembly.Module(b);
    out.push({ wall: performance.now() - t0, cpu: cpu() - c0 });
  }
  console.log(JSON.stringify(out));
});`;

/** One compile: wall time and CPU ms. */
export interface CompileCost { wall: number; cpu: number }
export interface V8Server {
  /** Module `module` (an index into the files) compiled `times` times, one after the other. */
  compile(module: number, times: number): Promise<CompileCost[]>;
  /** Ends the child (its stdin closes). */
  close(): void;
}

/** A child with these V8 flags serving these wasm files, once it has compiled each of them once. */
export async function startV8Server(flags: readonly string[], files: readonly string[]): Promise<V8Server> {
  const child = spawn(process.execPath, [...flags, '-e', SCRIPT, JSON.stringify(files)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done === true) throw new Error(`the V8 child (${flags.join(' ')}) ended early`);
    return r.value as string;
  };
  try {
    await nextLine(); // 'ready'
  } catch (e) {
    child.stdin.end();
    throw e;
  }
  return {
    async compile(module, times) {
      child.stdin.write(`${module} ${times}\n`);
      return JSON.parse(await nextLine()) as CompileCost[];
    },
    close() { child.stdin.end(); },
  };
}

/** One-shot: `times` compiles of `file` in a fresh child after one warm-up compile. */
export async function v8Compiles(flags: readonly string[], file: string, times: number): Promise<CompileCost[]> {
  const server = await startV8Server(flags, [file]);
  try {
    return await server.compile(0, times);
  } finally {
    server.close();
  }
}
