// Compares the machine code the compiler generates before and after a change that must not
// change it (a refactor of jit/compiler/). `save DIR` compiles the benchmark programs (built
// into build/bench as bench/run.ts does), examples/*.wasm and every spec-test module already converted into
// build/spec (run the spec suite once first), writing one image per module into DIR;
// `compare DIR` compiles the same inputs with the current build and lists the modules whose
// code bytes differ, with the first differing function. A hash of one fixed input would say
// nothing about where the code changed; whole images over ~1,500 modules do.
//
//   node dist/bench/codegen-images.js save /tmp/images-before
//   (change, rebuild)
//   node dist/bench/codegen-images.js compare /tmp/images-before
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule } from '../jit/compiler/module-compiler.js';
import { buildProgram, detectToolchain } from './lib/build.js';
import { PROGRAMS } from './lib/programs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function inputs(): Map<string, string> {
  const out = new Map<string, string>();
  const tc = detectToolchain();
  for (const p of PROGRAMS) {
    if (p.suite === 'syscall') continue;
    const b = buildProgram(p, tc, join(root, 'bench', 'programs'), join(root, 'build', 'bench'));
    out.set(`bench-${p.name}-${p.suite}`, b.wasm);
  }
  const examples = join(root, 'examples');
  for (const f of readdirSync(examples).sort()) {
    if (f.endsWith('.wasm')) out.set(`example-${f}`, join(examples, f));
  }
  const spec = join(root, 'build', 'spec');
  if (existsSync(spec)) {
    for (const d of readdirSync(spec).sort()) {
      if (!statSync(join(spec, d)).isDirectory()) continue; // the kernel stage's bundle sits next to the dirs
      for (const f of readdirSync(join(spec, d)).sort()) {
        if (f.endsWith('.wasm')) out.set(relative(spec, join(spec, d, f)).replace(/\//g, '_'), join(spec, d, f));
      }
    }
  }
  return out;
}

/** The compiled image's code, or the compile error (invalid spec modules must stay invalid). */
function image(path: string): Uint8Array {
  try {
    return compileModule(readFileSync(path)).image.code;
  } catch (e) {
    return new TextEncoder().encode(`error: ${(e as Error).message}`);
  }
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function main(): void {
  const [mode, dir] = process.argv.slice(2);
  if ((mode !== 'save' && mode !== 'compare') || dir === undefined) {
    console.error('usage: codegen-images.js save|compare DIR');
    process.exit(2);
  }
  const all = inputs();
  if (mode === 'save') mkdirSync(dir, { recursive: true });
  let same = 0, missing = 0;
  const differ: string[] = [];
  for (const [name, path] of all) {
    const img = image(path), file = join(dir, `${name}.bin`);
    if (mode === 'save') { writeFileSync(file, img); continue; }
    if (!existsSync(file)) { missing++; continue; }
    const before = new Uint8Array(readFileSync(file));
    const at = firstDiff(before, img);
    if (at < 0) same++;
    else differ.push(`${name}: ${before.length} -> ${img.length} bytes, first difference at offset ${at}`);
  }
  if (mode === 'save') { console.log(`saved ${all.size} images into ${dir}`); return; }
  for (const d of differ) console.log(d);
  console.log(`${same} identical, ${differ.length} different, ${missing} without a saved image`);
  process.exit(differ.length === 0 ? 0 : 1);
}

main();
