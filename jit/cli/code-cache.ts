// Runs the CLI bundle (dist/bundle/cli-main.cjs, one CommonJS file: jit/cli/bundle.ts) with V8's
// code cache, so a start deserializes the bytecode of the functions a `run` executes instead of
// parsing and compiling them (bench/results/startup.md: hello warm ~200 -> ~160 ms CPU, with the
// CommonJS bundle). bin/kwasm-jit.js calls runBundle through dist/bundle/cli.cjs (this module,
// bundled). Node 20 has no module compile cache (`module.enableCompileCache` is Node >= 22), and a
// user-land startup snapshot costs more than it saves (~30 ms of fixed cost: startup.md).
//
// The cache is made by `npm run build` (trainCodeCache: a child process runs the bundle on
// examples/hello.wasm from a warm compiled-code cache and writes what V8 compiled) and lives beside
// the bundle, as trusted as the bundle itself (code-cache-train.ts). Its file starts with the
// CRC-32 of the source it was made from and that of the data: V8's own check of cached data is
// only the source's length, V8's version and its flags (a release V8 checksums nothing: a damaged
// byte would run), so a rebuilt bundle of the same length would otherwise run the old bytecode.
// The file is the build's own, so the check is against accidents, not forgery: CRC-32 (a
// rebuild of the same length and CRC runs stale code with odds of 2^-32), not sha256, whose
// node:crypto costs every start ~4 ms (jit/digest.ts). A
// cache that does not match (another bundle, a damaged file, another Node, other V8 flags) is not
// used: the bundle is compiled from source as any script, slower but the same code.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { readInto } from '../cache/wasm-file.js';
import { crc32 } from '../digest.js';
import { bytesOf, utf8, utf8Bytes, wordsOf } from '../bytes.js';

/** The cache of `file` is `file` + this. */
export const CODE_CACHE_SUFFIX = '.v8cache';
/** The header: u32 CRC-32 of the source, u32 CRC-32 of the data (8 bytes: the data stays 8-aligned). */
export const HEADER_BYTES = 8;

/** What the CLI bundle exports (jit/cli.ts). */
export interface CliModule { main(argv: string[], exiting?: boolean): Promise<number> }
type Wrapper = (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void;

/** absent: no cache file; mismatch: not made from this source or damaged; rejected: by V8 (its version, flags). */
export type CodeCacheUse = 'used' | 'absent' | 'mismatch' | 'rejected';

/** The cache file's header: what it was made from and what it holds. */
export function codeCacheHeader(source: Buffer, data: Uint8Array): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(crc32([source]), 0);
  h.writeUInt32LE(crc32([data]), 4);
  return h;
}

/** The function Node's loader makes of a CommonJS file: its source goes between these. */
const WRAP_HEAD = utf8Bytes('(function (exports, require, module, __filename, __dirname) {');
const WRAP_TAIL = utf8Bytes('\n})');

/** The size of the file `path`, or undefined if it cannot be opened or is no regular file (a
 *  directory opens, then fails to read); its descriptor in `fds`. */
function openSized(path: string, fds: number[]): number | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  fds.push(fd);
  // bigint: the one Stats class a warm start makes (jit/cache/wasm-file.ts statFd)
  const st = fstatSync(fd, { bigint: true });
  return st.isFile() ? Number(st.size) : undefined;
}

/**
 * The `require` of a CommonJS file `file`: this module's own when this is the bundled launcher
 * (CommonJS, where `import.meta.dirname` is `__dirname`) and `file` lies beside it, as the CLI
 * bundles do: the same resolution from the same directory, and the same require.cache and
 * require.main, without Node's createRequire (a Module with its node_modules paths: ~0.4M
 * instructions of a start); else one made for `file`.
 */
function requireFor(file: string): NodeRequire {
  return typeof require === 'function' && dirname(file) === import.meta.dirname ? require : createRequire(file);
}

/**
 * Evaluates the CommonJS file `file` as Node's loader would (the same wrapper arguments), compiled
 * with its code cache when that was made from this very source; returns its exports, the script
 * (for createCachedData) and what became of the cache.
 *
 * One buffer serves both files (the wrapped source, then the cache): on this VM every fresh page
 * costs ~12 us to first touch, and the source is read between the wrapper's two halves, so V8
 * gets one flat string instead of a concatenation it would copy again (~1-2 ms of a start
 * together, bench/results/startup.md).
 */
export function loadWithCodeCache(file: string): { exports: object; script: Script; use: CodeCacheUse } {
  const fds: number[] = [];
  let source: string, cache: Uint8Array | undefined, use: CodeCacheUse;
  try {
    const size = openSized(file, fds);
    if (size === undefined) throw new Error(`${file}: cannot be opened`);
    const sourceFd = fds[0];
    const cacheSize = openSized(file + CODE_CACHE_SUFFIX, fds);
    const wrapped = WRAP_HEAD.length + size + WRAP_TAIL.length;
    // a plain typed array: Buffer.allocUnsafe is Node's JS (five functions a start compiles for it)
    const buf = new Uint8Array(Math.max(wrapped, cacheSize ?? 0));
    buf.set(WRAP_HEAD);
    readInto(sourceFd, buf, WRAP_HEAD.length, size, 0);
    buf.set(WRAP_TAIL, WRAP_HEAD.length + size);
    const sourceSum = cacheSize === undefined ? 0 : crc32([bytesOf(buf, WRAP_HEAD.length, WRAP_HEAD.length + size)]);
    source = utf8(buf, 0, wrapped);
    use = cacheSize === undefined ? 'absent' : 'used';
    if (cacheSize !== undefined) {
      readInto(fds[1], buf, 0, cacheSize, 0);
      const data = bytesOf(buf, HEADER_BYTES, cacheSize);
      const w = wordsOf(buf);
      if (cacheSize <= HEADER_BYTES || w.getUint32(0, true) !== sourceSum || w.getUint32(4, true) !== crc32([data])) use = 'mismatch';
      else cache = data;
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const script = new Script(source, { filename: file, cachedData: cache });
  if (script.cachedDataRejected === true) use = 'rejected';
  const module = { exports: {} };
  (script.runInThisContext() as Wrapper).call(module.exports, module.exports, requireFor(file), module, file, dirname(file));
  return { exports: module.exports, script, use };
}

/**
 * Whether all that was written to process.stdout and process.stderr has been handed to the OS.
 * Node makes each stream on its first access (the getter is replaced here, before anything
 * writes, to see which were made); a program's own output goes out through fs.writeSync
 * (jit/runtime/fast-fd-write.ts), the CLI's messages through these streams, whose writes to a
 * pipe are asynchronous on Linux: a full pipe queues them, and process.exit would drop them.
 * A stream made before this runs is not seen: then this answers false, never a wrong true.
 */
function stdioDrained(): () => boolean {
  const made: { writableLength: number }[] = [];
  for (const name of ['stdout', 'stderr'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, name);
    const get = d?.get;
    if (d === undefined || get === undefined || d.configurable !== true) return () => false;
    Object.defineProperty(process, name, {
      ...d,
      get(): unknown {
        const stream = get.call(process) as { writableLength: number };
        if (!made.includes(stream)) made.push(stream);
        return stream;
      },
    });
  }
  return () => made.every((s) => s.writableLength === 0);
}

/**
 * bin/kwasm-jit.js: the CLI from the bundle `file`; its exit status becomes the process's. The
 * process ends as soon as main settles and the stdio streams hold nothing queued: the command
 * is done, and what Node would still do (drain V8's scavenge task, free the environment and the
 * heap) costs a warm `run hello.wasm` ~5 ms of CPU (bench/results/startup.md). With output
 * still queued the event loop first writes it out, then ends the process the same way.
 */
export function runBundle(file: string, argv: string[]): void {
  const drained = stdioDrained();
  // `node --enable-source-maps`: Node's own loader, which maps stack traces (a vm.Script's are not)
  const cli = (process.sourceMapsEnabled ? createRequire(file)(file) : loadWithCodeCache(file).exports) as CliModule;
  // a rejection stays unhandled: Node prints it and exits 1, as for the ES module's top-level await
  let settled = false;
  void cli.main(argv, true).then((status) => {
    settled = true;
    process.exitCode = status;
    if (drained()) process.exit();
  });
  // the event loop ran dry: with main settled, the queued output is written and the process
  // ends now; with main() still pending (a bug: nothing left could finish it) it is not a
  // success. 13 is what Node gives an ES module's unsettled top-level await. ('beforeExit'
  // comes only then, never after an explicit process.exit.) `on` with a flag, not `once`: the
  // same, without three more of Node's event functions compiled at every start.
  let reported = false;
  process.on('beforeExit', () => {
    if (settled) process.exit();
    if (reported) return; // the message's write made the loop live again
    reported = true;
    process.stderr.write('kwasm-jit: internal error: the command never finished\n');
    process.exitCode = 13;
  });
}
