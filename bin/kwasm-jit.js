#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is TypeScript compiled to dist/ and bundled by `npm run build` into
// dist/bundle/cli-main.cjs, which dist/bundle/cli.cjs runs with V8's code cache
// (jit/cli/bundle.ts, jit/cli/code-cache.ts say why). CommonJS (bin/package.json): Node 20's ES
// module loader costs a start ~5-10 ms more. A bundle older than the tsc output (a tsc-only
// rebuild) would be old code: then the tsc output runs instead, slower but current.
const { statSync } = require('node:fs');
const { join } = require('node:path');
const dist = join(__dirname, '..', 'dist');
const launcher = join(dist, 'bundle', 'cli.cjs');
const plain = join(dist, 'jit', 'cli.js');
// bigint: the one Stats class a warm start makes (Node's Stats classes are JS compiled on first use)
const b = statSync(launcher, { bigint: true, throwIfNoEntry: false });
const p = statSync(plain, { bigint: true, throwIfNoEntry: false });
const argv = process.argv.slice(2);
if (p === undefined && b === undefined) {
  console.error('kwasm-jit: not built yet; run `npm run build` (or `npm run setup`) first');
  process.exitCode = 2;
} else if (b !== undefined && (p === undefined || b.mtimeNs >= p.mtimeNs)) {
  // the rule of jit/cli/bundle.ts bundleIsFresh (tsc rewrites every output file on each run)
  runLauncher().runBundle(join(dist, 'bundle', 'cli-main.cjs'), argv);
} else {
  // a rejection stays unhandled: Node prints it and exits 1; a main() still pending when the event
  // loop runs dry exits 13 with a message (both as the bundle's runBundle, jit/cli/code-cache.ts)
  let settled = false;
  import(require('node:url').pathToFileURL(plain).href).then((cli) => cli.main(argv, true)).then((status) => { settled = true; process.exitCode = status; });
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('kwasm-jit: internal error: the command never finished\n');
    process.exitCode = 13;
  });
}

/**
 * The launcher's exports: dist/bundle/cli.cjs evaluated as Node's loader would (its wrapper's five
 * arguments), but compiled here by node:vm, which it loads anyway, instead of required: Node's
 * loader for a second user file (resolving, realpath, a Module, its node_modules paths) costs a
 * start ~0.5M instructions more. Its `require` is this file's: the same require.cache and
 * require.main, and resolution from bin/, which reaches the package's node_modules as dist/bundle/
 * does; `module` holds its exports only (neither file uses more of it).
 */
function runLauncher() {
  const { readFileSync } = require('node:fs');
  const { Script } = require('node:vm');
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(launcher, 'utf8')}\n})`;
  const module = { exports: {} };
  new Script(source, { filename: launcher }).runInThisContext().call(module.exports, module.exports, require, module, launcher, join(dist, 'bundle'));
  return module.exports;
}
