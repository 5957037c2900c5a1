#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ and bundled into dist/bundle/ by
// `npm run build` (jit/cli/bundle.ts says why). A bundle older than the tsc output (a tsc-only
// rebuild) would be old code: then the tsc output runs instead, slower but current.
import { statSync } from 'node:fs';
const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const plain = new URL('../dist/jit/cli.js', import.meta.url);
const b = statSync(bundle, { throwIfNoEntry: false });
const p = statSync(plain, { throwIfNoEntry: false });
if (p === undefined && b === undefined) {
  console.error('kwasm-jit: not built yet; run `npm run build` (or `npm run setup`) first');
  process.exit(2);
}
// the rule of jit/cli/bundle.ts bundleIsFresh (tsc rewrites every output file on each run)
await import((b !== undefined && (p === undefined || b.mtimeMs >= p.mtimeMs) ? bundle : plain).href);
