// Build step: the CLI and the embedding API as bundles (dist/bundle/): bin/kwasm-jit.js runs
// cli.cjs, which runs cli-main.cjs (the CLI) with V8's code cache (code-cache.ts); the package
// entry (package.json "exports") is index.js.
//
// Why: Node 20 resolves, reads and compiles every ES module separately; the ~75 modules of a
// `run` from the cache cost ~40-50 ms of CPU per start that one bundle does not (esbuild,
// a dev dependency; bench/results/startup.md). The CLI is one CommonJS file: Node 20's ES module
// loader costs ~25 ms more for the same code (16 files), and a CommonJS script can be compiled
// with a code cache (made here: code-cache-train.ts). Its dynamic import()s become lazily
// evaluated modules of the same file (esbuild's `__esm` wrappers), so a start from the cache
// still evaluates no compiler, validator, kernel path or disassembler (tests/cli/startup-imports
// .test.ts). The API stays an ES module with `--splitting` chunks (its importers are ES modules).
// The bundle also replaces a few modules by the values they compute, computed here once instead
// of at every start (PREBUILT).
//
// The bundle is flat: entries and chunks in one directory. A worker script referenced as
// `new URL('./x.js', import.meta.url)` is a sibling of its referrer in the tsc output and is an
// entry point here (WORKERS), so the same reference finds it beside any chunk (in the CommonJS
// files import.meta.url is their own file's URL: IMPORT_META).
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
import { CODE_CACHE_SUFFIX } from './code-cache.js';
import { trainCodeCache } from './code-cache-train.js';

/** dist/ of this build (this file is dist/jit/cli/bundle.js). */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The API, an ES module with its chunks. */
const API = { name: 'index', path: 'jit/index.js', chunks: 'api-[name]-[hash]' };

/**
 * The CommonJS files, by output name (.cjs): the CLI, and the launcher that runs it with its code
 * cache (written last: its mtime is what bundleIsFresh compares).
 */
const CLI_MAIN = { name: 'cli-main', path: 'jit/cli.js' };
const CLI_LAUNCHER = { name: 'cli', path: 'jit/cli/code-cache.js' };

/**
 * The full CLI (its entry also exports what STARTLESS calls). cli-main.cjs, the start bundle
 * bin/kwasm-jit.js runs, leaves out the modules below, which a warm `run` never evaluates: half
 * of the CLI's source (the compiler, the validator, `compile`, the kernel path), which every start
 * would otherwise read, checksum, hold as a string and deserialize the top-level functions of.
 * Each is replaced by a module calling the full bundle (full-bundle.ts), loaded on first use: a
 * cache miss, `validate`, `compile`, `run --kernel`. The name must match full-bundle.ts's
 * FULL_BUNDLE (the tsc output of that module is not loaded at build time: it imports code-cache).
 */
const CLI_FULL = { name: 'cli-full', path: 'jit/cli/full.js' };
const STARTLESS: Record<string, (fullBundle: string) => string> = {
  'jit/compiler/module-compiler.js': (f) => `export { fullCompileModule as compileModule } from ${f};\n`,
  'jit/frontend/validator.js': (f) => `export { fullValidateModule as validateModule } from ${f};\n`,
  'jit/cli/compile.js': (f) => `import { fullBundle } from ${f};\nexport function compileCmd(args) { return fullBundle().compileCmd(args); }\n`,
  'jit/cli/kernel.js': (f) => `import { fullBundle } from ${f};\nexport function runKernel(o, bytes) { return fullBundle().runKernel(o, bytes); }\n`,
};

/**
 * `import.meta` in a CommonJS file (`define` substitutes these): `dirname` and `filename` are
 * Node's own `__dirname` and `__filename`; `url`, the file's URL, is made on first use by a getter
 * the banner defines, since Node's URL code (node:url, the URL class, ~0.5 ms of a start) is
 * needed only off a cache hit's path (worker scripts, createRequire fallbacks): what a hit needs
 * is a directory (import.meta.dirname).
 */
const IMPORT_META = '__kwasm_import_meta';
const IMPORT_META_DEFINE = { 'import.meta.url': `${IMPORT_META}.url`, 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' };
const IMPORT_META_BANNER = `var ${IMPORT_META} = { get url() { return require('node:url').pathToFileURL(__filename).href; } };`;

/** The program the build runs to make the CLI's code cache (what a warm `run` executes). */
const TRAINING_WASM = join('..', 'examples', 'hello.wasm');

/** The worker scripts (see above), by output name; paths relative to dist/. */
const WORKERS = {
  'compile-worker': 'jit/compiler/compile-worker.js',
  'timeout-worker': 'jit/cli/timeout-worker.js',
  'store-worker': 'jit/cache/store-worker.js',
};

/**
 * Modules (paths relative to dist/) the bundle replaces by a module exporting what they would
 * compute, computed now from this same build: the compiler id (reading and hashing ~60 files) and
 * the runtime's .so (assembling it, which also loads the assembler; written beside the bundle,
 * where native.ts dlopens it without a temp copy). The replacement must export every name the
 * bundle imports from the module (esbuild fails the build otherwise); `files` are written into
 * the bundle's directory with it.
 */
interface Prebuilt { source: string; files?: { name: string; bytes: Uint8Array }[] }
const PREBUILT: Record<string, () => Promise<Prebuilt>> = {
  'jit/cache/compiler-id.js': async () => {
    // a literal of the bytes (no Buffer.from(hex): a start would compile Node's string decoding for it)
    const bytes = [...(await import('../cache/compiler-id.js')).compilerId()];
    return { source: `const id = new Uint8Array([${bytes.join(',')}]);\nexport function compilerId() { return id; }\n` };
  },
  'jit/runtime/runtime-object.js': async () => {
    const { buildRuntimeObject } = await import('../runtime/runtime-object.js');
    const { SONAME } = await import('../runtime/so-layout.js');
    return {
      // import.meta.dirname, not a URL: a start then loads none of Node's URL code (~0.5 ms)
      source: `import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\n` +
        `const file = join(import.meta.dirname, ${JSON.stringify(SONAME)});\n` +
        'export function runtimeObjectFile() { return file; }\nexport function runtimeObject() { return readFileSync(file); }\n',
      files: [{ name: SONAME, bytes: buildRuntimeObject() }],
    };
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

/**
 * node:module in the CommonJS bundles: its exports (the CommonJS loader's Module class, with its
 * createRequire) are already loaded in any process, but requiring node:module also evaluates its
 * facade, which loads the ES loader's and the source maps' internals (~1 ms of a start,
 * bench/results/startup.md). So the CommonJS files import this module instead: the same
 * createRequire, taken from the Module class of the entry script (`require.main`, a Module:
 * bin/kwasm-jit.js), and from node:module only when there is none (an `-e` script) or when the
 * class lacks it. A warm `run` then loads node:module nowhere (jit/digest.ts and
 * jit/runtime/ffi.ts call createRequire only on their fallback paths).
 */
// (names no other module of the bundle uses: esbuild would rename the other one, and stack
// traces name functions)
const NODE_MODULE_SHIM = `let nodeModuleFacade;
const nodeModuleEntry = typeof require === 'function' ? require.main : undefined;
const nodeModuleClass = typeof nodeModuleEntry?.constructor?.createRequire === 'function' ? nodeModuleEntry.constructor : undefined;
export function createRequire(from) { return (nodeModuleClass ?? (nodeModuleFacade ??= require('node:module'))).createRequire(from); }
`;

function nodeModuleShimPlugin(): Plugin {
  return {
    name: 'kwasm-node-module-shim',
    setup(b) {
      // the shim's own require('node:module') is the builtin
      b.onResolve({ filter: /^node:module$/ }, (args) => (args.namespace === 'kwasm-shim' ? { path: 'node:module', external: true } : { path: 'node-module', namespace: 'kwasm-shim' }));
      b.onLoad({ filter: /.*/, namespace: 'kwasm-shim' }, () => ({ contents: NODE_MODULE_SHIM, loader: 'js' }));
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
  const b = statSync(join(bundleDir(dist), `${CLI_LAUNCHER.name}.cjs`), { bigint: true, throwIfNoEntry: false });
  const t = statSync(join(dist, 'jit', 'cli.js'), { bigint: true, throwIfNoEntry: false });
  return b !== undefined && t !== undefined && b.mtimeNs >= t.mtimeNs;
}

/**
 * Bundles dist/'s CLI and API into dist/bundle/. Each file is written to a temp name and renamed,
 * the launcher cli.cjs last, then files of older bundles are removed: a CLI starting meanwhile
 * sees either the stale bundle (and so runs the tsc output, see bundleIsFresh) or whole new files.
 */
export async function buildBundle(dist = DIST): Promise<string[]> {
  const { build } = await import('esbuild');
  const prebuilt = new Map(await Promise.all(Object.entries(PREBUILT).map(async ([rel, make]) => [rel, await make()] as const)));
  const sources = new Map([...prebuilt].map(([rel, p]) => [rel, p.source]));
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
    // `node --enable-source-maps` maps stack traces through the .map files back to the TypeScript.
    // The API bundle and the workers keep their names (an embedder sees its classes' names)
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
  };
  const cjs: BuildOptions & { write: false } = {
    ...common,
    // the CLI's bundles only: short local and function names make the source a start reads and
    // CRCs (cli-main.cjs 197 -> 149 KB) and the V8 code cache it deserializes (300 -> 288 KB)
    // smaller: hello warm ~1.6M instructions less (bench/results/startup.md, hello8)
    minifyIdentifiers: true,
    format: 'cjs',
    define: IMPORT_META_DEFINE,
    plugins: [prebuiltPlugin(dist, sources), nodeModuleShimPlugin()],
    banner: { js: IMPORT_META_BANNER },
  };
  // the start bundle: the CLI without what STARTLESS names
  const fullBundleModule = JSON.stringify(join(dist, 'jit', 'cli', 'full-bundle.js'));
  const startSources = new Map([...sources, ...Object.entries(STARTLESS).map(([rel, src]) => [rel, src(fullBundleModule)] as const)]);
  const start: BuildOptions & { write: false } = { ...cjs, plugins: [prebuiltPlugin(dist, startSources), nodeModuleShimPlugin()] };
  // the API with its chunks; the CLI (start and full) and its launcher; each worker a file of its
  // own (sharing chunks with the API would cut its code into more, smaller chunks too)
  const results = await Promise.all([
    build({ ...common, entryPoints: { [API.name]: join(dist, API.path) }, splitting: true, chunkNames: API.chunks }),
    build({ ...start, entryPoints: { [CLI_MAIN.name]: join(dist, CLI_MAIN.path) }, outExtension: { '.js': '.cjs' } }),
    ...[CLI_FULL, CLI_LAUNCHER].map((b) => build({ ...cjs, entryPoints: { [b.name]: join(dist, b.path) }, outExtension: { '.js': '.cjs' } })),
    ...Object.entries(WORKERS).map(([name, path]) => build({ ...common, entryPoints: { [name]: join(dist, path) } })),
  ]);
  const outputs: { path: string; contents: Uint8Array }[] = [
    ...results.flatMap((x): OutputFile[] => x.outputFiles),
    ...[...prebuilt.values()].flatMap((p) => (p.files ?? []).map((f) => ({ path: join(out, f.name), contents: f.bytes }))),
  ];
  mkdirSync(out, { recursive: true });
  const launcher = join(out, `${CLI_LAUNCHER.name}.cjs`);
  const write = (f: { path: string; contents: Uint8Array }): void => {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  };
  // everything but the launcher, then the code caches of the CLI just written (the full bundle's
  // from a cache miss, what it serves; the start bundle's from a hit), then the launcher
  for (const f of outputs) if (f.path !== launcher) write(f);
  const cached: string[] = [];
  for (const [b, modes] of [[CLI_FULL, ['--train']], [CLI_MAIN, ['--run', '--train']]] as const) {
    const file = join(out, `${b.name}.cjs`);
    const failed = trainCodeCache(file, join(dist, TRAINING_WASM), modes);
    if (failed !== undefined) process.stderr.write(`bundle: no code cache for ${file} (the CLI works, slower to start): ${failed}\n`);
    else cached.push(file + CODE_CACHE_SUFFIX);
  }
  for (const f of outputs) if (f.path === launcher) write(f);
  const files = [...outputs.map((f) => f.path), ...cached];
  const keep = new Set(files);
  for (const name of readdirSync(out)) if (!keep.has(join(out, name))) rmSync(join(out, name), { force: true });
  return files;
}

/** Rebuilds the bundle if a tsc-only build left it stale (the CLI tests: they must run it). */
export async function ensureBundle(dist = DIST): Promise<void> {
  if (!bundleIsFresh(dist)) await buildBundle(dist);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildBundle(DIST);
  console.log(`bundle: ${files.length} files in ${bundleDir()}`);
}
