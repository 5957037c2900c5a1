// Start-up: time and CPU from process start to the program's first output, kwasm-jit against
// node:wasi (V8 with its default lazy compilation), for hello.wasm (a WASI command) and
// ruby+stdlib.wasm (a reactor: _initialize, then `ruby-show-version` prints the version).
// kwasm-jit cold = an empty compiled-code cache (compile + store), warm = the entry from the run
// before. Each row runs REPS times, rows interleaved (the machine may be loaded: compare ratios of
// the same run). CPU is user + system of the child and its threads (bash's `times`), wall is the
// process's lifetime; both workloads print their output last, just before exiting.
//
// Run: npm run build && node dist/bench/startup.bench.js [--reps N] (kwasm-jit's rows run the
// bundles a user runs: bin/kwasm-jit.js and the package entry, jit/cli/bundle.ts)
// The child imports node:fs only, so the node:wasi row costs what a minimal node:wasi script
// costs (the parent's modules are loaded below, by the parent alone).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);

// ---- child: run one workload in this process, with one engine ------------------------------
if (argv[0] === '--child') {
  const [, engine, kind, file] = argv as [string, 'kwasm' | 'v8', 'command' | 'ruby', string];
  // the reactor's JS-interop imports are never called by ruby-show-version: stubs that throw
  const stubs = (imports: { module: string; name: string; kind: string }[]): Record<string, Record<string, () => never>> => {
    const out: Record<string, Record<string, () => never>> = {};
    for (const i of imports) if (i.module !== 'wasi_snapshot_preview1' && i.kind === 'function') (out[i.module] ??= {})[i.name] = () => { throw new Error(`${i.module}.${i.name} called`); };
    return out;
  };
  const showVersion = 'ruby-show-version: func() -> ()';
  if (engine === 'v8') {
    const { WASI } = await import('node:wasi');
    const wasi = new WASI({ version: 'preview1', args: ['prog'], env: {}, returnOnExit: true, preopens: {} });
    const m = await WebAssembly.compile(readFileSync(file));
    const inst = await WebAssembly.instantiate(m, { ...stubs(WebAssembly.Module.imports(m)), ...wasi.getImportObject() } as WebAssembly.Imports);
    if (kind === 'ruby') { wasi.initialize(inst); (inst.exports[showVersion] as () => void)(); } else wasi.start(inst);
  } else {
    // the package entry, as a user imports it (the API bundle; the parent made it current)
    const k = (await import(new URL('../bundle/index.js', import.meta.url).href)) as typeof import('../jit/index.js'); // dist/bundle/index.js
    // from the path, as `kwasm-jit run` does: an unchanged file the cache knows is not read whole
    const module = k.compileFile(file);
    const wasi = new k.WASI({ args: ['prog'], env: {} });
    const imports = module.compiled.info.imports.map((i) => ({ module: i.module, name: i.name, kind: i.desc.kind === 'func' ? 'function' : i.desc.kind }));
    const inst = k.instantiate(module, { ...stubs(imports), ...wasi.getImportObject() });
    if (kind === 'ruby') { wasi.initialize(inst); (inst.exports[showVersion] as () => void)(); } else wasi.start(inst);
  }
  process.exit(0);
}

// ---- parent -------------------------------------------------------------------------------
const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { dirname, join, resolve } = await import('node:path');
const { fileURLToPath } = await import('node:url');
// (node:child_process, which child-cpu.ts loads, only here: it costs a child ~10-120 ms of CPU
// that neither engine needs)
const { childCost } = await import('./lib/child-cpu.js');
type ChildCost = import('./lib/child-cpu.js').ChildCost;
const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = resolve(here, '..', '..');
// after a tsc-only build the bundles (the CLI's and the API's) are rebuilt first: never measure old code
await (await import('../jit/cli/bundle.js')).ensureBundle();
const repsAt = argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : 5;
const self = fileURLToPath(import.meta.url);
const HELLO = join(root, 'examples', 'hello.wasm');
const RUBY = join(root, 'node_modules', '@ruby', '3.4-wasm-wasi', 'dist', 'ruby+stdlib.wasm');
const CLI = join(root, 'bin', 'kwasm-jit.js');

interface Row { name: string; cmd: string[]; cache?: 'cold' | 'warm' }
const warmHome = mkdtempSync(join(tmpdir(), 'kwasm-startup-warm-'));
// node:wasi's cheapest form too: a CommonJS script (no ES module loader), Node's documented
// example being an ES module like this file's child
const WASI_CJS = join(root, 'bench', 'node-wasi.cjs');
// The cold row comes first after the previous rep's ruby rows: the first start after a heavy
// process finds the CPU caches emptied, and it is the row least compared.
const rows: Row[] = [
  { name: 'hello: kwasm-jit run (CLI), cold cache', cmd: [process.execPath, CLI, 'run', HELLO], cache: 'cold' },
  { name: 'hello: kwasm-jit run (CLI), warm cache', cmd: [process.execPath, CLI, 'run', HELLO], cache: 'warm' },
  { name: 'hello: node:wasi, V8 lazy (default)', cmd: [process.execPath, self, '--child', 'v8', 'command', HELLO] },
  { name: 'hello: node:wasi, CommonJS script', cmd: [process.execPath, WASI_CJS, HELLO] },
  { name: 'ruby: kwasm-jit API, warm cache', cmd: [process.execPath, self, '--child', 'kwasm', 'ruby', RUBY], cache: 'warm' },
  { name: 'ruby: kwasm-jit API, cold cache', cmd: [process.execPath, self, '--child', 'kwasm', 'ruby', RUBY], cache: 'cold' },
  { name: 'ruby: node:wasi, V8 lazy (default)', cmd: [process.execPath, self, '--child', 'v8', 'ruby', RUBY] },
];

/** One run of a row, its cache directory empty (cold) or shared across the runs (warm). */
function once(r: Row): ChildCost {
  const home = r.cache === 'cold' ? mkdtempSync(join(tmpdir(), 'kwasm-startup-cold-')) : warmHome;
  const x = childCost(r.cmd, { ...process.env, XDG_CACHE_HOME: home });
  if (r.cache === 'cold') rmSync(home, { recursive: true, force: true });
  return x;
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] ?? NaN; };
for (const r of rows) if (r.cache === 'warm') once(r); // fill the warm cache
const res = new Map<Row, { wall: number[]; cpu: number[] }>(rows.map((r) => [r, { wall: [], cpu: [] }]));
for (let i = 0; i < REPS; i++) {
  for (const r of rows) { const x = once(r); res.get(r)?.wall.push(x.wall); res.get(r)?.cpu.push(x.cpu); }
}
rmSync(warmHome, { recursive: true, force: true });
console.log(`start-up to first output, ${REPS} interleaved reps, median (load average ${(await import('node:os')).loadavg()[0].toFixed(1)}; ${(await import('./lib/host.js')).hostCpu()})`);
for (const r of rows) {
  const x = res.get(r) as { wall: number[]; cpu: number[] };
  // against the workload's node:wasi row that used the least CPU (the strictest baseline)
  const bases = rows.filter((b) => b.name.startsWith(r.name.split(':')[0]) && b.name.includes('node:wasi'));
  const bx = bases.map((b) => res.get(b) as { wall: number[]; cpu: number[] }).reduce((a, b) => (median(b.cpu) < median(a.cpu) ? b : a));
  console.log(`${r.name.padEnd(42)} wall ${median(x.wall).toFixed(0).padStart(6)} ms  cpu ${median(x.cpu).toFixed(0).padStart(6)} ms  ` +
    `(${(median(x.wall) / median(bx.wall)).toFixed(2)}x / ${(median(x.cpu) / median(bx.cpu)).toFixed(2)}x node:wasi)`);
}
