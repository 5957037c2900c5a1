#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const cli = new URL('../dist/jit/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('kwasm-jit: not built yet; run `npm run build` (or `npm run setup`) first');
  process.exit(2);
}
await import(cli.href);
