// Build step: the CLI and the embedding API as bundles (dist/bundle/): bin/kwasm-jit.js runs
// cli.js, the package entry (package.json "exports") is index.js.
//
// Why: Node 20 resolves, reads and compiles every ES module separately; the ~75 modules of a
// `run` from the cache cost ~40-50 ms of CPU per start that one bundle does not (esbuild,
// a dev dependency; bench/results/startup.md). `--splitting` keeps each dynamic import() a chunk
// of its own, so a start from the cache still never loads the compiler (a miss imports its
// chunk), the validator, the kernel path or the disassembler. The bundle also replaces a few
// modules by the values they compute, computed here once instead of at every start (PREBUILT).
//
// The bundle is flat: entries and chunks in one directory. A worker script referenced as
// `new URL('./x.js', import.meta.url)` is a sibling of its referrer in the tsc output and is an
// entry point here (WORKERS), so the same reference finds it beside any chunk.
//
// `npm run build` is `tsc -p . && node dist/jit/cli/bundle.js`. A tsc-only rebuild leaves the
// bundle older than dist/jit/cli.js: the launcher then runs the tsc output instead (never old
// code), and the CLI tests (tests/cli/helpers.ts) and the start-up benchmark rebuild it
// (`ensureBundle`). The API bundle has no such fallback: importing the package after a tsc-only
// build gets the previous bundle (this repository's tests import dist/jit/ directly).
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, OutputFile, Plugin } from 'esbuild';

/** dist/ of this build (this file is dist/jit/cli/bundle.js). */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Bundled with their chunks, each in a build of its own (one build for both would cut each into
 * more, smaller chunks: more modules to load per start); the API's chunks are named apart
 * (the API imports the compiler statically, so its chunks differ from the CLI's).
 */
const BUNDLES = [
  { name: 'cli', path: 'jit/cli.js', chunks: 'cli-[name]-[hash]' },
  { name: 'index', path: 'jit/index.js', chunks: 'api-[name]-[hash]' },
];

/** The worker scripts (see above), by output name; paths relative to dist/. */
const WORKERS = {
  'compile-worker': 'jit/compiler/compile-worker.js',
  'timeout-worker': 'jit/cli/timeout-worker.js',
};

/**
 * Modules (paths relative to dist/) the bundle replaces by a module exporting what they would
 * compute, computed now from this same build: the compiler id (reading and hashing ~60 files) and
 * the runtime's .so (assembling it, which also loads the assembler). The replacement must export
 * every name the bundle imports from the module (esbuild fails the build otherwise).
 */
const PREBUILT: Record<string, () => Promise<string>> = {
  'jit/cache/compiler-id.js': async () => {
    const hex = Buffer.from((await import('../cache/compiler-id.js')).compilerId()).toString('hex');
    return `const id = new Uint8Array(Buffer.from(${JSON.stringify(hex)}, 'hex'));\nexport function compilerId() { return id; }\n`;
  },
  'jit/runtime/runtime-object.js': async () => {
    const b64 = Buffer.from((await import('../runtime/runtime-object.js')).buildRuntimeObject()).toString('base64');
    return `export function runtimeObject() { return Buffer.from(${JSON.stringify(b64)}, 'base64'); }\n`;
  },
};

function prebuiltPlugin(dist: string, sources: Map<string, string>): Plugin {
  const byPath = new Map([...sources].map(([rel, src]) => [join(dist, rel), src]));
  return {
    name: 'kwasm-prebuilt',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        const src = byPath.get(args.path);
        return src === undefined ? undefined : { contents: src, loader: 'js' };
      });
    },
  };
}

export function bundleDir(dist = DIST): string {
  return join(dist, 'bundle');
}

/**
 * The bundle is at least as new as the tsc output it came from. tsc rewrites every output file
 * on each run, so dist/jit/cli.js stands for all of them (bin/kwasm-jit.js applies the same rule).
 */
export function bundleIsFresh(dist = DIST): boolean {
  const b = statSync(join(bundleDir(dist), 'cli.js'), { throwIfNoEntry: false });
  const t = statSync(join(dist, 'jit', 'cli.js'), { throwIfNoEntry: false });
  return b !== undefined && t !== undefined && b.mtimeMs >= t.mtimeMs;
}

/**
 * Bundles dist/'s CLI into dist/bundle/. Each file is written to a temp name and renamed, chunks
 * before entries and cli.js last, then files of older bundles are removed: a CLI starting
 * meanwhile sees either the stale bundle (and so runs the tsc output, see bundleIsFresh) or whole
 * new files.
 */
export async function buildBundle(dist = DIST): Promise<string[]> {
  const { build } = await import('esbuild');
  const sources = new Map(await Promise.all(Object.entries(PREBUILT).map(async ([rel, make]) => [rel, await make()] as const)));
  const out = bundleDir(dist);
  const common: BuildOptions & { write: false } = {
    outdir: out,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external', // ffi-rs (a native addon), capstone, keystone: loaded from node_modules
    plugins: [prebuiltPlugin(dist, sources)],
    write: false,
    logLevel: 'warning',
    // less source for V8 to scan and pre-parse at every start (hello warm ~215 -> ~205 ms CPU);
    // names stay (no identifier minification), and `node --enable-source-maps` maps stack
    // traces through the .map files back to the TypeScript
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
  };
  // the CLI and the API with their chunks; each worker a file of its own (sharing chunks with the
  // CLI would cut the CLI's own code into more, smaller chunks too)
  const results = await Promise.all([
    ...BUNDLES.map((b) => build({ ...common, entryPoints: { [b.name]: join(dist, b.path) }, splitting: true, chunkNames: b.chunks })),
    ...Object.entries(WORKERS).map(([name, path]) => build({ ...common, entryPoints: { [name]: join(dist, path) } })),
  ]);
  const outputs: OutputFile[] = results.flatMap((x) => x.outputFiles);
  mkdirSync(out, { recursive: true });
  // chunks, then the entries, then cli.js: its mtime is what bundleIsFresh compares
  const entries = [...BUNDLES.map((b) => b.name), ...Object.keys(WORKERS)].map((e) => join(out, `${e}.js`));
  const rank = (p: string): number => (p === join(out, 'cli.js') ? 2 : entries.includes(p) ? 1 : 0);
  const files = outputs.sort((a, b) => rank(a.path) - rank(b.path));
  for (const f of files) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  const keep = new Set(files.map((f) => f.path));
  for (const name of readdirSync(out)) if (!keep.has(join(out, name))) rmSync(join(out, name), { force: true });
  return files.map((f) => f.path);
}

/** Rebuilds the bundle if a tsc-only build left it stale (the CLI tests: they must run it). */
export async function ensureBundle(dist = DIST): Promise<void> {
  if (!bundleIsFresh(dist)) await buildBundle(dist);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildBundle(DIST);
  console.log(`bundle: ${files.length} files in ${bundleDir()}`);
}
